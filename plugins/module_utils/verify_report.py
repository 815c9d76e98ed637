# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The verify role's report: facts gathered on both sides of a site's VPN -> one report + messages.

``build_report(facts)`` takes::

    {
      "site": "site-bgp",
      "routing": "bgp" | "static",
      "primary_tunnel": 1,
      "site_prefixes": ["172.16.0.0/16"],
      "vpc_prefixes": ["10.0.0.0/16"],
      "connection": {...} | None,    # vpn_connection_info entry (snake_case): state, vgw_telemetry, routes
      "plan_tunnels": [...],          # tunnel_plan tunnels: index, peer_outside_ip, bgp.peer_ip or bgp_peer_ip
      "swanctl": ["...", "..."] | None,   # `swanctl --list-sas` output per tunnel (plan order)
      "bgp_summary": "{json}" | {} | None,   # FRR `show bgp summary json`
      "route_get": "..." | None,      # `ip route get <vpc host>` output
      "primary_dev": "vti1" | None,   # the interface the best path must use
      "propagated_routes": [...] | None,  # destination CIDRs propagated into the VPC route tables
      "transit_gateway_routes": {"route_table_id": "tgw-rtb-...", "routes": [{destination_cidr_block, type,
                                 state}]} | None,   # a transit gateway site's routes in its hub's table
      "ping": {"10.0.0.10": true} | [{"item": "10.0.0.10", "rc": 0}] | None,   # the latter: loop results
      "hub": "..." | None,            # how the site reaches AWS; default: from the connection's gateway
      "time": epoch | ISO | None,     # when the facts were read; default: now
    }

and returns ``{"site", "time", "hub", "ok", "messages", "tunnels": [{index, outside_ip, aws_status,
accepted_route_count, ike_state, ipsec_state, bgp_state, bgp_peer_ip, prefixes_received,
prefixes_advertised}], "propagated_routes", "transit_gateway_routes", "static_routes", "ping", "ping_ok",
"best_path_ok"}``.  Messages name the
tunnel and its outside IP, e.g. ``tunnel 2 (198.51.100.12): IKE up, BGP active``.
A fact given as None is not checked.
"""

from __future__ import annotations

import json
import re
import time

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_time import iso_utc
from ansible_collections.sitevpn.aws.plugins.module_utils.aws_time import to_epoch


def parse_swanctl_sas(text):
    """(ike_state, ipsec_state) from ``swanctl --list-sas`` output: "up"/"down"."""
    text = text or ""
    ike = "up" if re.search(r":\s*#\d+,\s*ESTABLISHED", text) or " ESTABLISHED" in text else "down"
    ipsec = "up" if "INSTALLED" in text else "down"
    return ike, ipsec


def parse_frr_bgp_summary(data):
    """{peer IP: {"state", "pfx_rcd", "pfx_snt"}} from FRR's ``show bgp summary json``."""
    if isinstance(data, str):
        data = json.loads(data) if data.strip() else {}
    peers = {}
    for family in (data or {}).values():
        if not isinstance(family, dict):
            continue
        for ip, peer in (family.get("peers") or {}).items():
            peers[ip] = {
                "state": str(peer.get("state", "")).lower() or None,
                "pfx_rcd": peer.get("pfxRcd"),
                "pfx_snt": peer.get("pfxSnt"),
            }
    return peers


def _route_dev(text):
    m = re.search(r"\bdev\s+(\S+)", text or "")
    return m.group(1) if m else None


def _telemetry(connection):
    return {t.get("outside_ip_address"): t for t in (connection or {}).get("vgw_telemetry") or []}


def hub_of(connection):
    """'virtual private gateway vgw-...' or 'transit gateway tgw-...' from a connection, or None."""
    connection = connection or {}
    if connection.get("transit_gateway_id"):
        return f"transit gateway {connection['transit_gateway_id']}"
    if connection.get("vpn_gateway_id"):
        return f"virtual private gateway {connection['vpn_gateway_id']}"
    return None


def build_report(facts):
    """The report of one site (see the module docstring)."""
    messages = []
    site = facts.get("site")
    bgp = facts.get("routing", "bgp") == "bgp"
    connection = facts.get("connection")
    telemetry = _telemetry(connection)
    peers = parse_frr_bgp_summary(facts["bgp_summary"]) if bgp and facts.get("bgp_summary") is not None else None
    swanctl = facts.get("swanctl")

    if connection is None:
        messages.append(f"{site}: no VPN connection found")
    elif connection.get("state") != "available":
        messages.append(f"{site}: VPN connection {connection.get('vpn_connection_id')} is {connection.get('state')}")

    tunnels = []
    for pos, plan in enumerate(facts.get("plan_tunnels") or []):
        index = plan.get("index", pos + 1)
        ip = plan.get("peer_outside_ip") or plan.get("outside_ip")
        tele = telemetry.get(ip, {})
        entry = {
            "index": index,
            "outside_ip": ip,
            "aws_status": tele.get("status") if connection is not None else None,
            "accepted_route_count": tele.get("accepted_route_count"),
            "ike_state": None,
            "ipsec_state": None,
            "bgp_state": None,
            "bgp_peer_ip": None,
            "prefixes_received": None,
            "prefixes_advertised": None,
        }
        if swanctl is not None:
            entry["ike_state"], entry["ipsec_state"] = parse_swanctl_sas(swanctl[pos] if pos < len(swanctl) else "")
        peer_ip = plan.get("bgp_peer_ip") or (plan.get("bgp") or {}).get("peer_ip") or plan.get("peer_inside_ip")
        if peers is not None:
            peer = peers.get(peer_ip) or {}
            entry["bgp_state"] = peer.get("state") or "missing"
            entry["bgp_peer_ip"] = peer_ip
            entry["prefixes_received"] = peer.get("pfx_rcd")
            entry["prefixes_advertised"] = peer.get("pfx_snt")
        tunnels.append(entry)

        problems = []
        if connection is not None and entry["aws_status"] != "UP":
            problems.append(f"AWS status {entry['aws_status'] or 'unknown'}")
        if swanctl is not None and (entry["ike_state"] != "up" or entry["ipsec_state"] != "up"):
            problems.append(f"IKE {entry['ike_state']}, IPsec {entry['ipsec_state']}")
        if peers is not None:
            if entry["bgp_state"] != "established":
                problems.append(f"BGP {entry['bgp_state']} with {peer_ip}")
            else:
                if not entry["prefixes_received"]:
                    problems.append("no VPC prefix received over BGP")
                if not entry["prefixes_advertised"] or entry["prefixes_advertised"] < len(facts.get("site_prefixes") or []):
                    problems.append(f"{entry['prefixes_advertised'] or 0} prefixes advertised, site has {len(facts.get('site_prefixes') or [])}")
        if bgp and connection is not None and entry["aws_status"] == "UP" and not entry["accepted_route_count"]:
            problems.append("AWS accepted no routes")
        if problems:
            ike = f"IKE {entry['ike_state']}" if entry["ike_state"] else None
            # lead with what is up, so "IKE up, BGP active" reads as the precise failure
            head = [ike] if ike and entry["ike_state"] == "up" else []
            detail = [p for p in problems if not (head and p.startswith("IKE "))]
            messages.append(f"tunnel {index} ({ip}): " + ", ".join(head + detail))

    routes = facts.get("propagated_routes")
    if routes is not None and bgp:
        for prefix in facts.get("site_prefixes") or []:
            if prefix not in routes:
                messages.append(f"{site}: site prefix {prefix} is not propagated into the VPC route tables")

    # a transit gateway site: BGP prefixes propagate into the hub's table, static ones are its static routes
    tgw = facts.get("transit_gateway_routes")
    if tgw is not None:
        kind = "propagated" if bgp else "static"
        there = {r.get("destination_cidr_block") for r in tgw.get("routes") or [] if r.get("type") == kind and r.get("state") == "active"}
        for prefix in facts.get("site_prefixes") or []:
            if prefix not in there:
                messages.append(f"{site}: site prefix {prefix} is not a {kind} route in transit gateway route table {tgw.get('route_table_id')}")

    static_routes = None
    if connection is not None and not bgp and tgw is None:
        static_routes = [{"destination_cidr_block": r.get("destination_cidr_block"), "state": r.get("state")}
                         for r in connection.get("routes") or []]
        listed = {r["destination_cidr_block"]: r["state"] for r in static_routes}
        for prefix in facts.get("site_prefixes") or []:
            if listed.get(prefix) != "available":
                messages.append(f"{site}: static route {prefix} is {listed.get(prefix, 'missing')}")

    best_path_ok = None
    if facts.get("route_get") is not None and facts.get("primary_dev"):
        dev = _route_dev(facts["route_get"])
        best_path_ok = dev == facts["primary_dev"]
        if not best_path_ok:
            messages.append(f"{site}: best path to the VPC goes via {dev or 'nothing'}, "
                            f"not tunnel {facts.get('primary_tunnel', 1)} ({facts['primary_dev']})")

    ping = facts.get("ping")
    if isinstance(ping, list):
        # ansible's loop results: a reply is return code 0
        ping = {r.get("item"): r.get("rc") == 0 for r in ping}
    ping_ok = None
    if ping is not None:
        ping_ok = all(ping.values()) if ping else False
        for target, ok in sorted(ping.items()):
            if not ok:
                messages.append(f"{site}: no ping reply from {target}")

    when = to_epoch(facts.get("time"))
    return {
        "site": site,
        "time": iso_utc(when if when is not None else time.time()),
        "hub": facts.get("hub") or hub_of(connection),
        "ok": not messages,
        "messages": messages,
        "routing": "bgp" if bgp else "static",
        "vpn_connection_id": (connection or {}).get("vpn_connection_id"),
        "tunnels": tunnels,
        "propagated_routes": routes,
        "transit_gateway_routes": tgw,
        "static_routes": static_routes,
        "best_path_ok": best_path_ok,
        "ping": ping,
        "ping_ok": ping_ok,
    }
