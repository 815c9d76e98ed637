# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""FortiOS rendering of a tunnel plan (what roles/device_fortios pushes)::

    {"platform": "fortios",
     "phase1_interface": [...], "phase2_interface": [...], "system_interface": [...],
     "route_maps": [...], "router_bgp": {...} | None, "router_static": [...],
     "link_monitor": [...],        # static: fortios_system_link_monitor, one per tunnel
     "firewall_policy": [...]}     # the fortinet.fortios module's own dict, one per object

``router_bgp`` holds only this connection's neighbors and networks.  ``fortios_router_bgp``
replaces the whole BGP object (a PUT: fortinet/ansible-fortios issues #12, #85, #183), so the
role reads the device's BGP first and pushes ``merge_router_bgp(current, rendered)``: the
site's other neighbors and networks stay, and a device running another AS is refused.

A static connection gets a link monitor per tunnel (ping of the AWS inside address through the
tunnel interface, ``update-static-route``): a dead tunnel's static routes are withdrawn and the
other tunnel's, at a lower priority, carry the traffic.  Tunnel 1's routes (the primary's route
metric) have the lower priority and win while both are up.

Options: ``outside_interface`` (required), ``local_address`` (sets the phase 1 ``local_gw``),
``vdom`` (``root``), ``lan_interface`` (``internal``), ``policy_id_start`` (1000),
``static_seq_start`` (1000), ``existing`` (``{"firewall_policy": [...], "router_static": [...]}``:
IDs the device has that sitevpn.aws did not create; taken IDs are refused).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import CAPABILITIES
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import DeviceRenderError
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import check_common
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import int_option
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import netmask_pair
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import refuse_taken
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import short_id
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import translate_tunnel

CAP = CAPABILITIES["fortios"]


def _phases(t, tr, name, options):
    p1, p2 = tr["phase1"], tr["phase2"]
    props1 = [f"{e}-prf{i}" if e.endswith("gcm") else f"{e}-{i}" for e in p1["encryption"] for i in p1["integrity"]]
    props2 = [CAP["esp_encryption"][c["encryption"]] + (f"-{CAP['esp_integrity'][c['integrity']]}" if c["integrity"] else "")
              for c in p2["combos"]]
    phase1 = {"name": name, "interface": options["outside_interface"], "ike_version": "2" if tr["ike_version"] == "ikev2" else "1",
              "peertype": "any", "net_device": "disable", "remote_gw": t["peer_outside_ip"], "psksecret": t["pre_shared_key"],
              "proposal": props1[: CAP["max_phase1"]], "dhgrp": [str(g) for g in p1["dh_groups"]],
              "keylife": p1["lifetime_seconds"], "dpd": "on-idle", "dpd_retryinterval": str(t["dpd"]["interval"]),
              "dpd_retrycount": t["dpd"]["retries"], "nattraversal": "enable"}
    if options.get("local_address"):
        phase1["local_gw"] = options["local_address"]
    if tr["ike_version"] == "ikev1":
        phase1["mode"] = "main"
    phase2 = {"name": name, "phase1name": name, "proposal": props2[: CAP["max_phase2"]],
              "pfs": "enable" if p2["dh_groups"] else "disable", "keylifeseconds": p2["lifetime_seconds"],
              "replay": "enable", "auto_negotiate": "enable"}
    if p2["dh_groups"]:
        phase2["dhgrp"] = [str(g) for g in p2["dh_groups"]]
    return phase1, phase2


def tunnel_interface(plan, tunnel):
    """The IPsec interface of a plan tunnel (FortiOS interface names take 15 characters at most)."""
    return f"aws-{short_id(plan)}-{tunnel['index']}"


def render(plan, options=None):
    options = dict(options or {})
    check_common(plan, options)
    vdom = options.get("vdom") or "root"
    lan = options.get("lan_interface") or "internal"
    policy_id = int_option(options, "policy_id_start", 1000)
    seq = int_option(options, "static_seq_start", 1000)
    out = {"platform": "fortios", "phase1_interface": [], "phase2_interface": [], "system_interface": [],
           "route_maps": [], "router_bgp": None, "router_static": [], "firewall_policy": [], "link_monitor": []}
    neighbors = []
    for t in plan["tunnels"]:
        tr = translate_tunnel(t, "fortios")
        name = tunnel_interface(plan, t)
        phase1, phase2 = _phases(t, tr, name, options)
        out["phase1_interface"].append(phase1)
        out["phase2_interface"].append(phase2)
        net = ipaddress.ip_network(t["inside_cidr"])
        out["system_interface"].append({"name": name, "vdom": vdom, "type": "tunnel", "interface": options["outside_interface"],
                                        "ip": f"{t['local_inside_ip']} 255.255.255.255",
                                        "remote_ip": f"{t['peer_inside_ip']} {net.netmask}",
                                        "allowaccess": ["ping"], "tcp_mss": t["tcp_mss"], "mtu_override": "enable", "mtu": t["mtu"]})
        for direction, src, dst in (("out", lan, name), ("in", name, lan)):
            refuse_taken(options, "firewall_policy", policy_id, "policy_id_start")
            out["firewall_policy"].append({"policyid": policy_id, "name": f"{name}-{direction}", "srcintf": [{"name": src}],
                                           "dstintf": [{"name": dst}], "srcaddr": [{"name": "all"}], "dstaddr": [{"name": "all"}],
                                           "action": "accept", "schedule": "always", "service": [{"name": "ALL"}]})
            policy_id += 1
        if t["bgp"]:
            b, pref = t["bgp"], t["preference"]
            rule_out = {"id": 1, "action": "permit"}
            if pref["as_path_prepend"]:
                rule_out["set_aspath"] = [{"as": " ".join([str(b["local_asn"])] * pref["as_path_prepend"])}]
            elif pref["med"] is not None:
                rule_out["set_metric"] = pref["med"]
            out["route_maps"] += [
                {"name": f"{name}-in", "rule": [{"id": 1, "action": "permit", "set_local_preference": pref["local_preference"]}]},
                {"name": f"{name}-out", "rule": [rule_out]},
            ]
            neighbors.append({"ip": b["peer_ip"], "remote_as": str(b["peer_asn"]), "holdtime_timer": b["hold_time"],
                              "keep_alive_timer": b["keepalive"], "soft_reconfiguration": "enable",
                              "route_map_in": f"{name}-in", "route_map_out": f"{name}-out"})
        else:
            out["link_monitor"].append({"name": name, "addr_mode": "ipv4", "srcintf": name, "server": [{"address": t["peer_inside_ip"]}],
                                        "protocol": ["ping"], "failtime": t["dpd"]["retries"], "recoverytime": t["dpd"]["retries"],
                                        "update_static_route": "enable", "status": "enable"})
            for prefix in plan["vpc_prefixes"]:
                refuse_taken(options, "router_static", seq, "static_seq_start")
                out["router_static"].append({"seq_num": seq, "dst": " ".join(netmask_pair(prefix)), "device": name, "distance": 10,
                                             "priority": t["preference"]["route_metric"]})
                seq += 1
    if plan["routing"] == "bgp":
        out["router_bgp"] = {"as": str(plan["local_asn"]), "neighbor": neighbors,
                             "network": [{"id": k, "prefix": " ".join(netmask_pair(p))} for k, p in enumerate(plan["site_prefixes"], start=1)]}
    return out


def taken_ids(policies, statics, vpn_connection_id):
    """``existing`` from fortios_configuration_fact's firewall_policy and router_static results:
    the IDs whose object is not named after this connection (``aws-<short id>-...``)."""
    ours = f"aws-{short_id({'vpn_connection_id': vpn_connection_id})}-"
    policies, statics = _snake(policies or []), _snake(statics or [])
    return {"firewall_policy": [p.get("policyid") for p in policies if not str(p.get("name") or "").startswith(ours)],
            "router_static": [r.get("seq_num") for r in statics if not str(r.get("device") or "").startswith(ours)]}


def _snake(value):
    """FortiOS REST keys (``remote-as``) as the module's (``remote_as``)."""
    if isinstance(value, dict):
        return {str(k).replace("-", "_"): _snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake(v) for v in value]
    return value


def _prefix_key(prefix):
    """``"10.0.0.0 255.255.0.0"`` and ``"10.0.0.0/16"`` alike."""
    return ipaddress.ip_network(str(prefix).strip().replace(" ", "/"), strict=False)


def merge_router_bgp(current, rendered):
    """The device's BGP object with this connection's neighbors and networks merged in.

    ``current``: the ``router bgp`` object as the device returns it (fortios_configuration_fact's
    ``meta.results``, hyphenated or not; empty when BGP is not configured).  The site's other
    neighbors and networks are kept; ours replace a neighbor of the same address; networks the
    device already announces are not added twice and new ones take free IDs.
    """
    if rendered is None:
        return None
    current = _snake(current or {})
    if isinstance(current, list):
        current = current[0] if current else {}
    asn = str(current.get("as") or "0")
    if asn not in ("0", "", str(rendered["as"])):
        raise DeviceRenderError("router_bgp.as", f"the device runs BGP AS {asn}, the connection needs {rendered['as']}: "
                                "sitevpn.aws does not change a device's AS")
    ours = {n["ip"] for n in rendered["neighbor"]}
    neighbors = [n for n in current.get("neighbor") or [] if n.get("ip") not in ours] + list(rendered["neighbor"])
    networks = list(current.get("network") or [])
    have = {_prefix_key(n["prefix"]) for n in networks if n.get("prefix")}
    next_id = max([int(n.get("id") or 0) for n in networks] + [0]) + 1
    for n in rendered["network"]:
        if _prefix_key(n["prefix"]) not in have:
            networks.append({"id": next_id, "prefix": n["prefix"]})
            next_id += 1
    merged = {k: v for k, v in current.items() if k not in ("neighbor", "network")}
    merged.update({"as": str(rendered["as"]), "neighbor": neighbors, "network": networks})
    return merged
