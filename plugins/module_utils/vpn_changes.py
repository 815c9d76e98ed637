# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The VPN connection change set: what differs between the module's params and a connection,
and the calls that apply it. Pure (no AWS calls), so unit tests need no client.

Tunnels are paired with ``tunnel_options`` entries by outside IP, inside CIDR or PSK, never by
position. The device side's "tunnel plan" is another thing (``tunnel_plan``).
"""

from __future__ import annotations

from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

import itertools

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import SECRET_KEYS
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import given_params
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import redact_secrets
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import tags_of
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_api import from_api
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_api import to_api
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_defaults import tunnel_changes
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_defaults import with_defaults
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import MODIFIABLE_IN_PLACE

# Keys that identify a tunnel of an existing connection (never its position in a list).
TUNNEL_MATCH_KEYS = ("tunnel_inside_cidr", "tunnel_inside_ipv6_cidr", "pre_shared_key")

# Connection options AWS fixes at creation: (module option, Options key, AWS default).
FIXED_CONNECTION_OPTIONS = (
    ("static_routes_only", "StaticRoutesOnly", False),
    ("tunnel_inside_ip_version", "TunnelInsideIpVersion", "ipv4"),
    ("outside_ip_address_type", "OutsideIpAddressType", "PublicIpv4"),
    ("enable_acceleration", "EnableAcceleration", False),
    ("transport_transit_gateway_attachment_id", "TransportTransitGatewayAttachmentId", None),
)
# Changed with ModifyVpnConnectionOptions: (module option, Options key, AWS default).
MODIFIABLE_CONNECTION_OPTIONS = (
    ("local_ipv4_network_cidr", "LocalIpv4NetworkCidr", "0.0.0.0/0"),
    ("remote_ipv4_network_cidr", "RemoteIpv4NetworkCidr", "0.0.0.0/0"),
    ("local_ipv6_network_cidr", "LocalIpv6NetworkCidr", "::/0"),
    ("remote_ipv6_network_cidr", "RemoteIpv6NetworkCidr", "::/0"),
    ("tunnel_bandwidth", "TunnelBandwidth", "standard"),
)

# Changed with ModifyVpnConnection: (module option, connection key).
TARGET_OPTIONS = (
    ("customer_gateway_id", "CustomerGatewayId"),
    ("vpn_gateway_id", "VpnGatewayId"),
    ("transit_gateway_id", "TransitGatewayId"),
)


def psk_storage(connection: Dict[str, Any]) -> str:
    return "SecretsManager" if connection.get("PreSharedKeyArn") else "Standard"


def current_tunnels(connection: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Each tunnel's options as the spec sees them, with its outside IP, in describe order."""
    result = []
    for entry in (connection.get("Options") or {}).get("TunnelOptions") or []:
        opts = from_api(entry)
        opts["outside_ip_address"] = entry.get("OutsideIpAddress")
        result.append(opts)
    return result


def tunnel_fields(entry: Dict[str, Any]) -> Dict[str, Any]:
    """Only the spec's fields that were given (module params carry None for the rest)."""
    return {k: v for k, v in entry.items() if k in FIELDS and v is not None}


def _changes(desired: Dict[str, Any], current: Dict[str, Any]) -> Dict[str, Tuple[Any, Any]]:
    wanted = tunnel_fields(desired)
    # SecretsManager storage: describe carries no PSK, so a given PSK cannot be compared.
    if current.get("pre_shared_key") is None:
        wanted.pop("pre_shared_key", None)
    return tunnel_changes(wanted, current)


def match_tunnels(
    desired: List[Dict[str, Any]], current: List[Dict[str, Any]]
) -> List[Tuple[int, Dict[str, Any], Dict[str, Any]]]:
    """Pair tunnel_options entries with the connection's tunnels, never by list position.

    An entry names its tunnel by ``outside_ip_address``, or by an inside CIDR or PSK that exactly one
    tunnel has. Entries that name none are paired so that the fewest options change; when two
    pairings tie with different changes the entries are ambiguous and this raises ValueError.
    Returns ``[(entry_index, entry, tunnel)]``.
    """
    pairs: List[Tuple[int, Dict[str, Any], Dict[str, Any]]] = []
    free = list(current)
    rest = []
    for idx, entry in enumerate(desired):
        ip = entry.get("outside_ip_address")
        if ip:
            found = [t for t in free if t.get("outside_ip_address") == ip]
            if not found:
                ips = ", ".join(str(t.get("outside_ip_address")) for t in current)
                raise ValueError(
                    f"tunnel_options[{idx + 1}].outside_ip_address: {ip} is not an outside IP of this connection ({ips})"
                )
            pairs.append((idx, entry, found[0]))
            free.remove(found[0])
            continue
        rest.append((idx, entry))
    unnamed = []
    for idx, entry in rest:
        found = []
        for key in TUNNEL_MATCH_KEYS:
            if entry.get(key):
                found = [t for t in free if tunnel_changes({key: entry[key]}, t) == {}]
                if len(found) == 1:
                    break
        if len(found) == 1:
            pairs.append((idx, entry, found[0]))
            free.remove(found[0])
        else:
            unnamed.append((idx, entry))
    if len(unnamed) > len(free):
        raise ValueError(f"tunnel_options has {len(desired)} entries for {len(current)} tunnels")
    if unnamed:
        scored = []
        for perm in itertools.permutations(free, len(unnamed)):
            changes = [_changes(entry, tun) for (idx, entry), tun in zip(unnamed, perm)]
            outcome = sorted(
                (tun.get("outside_ip_address"), sorted(ch.items(), key=repr)) for ch, tun in zip(changes, perm)
            )
            scored.append((sum(len(c) for c in changes), repr(outcome), perm))
        best = min(s[0] for s in scored)
        outcomes = {s[1] for s in scored if s[0] == best}
        if len(outcomes) > 1:
            raise ValueError(
                "tunnel_options: cannot tell which entry is for which tunnel (both pairings change the same "
                "number of options); add outside_ip_address (or tunnel_inside_cidr) to each entry"
            )
        perm = next(s[2] for s in scored if s[0] == best)
        pairs.extend((idx, entry, tun) for (idx, entry), tun in zip(unnamed, perm))
    return sorted(pairs, key=lambda p: p[0])


def vpn_view(connection: Dict[str, Any]) -> Dict[str, Any]:
    """What diff mode shows: options, tunnels (no PSKs), routes, tags."""
    if not connection:
        return {}
    options = connection.get("Options") or {}
    tunnels = []
    for t in current_tunnels(connection):
        t = with_defaults(dict(t))
        tunnels.append(redact_secrets(t))
    view = {
        "vpn_connection_id": connection.get("VpnConnectionId"),
        "customer_gateway_id": connection.get("CustomerGatewayId"),
        "vpn_gateway_id": connection.get("VpnGatewayId"),
        "transit_gateway_id": connection.get("TransitGatewayId"),
        "static_routes_only": options.get("StaticRoutesOnly"),
        "pre_shared_key_storage": psk_storage(connection),
    }
    # Every option the module can change is in the view, or diff mode would hide the change.
    view.update({opt: options.get(key, default) for opt, key, default in MODIFIABLE_CONNECTION_OPTIONS})
    return dict(
        view,
        routes=sorted(
            r["DestinationCidrBlock"]
            for r in connection.get("Routes") or []
            if r.get("State") not in ("deleting", "deleted")
        ),
        tunnels=sorted(tunnels, key=lambda t: str(t.get("outside_ip_address"))),
        tags=tags_of(connection),
    )


def mark_key_changes(view: Dict[str, Any], outside_ips) -> Dict[str, Any]:
    """The view with ``pre_shared_key: changed`` on the tunnels whose key changes (never the key)."""
    tunnels = [
        dict(t, pre_shared_key="changed") if t.get("outside_ip_address") in outside_ips else t
        for t in view.get("tunnels") or []
    ]
    return dict(view, tunnels=tunnels)


def key_changes(change_set: Dict[str, Any]) -> List[str]:
    """Outside IPs of the tunnels whose pre-shared key the change set changes (or moves to another storage)."""
    ips = [ip for ip, changes in change_set["tunnels"] if "pre_shared_key" in changes]
    return ips


def vpn_connection_changes(params: Dict[str, Any], connection: Dict[str, Any]) -> Dict[str, Any]:
    """Compare the module params with an existing connection; pure, so unit tests need no AWS.

    Returns {"errors": [...], "connection_options": {ApiKey: value}, "tunnels": [(outside_ip,
    {field: (current, desired)})], "psk_storage": value or None, "routes_add": [...],
    "routes_remove": [...]}. Errors are differences AWS cannot apply in place.
    """
    options = connection.get("Options") or {}
    conn_id = connection.get("VpnConnectionId")
    change_set: Dict[str, Any] = {
        "errors": [],
        "connection_options": {},
        "tunnels": [],
        "psk_storage": None,
        "routes_add": [],
        "routes_remove": [],
        "target": {},
    }
    for opt, key, default in FIXED_CONNECTION_OPTIONS:
        want = params.get(opt)
        have = options.get(key, default)
        if want is not None and want != have:
            change_set["errors"].append(
                f"{opt}: {conn_id} has {have!r}, {want!r} wanted; AWS cannot modify this in place "
                "(only a new connection, with new outside IPs and PSKs, can have it: replace_connection: true replaces it)"
            )
    # Found by vpn_connection_id, a connection can move to another gateway (ModifyVpnConnection).
    for opt, key in TARGET_OPTIONS:
        want = params.get(opt)
        if want and want != connection.get(key):
            change_set["target"][key] = want
    for opt, key, default in MODIFIABLE_CONNECTION_OPTIONS:
        want = params.get(opt)
        if want is not None and want != options.get(key, default):
            change_set["connection_options"][key] = want

    if params.get("pre_shared_key_storage") and params["pre_shared_key_storage"] != psk_storage(connection):
        change_set["psk_storage"] = params["pre_shared_key_storage"]

    desired = params.get("tunnel_options") or []
    if desired:
        tunnels = current_tunnels(connection)
        try:
            pairs = match_tunnels(desired, tunnels)
        except ValueError as e:
            change_set["errors"].append(str(e))
            pairs = []
        for idx, entry, tunnel in pairs:
            changes = _changes(entry, tunnel)
            fixed = sorted(f for f in changes if f not in MODIFIABLE_IN_PLACE)
            if fixed:
                change_set["errors"].append(
                    f"tunnel_options[{idx + 1}] ({tunnel.get('outside_ip_address')}): {', '.join(fixed)} cannot be modified in place by AWS "
                    "(replace_connection: true replaces the connection)"
                )
            elif changes:
                change_set["tunnels"].append((tunnel.get("outside_ip_address"), changes))

    if params.get("routes") is not None:
        have = {
            r["DestinationCidrBlock"]
            for r in connection.get("Routes") or []
            if r.get("State") not in ("deleting", "deleted")
        }
        want = set(params["routes"])
        change_set["routes_add"] = sorted(want - have)
        if params.get("purge_routes", True):
            change_set["routes_remove"] = sorted(have - want)
    return change_set


def create_vpn_connection_params(params: Dict[str, Any], tags: Optional[Dict[str, str]]) -> Dict[str, Any]:
    """CreateVpnConnection's parameters from the module params."""
    api: Dict[str, Any] = {
        "Type": params.get("connection_type") or "ipsec.1",
        "CustomerGatewayId": params["customer_gateway_id"],
    }
    api.update(given_params(params, {
        "vpn_gateway_id": "VpnGatewayId",
        "transit_gateway_id": "TransitGatewayId",
        "vpn_concentrator_id": "VpnConcentratorId",
        "pre_shared_key_storage": "PreSharedKeyStorage",
    }))
    options: Dict[str, Any] = {}
    for opt, key, dummy in FIXED_CONNECTION_OPTIONS + MODIFIABLE_CONNECTION_OPTIONS:
        if params.get(opt) is not None:
            options[key] = params[opt]
    if params.get("tunnel_options"):
        options["TunnelOptions"] = [to_api(tunnel_fields(t)) for t in params["tunnel_options"]]
    if options:
        api["Options"] = options
    if tags:
        api["TagSpecifications"] = boto3_tag_specifications(tags, types="vpn-connection")
    return api


def planned_view(before: Dict[str, Any], change_set: Dict[str, Any], tags: Dict[str, str]) -> Dict[str, Any]:
    after = dict(before, tags=tags)
    names = {key: opt for opt, key, dummy in MODIFIABLE_CONNECTION_OPTIONS}
    for key, value in change_set["connection_options"].items():
        after[names[key]] = value
    if change_set["psk_storage"]:
        after["pre_shared_key_storage"] = change_set["psk_storage"]
    for opt, key in TARGET_OPTIONS:
        if key in change_set["target"]:
            after[opt] = change_set["target"][key]
    routes = (set(before.get("routes") or []) | set(change_set["routes_add"])) - set(change_set["routes_remove"])
    after["routes"] = sorted(routes)
    changes_by_ip = dict(change_set["tunnels"])
    tunnels = []
    for tun in before.get("tunnels") or []:
        tun = dict(tun)
        for field, (dummy, want) in changes_by_ip.get(tun.get("outside_ip_address"), {}).items():
            if field not in SECRET_KEYS:
                tun[field] = want
        tunnels.append(tun)
    after["tunnels"] = tunnels
    return mark_key_changes(after, key_changes(change_set))
