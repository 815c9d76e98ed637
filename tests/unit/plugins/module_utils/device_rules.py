# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Vendor rule sets: what a device needs for a rendered configuration to commit and pass traffic,
written from the vendors' documentation and AWS's generated configurations - not from our renderer.
Each rule returns the list of its violations (empty: the configuration obeys it).

Sources:
- Junos: "protocols bgp group" (Junos OS Routing Protocols guide: an external group needs ``type
  external`` and a ``peer-as`` or the commit fails: "error: peer-as must be specified"); SRX
  "Security Policies User Guide" (traffic between zones needs a policy; the default policy is
  deny-all); AWS's juniper-srx sample (``host-inbound-traffic system-services ike`` on the outside
  zone, ``protocols bgp`` on the tunnel zone); "policy-statement" (a term without ``from`` matches
  every route).
- Cisco IOS-XE: field notice FN72510 (17.11.1 and later refuse DH groups 1, 2, 5 and 24 unless
  ``crypto engine compliance shield disable``); IOS Security Command Reference ("crypto ikev2
  policy": the first policy matching the local address is used; "crypto ipsec transform-set"
  and "crypto isakmp policy": defaults not shown in the running configuration); AWS's quota of 100
  routes from a customer gateway.
- FortiOS: CLI reference ("vpn ipsec phase1-interface" name at most 15 characters, up to 10
  proposals; a phase2-interface names an existing phase1; traffic needs a firewall policy each way).
"""

from __future__ import annotations

import re

IOS_WEAK_GROUPS = {1, 2, 5, 24}


# ------------------------------------------------------------------------------------ Junos


def junos_rules(rendered, lan_zone="trust", outside_zone="untrust"):
    lines = rendered["set_lines"]
    text = "\n".join(lines)
    bad = []
    for group in sorted(set(re.findall(r"set protocols bgp group (\S+) neighbor", text))):
        for need in ("type external", "peer-as "):
            if f"set protocols bgp group {group} {need}" not in text:
                bad.append(f"bgp group {group} lacks {need.strip()} (commit fails)")
    zones = {}
    for unit in re.findall(r"bind-interface (st0\.\d+)", text):
        m = re.search(rf"set security zones security-zone (\S+) interfaces {re.escape(unit)}\n", text + "\n")
        if not m:
            bad.append(f"{unit} is in no security zone")
            continue
        zones[m.group(1)] = unit
    for zone in zones:
        if zone == lan_zone:
            continue
        for src, dst in ((lan_zone, zone), (zone, lan_zone)):
            if not re.search(rf"set security policies from-zone {src} to-zone {dst} policy \S+ then permit", text):
                bad.append(f"no policy permits {src} -> {dst} (default deny drops the data)")
        if "bgp group" in text and f"set security zones security-zone {zone} host-inbound-traffic protocols bgp" not in text:
            bad.append(f"zone {zone} does not accept BGP")
    if f"set security zones security-zone {outside_zone} host-inbound-traffic system-services ike" not in text:
        bad.append(f"zone {outside_zone} does not accept IKE")
    for stmt in sorted(set(re.findall(r"policy-statement (\S+-export) ", text))):
        accepting = set(re.findall(rf"policy-statement {re.escape(stmt)} term (\S+) then accept", text))
        for term in accepting:
            if not re.search(rf"policy-statement {re.escape(stmt)} term {re.escape(term)} from ", text):
                bad.append(f"export {stmt} term {term} accepts every route")
        if f"policy-statement {stmt} then reject" not in text:
            bad.append(f"export {stmt} does not end in reject")
    defined = set(re.findall(r"set security (?:ike|ipsec) proposal (\S+) ", text))
    for refs in re.findall(r"proposals \[ ([^\]]+) \]", text):
        bad += [f"proposal {p} not defined" for p in refs.split() if p not in defined]
    return bad


# ------------------------------------------------------------------------------------ Cisco


def cisco_rules(rendered, os_version=None):
    from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import version_tuple

    bad = []
    blocks = rendered["crypto"] + rendered["tunnel_interfaces"]
    version = version_tuple(os_version)
    if version is None or version[:2] >= (17, 11):
        for b in blocks:
            for line in b["lines"]:
                words = line.split()
                groups = set()
                if words[0] == "group":
                    groups = {int(g) for g in words[1:]}
                m = re.match(r"set pfs group(\d+)$", line)
                if m:
                    groups = {int(m.group(1))}
                if groups & IOS_WEAK_GROUPS:
                    bad.append(f"{b['parents'][0]}: {line} (FN72510: refused from 17.11)")
    heads = [b["parents"][0] for b in blocks]
    locals_ = [line for b in blocks if b["parents"][0].startswith("crypto ikev2 policy") for line in b["lines"] if line.startswith("match address local")]
    if len(locals_) != len(set(locals_)):
        bad.append("two IKEv2 policies match the same local address (the second is never used)")
    for k, b in enumerate(blocks):
        for line in b["lines"]:
            ref = None
            if line.startswith("proposal "):
                ref = f"crypto ikev2 proposal {line.split()[1]}"
                if ref in heads and heads.index(ref) > k:
                    bad.append(f"{ref} defined after the policy using it")
            elif line.startswith("keyring local "):
                ref = f"crypto ikev2 keyring {line.split()[2]}"
            elif line.startswith("tunnel protection ipsec profile "):
                ref = f"crypto ipsec profile {line.split()[-1]}"
            elif line.startswith("set transform-set "):
                for ts in line.split()[2:]:
                    if not any(h.startswith(f"crypto ipsec transform-set {ts} ") for h in heads):
                        bad.append(f"transform set {ts} not defined")
            if ref and ref not in heads:
                bad.append(f"{ref} not defined")
    if rendered["bgp_global"]:
        maps = {m["route_map"]: m for m in rendered["route_maps"]}
        lists = {p["name"] for afi in rendered["prefix_lists"] for p in afi["prefix_lists"]}
        for n in rendered["bgp_address_family"]["address_family"][0]["neighbors"]:
            out = [m["name"] for m in n.get("route_maps", []) if m.get("out")]
            matched = [e.get("match", {}).get("ip", {}).get("address", {}).get("prefix_lists", []) for m in out for e in maps.get(m, {}).get("entries", [])]
            if not out or not all(p and set(p) <= lists for p in matched):
                bad.append(f"neighbor {n['neighbor_address']} sends routes without a prefix-list filter (AWS takes 100)")
    return bad


# ---------------------------------------------------------------------------------- FortiOS


def fortios_rules(rendered):
    bad = []
    names = {p["name"] for p in rendered["phase1_interface"]}
    for p in rendered["phase1_interface"]:
        if len(p["name"]) > 15:
            bad.append(f"phase1 {p['name']} longer than 15 characters")
        if not 1 <= len(p["proposal"]) <= 10:
            bad.append(f"phase1 {p['name']} has {len(p['proposal'])} proposals")
    for p in rendered["phase2_interface"]:
        if p["phase1name"] not in names:
            bad.append(f"phase2 {p['name']} names no phase1")
    pairs = {(pol["srcintf"][0]["name"], pol["dstintf"][0]["name"]) for pol in rendered["firewall_policy"] if pol["action"] == "accept"}
    for name in names:
        if not any(dst == name for dummy, dst in pairs) or not any(src == name for src, dummy in pairs):
            bad.append(f"tunnel {name} lacks a firewall policy in one direction")
    ids = [pol["policyid"] for pol in rendered["firewall_policy"]]
    if len(ids) != len(set(ids)):
        bad.append("two firewall policies share an ID")
    return bad


RULES = {"cisco_ios": cisco_rules, "junos": junos_rules, "fortios": fortios_rules}
