# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every vendor renderer shares: the platforms' algorithm keywords (one table), the checks
before rendering, and the naming helpers other plugins use (``short_id``, ``netmask_pair``).

The plan (``tunnel_plan.build_tunnel_plan``) already lists algorithms strongest first; the
translation keeps that order, so every device offers the strongest proposal first.  No function
here changes its arguments.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import ENCRYPTION_NAMES
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import INTEGRITY_NAMES
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError

DEVICE_TYPES = ("strongswan", "cisco_ios", "junos", "fortios")
PLATFORMS = ("cisco_ios", "junos", "fortios")

AEAD = ("aes128gcm16", "aes256gcm16")

# AWS Site-to-Site VPN quotas: routes a customer gateway may advertise to a VGW connection.
MAX_ADVERTISED_ROUTES = 100

# What each platform can do, by the plan's normalised names (tunnel_plan.ENCRYPTION_NAMES /
# INTEGRITY_NAMES).  Sources: Cisco IOS-XE "crypto ikev2 proposal", "crypto isakmp policy",
# "crypto ipsec transform-set" (keywords as "show running-config" prints them: a 128-bit AES key
# is the default and is not printed); Junos "security ike proposal" / "security ipsec proposal";
# FortiOS phase1-interface / phase2-interface (the fortinet.fortios argument specs). A platform that
# spells a set the same way in IKE and in ESP (or in IKEv1 and IKEv2) has it once, below.
_IOS_JUNOS_GROUPS = (1, 2, 5, 14, 15, 16, 19, 20, 21, 24)  # IKE and PFS groups of both
_JUNOS_AES = {"aes128": "aes-128-cbc", "aes256": "aes-256-cbc", "aes128gcm16": "aes-128-gcm", "aes256gcm16": "aes-256-gcm"}
_JUNOS_SHA = {"sha1": "sha1", "sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"}
_FORTIOS_AES = {"aes128": "aes128", "aes256": "aes256", "aes128gcm16": "aes128gcm", "aes256gcm16": "aes256gcm"}
_FORTIOS_SHA = {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
_FORTIOS_GROUPS = (1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 27, 28, 29, 30, 31, 32)
CAPABILITIES = {
    "cisco_ios": {
        "ikev2_encryption": {"aes128": "aes-cbc-128", "aes256": "aes-cbc-256", "aes128gcm16": "aes-gcm-128", "aes256gcm16": "aes-gcm-256"},
        "ikev1_encryption": {"aes128": "aes", "aes256": "aes 256"},
        "ikev2_integrity": {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"},
        "ikev1_integrity": {"sha1": "sha", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"},
        "ike_groups": _IOS_JUNOS_GROUPS,
        "esp_encryption": {"aes128": "esp-aes", "aes256": "esp-aes 256", "aes128gcm16": "esp-gcm", "aes256gcm16": "esp-gcm 256"},
        "esp_integrity": {"sha1": "esp-sha-hmac", "sha256": "esp-sha256-hmac", "sha384": "esp-sha384-hmac", "sha512": "esp-sha512-hmac"},
        "pfs_groups": _IOS_JUNOS_GROUPS,
        "replay_windows": (64, 128, 256, 512, 1024),
        "max_phase1": 10,  # isakmp policies per tunnel (IKEv1); IKEv2 proposals take lists
        "max_phase2": 6,  # transform sets per ipsec profile
    },
    "junos": {
        "ikev2_encryption": _JUNOS_AES,
        "ikev1_encryption": {"aes128": "aes-128-cbc", "aes256": "aes-256-cbc"},
        "ikev2_integrity": _JUNOS_SHA,
        "ikev1_integrity": _JUNOS_SHA,
        "ike_groups": _IOS_JUNOS_GROUPS,
        "esp_encryption": _JUNOS_AES,
        "esp_integrity": {"sha1": "hmac-sha1-96", "sha256": "hmac-sha-256-128", "sha384": "hmac-sha-384", "sha512": "hmac-sha-512"},
        "pfs_groups": _IOS_JUNOS_GROUPS,
        "max_phase1": 4,  # proposals per ike policy
        "max_phase2": 4,  # proposals per ipsec policy
    },
    "fortios": {
        "ikev2_encryption": _FORTIOS_AES,
        "ikev1_encryption": {"aes128": "aes128", "aes256": "aes256"},
        "ikev2_integrity": _FORTIOS_SHA,
        "ikev1_integrity": _FORTIOS_SHA,
        "ike_groups": _FORTIOS_GROUPS,
        "esp_encryption": _FORTIOS_AES,
        "esp_integrity": _FORTIOS_SHA,
        "pfs_groups": _FORTIOS_GROUPS,
        "max_phase1": 10,  # proposal combinations in a phase1-interface
        "max_phase2": 10,
    },
}

# The plan's normalised names back to AWS's, for messages that name what the user set.
_AWS_NAMES = {v: k for k, v in ENCRYPTION_NAMES.items()}
_AWS_NAMES.update({v: k for k, v in INTEGRITY_NAMES.items()})


class DeviceRenderError(ValidationError):
    """The plan cannot be rendered for a platform; ``field`` names the input to change."""


def aws_names(names):
    return ", ".join(_AWS_NAMES.get(n, str(n)) for n in names)


def aws_keywords(*tables):
    """Platform keyword tables of CAPABILITIES (plan name -> keyword) turned into keyword -> AWS's
    name: how the state parsers report what a device negotiated."""
    return {keyword: _AWS_NAMES[name] for table in tables for name, keyword in table.items()}


def _norm_list(values, names):
    out = []
    for v in values:
        n = names.get(v, str(v).lower())
        if n not in out:
            out.append(n)
    return out


def translate_tunnel(tunnel, platform, excluded_groups=()):
    """Phase 1 and 2 of one plan tunnel in ``platform``'s keywords, in the plan's order.

    ``excluded_groups``: DH groups the device's software refuses (IOS-XE 17.11+); they are left
    out, and a list with nothing else is refused.
    """
    if platform not in CAPABILITIES:
        raise DeviceRenderError("vpn_device_type", f"unknown device type {platform!r}; one of {', '.join(DEVICE_TYPES)}")
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
            raise DeviceRenderError(f"{prefix}.{phase}_encryption_algorithms", f"{platform} cannot do {what} {aws_names(encs)}")
        integ_ok = [i for i in integs if i in integ_table]
        needs_integ = phase == "phase1" or any(e not in AEAD for e in enc_ok)
        if needs_integ and not integ_ok:
            raise DeviceRenderError(f"{prefix}.{phase}_integrity_algorithms", f"{platform} cannot do {phase} integrity {aws_names(integs)}")
        group_ok = [g for g in groups if g in group_table and g not in excluded_groups]
        if (groups or phase == "phase1") and not group_ok:
            why = f" (this software release refuses DH groups {', '.join(map(str, excluded_groups))})" if excluded_groups else ""
            raise DeviceRenderError(f"{prefix}.{phase}_dh_group_numbers", f"{platform} cannot do {phase} DH groups {', '.join(map(str, groups))}{why}")
        # enc x integrity combinations in the plan's order (AEAD in phase 2 takes no integrity)
        combos = []
        for e in enc_ok:
            if phase == "phase2" and e in AEAD:
                combos.append({"encryption": e, "integrity": None})
                continue
            for i in integ_ok:
                combos.append({"encryption": e, "integrity": i})
        out[phase] = {
            "encryption": [enc_table[e] for e in enc_ok],
            "classic_encryption": [enc_table[e] for e in enc_ok if e not in AEAD],
            "aead_encryption": [enc_table[e] for e in enc_ok if e in AEAD],
            "integrity": [integ_table[i] for i in integ_ok],
            "dh_groups": group_ok,
            "combos": combos,
            "lifetime_seconds": p["lifetime_seconds"],
        }
        if phase == "phase2":
            # one PFS group on IOS and Junos: the strongest the tunnel allows
            out[phase]["pfs_group"] = group_ok[0] if group_ok else None
    return out


def short_id(plan):
    """The last 8 characters of the connection ID: how every device object of the collection is named."""
    vpn = plan.get("vpn_connection_id") or "vpn-00000000"
    return vpn.split("-", 1)[-1][-8:]


def netmask_pair(cidr):
    """``("10.0.0.0", "255.255.0.0")`` for ``10.0.0.0/16`` (IOS and FortiOS address forms)."""
    net = ipaddress.ip_network(cidr, strict=False)
    return str(net.network_address), str(net.netmask)


def check_common(plan, options):
    """Refuse what no platform can render; the device's own outside address."""
    if not isinstance(plan, dict) or not plan.get("tunnels"):
        raise DeviceRenderError("plan", "must be a tunnel plan (sitevpn.aws.vpn_tunnel_plan) with tunnels")
    if not (options.get("outside_interface") or "").strip():
        raise DeviceRenderError("outside_interface", "is required: the device interface that faces the internet")
    if plan["routing"] == "bgp":
        if plan.get("local_asn") is None:
            raise DeviceRenderError("local_asn", "a BGP connection needs the customer gateway's ASN (sitevpn_bgp_asn)")
        if plan.get("peer_asn") is None:
            raise DeviceRenderError("peer_asn", "a BGP connection needs the Amazon-side ASN")
        count = len(plan.get("site_prefixes") or [])
        # without prefixes an export policy exports every active route; AWS takes 100 at most
        if not 1 <= count <= MAX_ADVERTISED_ROUTES:
            raise DeviceRenderError("site_prefixes", f"a BGP site advertises 1 to {MAX_ADVERTISED_ROUTES} prefixes (AWS's limit), got {count}")
    selectors = plan.get("traffic_selectors") or {}
    for key in ("local_ipv4_network_cidr", "remote_ipv4_network_cidr"):
        # route-based tunnels (VTI, st0, FortiOS interface mode) negotiate 0.0.0.0/0 only
        if selectors.get(key) not in (None, "0.0.0.0/0"):
            raise DeviceRenderError(
                key,
                f"is {selectors[key]}: the device roles build route-based tunnels, which negotiate 0.0.0.0/0; "
                "leave the connection's traffic selectors at 0.0.0.0/0",
            )
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


def int_option(options, key, default):
    value = options.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DeviceRenderError(key, f"must be an integer, got {value!r}") from None


def version_tuple(value):
    """``"17.12.1a"`` -> ``(17, 12, 1)``; None when unknown or unreadable."""
    if value is None or value == "":
        return None
    parts = []
    for piece in str(value).replace("(", ".").replace(")", ".").split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts) or None


def taken(options, kind, ident):
    """True when the inventory says ``ident`` of ``kind`` exists on the device and is not ours.

    ``options["existing"]``: ``{kind: [ids or names]}`` from the device's facts (the role reads
    them when connected); what the collection created carries its ``aws-<id>`` naming and is
    never in that list.
    """
    existing = (options.get("existing") or {}).get(kind) or []
    return str(ident) in {str(e) for e in existing}


def refuse_taken(options, kind, ident, option):
    if taken(options, kind, ident):
        raise DeviceRenderError(option, f"{kind} {ident} already exists on the device and was not created by sitevpn.aws: choose another ({option})")


REDACTED = "********"
# How each platform prints a key in a command it echoes back in an error
_KEY_FORMS = (
    re.compile(r'((?:ascii-text|hexadecimal)\s+)"[^"]*"'),
    re.compile(r"(pre-shared-key\s+(?:address\s+\S+\s+key\s+)?)(?!ascii-text|hexadecimal)(?:\d\s+)?\S+"),
    re.compile(r"(psksecret\W+)[^\s,'\"}]+"),
)


def secrets_of(value):
    """Every pre-shared key in a connection, a plan or a rendering (any depth, AWS's or our keys)."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in ("PreSharedKey", "pre_shared_key", "psksecret") and isinstance(v, str) and v:
                found.append(v)
            else:
                found += secrets_of(v)
    elif isinstance(value, list):
        for v in value:
            found += secrets_of(v)
    return found


def redact(text, secrets=()):
    """``text`` without the keys: each of ``secrets``, and whatever follows a key keyword."""
    text = str(text)
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for form in _KEY_FORMS:
        text = form.sub(lambda m: m.group(1) + REDACTED, text)
    return text
