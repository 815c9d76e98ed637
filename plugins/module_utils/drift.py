# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Drift: a three-way comparison, per tunnel, of the inventory (desired), AWS and the device.

:func:`drift_report` returns the report the site page reads (``drift.json``, see
``report_site.py``)::

    {"site", "time", "ok", "messages": [...],
     "differences": [{"tunnel": outside IP, "field", "desired", "aws", "device", "wrong"}]}

``wrong`` names the side that does not match: ``aws``, ``device`` or ``both``.  The inventory is
the truth for what it sets (``sitevpn_tunnel_options``, matched to the tunnels as
``vpn_connection`` matches them); for an option it leaves unset, AWS is the truth (the device is
rendered from AWS's view), so a device that differs from AWS is ``wrong: device``.  A vendor device
(``device_type`` ``cisco_ios``, ``junos``, ``fortios``) is compared with what its renderer configures
from those options (``devices/expected.py``): it carries only the platform's subset of AWS's lists.

Device side, per tunnel (keyed by AWS outside IP), in AWS's spelling (``tunnel_options.FIELDS``):

- ``configured``: options as the device is configured (lists compare as sets), e.g. a vendor
  configuration read back and translated (:func:`parse_swanctl_conf` reads a strongSwan tunnel's
  loaded ``swanctl.conf``);
- ``negotiated``: the algorithms of the SAs the device holds, one value per field; they must be
  among the allowed ones (:func:`parse_swanctl_negotiated` reads them from strongSwan).

Pre-shared keys are never compared nor reported.  Pure: no I/O, nothing changed.
"""

from __future__ import annotations

import re

from ansible_collections.sitevpn.aws.plugins.module_utils.devices.expected import READ_RENDERED
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.expected import platform_configured
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import AEAD_ENCRYPTION
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import ENCRYPTION_NAMES
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import INTEGRITY_NAMES
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_defaults import normalize
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_defaults import with_defaults
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import current_tunnels
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import match_tunnels
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import tunnel_fields

SECRET_FIELDS = ("pre_shared_key",)
# The tunnel's identity, not its options: matched on, never reported as drift of the device.
IDENTITY_FIELDS = ("outside_ip_address",)

# strongSwan's proposal keywords (swanctl --list-sas) -> AWS's names.  Sources: strongSwan
# documentation "IKEv2 Cipher Suites" (keywords) and "swanctl --list-sas" (the output form).
_SWAN_ENCRYPTION = {
    "AES_CBC-128": "AES128", "AES_CBC-256": "AES256",
    "AES_GCM_16-128": "AES128-GCM-16", "AES_GCM_16-256": "AES256-GCM-16",
}
_SWAN_INTEGRITY = {
    "HMAC_SHA1_96": "SHA1", "HMAC_SHA2_256_128": "SHA2-256", "HMAC_SHA2_384_192": "SHA2-384",
    "HMAC_SHA2_512_256": "SHA2-512",
}
_SWAN_GROUPS = {
    "MODP_1024": 2, "MODP_1536": 5, "MODP_2048": 14, "MODP_3072": 15, "MODP_4096": 16, "MODP_6144": 17,
    "MODP_8192": 18, "ECP_256": 19, "ECP_384": 20, "ECP_521": 21, "MODP_1024_160": 22, "MODP_2048_224": 23,
    "MODP_2048_256": 24,
}


# swanctl.conf's proposal keywords (roles/strongswan renders them from tunnel_plan's names) -> AWS's
_CONF_ENCRYPTION = {v: k for k, v in ENCRYPTION_NAMES.items()}
_CONF_INTEGRITY = {v: k for k, v in INTEGRITY_NAMES.items()}
# MODP_2048 -> modp2048, MODP_1024_160 -> modp1024s160 (strongSwan's two spellings of one group)
_CONF_GROUPS = {name.lower().replace("_", "", 1).replace("_", "s"): n for name, n in _SWAN_GROUPS.items()}


def _conf_proposals(text, phase):
    """One phase's algorithms from a swanctl.conf proposal list, in AWS's names (lists, AWS's order
    does not matter).  Phase 1's ``prf`` keywords of AEAD proposals are its integrity algorithms;
    phase 2 lists integrity only when it has a non-AEAD cipher (AEAD proposals carry none)."""
    encs, integs, groups = [], [], []
    for proposal in text.split(","):
        for token in proposal.strip().split("-"):
            if token.startswith("prf") and phase == "phase1":
                token = token[3:]
            for table, found in ((_CONF_ENCRYPTION, encs), (_CONF_INTEGRITY, integs), (_CONF_GROUPS, groups)):
                if token in table and table[token] not in found:
                    found.append(table[token])
    out = {f"{phase}_encryption_algorithms": encs}
    if integs and (phase == "phase1" or any(e not in AEAD_ENCRYPTION for e in encs)):
        out[f"{phase}_integrity_algorithms"] = integs
    if groups:
        out[f"{phase}_dh_group_numbers"] = groups
    return out


def parse_swanctl_conf(text, name=None, remote=None):
    """The configured algorithms of one connection of strongSwan ``swanctl.conf`` text as
    roles/strongswan writes it (``remote_addrs`` before ``proposals``, its child's ``esp_proposals``
    after): the connection named ``name``, or the one whose ``remote_addrs`` is ``remote`` (AWS's
    outside IP), else the first; the first ``proposals`` (phase 1) and ``esp_proposals`` (phase 2)
    after that point, in AWS's names; ``{}`` when there are none.  Additional key exchanges
    (``ke1_...``) are not read."""
    text = text or ""
    start = None
    if name:
        start = re.search(rf"^\s*{re.escape(name)}\s*\{{", text, re.M)
    elif remote:
        start = re.search(rf"^\s*remote_addrs\s*=\s*{re.escape(str(remote))}\s*$", text, re.M)
    if name or remote:
        text = text[start.end():] if start else ""
    out = {}
    for key, phase in (("proposals", "phase1"), ("esp_proposals", "phase2")):
        m = re.search(rf"^\s*{key}\s*=\s*(\S+)\s*$", text, re.M)
        if m:
            out.update(_conf_proposals(m.group(1), phase))
    return out


def _proposal(text, phase, out):
    for part in text.split("/"):
        if part in _SWAN_ENCRYPTION:
            out[f"{phase}_encryption_algorithms"] = _SWAN_ENCRYPTION[part]
        elif part in _SWAN_INTEGRITY:
            out[f"{phase}_integrity_algorithms"] = _SWAN_INTEGRITY[part]
        elif part in _SWAN_GROUPS:
            out[f"{phase}_dh_group_numbers"] = _SWAN_GROUPS[part]


def parse_swanctl_negotiated(text):
    """The negotiated algorithms of the first established IKE SA and its first installed CHILD_SA
    in ``swanctl --list-sas`` output, in AWS's names; ``{}`` when there is none.

    The IKE SA line reads ``aws-1: #3, ESTABLISHED, IKEv2, ...``, its proposal line
    ``AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048``, and the CHILD_SA line
    ``aws-1: #5, reqid 1, INSTALLED, TUNNEL, ESP:AES_GCM_16-256/MODP_2048`` (the DH group only
    after a rekey with PFS).
    """
    out = {}
    lines = (text or "").splitlines()
    for pos, line in enumerate(lines):
        m = re.match(r"^\S+: #\d+, ESTABLISHED, (IKEv[12])", line)
        if m and "ike_versions" not in out:
            out["ike_versions"] = m.group(1).lower()
            for follow in lines[pos + 1:pos + 5]:
                if re.match(r"^\s+[A-Z0-9_-]+(/[A-Z0-9_-]+)+\s*$", follow):
                    _proposal(follow.strip(), "phase1", out)
                    break
            continue
        m = re.match(r"^\s+\S+: #\d+, reqid \d+, INSTALLED, \S+, ESP:(\S+)", line)
        if m and "ike_versions" in out and "phase2_encryption_algorithms" not in out:
            _proposal(m.group(1), "phase2", out)
    return out


def _same(field, one, other):
    return normalize(field, one) == normalize(field, other)


def _allowed(field, value, allowed):
    """A negotiated value is among the allowed (a list option) or equal to it."""
    if isinstance(allowed, list):
        return str(value).upper() in {str(a).upper() for a in allowed}
    return str(value).lower() == str(allowed).lower()


def _reference(desired, aws):
    """The tunnel's options as the device should have them: the inventory's where it sets them, else AWS's."""
    return dict(aws, **{field: value for field, value in desired.items() if field in FIELDS and value is not None})


def _tunnel_differences(ip, desired, aws, device, expected=None):
    """``expected``: what the collection renders for the device's platform from the reference
    options (``devices.expected.platform_configured``), or None (strongSwan: the reference itself)."""
    differences = []
    configured = device.get("configured") or {}
    negotiated = device.get("negotiated") or {}
    judged = dict(_reference(desired, aws), **(expected or {}))
    fields = set(desired) | set(configured) | set(negotiated)
    for field in sorted(f for f in fields if f in FIELDS and f not in SECRET_FIELDS + IDENTITY_FIELDS):
        want, have = desired.get(field), aws.get(field)
        aws_ok = want is None or _same(field, want, have)
        reference = judged.get(field)
        if field in configured:
            shown = configured[field]
            device_ok = reference is None or _same(field, shown, reference)
        elif field in negotiated:
            shown = negotiated[field]
            device_ok = reference is None or _allowed(field, shown, reference)
        else:
            shown, device_ok = None, True
        if aws_ok and device_ok:
            continue
        wrong = "both" if not (aws_ok or device_ok) else ("aws" if not aws_ok else "device")
        differences.append({"tunnel": ip, "field": field, "desired": want, "aws": have, "device": shown, "wrong": wrong})
    return differences


def difference_text(difference):
    """One difference in words: 'tunnel 198.51.100.1 dpd_timeout_seconds: inventory 40, AWS 30, device 30 (wrong: both)'."""
    d = difference

    def shown(value):
        return "-" if value is None else (", ".join(map(str, value)) if isinstance(value, list) else str(value))

    return (f"tunnel {d['tunnel']} {d['field']}: inventory {shown(d['desired'])}, AWS {shown(d['aws'])}, "
            f"device {shown(d['device'])} (wrong: {d['wrong']})")


def aws_tunnel_options(connection):
    """Each tunnel's options with its ``outside_ip_address``, from a DescribeVpnConnections entry
    (CamelCase) or a ``vpn_connection_info`` entry (its merged ``tunnels``)."""
    if "tunnels" in connection:
        return [dict(t.get("options") or {}, outside_ip_address=t["outside_ip"]) for t in connection["tunnels"]]
    return current_tunnels(connection)


def _platform_expected(references, device_type, device_options, messages):
    """What the collection renders on a vendor device from the reference options, per tunnel; {} for
    strongSwan and other device types (judged on the reference itself, which they carry whole)."""
    if device_type not in READ_RENDERED:
        return {}
    try:
        return platform_configured(references, device_type, device_options)
    except ValidationError as e:
        messages.append(f"{device_type} cannot render the tunnels' options ({e}): the device is compared with them as they are")
        return {}


def drift_report(site, desired, connection, device=None, time=None, device_type=None, device_options=None):
    """The drift report of one site.

    ``desired``: the inventory's tunnel_options entries (``sitevpn_tunnel_options``);
    ``connection``: the VPN connection as DescribeVpnConnections (CamelCase) or
    ``vpn_connection_info`` returns it, or None;
    ``device``: ``{outside_ip: {"configured": {...}, "negotiated": {...}}}``, None when not read;
    ``device_type``: a vendor platform (``cisco_ios``, ``junos``, ``fortios``) is judged against what
    its renderer configures from the reference options (``devices/expected.py``), anything else
    against the reference options themselves; ``device_options``: the renderer's options
    (``os_version``).
    """
    report = {"site": site, "time": time, "ok": True, "differences": [], "messages": []}
    if not connection:
        report.update(ok=False, messages=[f"{site} has no VPN connection on AWS"])
        return report
    aws_tunnels = aws_tunnel_options(connection)
    try:
        pairs = match_tunnels(list(desired or []), aws_tunnels)
    except ValueError as e:
        report.update(ok=False, messages=[f"sitevpn_tunnel_options cannot be matched to the tunnels: {e}"])
        return report
    wanted = {t["outside_ip_address"]: tunnel_fields(entry) for dummy, entry, t in pairs}
    device = device or {}
    if not device:
        report["messages"].append("the device's running state was not read: inventory and AWS compared only")
    aws = {t["outside_ip_address"]: with_defaults(t) for t in aws_tunnels}
    expected = {}
    if device:
        references = {ip: _reference(wanted.get(ip, {}), options) for ip, options in aws.items()}
        expected = _platform_expected(references, device_type, device_options, report["messages"])
    for ip in sorted(aws, key=str):
        if device and ip not in device:
            report["messages"].append(f"tunnel {ip}: the device has no state for it")
        report["differences"] += _tunnel_differences(ip, wanted.get(ip, {}), aws[ip], device.get(ip) or {}, expected.get(ip))
    report["ok"] = not report["differences"] and not any("no state" in m for m in report["messages"])
    return report
