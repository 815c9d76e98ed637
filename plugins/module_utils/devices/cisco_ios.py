# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Cisco IOS-XE rendering of a tunnel plan (what roles/device_cisco_ios pushes)::

    {"platform": "cisco_ios",
     "crypto": [{"parents": [...], "lines": [...]}, ...],        # cisco.ios.ios_config
     "tunnel_interfaces": [{"parents": ["interface Tunnel1"], "lines": [...]}],   # ios_config
     "interfaces": [...],          # cisco.ios.ios_interfaces config (description, enabled)
     "l3_interfaces": [...],       # cisco.ios.ios_l3_interfaces config (inside address)
     "prefix_lists": [...],        # cisco.ios.ios_prefix_lists config (bgp: the site's prefixes)
     "route_maps": [...],          # cisco.ios.ios_route_maps config (bgp; else [])
     "bgp_global": {...} | None,   # cisco.ios.ios_bgp_global config
     "bgp_address_family": {...} | None,   # cisco.ios.ios_bgp_address_family config
     "tracking": [{"parents": [...], "lines": [...]}],   # ios_config (static: IP SLA and track)
     "static_routes": [...]}       # cisco.ios.ios_static_routes config (static; else [])

A static connection tracks each tunnel as AWS's Cisco sample without BGP does (awsdocs
amazon-vpc-network-administrator-guide, ``Cisco_NoBGP.md``): an IP SLA pings the AWS inside
address through the tunnel, a track object follows it, and the VPC routes through a tunnel carry
``track``, so a dead tunnel's routes leave the table and the other tunnel's take over.

Lines are written the way ``show running-config`` prints them, so that ``ios_config`` (which
compares line by line) finds them on the second run: a 128-bit AES key is not printed
(``esp-aes``, ``encr aes``), nor are IOS's defaults (IPsec SA lifetime 3600 s, IKEv2 SA lifetime
86400 s, isakmp ``hash sha``, replay window 64).

Options: ``outside_interface`` (required), ``local_address``, ``tunnel_interface_start`` (1),
``isakmp_priority_start`` (100), ``ip_sla_start`` (100: IP SLA and track numbers of a static
connection, one per tunnel), ``os_version`` (the IOS-XE release, e.g. ``17.12.1``; unknown is
rendered for the newest), ``existing`` (``{"interfaces": [...], "isakmp_policies": [...]}``:
``"ip_slas": [...]``, ``"tracks": [...]``: what the device has that sitevpn.aws did not create;
taken names and numbers are refused).
"""

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import CAPABILITIES
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import DeviceRenderError
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import check_common
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import int_option
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import netmask_pair
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import refuse_taken
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import short_id
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import translate_tunnel
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import version_tuple

CAP = CAPABILITIES["cisco_ios"]

# Cisco field notice FN72510: from IOS-XE 17.11.1 the weak DH groups are refused unless
# "crypto engine compliance shield disable" (and a reload) allows them again.
WEAK_GROUPS_FROM = (17, 11)
WEAK_GROUPS = (1, 2, 5, 24)

# IOS defaults, not printed by "show running-config" (Cisco IOS Security Command Reference).
IPSEC_SA_LIFETIME_DEFAULT = 3600
IKEV2_SA_LIFETIME_DEFAULT = 86400
ISAKMP_LIFETIME_DEFAULT = 86400
REPLAY_WINDOW_DEFAULT = 64
ISAKMP_HASH_DEFAULT = "sha"

# AWS's Cisco sample without BGP: probe every 5 s, an answer within 1000 ms.
SLA_TIMEOUT_MS = 1000
SLA_FREQUENCY_S = 5


def excluded_groups(os_version):
    """DH groups the release refuses; an unknown release is treated as the newest."""
    version = version_tuple(os_version)
    if version is None or version[:2] >= WEAK_GROUPS_FROM:
        return WEAK_GROUPS
    return ()


def _ikev1_combos(p1):
    return [{"encryption": e, "integrity": i, "dh_group": g}
            for e in p1["classic_encryption"] for i in p1["integrity"] for g in p1["dh_groups"]]


def _ikev2_blocks(t, tr, name, local, outside):
    blocks, proposals = [], []
    p1 = tr["phase1"]
    groups = "group " + " ".join(str(g) for g in p1["dh_groups"])
    # AEAD first: the plan lists the strongest first and GCM is the stronger of equal key sizes
    if p1["aead_encryption"]:
        proposals.append(f"{name}-GCM")
        blocks.append({"parents": [f"crypto ikev2 proposal {name}-GCM"], "lines": [
            "encryption " + " ".join(p1["aead_encryption"]), "prf " + " ".join(p1["integrity"]), groups]})
    if p1["classic_encryption"]:
        proposals.append(name)
        blocks.append({"parents": [f"crypto ikev2 proposal {name}"], "lines": [
            "encryption " + " ".join(p1["classic_encryption"]), "integrity " + " ".join(p1["integrity"]), groups]})
    blocks.append({"parents": [f"crypto ikev2 keyring {name}", f"peer {t['peer_outside_ip']}"], "lines": [
        f"address {t['peer_outside_ip']}",
        f"pre-shared-key {t['pre_shared_key']}",
    ]})
    profile = [
        f"match address local interface {outside}",
        f"match identity remote address {t['peer_outside_ip']} 255.255.255.255",
        f"identity local address {local}",
        "authentication remote pre-share",
        "authentication local pre-share",
        f"keyring local {name}",
    ]
    if p1["lifetime_seconds"] != IKEV2_SA_LIFETIME_DEFAULT:
        profile.append(f"lifetime {p1['lifetime_seconds']}")
    # IOS counts DPD retries itself; the second number is its retry interval (AWS's sample: 10 10)
    profile.append(f"dpd {t['dpd']['interval']} {t['dpd']['interval']} on-demand")
    blocks.append({"parents": [f"crypto ikev2 profile {name}"], "lines": profile})
    return blocks, proposals


def _ikev1_blocks(t, tr, name, outside, isakmp_prio, options):
    blocks = []
    p1 = tr["phase1"]
    for k, combo in enumerate(_ikev1_combos(p1)[: CAP["max_phase1"]]):
        refuse_taken(options, "isakmp_policies", isakmp_prio + k, "isakmp_priority_start")
        lines = [f"encr {combo['encryption']}"]
        if combo["integrity"] != ISAKMP_HASH_DEFAULT:
            lines.append(f"hash {combo['integrity']}")
        lines += ["authentication pre-share", f"group {combo['dh_group']}"]
        if p1["lifetime_seconds"] != ISAKMP_LIFETIME_DEFAULT:
            lines.append(f"lifetime {p1['lifetime_seconds']}")
        blocks.append({"parents": [f"crypto isakmp policy {isakmp_prio + k}"], "lines": lines})
    blocks.append({"parents": [f"crypto keyring {name}"], "lines": [
        f"local-address {outside}",
        f"pre-shared-key address {t['peer_outside_ip']} key {t['pre_shared_key']}",
    ]})
    blocks.append({"parents": [f"crypto isakmp profile {name}"], "lines": [
        f"keyring {name}",
        f"match identity address {t['peer_outside_ip']} 255.255.255.255",
        f"local-address {outside}",
        f"keepalive {t['dpd']['interval']} retry {t['dpd']['interval']}",
    ]})
    return blocks


def _ipsec_blocks(t, tr, name):
    blocks, ts_names = [], []
    p2 = tr["phase2"]
    for k, combo in enumerate(p2["combos"][: CAP["max_phase2"]], start=1):
        ts = f"{name}-TS{k}"
        ts_names.append(ts)
        kw = [CAP["esp_encryption"][combo["encryption"]]]
        if combo["integrity"]:
            kw.append(CAP["esp_integrity"][combo["integrity"]])
        blocks.append({"parents": [f"crypto ipsec transform-set {ts} {' '.join(kw)}"], "lines": ["mode tunnel"]})
    window = t["replay_window_size"]
    if window not in CAP["replay_windows"]:
        raise DeviceRenderError(
            f"{t['name']}.replay_window_size",
            f"cisco_ios cannot do a replay window of {window} (one of {', '.join(map(str, CAP['replay_windows']))})",
        )
    lines = ["set transform-set " + " ".join(ts_names)]
    if p2["pfs_group"] is not None:
        lines.append(f"set pfs group{p2['pfs_group']}")
    if p2["lifetime_seconds"] != IPSEC_SA_LIFETIME_DEFAULT:
        lines.append(f"set security-association lifetime seconds {p2['lifetime_seconds']}")
    if window != REPLAY_WINDOW_DEFAULT:
        lines.append(f"set security-association replay window-size {window}")
    lines.append(f"set ikev2-profile {name}" if tr["ike_version"] == "ikev2" else f"set isakmp-profile {name}")
    blocks.append({"parents": [f"crypto ipsec profile {name}"], "lines": lines})
    return blocks


def _bgp(plan, out, names):
    neighbors, af_neighbors = [], []
    prefix_list = f"AWS-{short_id(plan).upper()}-SITE"
    # AWS accepts at most 100 routes from a VGW site: only the site's prefixes leave the device
    out["prefix_lists"] = [{"afi": "ipv4", "prefix_lists": [{"name": prefix_list, "entries": [
        {"sequence": 5 * (k + 1), "action": "permit", "prefix": p} for k, p in enumerate(plan["site_prefixes"])]}]}]
    for t, name in zip(plan["tunnels"], names):
        b, pref = t["bgp"], t["preference"]
        rm_in, rm_out = f"{name}-IN", f"{name}-OUT"
        out_entry = {"sequence": 10, "action": "permit", "match": {"ip": {"address": {"prefix_lists": [prefix_list]}}}}
        if pref["as_path_prepend"]:
            out_entry["set"] = {"as_path": {"prepend": {"as_number": [str(b["local_asn"])] * pref["as_path_prepend"]}}}
        elif pref["med"] is not None:
            out_entry["set"] = {"metric": {"metric_value": pref["med"]}}
        in_entry = {"sequence": 10, "action": "permit", "set": {"local_preference": pref["local_preference"]}}
        out["route_maps"] += [{"route_map": rm_in, "entries": [in_entry]}, {"route_map": rm_out, "entries": [out_entry]}]
        neighbors.append({"neighbor_address": b["peer_ip"], "remote_as": str(b["peer_asn"]),
                          "description": f"{plan['vpn_connection_id']} {t['name']}",
                          "timers": {"interval": b["keepalive"], "holdtime": b["hold_time"]}})
        af_neighbors.append({"neighbor_address": b["peer_ip"], "activate": True, "soft_reconfiguration": True,
                             "route_maps": [{"name": rm_in, "in": True}, {"name": rm_out, "out": True}]})
    asn = str(plan["local_asn"])
    out["bgp_global"] = {"as_number": asn, "bgp": {"log_neighbor_changes": True}, "neighbors": neighbors}
    networks = [dict(zip(("address", "mask"), netmask_pair(p))) for p in plan["site_prefixes"]]
    out["bgp_address_family"] = {"as_number": asn, "address_family": [{"afi": "ipv4", "neighbors": af_neighbors, "networks": networks}]}


def _tracking(t, ifname, number, options):
    """IP SLA probe of the AWS inside address through the tunnel and its track object."""
    refuse_taken(options, "ip_slas", number, "ip_sla_start")
    refuse_taken(options, "tracks", number, "ip_sla_start")
    return [
        {"parents": [f"ip sla {number}"], "lines": [
            f"icmp-echo {t['peer_inside_ip']} source-interface {ifname}",
            f"timeout {SLA_TIMEOUT_MS}",
            f"frequency {SLA_FREQUENCY_S}",
        ]},
        {"parents": [], "lines": [f"ip sla schedule {number} life forever start-time now"]},
        {"parents": [], "lines": [f"track {number} ip sla {number} reachability"]},
    ]


def tunnel_interface(options, position):
    """The tunnel interface of the plan's tunnel at ``position`` (0-based, plan order)."""
    return f"Tunnel{int_option(options, 'tunnel_interface_start', 1) + position}"


def render(plan, options=None):
    options = dict(options or {})
    local = check_common(plan, options)
    prio = int_option(options, "isakmp_priority_start", 100)
    sla = int_option(options, "ip_sla_start", 100)
    excluded = excluded_groups(options.get("os_version"))
    short = short_id(plan).upper()
    outside = options["outside_interface"]
    out = {"platform": "cisco_ios", "crypto": [], "tunnel_interfaces": [], "interfaces": [], "l3_interfaces": [],
           "prefix_lists": [], "route_maps": [], "bgp_global": None, "bgp_address_family": None, "tracking": [],
           "static_routes": []}
    names, ifnames, ikev2_proposals = [], [], []
    for n, t in enumerate(plan["tunnels"]):
        tr = translate_tunnel(t, "cisco_ios", excluded)
        name = f"AWS-{short}-T{t['index']}"
        ifname = tunnel_interface(options, n)
        refuse_taken(options, "interfaces", ifname, "tunnel_interface_start")
        names.append(name)
        ifnames.append(ifname)
        if tr["ike_version"] == "ikev2":
            blocks, proposals = _ikev2_blocks(t, tr, name, local, outside)
            ikev2_proposals += [p for p in proposals if p not in ikev2_proposals]
        else:
            blocks = _ikev1_blocks(t, tr, name, outside, prio + 10 * n, options)
        out["crypto"] += blocks + _ipsec_blocks(t, tr, name)
        out["interfaces"].append({"name": ifname, "description": f"{plan['vpn_connection_id']} {t['name']} to {t['peer_outside_ip']}",
                                  "enabled": True})
        out["l3_interfaces"].append({"name": ifname, "ipv4": [{"address": t["local_inside_address"]}]})
        out["tunnel_interfaces"].append({"parents": [f"interface {ifname}"], "lines": [
            f"ip mtu {t['mtu']}",
            f"ip tcp adjust-mss {t['tcp_mss']}",
            f"tunnel source {outside}",
            "tunnel mode ipsec ipv4",
            f"tunnel destination {t['peer_outside_ip']}",
            f"tunnel protection ipsec profile {name}",
        ]})
    if ikev2_proposals:
        # One policy for the connection: IOS uses the first policy that matches the local address,
        # so a second policy on the same address would never be read.
        out["crypto"].insert(0, {"parents": [f"crypto ikev2 policy AWS-{short}"],
                                 "lines": [f"match address local {local}"] + [f"proposal {p}" for p in ikev2_proposals]})
        # proposals before the policy that names them
        out["crypto"].sort(key=lambda b: 0 if b["parents"][0].startswith("crypto ikev2 proposal") else 1)
    if plan["routing"] == "bgp":
        _bgp(plan, out, names)
    else:
        tracks = [sla + n for n in range(len(ifnames))]
        for t, ifname, number in zip(plan["tunnels"], ifnames, tracks):
            out["tracking"] += _tracking(t, ifname, number, options)
        routes = [{"dest": prefix, "next_hops": [{"interface": ifname, "distance_metric": t["preference"]["route_metric"], "track": number}
                                                 for t, ifname, number in zip(plan["tunnels"], ifnames, tracks)]}
                  for prefix in plan["vpc_prefixes"]]
        if routes:
            out["static_routes"] = [{"address_families": [{"afi": "ipv4", "routes": routes}]}]
    return out


def _running_blocks(running_config):
    """``{top-level line: [its indented lines]}`` of a ``show running-config``."""
    blocks, current = {}, None
    for raw in str(running_config or "").splitlines():
        if not raw.strip() or raw.strip() == "!":
            continue
        if raw[0] in " \t":
            if current is not None:
                blocks[current].append(raw.strip())
            continue
        current = raw.rstrip()
        blocks.setdefault(current, [])
    return blocks


# Numbered objects of the rendering: the running config's header, the ``existing`` kind
_NUMBERED = (("crypto isakmp policy ", "isakmp_policies"), ("ip sla ", "ip_slas"), ("track ", "tracks"))


def _numbered(header):
    for prefix, kind in _NUMBERED:
        if header.startswith(prefix):
            number = header[len(prefix):].split(" ", 1)[0]
            if number.isdigit():
                return kind, int(number)
    return None, None


def taken_ids(interfaces, vpn_connection_id, running_config=None, rendered=None):
    """``existing`` from the device: the Tunnel interfaces of ios_interfaces' ``gathered`` list not
    described with this connection's ID (the description the role gives its own), and the isakmp
    policy, IP SLA and track numbers of ``running_config`` whose configuration is not what
    ``rendered`` (the role's first rendering) puts there: numbers IOS shares with other
    configuration, which a push would silently change."""
    names = [i.get("name", "") for i in interfaces or []
             if str(i.get("name", "")).startswith("Tunnel") and not str(i.get("description") or "").startswith(f"{vpn_connection_id} ")]
    out = {"interfaces": names, "isakmp_policies": [], "ip_slas": [], "tracks": []}
    ours = {}
    for block in (rendered or {}).get("crypto", []) + (rendered or {}).get("tracking", []):
        header = " ".join(block["parents"]) if block["parents"] else block["lines"][0]
        ours[header] = sorted(block["lines"]) if block["parents"] else []
    for header, children in _running_blocks(running_config).items():
        kind, number = _numbered(header)
        if kind is None:
            continue
        # a track is one line; a policy or an SLA is ours when its lines are the ones we render
        mine = header in ours if kind == "tracks" else ours.get(header) == sorted(children)
        if not mine and number not in out[kind]:
            out[kind].append(number)
    return out


def config_text(rendered):
    """The ios_config blocks as IOS configuration text (docs, golden files, `state: rendered`)."""
    lines = []
    for block in rendered["crypto"] + rendered["tunnel_interfaces"] + rendered.get("tracking", []):
        for depth, parent in enumerate(block["parents"]):
            lines.append(" " * depth + parent)
        lines += [" " * len(block["parents"]) + line for line in block["lines"]]
        if block["parents"]:
            lines.append("!")
    return "\n".join(lines) + "\n"
