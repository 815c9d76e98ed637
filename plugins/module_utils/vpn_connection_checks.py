# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The VPN connection module's input rules, as (field, message) lists: pure, before any write.

``validation_errors`` needs only the task's parameters; ``existing_errors`` also the connection as
DescribeVpnConnections returns it (None before creation).
"""

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import tags_of
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_validation import tunnel_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_validation import validate_tunnel_options
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import TunnelOptionError
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_cidr
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_cidrs
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import current_tunnels
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import match_tunnels
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import psk_storage


def validation_errors(p):
    """Every input problem as (field, message); pure, so unit tests call it directly."""
    errors = []
    try:
        validate_tunnel_options(p.get("tunnel_options"))
    except TunnelOptionError as e:
        errors.extend(e.errors)
    for field, version in (
        ("local_ipv4_network_cidr", 4),
        ("remote_ipv4_network_cidr", 4),
        ("local_ipv6_network_cidr", 6),
        ("remote_ipv6_network_cidr", 6),
    ):
        if p.get(field) is not None:
            try:
                p[field] = validate_cidr(p[field], field, version=version)
            except ValidationError as e:
                errors.append((e.field, e.message))
    if p.get("routes"):
        try:
            p["routes"] = validate_cidrs(p["routes"], "routes")
        except ValidationError as e:
            errors.append((e.field, e.message))
        if p.get("transit_gateway_id"):
            errors.append(
                (
                    "routes",
                    "static routes of a transit gateway connection live in the transit gateway's route tables, not on the connection",
                )
            )
        elif p.get("static_routes_only") is False:
            errors.append(("routes", "static routes need static_routes_only: true"))
    # Knowable before the describe: a VGW connection is IPv4 inside, and a given version is the version.
    if p.get("vpn_gateway_id") or p.get("tunnel_inside_ip_version"):
        errors.extend(gateway_kind_errors(p, p.get("vpn_gateway_id"), p.get("tunnel_inside_ip_version")))
    if p.get("enable_acceleration") and p.get("vpn_gateway_id"):
        errors.append(("enable_acceleration", "acceleration is only available for transit gateway connections"))
    if p.get("outside_ip_address_type") == "PrivateIpv4" and not p.get("transport_transit_gateway_attachment_id"):
        errors.append(
            ("transport_transit_gateway_attachment_id", "is required with outside_ip_address_type PrivateIpv4")
        )
    return errors


def gateway_kind_errors(p, on_vgw, inside_version):
    """Rules AWS applies by gateway kind and inside IP version, knowable before any call.

    ``on_vgw``: the connection is (or will be) on a virtual private gateway; ``inside_version``:
    its tunnel_inside_ip_version (None: AWS's default, ipv4).
    """
    errors = []
    if on_vgw and p.get("tunnel_bandwidth") == "large":
        errors.append(("tunnel_bandwidth", "large is only available for transit gateway and Cloud WAN connections, not a virtual private gateway"))
    if on_vgw and inside_version == "ipv6":
        errors.append(("tunnel_inside_ip_version", "ipv6 is only available for transit gateway connections, not a virtual private gateway"))
    v6 = inside_version == "ipv6"
    wrong = ("local_ipv4_network_cidr", "remote_ipv4_network_cidr") if v6 else ("local_ipv6_network_cidr", "remote_ipv6_network_cidr")
    for field in wrong:
        if p.get(field) is not None:
            errors.append((field, f"does not apply to a connection whose tunnel_inside_ip_version is {'ipv6' if v6 else 'ipv4'}"))
    inside = "tunnel_inside_cidr" if v6 else "tunnel_inside_ipv6_cidr"
    for idx, entry in enumerate(p.get("tunnel_options") or []):
        if isinstance(entry, dict) and entry.get(inside) is not None:
            errors.append(
                (f"tunnel_options[{idx + 1}].{inside}", f"does not apply to a connection whose tunnel_inside_ip_version is {'ipv6' if v6 else 'ipv4'}")
            )
    return errors


def existing_errors(p, existing):
    """Rules that involve the connection as it is (routing, gateway kind, key storage, name, options)."""
    if not existing:
        errors = gateway_kind_errors(p, p.get("vpn_gateway_id"), p.get("tunnel_inside_ip_version"))
        if p.get("routes") and p.get("static_routes_only") is None:
            errors.append(("routes", "static routes need static_routes_only: true (AWS's default is BGP)"))
        return errors
    errors = []
    conn_id = existing["VpnConnectionId"]
    options = existing.get("Options") or {}
    static = p["static_routes_only"] if p.get("static_routes_only") is not None else options.get("StaticRoutesOnly", False)
    if p.get("routes") and not static:
        errors.append(("routes", f"{conn_id} uses BGP (static_routes_only false): it takes no static routes"))
    version = p.get("tunnel_inside_ip_version") or options.get("TunnelInsideIpVersion")
    errors.extend(gateway_kind_errors(p, bool(existing.get("VpnGatewayId")), version))
    storage = p.get("pre_shared_key_storage") or psk_storage(existing)
    if storage == "SecretsManager" and psk_storage(existing) == "SecretsManager":
        for idx, entry in enumerate(p.get("tunnel_options") or []):
            if entry.get("pre_shared_key") is not None:
                errors.append(
                    (
                        f"tunnel_options[{idx + 1}].pre_shared_key",
                        f"{conn_id} keeps its keys in Secrets Manager ({existing.get('PreSharedKeyArn')}), where the "
                        "module cannot compare them: leave pre_shared_key out, or set pre_shared_key_storage: Standard to manage them here",
                    )
                )
    have_name = tags_of(existing).get("Name")
    if p.get("name") is not None and not p.get("vpn_connection_id") and have_name is not None and have_name != p["name"]:
        errors.append(
            (
                "name",
                f"{conn_id} between these gateways is named {have_name!r}, not {p['name']!r}: give vpn_connection_id "
                "to rename it, or leave name out",
            )
        )
    entries = p.get("tunnel_options") or []
    if entries:
        try:
            pairs = match_tunnels(entries, current_tunnels(existing))
        except ValueError:
            pairs = []  # ensure_vpn_connection reports it
        for idx, entry, tunnel in pairs:
            errors.extend(tunnel_errors(entry, f"tunnel_options[{idx + 1}]", base=tunnel))
    return errors
