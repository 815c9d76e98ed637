# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Vendor renderers: the tunnel plan (``tunnel_plan.build_tunnel_plan``) as device configuration.

``render_device_config(plan, device_type, options)`` returns, per platform, exactly what the
role hands to the vendor modules (so the golden tests pin what is pushed):

cisco_ios::

    {"platform": "cisco_ios",
     "crypto": [{"parents": [...], "lines": [...]}, ...],        # cisco.ios.ios_config
     "tunnel_interfaces": [{"parents": ["interface Tunnel1"], "lines": [...]}],   # ios_config
     "interfaces": [...],          # cisco.ios.ios_interfaces config (description, enabled)
     "l3_interfaces": [...],       # cisco.ios.ios_l3_interfaces config (inside address)
     "route_maps": [...],          # cisco.ios.ios_route_maps config (bgp; else [])
     "bgp_global": {...} | None,   # cisco.ios.ios_bgp_global config
     "bgp_address_family": {...} | None,   # cisco.ios.ios_bgp_address_family config
     "static_routes": [...]}       # cisco.ios.ios_static_routes config (static; else [])

junos::

    {"platform": "junos",
     "set_lines": [...],           # junipernetworks.junos.junos_config lines (format set)
     "bgp_global": {...} | None}   # junipernetworks.junos.junos_bgp_global config

fortios::

    {"platform": "fortios",
     "phase1_interface": [...], "phase2_interface": [...], "system_interface": [...],
     "route_maps": [...], "router_bgp": {...} | None, "router_static": [...],
     "firewall_policy": [...]}     # the fortinet.fortios module's own dict, one per object

Every renderer first translates AWS's algorithm names into the platform's keywords
(``translate_tunnel``).  The device offers what AWS allows and the platform can do, in AWS's
order; narrowing the tunnel options on the AWS side narrows the device.  Lists the platform
cannot offer at all are refused (``DeviceRenderError`` names the tunnel option, the platform and
the algorithms), as are a missing outside interface, a BGP plan without ASNs and a tunnel
without a pre-shared key - all before anything is pushed.

Options (all platforms): ``outside_interface`` (required), ``local_address`` (the device's
own outside address; default the plan's ``local_outside_ip``).  cisco_ios:
``tunnel_interface_start`` (1), ``isakmp_priority_start`` (100).  junos: ``st0_unit_start``
(1), ``zone`` (``aws-vpn``).  fortios: ``vdom`` (``root``), ``lan_interface`` (``internal``),
``policy_id_start`` (1000), ``static_seq_start`` (1000).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError

DEVICE_TYPES = ("strongswan", "cisco_ios", "junos", "fortios")
PLATFORMS = ("cisco_ios", "junos", "fortios")

_AEAD = ("aes128gcm16", "aes256gcm16")

# What each platform can do, by the plan's normalised names (tunnel_plan.ENCRYPTION_NAMES /
# INTEGRITY_NAMES).  Sources: Cisco IOS-XE "crypto ikev2 proposal", "crypto isakmp policy",
# "crypto ipsec transform-set"; Junos "security ike proposal" / "security ipsec proposal";
# FortiOS phase1-interface / phase2-interface (the fortinet.fortios argument specs).
CAPABILITIES = {
    "cisco_ios": {
        "ikev2_encryption": {"aes128": "aes-cbc-128", "aes256": "aes-cbc-256", "aes128gcm16": "aes-gcm-128", "aes256gcm16": "aes-gcm-256"},
        "ikev1_encryption": {"aes128": "aes 128", "aes256": "aes 256"},
        "ikev2_integrity": {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"},
        "ikev1_integrity": {"sha1": "sha", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"},
        "ike_groups": (1, 2, 5, 14, 15, 16, 19, 20, 21, 24),
        "esp_encryption": {"aes128": "esp-aes 128", "aes256": "esp-aes 256", "aes128gcm16": "esp-gcm 128", "aes256gcm16": "esp-gcm 256"},
        "esp_integrity": {"sha1": "esp-sha-hmac", "sha256": "esp-sha256-hmac", "sha384": "esp-sha384-hmac", "sha512": "esp-sha512-hmac"},
        "pfs_groups": (1, 2, 5, 14, 15, 16, 19, 20, 21, 24),
        "replay_windows": (64, 128, 256, 512, 1024),
        "max_phase1": 10,  # isakmp policies per tunnel (IKEv1); IKEv2 proposals take lists
        "max_phase2": 6,  # transform sets per ipsec profile
    },
    "junos": {
        "ikev2_encryption": {"aes128": "aes-128-cbc", "aes256": "aes-256-cbc", "aes128gcm16": "aes-128-gcm", "aes256gcm16": "aes-256-gcm"},
        "ikev1_encryption": {"aes128": "aes-128-cbc", "aes256": "aes-256-cbc"},
        "ikev2_integrity": {"sha1": "sha1", "sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"},
        "ikev1_integrity": {"sha1": "sha1", "sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"},
        "ike_groups": (1, 2, 5, 14, 15, 16, 19, 20, 21, 24),
        "esp_encryption": {"aes128": "aes-128-cbc", "aes256": "aes-256-cbc", "aes128gcm16": "aes-128-gcm", "aes256gcm16": "aes-256-gcm"},
        "esp_integrity": {"sha1": "hmac-sha1-96", "sha256": "hmac-sha-256-128", "sha384": "hmac-sha-384", "sha512": "hmac-sha-512"},
        "pfs_groups": (1, 2, 5, 14, 15, 16, 19, 20, 21, 24),
        "max_phase1": 4,  # proposals per ike policy
        "max_phase2": 4,  # proposals per ipsec policy
    },
    "fortios": {
        "ikev2_encryption": {"aes128": "aes128", "aes256": "aes256", "aes128gcm16": "aes128gcm", "aes256gcm16": "aes256gcm"},
        "ikev1_encryption": {"aes128": "aes128", "aes256": "aes256"},
        "ikev2_integrity": {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"},
        "ikev1_integrity": {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"},
        "ike_groups": (1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 27, 28, 29, 30, 31, 32),
        "esp_encryption": {"aes128": "aes128", "aes256": "aes256", "aes128gcm16": "aes128gcm", "aes256gcm16": "aes256gcm"},
        "esp_integrity": {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"},
        "pfs_groups": (1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 27, 28, 29, 30, 31, 32),
        "max_phase1": 10,  # proposal combinations in a phase1-interface
        "max_phase2": 10,
    },
}

# The plan's normalised names back to AWS's, for messages that name what the user set.
_AWS_NAMES = {
    "aes128": "AES128", "aes256": "AES256", "aes128gcm16": "AES128-GCM-16", "aes256gcm16": "AES256-GCM-16",
    "sha1": "SHA1", "sha256": "SHA2-256", "sha384": "SHA2-384", "sha512": "SHA2-512",
}


class DeviceRenderError(ValidationError):
    """The plan cannot be rendered for a platform; ``field`` names the input to change."""


def _aws(names):
    return ", ".join(_AWS_NAMES.get(n, str(n)) for n in names)


def _supported(platform, field, wanted, table, what):
    """The entries of ``wanted`` (AWS order) the platform supports, translated; refuse if none."""
    if isinstance(table, dict):
        got = [table[w] for w in wanted if w in table]
    else:
        got = [w for w in wanted if w in table]
    if not got:
        raise DeviceRenderError(field, f"{platform} cannot do {what} {_aws(wanted)}")
    return got


def _norm_list(values, names):
    out = []
    for v in values:
        n = names.get(v, str(v).lower())
        if n not in out:
            out.append(n)
    return out


def translate_tunnel(tunnel, platform):
    """Phase 1 and 2 of one plan tunnel in ``platform``'s keywords (see the module doc)."""
    if platform not in CAPABILITIES:
        raise DeviceRenderError("vpn_device_type", f"unknown device type {platform!r}; one of {', '.join(DEVICE_TYPES)}")
    from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import ENCRYPTION_NAMES, INTEGRITY_NAMES

    cap = CAPABILITIES[platform]
    prefix = tunnel["name"]
    ike = tunnel["ike_version"]
    out = {"ike_version": ike}
    for phase in ("phase1", "phase2"):
        p = tunnel[phase]
        for rnd in p.get("additional_key_exchanges") or []:
            if rnd.get("requirement", "required") != "optional":
                raise DeviceRenderError(
                    f"{prefix}.{phase}_additional_key_exchanges",
                    f"{platform} rendering does not support RFC 9370 additional key exchanges (round {rnd.get('round')})",
                )
        encs = _norm_list(p["encryption_algorithms"], ENCRYPTION_NAMES)
        integs = _norm_list(p["integrity_algorithms"], INTEGRITY_NAMES)
        groups = [int(g) for g in p["dh_group_numbers"]]
        if phase == "phase1":
            enc_table, integ_table, group_table = cap[f"{ike}_encryption"], cap[f"{ike}_integrity"], cap["ike_groups"]
            what = f"{ike.upper()} phase 1 encryption"
        else:
            enc_table, integ_table, group_table = cap["esp_encryption"], cap["esp_integrity"], cap["pfs_groups"]
            what = "phase 2 (ESP) encryption"
        enc_ok = [e for e in encs if e in enc_table]
        if not enc_ok:
            raise DeviceRenderError(f"{prefix}.{phase}_encryption_algorithms", f"{platform} cannot do {what} {_aws(encs)}")
        integ_ok = [i for i in integs if i in integ_table]
        needs_integ = phase == "phase1" or any(e not in _AEAD for e in enc_ok)
        if needs_integ and not integ_ok:
            raise DeviceRenderError(f"{prefix}.{phase}_integrity_algorithms", f"{platform} cannot do {phase} integrity {_aws(integs)}")
        if groups or phase == "phase1":
            group_ok = _supported(platform, f"{prefix}.{phase}_dh_group_numbers", groups, group_table, f"{phase} DH groups")
        else:
            group_ok = []
        # enc x integrity combinations in AWS order (AEAD in phase 2 takes no integrity)
        combos = []
        for e in enc_ok:
            if phase == "phase2" and e in _AEAD:
                combos.append({"encryption": e, "integrity": None})
                continue
            for i in integ_ok:
                combos.append({"encryption": e, "integrity": i})
        out[phase] = {
            "encryption": [enc_table[e] for e in enc_ok],
            "classic_encryption": [enc_table[e] for e in enc_ok if e not in _AEAD],
            "aead_encryption": [enc_table[e] for e in enc_ok if e in _AEAD],
            "integrity": [integ_table[i] for i in integ_ok],
            "dh_groups": group_ok,
            "combos": combos,
            "lifetime_seconds": p["lifetime_seconds"],
        }
        if phase == "phase2":
            out[phase]["pfs_group"] = group_ok[0] if group_ok else None
    return out


# ------------------------------------------------------------------------------- common checks


def _short_id(plan):
    vpn = plan.get("vpn_connection_id") or "vpn-00000000"
    return vpn.split("-", 1)[-1][-8:]


def _check_common(plan, options):
    if not isinstance(plan, dict) or not plan.get("tunnels"):
        raise DeviceRenderError("plan", "must be a tunnel plan (sitevpn.aws.vpn_tunnel_plan) with tunnels")
    if not (options.get("outside_interface") or "").strip():
        raise DeviceRenderError("outside_interface", "is required: the device interface that faces the internet")
    if plan["routing"] == "bgp":
        if plan.get("local_asn") is None:
            raise DeviceRenderError("local_asn", "a BGP connection needs the customer gateway's ASN (sitevpn_bgp_asn)")
        if plan.get("peer_asn") is None:
            raise DeviceRenderError("peer_asn", "a BGP connection needs the Amazon-side ASN")
    for t in plan["tunnels"]:
        if not t.get("pre_shared_key"):
            raise DeviceRenderError(
                f"{t['name']}.pre_shared_key",
                "is missing (stored in Secrets Manager?): fetch it into the connection before rendering",
            )
        for key in ("peer_outside_ip", "local_inside_address", "peer_inside_ip"):
            if not t.get(key):
                raise DeviceRenderError(f"{t['name']}.{key}", "is missing from the plan")
    local = options.get("local_address") or plan["tunnels"][0].get("local_outside_ip")
    if not local:
        raise DeviceRenderError("local_address", "the device's outside address is unknown (no customer gateway IP in the plan)")
    return local


def _mask(cidr):
    net = ipaddress.ip_network(cidr, strict=False)
    return str(net.network_address), str(net.netmask)


def _int_option(options, key, default):
    value = options.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DeviceRenderError(key, f"must be an integer, got {value!r}") from None


# ----------------------------------------------------------------------------------- Cisco IOS


def _cisco_crypto(t, tr, name, local, options, isakmp_prio):
    outside = options["outside_interface"]
    blocks = []
    p1, p2 = tr["phase1"], tr["phase2"]
    if tr["ike_version"] == "ikev2":
        proposals = []
        if p1["classic_encryption"]:
            proposals.append(name)
            blocks.append({"parents": [f"crypto ikev2 proposal {name}"], "lines": [
                "encryption " + " ".join(p1["classic_encryption"]),
                "integrity " + " ".join(p1["integrity"]),
                "group " + " ".join(str(g) for g in p1["dh_groups"]),
            ]})
        if p1["aead_encryption"]:
            proposals.append(f"{name}-GCM")
            blocks.append({"parents": [f"crypto ikev2 proposal {name}-GCM"], "lines": [
                "encryption " + " ".join(p1["aead_encryption"]),
                "prf " + " ".join(p1["integrity"]),
                "group " + " ".join(str(g) for g in p1["dh_groups"]),
            ]})
        blocks.append({"parents": [f"crypto ikev2 policy {name}"],
                       "lines": [f"match address local {local}"] + [f"proposal {p}" for p in proposals]})
        blocks.append({"parents": [f"crypto ikev2 keyring {name}", f"peer {t['peer_outside_ip']}"], "lines": [
            f"address {t['peer_outside_ip']}",
            f"pre-shared-key {t['pre_shared_key']}",
        ]})
        blocks.append({"parents": [f"crypto ikev2 profile {name}"], "lines": [
            f"match address local interface {outside}",
            f"match identity remote address {t['peer_outside_ip']} 255.255.255.255",
            f"identity local address {local}",
            "authentication remote pre-share",
            "authentication local pre-share",
            f"keyring local {name}",
            f"lifetime {p1['lifetime_seconds']}",
            # IOS counts DPD retries itself; the second number is its retry interval (AWS's sample: 10 10)
            f"dpd {t['dpd']['interval']} {t['dpd']['interval']} on-demand",
        ]})
    else:
        for k, combo in enumerate(_ikev1_combos(p1)[: CAPABILITIES["cisco_ios"]["max_phase1"]]):
            blocks.append({"parents": [f"crypto isakmp policy {isakmp_prio + k}"], "lines": [
                f"encryption {combo['encryption']}",
                f"hash {combo['integrity']}",
                "authentication pre-share",
                f"group {combo['dh_group']}",
                f"lifetime {p1['lifetime_seconds']}",
            ]})
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
    ts_names = []
    for k, combo in enumerate(p2["combos"][: CAPABILITIES["cisco_ios"]["max_phase2"]], start=1):
        ts = f"{name}-TS{k}"
        ts_names.append(ts)
        kw = [CAPABILITIES["cisco_ios"]["esp_encryption"][combo["encryption"]]]
        if combo["integrity"]:
            kw.append(CAPABILITIES["cisco_ios"]["esp_integrity"][combo["integrity"]])
        blocks.append({"parents": [f"crypto ipsec transform-set {ts} {' '.join(kw)}"], "lines": ["mode tunnel"]})
    window = t["replay_window_size"]
    if window not in CAPABILITIES["cisco_ios"]["replay_windows"]:
        raise DeviceRenderError(
            f"{t['name']}.replay_window_size",
            f"cisco_ios cannot do a replay window of {window} (one of {', '.join(map(str, CAPABILITIES['cisco_ios']['replay_windows']))})",
        )
    lines = ["set transform-set " + " ".join(ts_names)]
    if p2["pfs_group"] is not None:
        lines.append(f"set pfs group{p2['pfs_group']}")
    lines += [f"set security-association lifetime seconds {p2['lifetime_seconds']}",
              f"set security-association replay window-size {window}"]
    lines.append(f"set ikev2-profile {name}" if tr["ike_version"] == "ikev2" else f"set isakmp-profile {name}")
    blocks.append({"parents": [f"crypto ipsec profile {name}"], "lines": lines})
    return blocks


def _ikev1_combos(p1):
    return [{"encryption": e, "integrity": i, "dh_group": g}
            for e in p1["classic_encryption"] for i in p1["integrity"] for g in p1["dh_groups"]]


def render_cisco_ios(plan, options=None):
    options = dict(options or {})
    local = _check_common(plan, options)
    start = _int_option(options, "tunnel_interface_start", 1)
    prio = _int_option(options, "isakmp_priority_start", 100)
    short = _short_id(plan).upper()
    out = {"platform": "cisco_ios", "crypto": [], "tunnel_interfaces": [], "interfaces": [], "l3_interfaces": [],
           "route_maps": [], "bgp_global": None, "bgp_address_family": None, "static_routes": []}
    neighbors, af_neighbors = [], []
    for n, t in enumerate(plan["tunnels"]):
        tr = translate_tunnel(t, "cisco_ios")
        name = f"AWS-{short}-T{t['index']}"
        ifname = f"Tunnel{start + n}"
        t["_ifname"] = ifname
        out["crypto"] += _cisco_crypto(t, tr, name, local, options, prio + 10 * n)
        out["interfaces"].append({"name": ifname, "description": f"{plan['vpn_connection_id']} {t['name']} to {t['peer_outside_ip']}",
                                  "enabled": True})
        out["l3_interfaces"].append({"name": ifname, "ipv4": [{"address": t["local_inside_address"]}]})
        out["tunnel_interfaces"].append({"parents": [f"interface {ifname}"], "lines": [
            f"ip mtu {t['mtu']}",
            f"ip tcp adjust-mss {t['tcp_mss']}",
            f"tunnel source {options['outside_interface']}",
            "tunnel mode ipsec ipv4",
            f"tunnel destination {t['peer_outside_ip']}",
            f"tunnel protection ipsec profile {name}",
        ]})
        if t["bgp"]:
            b, pref = t["bgp"], t["preference"]
            rm_in, rm_out = f"{name}-IN", f"{name}-OUT"
            out_entry = {"sequence": 10, "action": "permit"}
            if pref["as_path_prepend"]:
                out_entry["set"] = {"as_path": {"prepend": {"as_number": [str(b["local_asn"])] * pref["as_path_prepend"]}}}
            elif pref["med"] is not None:
                out_entry["set"] = {"metric": {"metric_value": pref["med"]}}
            in_entry = {"sequence": 10, "action": "permit", "set": {"local_preference": pref["local_preference"]}}
            out["route_maps"].append({"route_map": rm_in, "entries": [in_entry]})
            route_maps = [{"name": rm_in, "in": True}]
            # ios_route_maps renders no entry without a set clause, and IOS denies everything through
            # a route map that does not exist: the primary tunnel sends without one.
            if "set" in out_entry:
                out["route_maps"].append({"route_map": rm_out, "entries": [out_entry]})
                route_maps.append({"name": rm_out, "out": True})
            neighbors.append({"neighbor_address": b["peer_ip"], "remote_as": str(b["peer_asn"]),
                              "description": f"{plan['vpn_connection_id']} {t['name']}",
                              "timers": {"interval": b["keepalive"], "holdtime": b["hold_time"]}})
            af_neighbors.append({"neighbor_address": b["peer_ip"], "activate": True, "soft_reconfiguration": True,
                                 "route_maps": route_maps})
    if plan["routing"] == "bgp":
        asn = str(plan["local_asn"])
        out["bgp_global"] = {"as_number": asn, "bgp": {"log_neighbor_changes": True}, "neighbors": neighbors}
        networks = [dict(zip(("address", "mask"), _mask(p))) for p in plan["site_prefixes"]]
        af = {"afi": "ipv4", "neighbors": af_neighbors}
        if networks:
            af["networks"] = networks
        out["bgp_address_family"] = {"as_number": asn, "address_family": [af]}
    else:
        routes = []
        for prefix in plan["vpc_prefixes"]:
            hops = [{"interface": t["_ifname"], "distance_metric": t["preference"]["route_metric"]} for t in plan["tunnels"]]
            routes.append({"dest": prefix, "next_hops": hops})
        if routes:
            out["static_routes"] = [{"address_families": [{"afi": "ipv4", "routes": routes}]}]
    for t in plan["tunnels"]:
        t.pop("_ifname", None)
    return out


def cisco_ios_config_text(rendered):
    """The ios_config blocks as IOS configuration text (docs, golden files, `state: rendered`)."""
    lines = []
    for block in rendered["crypto"] + rendered["tunnel_interfaces"]:
        for depth, parent in enumerate(block["parents"]):
            lines.append(" " * depth + parent)
        lines += [" " * len(block["parents"]) + line for line in block["lines"]]
        lines.append("!")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------- Junos


def render_junos(plan, options=None):
    options = dict(options or {})
    local = _check_common(plan, options)
    unit0 = _int_option(options, "st0_unit_start", 1)
    zone = options.get("zone") or "aws-vpn"
    short = _short_id(plan)
    outside = options["outside_interface"]
    cap = CAPABILITIES["junos"]
    lines = []
    group = f"aws-{short}"
    neighbors = []
    for n, t in enumerate(plan["tunnels"]):
        tr = translate_tunnel(t, "junos")
        name = f"aws-{short}-t{t['index']}"
        unit = unit0 + n
        p1, p2 = tr["phase1"], tr["phase2"]
        ike_props = []
        # a GCM IKE proposal takes no authentication-algorithm (Junos derives the PRF)
        combos1 = [{"encryption": e, "integrity": i, "dh_group": g}
                   for e in p1["encryption"] for i in (p1["integrity"] if e in p1["classic_encryption"] else [None])
                   for g in p1["dh_groups"]]
        for k, c in enumerate(combos1[: cap["max_phase1"]], start=1):
            pn = f"{name}-ike{k}"
            ike_props.append(pn)
            lines += [f"set security ike proposal {pn} authentication-method pre-shared-keys",
                      f"set security ike proposal {pn} dh-group group{c['dh_group']}"]
            if c["integrity"]:
                lines.append(f"set security ike proposal {pn} authentication-algorithm {c['integrity']}")
            lines += [f"set security ike proposal {pn} encryption-algorithm {c['encryption']}",
                      f"set security ike proposal {pn} lifetime-seconds {p1['lifetime_seconds']}"]
        if tr["ike_version"] == "ikev1":
            lines.append(f"set security ike policy {name} mode main")
        lines += [f"set security ike policy {name} proposals [ {' '.join(ike_props)} ]",
                  f"set security ike policy {name} pre-shared-key ascii-text \"{t['pre_shared_key']}\"",
                  f"set security ike gateway {name} ike-policy {name}",
                  f"set security ike gateway {name} address {t['peer_outside_ip']}",
                  f"set security ike gateway {name} dead-peer-detection interval {t['dpd']['interval']}",
                  f"set security ike gateway {name} dead-peer-detection threshold {t['dpd']['retries']}",
                  f"set security ike gateway {name} local-identity inet {local}",
                  f"set security ike gateway {name} external-interface {outside}",
                  f"set security ike gateway {name} version {'v2-only' if tr['ike_version'] == 'ikev2' else 'v1-only'}"]
        esp_props = []
        for k, c in enumerate(p2["combos"][: cap["max_phase2"]], start=1):
            pn = f"{name}-esp{k}"
            esp_props.append(pn)
            lines.append(f"set security ipsec proposal {pn} protocol esp")
            if c["integrity"]:
                lines.append(f"set security ipsec proposal {pn} authentication-algorithm {cap['esp_integrity'][c['integrity']]}")
            lines += [f"set security ipsec proposal {pn} encryption-algorithm {cap['esp_encryption'][c['encryption']]}",
                      f"set security ipsec proposal {pn} lifetime-seconds {p2['lifetime_seconds']}"]
        if p2["pfs_group"] is not None:
            lines.append(f"set security ipsec policy {name} perfect-forward-secrecy keys group{p2['pfs_group']}")
        lines += [f"set security ipsec policy {name} proposals [ {' '.join(esp_props)} ]",
                  f"set security ipsec vpn {name} bind-interface st0.{unit}",
                  f"set security ipsec vpn {name} df-bit clear",
                  f"set security ipsec vpn {name} ike gateway {name}",
                  f"set security ipsec vpn {name} ike ipsec-policy {name}",
                  f"set security ipsec vpn {name} establish-tunnels immediately",
                  f"set interfaces st0 unit {unit} family inet address {t['local_inside_address']}",
                  f"set interfaces st0 unit {unit} family inet mtu {t['mtu']}",
                  f"set security zones security-zone {zone} interfaces st0.{unit}"]
        if t["bgp"]:
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
            # junos_bgp_global renders a neighbor's import list as one Python-repr string and takes one
            # export policy only: the policy chains are set lines.
            lines += [f"set protocols bgp group {group} neighbor {b['peer_ip']} import {name}-in",
                      f"set protocols bgp group {group} neighbor {b['peer_ip']} export [ {name}-out {group}-export ]"]
            neighbors.append({"neighbor_address": b["peer_ip"], "peer_as": str(b["peer_asn"])})
        else:
            for prefix in plan["vpc_prefixes"]:
                lines.append(f"set routing-options static route {prefix} qualified-next-hop {t['peer_inside_ip']} "
                             f"preference {t['preference']['route_metric']}")
    lines += [f"set security zones security-zone {zone} host-inbound-traffic system-services ping",
              f"set security flow tcp-mss ipsec-vpn mss {plan['tunnels'][0]['tcp_mss']}"]
    bgp = None
    if plan["routing"] == "bgp":
        lines.append(f"set security zones security-zone {zone} host-inbound-traffic protocols bgp")
        for prefix in plan["site_prefixes"]:
            lines.append(f"set policy-options policy-statement {group}-export term site from route-filter {prefix} exact")
        lines += [f"set policy-options policy-statement {group}-export term site then accept",
                  f"set policy-options policy-statement {group}-export then reject"]
        hold = plan["tunnels"][0]["bgp"]["hold_time"]
        # group local-as, not routing-options autonomous-system: the device's own AS stays as it is
        # (junos_bgp_global's rendering drops both as_number and a group's local_as)
        lines.append(f"set protocols bgp group {group} local-as {plan['local_asn']}")
        bgp = {"groups": [{"name": group, "type": "external", "peer_as": str(plan["peer_asn"]), "hold_time": hold,
                           "neighbors": neighbors}]}
    return {"platform": "junos", "set_lines": lines, "bgp_global": bgp}


# -------------------------------------------------------------------------------------- FortiOS


def render_fortios(plan, options=None):
    options = dict(options or {})
    _check_common(plan, options)
    vdom = options.get("vdom") or "root"
    lan = options.get("lan_interface") or "internal"
    policy_id = _int_option(options, "policy_id_start", 1000)
    seq = _int_option(options, "static_seq_start", 1000)
    short = _short_id(plan)
    cap = CAPABILITIES["fortios"]
    out = {"platform": "fortios", "phase1_interface": [], "phase2_interface": [], "system_interface": [],
           "route_maps": [], "router_bgp": None, "router_static": [], "firewall_policy": []}
    neighbors = []
    for t in plan["tunnels"]:
        tr = translate_tunnel(t, "fortios")
        p1, p2 = tr["phase1"], tr["phase2"]
        name = f"aws-{short}-{t['index']}"  # FortiOS interface names: 15 characters at most
        props1 = []
        for e in p1["encryption"]:
            for i in p1["integrity"]:
                props1.append(f"{e}-prf{i}" if e.endswith("gcm") else f"{e}-{i}")
        props2 = [cap["esp_encryption"][c["encryption"]] + (f"-{cap['esp_integrity'][c['integrity']]}" if c["integrity"] else "")
                  for c in p2["combos"]]
        phase1 = {"name": name, "interface": options["outside_interface"], "ike_version": "2" if tr["ike_version"] == "ikev2" else "1",
                  "peertype": "any", "net_device": "disable", "remote_gw": t["peer_outside_ip"], "psksecret": t["pre_shared_key"],
                  "proposal": props1[: cap["max_phase1"]], "dhgrp": [str(g) for g in p1["dh_groups"]],
                  "keylife": p1["lifetime_seconds"], "dpd": "on-idle", "dpd_retryinterval": str(t["dpd"]["interval"]),
                  "dpd_retrycount": t["dpd"]["retries"], "nattraversal": "enable"}
        if tr["ike_version"] == "ikev1":
            phase1["mode"] = "main"
        out["phase1_interface"].append(phase1)
        phase2 = {"name": name, "phase1name": name, "proposal": props2[: cap["max_phase2"]],
                  "pfs": "enable" if p2["dh_groups"] else "disable", "keylifeseconds": p2["lifetime_seconds"],
                  "replay": "enable", "auto_negotiate": "enable"}
        if p2["dh_groups"]:
            phase2["dhgrp"] = [str(g) for g in p2["dh_groups"]]
        out["phase2_interface"].append(phase2)
        net = ipaddress.ip_network(t["inside_cidr"])
        out["system_interface"].append({"name": name, "vdom": vdom, "type": "tunnel", "interface": options["outside_interface"],
                                        "ip": f"{t['local_inside_ip']} 255.255.255.255",
                                        "remote_ip": f"{t['peer_inside_ip']} {net.netmask}",
                                        "allowaccess": ["ping"], "tcp_mss": t["tcp_mss"], "mtu_override": "enable", "mtu": t["mtu"]})
        for direction, src, dst in (("out", lan, name), ("in", name, lan)):
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
            for prefix in plan["vpc_prefixes"]:
                addr, mask = _mask(prefix)
                out["router_static"].append({"seq_num": seq, "dst": f"{addr} {mask}", "device": name, "distance": 10,
                                             "priority": t["preference"]["route_metric"]})
                seq += 1
    if plan["routing"] == "bgp":
        out["router_bgp"] = {"as": str(plan["local_asn"]), "neighbor": neighbors,
                             "network": [{"id": k, "prefix": " ".join(_mask(p))} for k, p in enumerate(plan["site_prefixes"], start=1)]}
    return out


RENDERERS = {"cisco_ios": render_cisco_ios, "junos": render_junos, "fortios": render_fortios}


def render_device_config(plan, device_type, options=None):
    """What the ``device_<device_type>`` role pushes for ``plan`` (see the module doc)."""
    if device_type not in RENDERERS:
        if device_type == "strongswan":
            raise DeviceRenderError("vpn_device_type", "strongswan is rendered by the strongswan role, not here")
        raise DeviceRenderError("vpn_device_type", f"unknown device type {device_type!r}; one of {', '.join(DEVICE_TYPES)}")
    return RENDERERS[device_type](plan, options)
