# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the filter lives in tunnel_event_decision.yml.

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.module_utils.devices import cisco_ios
from ansible_collections.sitevpn.aws.plugins.module_utils.devices import fortios
from ansible_collections.sitevpn.aws.plugins.module_utils.devices import junos
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import PLATFORMS
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import netmask_pair
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import short_id

STATES = ("UP", "DOWN")


def _tunnels(plan):
    tunnels = plan.get("tunnels") if isinstance(plan, dict) else None
    if not tunnels:
        raise AnsibleFilterError("tunnel_event_decision: the plan has no tunnels")
    return sorted(tunnels, key=lambda t: int(t.get("index") or 0))


def _primary(plan, tunnels):
    wanted = int(plan.get("primary_tunnel") or 1)
    for tunnel in tunnels:
        if int(tunnel.get("index") or 0) == wanted:
            return tunnel
    return tunnels[0]


def tunnel_event_decision(event, plan, applied=None):
    """What one tunnel event means for the site's device, given what was applied before.

    Returns verdict (apply | stale | duplicate), the tunnel states after the event, the tunnel now
    carrying the VPC prefixes (None when both are down), whether that is a failover (not the
    primary tunnel, static routing), a short action text and the state to record on the device.
    """
    if not isinstance(event, dict) or event.get("state") not in STATES:
        raise AnsibleFilterError("tunnel_event_decision: the event needs a state UP or DOWN")
    tunnels = _tunnels(plan)
    primary = _primary(plan, tunnels)
    applied = applied if isinstance(applied, dict) else {}
    old_states = dict(applied.get("tunnels") or {})
    last_events = dict(applied.get("last_events") or {})
    key = event.get("tunnel_outside_ip") or "*"
    ips = [t["peer_outside_ip"] for t in tunnels]
    if key != "*" and key not in ips:
        raise AnsibleFilterError(f"tunnel_event_decision: {key} is not a tunnel of {plan.get('vpn_connection_id')}")
    stamp = float(event.get("timestamp") or 0)
    last = last_events.get(key) or {}
    if last.get("event_id") and last.get("event_id") == event.get("event_id"):
        verdict = "duplicate"
    elif last and int(stamp) < int(float(last.get("timestamp") or 0)):
        verdict = "stale"
    else:
        verdict = "apply"
    states = {ip: old_states.get(ip, "UP") for ip in ips}
    both_down = event["state"] == "DOWN" and bool(event.get("both_down"))
    if verdict == "apply":
        if key != "*":
            states[key] = event["state"]
        if both_down:
            states = {ip: "DOWN" for ip in ips}
        last_events[key] = {"event_id": event.get("event_id"), "timestamp": stamp, "state": event["state"], "time": event.get("time")}
    ordered = [primary] + [t for t in tunnels if t is not primary]
    active = next((t for t in ordered if states[t["peer_outside_ip"]] == "UP"), None)
    static = plan.get("routing") == "static"
    failover = static and active is not None and active is not primary
    was_failover = bool(applied.get("failover"))
    if verdict != "apply":
        action = f"ignored ({verdict})"
    elif active is None:
        action = "none: both tunnels down"
    elif not static:
        action = f"none: BGP fails over by itself; VPC prefixes on {active['name']}"
    elif failover:
        action = f"VPC prefixes moved to {active['name']}" if not was_failover else f"VPC prefixes stay on {active['name']}"
    else:
        action = f"VPC prefixes back on {active['name']}" if was_failover else f"VPC prefixes stay on {active['name']}"
    record = {
        "vpn_connection_id": plan.get("vpn_connection_id"),
        "tunnels": states,
        "last_events": last_events,
        "active": active["peer_outside_ip"] if active else None,
        "failover": failover if verdict == "apply" else was_failover,
    }
    if verdict != "apply":
        record = dict(applied, last_events=last_events) if applied else record
    return {
        "key": key,
        "verdict": verdict,
        "states": states,
        "active": active,
        "failover": record["failover"],
        "action": action,
        "record": record,
    }


def _nft_elements(table, name):
    for item in table:
        nft_set = item.get("set") if isinstance(item, dict) else None
        if nft_set and nft_set.get("name") == name:
            found = []
            for elem in nft_set.get("elem") or []:
                if isinstance(elem, dict) and "prefix" in elem:
                    found.append(f"{elem['prefix']['addr']}/{elem['prefix']['len']}")
                else:
                    found.append(str(elem))
            return sorted(found)
    return None


def _chain_rules(table, name):
    return [item["rule"] for item in table if isinstance(item, dict) and "rule" in item and item["rule"].get("chain") == name]


def tunnel_event_linux_changes(decision, plan, probe, options):
    """The changes a Linux device needs for DECISION, from one PROBE of it (a dict of the JSON of
    ``ip -j -4 addr show``, ``ip -j -4 route show proto N`` and ``nft -j list table inet T``).

    Returns the tunnel interfaces, the interface now carrying the VPC prefixes, the ``ip -batch``
    lines that move this role's routes there (or remove them) and whether the nftables objects
    differ from what they should hold.
    """
    options = options or {}
    overrides = options.get("interfaces") or {}
    interfaces = {}
    for link in probe.get("addrs") or []:
        for addr in link.get("addr_info") or []:
            for tunnel in _tunnels(plan):
                if addr.get("local") == tunnel.get("local_inside_ip"):
                    interfaces[tunnel["peer_outside_ip"]] = link.get("ifname")
    interfaces.update(overrides)
    active = decision.get("active")
    interface = interfaces.get(active["peer_outside_ip"]) if active else None
    prefixes = [p for p in plan.get("vpc_prefixes") or [] if ":" not in p]
    protocol, metric = int(options.get("route_protocol", 77)), int(options.get("route_metric", 5))
    want = {}
    if options.get("manage_routes", True) and decision.get("failover") and active:
        if not interface:
            raise AnsibleFilterError(f"tunnel_event: no interface holds {active.get('local_inside_ip')}; set tunnel_event_interfaces")
        want = {p: (active["peer_inside_ip"], interface) for p in prefixes}
    have = {}
    for route in probe.get("routes") or []:
        have.setdefault(route.get("dst"), []).append(route)
    commands = []
    for dst, routes in sorted(have.items()):
        for route in routes:
            if dst not in want or (route.get("gateway"), route.get("dev")) != want[dst] or route.get("metric") != metric:
                commands.append(f"route del {dst} proto {protocol}" + (f" metric {route['metric']}" if "metric" in route else ""))
    for dst, (gateway, dev) in sorted(want.items()):
        if not any((r.get("gateway"), r.get("dev"), r.get("metric")) == (gateway, dev, metric) for r in have.get(dst, [])):
            commands.append(f"route replace {dst} via {gateway} dev {dev} proto {protocol} metric {metric} onlink")
    table = probe.get("nft") or []
    rules = _chain_rules(table, options.get("nft_chain", "to_vpc"))
    nft_ok = (
        _nft_elements(table, options.get("nft_prefix_set", "vpc_prefixes")) == sorted(prefixes)
        and _nft_elements(table, options.get("nft_interface_set", "vpc_tunnel_interfaces")) == ([interface] if interface else [])
        and len(rules) == 1
    )
    return {"interfaces": interfaces, "interface": interface or "", "route_commands": commands, "nft_changed": not nft_ok}


def _vendor_interface(plan, active, platform, options):
    """The tunnel interface the device_<platform> role gives ACTIVE (named by its renderer)."""
    position = [t["peer_outside_ip"] for t in _tunnels(plan)].index(active["peer_outside_ip"])
    if platform == "cisco_ios":
        return cisco_ios.tunnel_interface(options, position)
    if platform == "junos":
        return f"st0.{junos.st0_unit(options, position)}"
    return fortios.tunnel_interface(plan, active)


def tunnel_event_firewall_object(decision, plan, platform, options=None):
    """The named firewall object of a Cisco IOS, Junos or FortiGate device for DECISION: the VPC
    prefixes, with the tunnel interface now carrying them (rendered offline from the plan).

    cisco_ios: ``lines`` for an ``object-group network`` (parents) - cisco.ios.ios_config;
    junos: ``set_lines`` (address book) - junipernetworks.junos.junos_config;
    fortios: ``firewall_address`` and ``firewall_addrgrp`` dicts - fortinet.fortios modules.
    """
    options = options or {}
    active = decision.get("active")
    prefixes = [p for p in plan.get("vpc_prefixes") or [] if ":" not in p]
    name = options.get("name") or f"SITEVPN-{short_id(plan).upper()}-VPC"
    interface = _vendor_interface(plan, active, platform, options) if active else None
    note = f"{plan.get('vpn_connection_id')} VPC prefixes via {interface}" if interface else f"{plan.get('vpn_connection_id')} VPC prefixes: no tunnel up"
    if platform == "cisco_ios":
        return {"platform": platform, "interface": interface, "parents": [f"object-group network {name}"],
                "lines": [f"description {note}"] + [" ".join(netmask_pair(p)) for p in prefixes]}
    if platform == "junos":
        lines = [f"set security address-book global address {name}-{p.replace('/', '_')} {p}" for p in prefixes]
        lines += [f"set security address-book global address-set {name} address {name}-{p.replace('/', '_')}" for p in prefixes]
        lines.append(f'set security address-book global address-set {name} description "{note}"')
        return {"platform": platform, "interface": interface, "set_lines": lines}
    if platform == "fortios":
        members = [{"name": f"{name}-{p}", "subnet": " ".join(netmask_pair(p))} for p in prefixes]
        return {"platform": platform, "interface": interface,
                "firewall_address": [dict(m, comment=note, associated_interface=interface or "") for m in members],
                "firewall_addrgrp": {"name": name, "member": [{"name": m["name"]} for m in members], "comment": note}}
    raise AnsibleFilterError(f"tunnel_event_firewall_object: unknown platform {platform!r} ({', '.join(PLATFORMS)})")


class FilterModule:
    def filters(self):
        return {
            "tunnel_event_decision": tunnel_event_decision,
            "tunnel_event_linux_changes": tunnel_event_linux_changes,
            "tunnel_event_firewall_object": tunnel_event_firewall_object,
        }
