# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Junos (SRX) rendering of a tunnel plan (what roles/device_junos pushes)::

    {"platform": "junos",
     "set_lines": [...]}           # junipernetworks.junos.junos_config lines, one commit

Everything is one commit, BGP included: Junos refuses an external BGP peer without ``peer-as``
and ``type``, so a first commit with the neighbors but not those fails whole (IKE, IPsec, st0
too).  The st0 units get their own zone; security policies connect it to the LAN zone both ways
(an SRX drops what no policy permits), the outside zone accepts IKE (``host-inbound-traffic
system-services ike``, as in AWS's sample), and the BGP export policy carries only the site's
prefixes.

A static connection monitors each tunnel as AWS's SRX sample does (``vpn-monitor`` of the AWS
inside address from the st0 unit): a tunnel that stops answering takes its st0 unit down, and with
it the ``qualified-next-hop`` whose preference made it the primary.

Options: ``outside_interface`` (required), ``local_address``, ``st0_unit_start`` (1), ``zone``
(``aws-vpn``), ``lan_zone`` (``trust``), ``outside_zone`` (``untrust``), ``existing``
(``{"st0_units": [...]}``: units the device has that sitevpn.aws did not create).
"""

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import CAPABILITIES
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import check_common
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import int_option
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import refuse_taken
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import short_id
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import translate_tunnel

CAP = CAPABILITIES["junos"]


def _ike_lines(t, tr, name, local, outside):
    p1 = tr["phase1"]
    lines, props = [], []
    # a GCM IKE proposal takes no authentication-algorithm (Junos derives the PRF)
    combos = [{"encryption": e, "integrity": i, "dh_group": g}
              for e in p1["encryption"] for i in (p1["integrity"] if e in p1["classic_encryption"] else [None])
              for g in p1["dh_groups"]]
    for k, c in enumerate(combos[: CAP["max_phase1"]], start=1):
        pn = f"{name}-ike{k}"
        props.append(pn)
        lines += [f"set security ike proposal {pn} authentication-method pre-shared-keys",
                  f"set security ike proposal {pn} dh-group group{c['dh_group']}"]
        if c["integrity"]:
            lines.append(f"set security ike proposal {pn} authentication-algorithm {c['integrity']}")
        lines += [f"set security ike proposal {pn} encryption-algorithm {c['encryption']}",
                  f"set security ike proposal {pn} lifetime-seconds {p1['lifetime_seconds']}"]
    if tr["ike_version"] == "ikev1":
        lines.append(f"set security ike policy {name} mode main")
    lines += [f"set security ike policy {name} proposals [ {' '.join(props)} ]",
              f"set security ike policy {name} pre-shared-key ascii-text \"{t['pre_shared_key']}\"",
              f"set security ike gateway {name} ike-policy {name}",
              f"set security ike gateway {name} address {t['peer_outside_ip']}",
              f"set security ike gateway {name} dead-peer-detection interval {t['dpd']['interval']}",
              f"set security ike gateway {name} dead-peer-detection threshold {t['dpd']['retries']}",
              f"set security ike gateway {name} local-identity inet {local}",
              f"set security ike gateway {name} external-interface {outside}",
              f"set security ike gateway {name} version {'v2-only' if tr['ike_version'] == 'ikev2' else 'v1-only'}"]
    return lines


def _ipsec_lines(t, tr, name, unit, zone):
    p2 = tr["phase2"]
    lines, props = [], []
    for k, c in enumerate(p2["combos"][: CAP["max_phase2"]], start=1):
        pn = f"{name}-esp{k}"
        props.append(pn)
        lines.append(f"set security ipsec proposal {pn} protocol esp")
        if c["integrity"]:
            lines.append(f"set security ipsec proposal {pn} authentication-algorithm {CAP['esp_integrity'][c['integrity']]}")
        lines += [f"set security ipsec proposal {pn} encryption-algorithm {CAP['esp_encryption'][c['encryption']]}",
                  f"set security ipsec proposal {pn} lifetime-seconds {p2['lifetime_seconds']}"]
    if p2["pfs_group"] is not None:
        lines.append(f"set security ipsec policy {name} perfect-forward-secrecy keys group{p2['pfs_group']}")
    lines += [f"set security ipsec policy {name} proposals [ {' '.join(props)} ]",
              f"set security ipsec vpn {name} bind-interface st0.{unit}",
              f"set security ipsec vpn {name} df-bit clear",
              f"set security ipsec vpn {name} ike gateway {name}",
              f"set security ipsec vpn {name} ike ipsec-policy {name}",
              f"set security ipsec vpn {name} establish-tunnels immediately",
              f"set interfaces st0 unit {unit} family inet address {t['local_inside_address']}",
              f"set interfaces st0 unit {unit} family inet mtu {t['mtu']}",
              f"set security zones security-zone {zone} interfaces st0.{unit}"]
    return lines


def _bgp_lines(plan, group, names):
    lines = []
    for t, name in zip(plan["tunnels"], names):
        b, pref = t["bgp"], t["preference"]
        lines += [f"set policy-options policy-statement {name}-in then local-preference {pref['local_preference']}",
                  f"set policy-options policy-statement {name}-in then accept"]
        if pref["as_path_prepend"]:
            lines.append(f"set policy-options policy-statement {name}-out then as-path-prepend "
                         f"\"{' '.join([str(b['local_asn'])] * pref['as_path_prepend'])}\"")
        elif pref["med"] is not None:
            lines.append(f"set policy-options policy-statement {name}-out then metric {pref['med']}")
        else:
            lines.append(f"set policy-options policy-statement {name}-out then next policy")
        lines += [f"set protocols bgp group {group} neighbor {b['peer_ip']} import {name}-in",
                  f"set protocols bgp group {group} neighbor {b['peer_ip']} export [ {name}-out {group}-export ]"]
    for prefix in plan["site_prefixes"]:
        lines.append(f"set policy-options policy-statement {group}-export term site from route-filter {prefix} exact")
    lines += [f"set policy-options policy-statement {group}-export term site then accept",
              f"set policy-options policy-statement {group}-export then reject"]
    hold = plan["tunnels"][0]["bgp"]["hold_time"]
    # group local-as, not routing-options autonomous-system: the device's own AS stays as it is
    lines += [f"set protocols bgp group {group} type external",
              f"set protocols bgp group {group} peer-as {plan['peer_asn']}",
              f"set protocols bgp group {group} local-as {plan['local_asn']}",
              f"set protocols bgp group {group} hold-time {hold}"]
    return lines


def st0_unit(options, position):
    """The st0 unit of the plan's tunnel at ``position`` (0-based, plan order)."""
    return int_option(options, "st0_unit_start", 1) + position


def render(plan, options=None):
    options = dict(options or {})
    local = check_common(plan, options)
    zone = options.get("zone") or "aws-vpn"
    lan_zone = options.get("lan_zone") or "trust"
    outside_zone = options.get("outside_zone") or "untrust"
    short = short_id(plan)
    outside = options["outside_interface"]
    group = f"aws-{short}"
    lines, names = [], []
    for n, t in enumerate(plan["tunnels"]):
        tr = translate_tunnel(t, "junos")
        name = f"aws-{short}-t{t['index']}"
        unit = st0_unit(options, n)
        refuse_taken(options, "st0_units", unit, "st0_unit_start")
        names.append(name)
        lines += _ike_lines(t, tr, name, local, outside) + _ipsec_lines(t, tr, name, unit, zone)
        if not t["bgp"]:
            lines += [f"set security ipsec vpn {name} vpn-monitor source-interface st0.{unit}",
                      f"set security ipsec vpn {name} vpn-monitor destination-ip {t['peer_inside_ip']}"]
            for prefix in plan["vpc_prefixes"]:
                lines.append(f"set routing-options static route {prefix} qualified-next-hop {t['peer_inside_ip']} "
                             f"preference {t['preference']['route_metric']}")
    lines += [f"set security zones security-zone {zone} host-inbound-traffic system-services ping",
              f"set security zones security-zone {outside_zone} host-inbound-traffic system-services ike",
              f"set security flow tcp-mss ipsec-vpn mss {plan['tunnels'][0]['tcp_mss']}"]
    for direction, src, dst in (("out", lan_zone, zone), ("in", zone, lan_zone)):
        policy = f"set security policies from-zone {src} to-zone {dst} policy {group}-{direction}"
        lines += [f"{policy} match source-address any", f"{policy} match destination-address any",
                  f"{policy} match application any", f"{policy} then permit"]
    if plan["routing"] == "bgp":
        lines.append(f"set security zones security-zone {zone} host-inbound-traffic protocols bgp")
        lines += _bgp_lines(plan, group, names)
    return {"platform": "junos", "set_lines": lines}


def taken_ids(set_lines, vpn_connection_id):
    """``existing`` from the device's ``show configuration | display set``: the st0 units that no
    ``security ipsec vpn`` of this connection (``aws-<short id>-t<n>``) binds."""
    ours = f"aws-{short_id({'vpn_connection_id': vpn_connection_id})}-t"
    units, bound = set(), set()
    for line in str(set_lines or "").splitlines():
        words = line.split()
        if words[:4] == ["set", "interfaces", "st0", "unit"] and len(words) > 4:
            units.add(words[4])
        elif words[:4] == ["set", "security", "ipsec", "vpn"] and len(words) > 6 and words[5] == "bind-interface":
            if words[4].startswith(ours) and words[6].startswith("st0."):
                bound.add(words[6].split(".", 1)[1])
    return {"st0_units": sorted((int(u) for u in units - bound if u.isdigit()))}


def config_text(rendered):
    return "\n".join(rendered["set_lines"]) + "\n"
