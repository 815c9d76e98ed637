# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Per-tunnel view of a VPN connection and the vendor-neutral device plan.

Both functions take one DescribeVpnConnections entry, in boto3's CamelCase or in the
snake_case that ``camel_dict_to_snake_dict`` gives (detected per key).  Tunnels are matched
across the XML, ``Options.TunnelOptions`` and ``VgwTelemetry`` by the AWS-side outside IP,
never by list position (terraform-provider-aws #396), and ordered as in the XML.

merge_tunnels(connection) -> list of (one per tunnel, XML document order)::

    {
      "index": 1,                       # 1-based position in the XML
      "outside_ip": "52.27.166.152",    # AWS side
      "cgw_outside_ip": "147.75.69.27",
      "inside_cidr": "169.254.15.192/30", "inside_prefix_length": 30,
      "vgw_inside_ip": "169.254.15.193", "cgw_inside_ip": "169.254.15.194",
      "inside_ipv6_cidr": None, "vgw_inside_ipv6": None, "cgw_inside_ipv6": None,
      "vgw_asn": 65401, "cgw_asn": 65301, "hold_time": 30,      # None when static
      "pre_shared_key": "...",          # None when stored in Secrets Manager
      "options": {...},                 # every tunnel option, AWS defaults filled in
      "status": "UP", "status_message": "...", "accepted_route_count": 5,
      "last_status_change": "2017-11-02T16:54:36+00:00",
    }

build_tunnel_plan(connection, site) -> the plan every device renderer takes::

    {
      "vpn_connection_id", "customer_gateway_id", "vpn_gateway_id", "transit_gateway_id",
      "site": site name or None,
      "routing": "bgp" | "static",
      "local_asn": int | None, "peer_asn": int | None,           # None when static
      "site_prefixes": [...], "vpc_prefixes": [...],             # from the site dict
      "connection_routes": [...],      # the connection's static routes (AWS side)
      "pre_shared_key_arn": str | None,
      "traffic_selectors": {"local_ipv4_network_cidr": str | None, "remote_ipv4_network_cidr": ...},
      "primary_tunnel": 1, "backup_method": "prepend" | "med", "prepend_count": 2,
      "tunnels": [
        {
          "index": 1, "name": "tunnel1",
          "peer_outside_ip": AWS outside IP, "local_outside_ip": CGW (or site override),
          "inside_cidr": "169.254.15.192/30", "inside_prefix_length": 30,
          "peer_inside_ip": "169.254.15.193", "local_inside_ip": "169.254.15.194",
          "local_inside_address": "169.254.15.194/30",
          "inside_ipv6_cidr", "peer_inside_ipv6", "local_inside_ipv6",   # None for IPv4 tunnels
          "pre_shared_key": str | None,
          "ike_versions": ["ikev1", "ikev2"], "ike_version": "ikev2",  # preferred: ikev2 when allowed
          "phase1": {
            "encryption_algorithms": [...], "integrity_algorithms": [...],   # AWS names
            "dh_group_numbers": [...], "lifetime_seconds": 28800,
            "proposals": [{"encryption": "aes128", "integrity": "sha1", "dh_group": 2}, ...],
            "additional_key_exchanges": [{"round": 1, "requirement": "required", "methods": [36]}],
          },
          "phase2": {same keys, "lifetime_seconds": 3600, "pfs": True},
          "rekey": {"margin_time_seconds": 270, "fuzz_percentage": 100},
          "replay_window_size": 1024,
          "dpd": {"timeout_seconds": 30, "action": "clear", "interval": 10, "retries": 3},
          "startup_action": "add",
          "nat_traversal": False,       # the device sits behind NAT (site local_outside_ip)
          "mtu": 1436, "tcp_mss": 1379, # from the ESP algorithms (mtu_mss), site keys override
          "bgp": {"peer_ip", "local_ip", "peer_asn", "local_asn", "hold_time": 30, "keepalive": 10}
                 | None (static),
          "static_routes": [...],        # static: the VPC prefixes routed into this tunnel; bgp: []
          "preference": {"primary": bool, "local_preference": 200|100, "as_path_prepend": 0|n,
                         "med": int | None, "route_metric": 100|200},
          "status": "UP" | "DOWN" | None,
        }
      ],
    }

Normalised proposal names (lower case, vendor-neutral): encryption aes128, aes256,
aes128gcm16, aes256gcm16 (AWS's AES128 / AES256 are CBC); integrity sha1, sha256, sha384,
sha512.  In phase 1 an AEAD cipher still needs a PRF: ``integrity`` then names it.  In phase
2 ``integrity`` is None for AEAD ciphers.  Algorithm lists and proposals are ordered strongest
first (ENCRYPTION_STRENGTH, INTEGRITY_STRENGTH, DH_GROUP_STRENGTH; encryption, then integrity,
then group), whatever AWS's order.

Preference: tunnel ``primary_tunnel`` is primary.  The backup is made less preferred towards
AWS by AS_PATH prepend (``prepend_count`` times) or by a higher MED (``backup_method: med``),
and the device keeps equal local preference (AWS's advice; the site keys can still differ);
static routes use ``route_metric``.

Site dict keys (all optional): name, site_prefixes, vpc_prefixes, bgp_asn (must equal the
customer gateway's ASN in the XML), local_outside_ip (the device's own address when it sits
behind NAT), primary_tunnel (1), backup_method (prepend), prepend_count (2),
local_preference_primary (100), local_preference_backup (100), med_primary (100),
med_backup (200), route_metric_primary (100), route_metric_backup (200), mtu and tcp_mss
(default: from the algorithms, see ``mtu_mss``).
"""

from __future__ import annotations

import datetime
import ipaddress

from ansible_collections.sitevpn.aws.plugins.module_utils.site_names import tunnel_name
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_api import from_api
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_defaults import with_defaults
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_asn
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_cidrs
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_ipv4_address
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_config import parse_customer_gateway_configuration

# AWS's published values for every customer gateway (its sample device configurations).
TUNNEL_MTU = 1436
TCP_MSS = 1379
DPD_INTERVAL = 10
DPD_RETRIES = 3
BGP_HOLD_TIME = 30
BGP_KEEPALIVE = 10

ENCRYPTION_NAMES = {
    "AES128": "aes128",
    "AES256": "aes256",
    "AES128-GCM-16": "aes128gcm16",
    "AES256-GCM-16": "aes256gcm16",
}
AEAD_ENCRYPTION = frozenset(("AES128-GCM-16", "AES256-GCM-16"))
INTEGRITY_NAMES = {"SHA1": "sha1", "SHA2-256": "sha256", "SHA2-384": "sha384", "SHA2-512": "sha512"}

# Strongest first: every device (and strongSwan) offers in this order, so two peers that allow
# more than one algorithm settle on the strongest, not on AES128/SHA1/modp1024.  DH groups by
# their security strength (NIST SP 800-57 part 1 table 2), elliptic curves first at equal strength.
ENCRYPTION_STRENGTH = ("AES256-GCM-16", "AES256", "AES128-GCM-16", "AES128")
INTEGRITY_STRENGTH = ("SHA2-512", "SHA2-384", "SHA2-256", "SHA1")
DH_GROUP_STRENGTH = (21, 20, 18, 17, 16, 19, 15, 24, 23, 14, 5, 22, 2, 1)

# MTU and MSS per algorithm (IPv4, no NAT-T): (tunnel MTU, TCP MSS).  AWS user guide, "Your
# customer gateway device" (your-cgw.md): "set the MSS ... to 1359 when using the SHA2-384 or
# SHA2-512 hashing algorithms", with the 1399-byte interface MTU it gives for the tunnel
# interface; the others from "Best practices for your customer gateway device".  The device uses
# the smallest of what it may negotiate, never more than AWS's samples (1436 / 1379), and 8 bytes
# less behind NAT (UDP encapsulation).
MTU_MSS_AEAD = (1446, 1406)
MTU_MSS_BY_INTEGRITY = {"SHA1": (1438, 1398), "SHA2-256": (1438, 1398), "SHA2-384": (1399, 1359), "SHA2-512": (1399, 1359)}
NAT_T_OVERHEAD = 8

BACKUP_METHODS = ("prepend", "med")
SITE_KEYS = (
    "name",
    "site_prefixes",
    "vpc_prefixes",
    "bgp_asn",
    "local_outside_ip",
    "primary_tunnel",
    "backup_method",
    "prepend_count",
    "local_preference_primary",
    "local_preference_backup",
    "med_primary",
    "med_backup",
    "route_metric_primary",
    "route_metric_backup",
    "mtu",
    "tcp_mss",
)


class TunnelPlanError(ValidationError):
    """The connection or the site dict cannot make a plan; ``field`` names the culprit."""


def _get(d, camel, snake, default=None):
    if not isinstance(d, dict):
        return default
    if camel in d:
        return d[camel]
    return d.get(snake, default)


def _timestamp(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def _telemetry_entry(t):
    return {
        "outside_ip": _get(t, "OutsideIpAddress", "outside_ip_address"),
        "status": _get(t, "Status", "status"),
        "status_message": _get(t, "StatusMessage", "status_message"),
        "accepted_route_count": _get(t, "AcceptedRouteCount", "accepted_route_count"),
        "last_status_change": _timestamp(_get(t, "LastStatusChange", "last_status_change")),
    }


def merge_tunnels(connection):
    """The connection's tunnels, merged from XML, TunnelOptions and VgwTelemetry (see module doc).

    Without XML (a connection still ``pending`` may not carry it yet) the tunnels come from
    TunnelOptions, ordered by outside IP, with the XML-only fields None.
    """
    if not isinstance(connection, dict):
        raise TunnelPlanError("connection", f"must be a DescribeVpnConnections entry (dict), got {type(connection).__name__}")
    xml = _get(connection, "CustomerGatewayConfiguration", "customer_gateway_configuration")
    options = _get(connection, "Options", "options") or {}
    tunnel_options = _get(options, "TunnelOptions", "tunnel_options") or []
    by_ip = {}
    for entry in tunnel_options:
        snake = from_api(entry)
        ip = snake.pop("outside_ip_address", None)
        if ip is not None:
            by_ip[ip] = snake
    telemetry = {}
    for t in _get(connection, "VgwTelemetry", "vgw_telemetry") or []:
        entry = _telemetry_entry(t)
        telemetry[entry["outside_ip"]] = entry

    if xml:
        xml_tunnels = parse_customer_gateway_configuration(xml)["tunnels"]
    else:
        xml_tunnels = [{"vgw_outside_ip": ip} for ip in sorted(by_ip, key=ipaddress.ip_address)]

    result = []
    for index, x in enumerate(xml_tunnels, start=1):
        ip = x["vgw_outside_ip"]
        current = dict(by_ip.get(ip, {}))
        # Addresses and keys: the XML is the truth, TunnelOptions fills what it lacks.
        inside_cidr = x.get("inside_cidr")
        if inside_cidr is None and current.get("tunnel_inside_cidr"):
            inside_cidr = str(ipaddress.ip_network(current["tunnel_inside_cidr"], strict=False))
        inside_v6 = x.get("inside_ipv6_cidr")
        if inside_v6 is None and current.get("tunnel_inside_ipv6_cidr"):
            inside_v6 = str(ipaddress.ip_network(current["tunnel_inside_ipv6_cidr"], strict=False))
        psk = x.get("pre_shared_key") or current.get("pre_shared_key")
        current["tunnel_inside_cidr"] = inside_cidr
        current["tunnel_inside_ipv6_cidr"] = inside_v6
        current["pre_shared_key"] = psk
        tel = telemetry.get(ip, {})
        vgw_inside, cgw_inside = x.get("vgw_inside_ip"), x.get("cgw_inside_ip")
        prefix = x.get("inside_prefix_length")
        if vgw_inside is None and inside_cidr is not None:
            # AWS takes the first host of the /30, the customer gateway the second.
            hosts = list(ipaddress.ip_network(inside_cidr).hosts())
            vgw_inside, cgw_inside, prefix = str(hosts[0]), str(hosts[1]), ipaddress.ip_network(inside_cidr).prefixlen
        result.append(
            {
                "index": index,
                "outside_ip": ip,
                "cgw_outside_ip": x.get("cgw_outside_ip"),
                "inside_cidr": inside_cidr,
                "inside_prefix_length": prefix,
                "vgw_inside_ip": vgw_inside,
                "cgw_inside_ip": cgw_inside,
                "inside_ipv6_cidr": inside_v6,
                "vgw_inside_ipv6": x.get("vgw_inside_ipv6"),
                "cgw_inside_ipv6": x.get("cgw_inside_ipv6"),
                "vgw_asn": x.get("vgw_asn"),
                "cgw_asn": x.get("cgw_asn"),
                "hold_time": x.get("hold_time"),
                "pre_shared_key": psk,
                "options": with_defaults(current),
                "status": tel.get("status"),
                "status_message": tel.get("status_message"),
                "accepted_route_count": tel.get("accepted_route_count"),
                "last_status_change": tel.get("last_status_change"),
            }
        )
    return result


def _proposals(options, phase):
    encs = options[f"{phase}_encryption_algorithms"]
    integs = options[f"{phase}_integrity_algorithms"]
    groups = options[f"{phase}_dh_group_numbers"]
    proposals = []
    for enc in encs:
        for integ in integs:
            integrity = INTEGRITY_NAMES.get(integ, integ.lower())
            if phase == "phase2" and enc in AEAD_ENCRYPTION:
                integrity = None
            for group in groups:
                p = {"encryption": ENCRYPTION_NAMES.get(enc, enc.lower()), "integrity": integrity, "dh_group": group}
                if p not in proposals:
                    proposals.append(p)
    return proposals


def strongest_first(values, order):
    """``values`` sorted by ``order`` (strongest first); unknown ones last, in their own order."""
    rank = {v: k for k, v in enumerate(order)}
    return sorted(values, key=lambda v: rank.get(v, len(order)))


def mtu_mss(phase2, nat_traversal):
    """Tunnel MTU and TCP MSS for the ESP algorithms the tunnel may negotiate (see MTU_MSS_*)."""
    sizes = []
    for enc in phase2["encryption_algorithms"]:
        if enc in AEAD_ENCRYPTION:
            sizes.append(MTU_MSS_AEAD)
        else:
            sizes += [MTU_MSS_BY_INTEGRITY.get(i, min(MTU_MSS_BY_INTEGRITY.values())) for i in phase2["integrity_algorithms"]]
    mtu = min([TUNNEL_MTU] + [m for m, dummy in sizes])
    mss = min([TCP_MSS] + [m for dummy, m in sizes])
    overhead = NAT_T_OVERHEAD if nat_traversal else 0
    return mtu - overhead, mss - overhead


def _phase(options, phase):
    options = dict(options)
    encs = strongest_first(options[f"{phase}_encryption_algorithms"], ENCRYPTION_STRENGTH)
    integs = strongest_first(options[f"{phase}_integrity_algorithms"], INTEGRITY_STRENGTH)
    groups = strongest_first(options[f"{phase}_dh_group_numbers"], DH_GROUP_STRENGTH)
    options.update({f"{phase}_encryption_algorithms": encs, f"{phase}_integrity_algorithms": integs,
                    f"{phase}_dh_group_numbers": groups})
    plan = {
        "encryption_algorithms": encs,
        "integrity_algorithms": integs,
        "dh_group_numbers": groups,
        "lifetime_seconds": options[f"{phase}_lifetime_seconds"],
        "proposals": _proposals(options, phase),
        "additional_key_exchanges": [dict(r) for r in options[f"{phase}_additional_key_exchanges"] or []],
    }
    if phase == "phase2":
        plan["pfs"] = bool(plan["dh_group_numbers"])
    return plan


def _site_int(site, key, default, minimum=None, maximum=None):
    value = site.get(key)
    if value is None:
        return default
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TunnelPlanError(f"site.{key}", f"must be an integer, got {value!r}")
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        raise TunnelPlanError(f"site.{key}", f"{value} is out of range {minimum}-{maximum}")
    return value


def build_tunnel_plan(connection, site=None):
    """The vendor-neutral device plan of ``connection`` for ``site`` (see the module doc)."""
    if site is not None and not isinstance(site, dict):
        raise TunnelPlanError("site", f"must be a dict, got {type(site).__name__}")
    site = dict(site or {})
    tunnels = merge_tunnels(connection)
    if not tunnels:
        raise TunnelPlanError("connection", "has no tunnels")

    options = _get(connection, "Options", "options") or {}
    static = _get(options, "StaticRoutesOnly", "static_routes_only")
    if static is None:
        static = all(t["vgw_asn"] is None for t in tunnels)
    routing = "static" if static else "bgp"

    site_prefixes = validate_cidrs(site.get("site_prefixes"), "site.site_prefixes", version=None)
    vpc_prefixes = validate_cidrs(site.get("vpc_prefixes"), "site.vpc_prefixes", version=None)
    primary = _site_int(site, "primary_tunnel", 1, 1, len(tunnels))
    backup_method = site.get("backup_method") or "prepend"
    if backup_method not in BACKUP_METHODS:
        raise TunnelPlanError("site.backup_method", f"{backup_method!r} is not one of {', '.join(BACKUP_METHODS)}")
    prepend_count = _site_int(site, "prepend_count", 2, 1, 10)
    # Equal by default (AWS's routing guide): AWS's MED then moves site->AWS traffic off a tunnel
    # AWS is replacing; prepend / MED still steer AWS->site.
    lp_primary = _site_int(site, "local_preference_primary", 100, 0, 4294967295)
    lp_backup = _site_int(site, "local_preference_backup", 100, 0, 4294967295)
    med_primary = _site_int(site, "med_primary", 100, 0, 4294967295)
    med_backup = _site_int(site, "med_backup", 200, 0, 4294967295)
    metric_primary = _site_int(site, "route_metric_primary", 100, 0)
    metric_backup = _site_int(site, "route_metric_backup", 200, 0)
    mtu = _site_int(site, "mtu", None, 576, 9000)
    tcp_mss = _site_int(site, "tcp_mss", None, 536, 8960)
    local_outside = site.get("local_outside_ip")
    if local_outside is not None:
        local_outside = validate_ipv4_address(local_outside, "site.local_outside_ip")

    local_asn = peer_asn = None
    if routing == "bgp":
        local_asn = next((t["cgw_asn"] for t in tunnels if t["cgw_asn"] is not None), None)
        peer_asn = next((t["vgw_asn"] for t in tunnels if t["vgw_asn"] is not None), None)
        if site.get("bgp_asn") is not None:
            wanted = validate_asn(site["bgp_asn"], "site.bgp_asn")
            if local_asn is not None and wanted != local_asn:
                raise TunnelPlanError(
                    "site.bgp_asn",
                    f"{wanted} differs from the customer gateway's ASN {local_asn} in the connection",
                )
            local_asn = local_asn if local_asn is not None else wanted
        if local_asn is None or peer_asn is None:
            raise TunnelPlanError("connection", "is a BGP connection but its configuration carries no BGP ASNs")

    plan_tunnels = []
    for t in tunnels:
        o = t["options"]
        is_primary = t["index"] == primary
        bgp = None
        if routing == "bgp":
            hold = t["hold_time"] or BGP_HOLD_TIME
            bgp = {
                "peer_ip": t["vgw_inside_ip"],
                "local_ip": t["cgw_inside_ip"],
                "peer_asn": t["vgw_asn"] if t["vgw_asn"] is not None else peer_asn,
                "local_asn": local_asn,
                "hold_time": hold,
                # RFC 4271's customary ratio; AWS uses 30/10.
                "keepalive": max(1, hold // 3),
            }
        ike_versions = list(o["ike_versions"])
        prefix = t["inside_prefix_length"]
        phase2 = _phase(o, "phase2")
        nat = bool(local_outside and t["cgw_outside_ip"] and local_outside != t["cgw_outside_ip"])
        auto_mtu, auto_mss = mtu_mss(phase2, nat)
        plan_tunnels.append(
            {
                "index": t["index"],
                "name": tunnel_name(t["index"]),
                "peer_outside_ip": t["outside_ip"],
                "local_outside_ip": local_outside or t["cgw_outside_ip"],
                "inside_cidr": t["inside_cidr"],
                "inside_prefix_length": prefix,
                "peer_inside_ip": t["vgw_inside_ip"],
                "local_inside_ip": t["cgw_inside_ip"],
                "local_inside_address": f"{t['cgw_inside_ip']}/{prefix}" if t["cgw_inside_ip"] and prefix else None,
                "inside_ipv6_cidr": t["inside_ipv6_cidr"],
                "peer_inside_ipv6": t["vgw_inside_ipv6"],
                "local_inside_ipv6": t["cgw_inside_ipv6"],
                "pre_shared_key": t["pre_shared_key"],
                "ike_versions": ike_versions,
                "ike_version": "ikev2" if "ikev2" in ike_versions else "ikev1",
                "phase1": _phase(o, "phase1"),
                "phase2": phase2,
                "rekey": {
                    "margin_time_seconds": o["rekey_margin_time_seconds"],
                    "fuzz_percentage": o["rekey_fuzz_percentage"],
                },
                "replay_window_size": o["replay_window_size"],
                "dpd": {
                    "timeout_seconds": o["dpd_timeout_seconds"],
                    "action": o["dpd_timeout_action"],
                    "interval": DPD_INTERVAL,
                    "retries": DPD_RETRIES,
                },
                "startup_action": o["startup_action"],
                "nat_traversal": nat,
                "mtu": mtu if mtu is not None else auto_mtu,
                "tcp_mss": tcp_mss if tcp_mss is not None else auto_mss,
                "bgp": bgp,
                "static_routes": list(vpc_prefixes) if routing == "static" else [],
                "preference": {
                    "primary": is_primary,
                    "local_preference": lp_primary if is_primary else lp_backup,
                    "as_path_prepend": prepend_count if (not is_primary and backup_method == "prepend") else 0,
                    "med": (med_primary if is_primary else med_backup) if backup_method == "med" else None,
                    "route_metric": metric_primary if is_primary else metric_backup,
                },
                "status": t["status"],
            }
        )

    routes = [_get(r, "DestinationCidrBlock", "destination_cidr_block") for r in _get(connection, "Routes", "routes") or []]
    return {
        "vpn_connection_id": _get(connection, "VpnConnectionId", "vpn_connection_id"),
        "customer_gateway_id": _get(connection, "CustomerGatewayId", "customer_gateway_id"),
        "vpn_gateway_id": _get(connection, "VpnGatewayId", "vpn_gateway_id"),
        "transit_gateway_id": _get(connection, "TransitGatewayId", "transit_gateway_id"),
        "site": site.get("name"),
        "routing": routing,
        "local_asn": local_asn,
        "peer_asn": peer_asn,
        "site_prefixes": site_prefixes,
        "vpc_prefixes": vpc_prefixes,
        "connection_routes": [r for r in routes if r],
        "pre_shared_key_arn": _get(connection, "PreSharedKeyArn", "pre_shared_key_arn"),
        "traffic_selectors": {
            "local_ipv4_network_cidr": _get(options, "LocalIpv4NetworkCidr", "local_ipv4_network_cidr"),
            "remote_ipv4_network_cidr": _get(options, "RemoteIpv4NetworkCidr", "remote_ipv4_network_cidr"),
        },
        "primary_tunnel": primary,
        "backup_method": backup_method,
        "prepend_count": prepend_count,
        "tunnels": plan_tunnels,
    }
