# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Junos (SRX) state for drift (module_utils/drift.py), in the shape ``parse_swanctl_negotiated`` /
``parse_swanctl_conf`` return:

- :func:`parse_ike_sa_detail`: what one peer (AWS outside IP) negotiated, from ``show security ike
  security-associations detail`` (phase 1);
- :func:`parse_security_set`: what one tunnel is configured to offer, from ``show configuration
  security | display set`` as ``devices/junos.py`` renders it: the ``security ike gateway`` whose
  ``address`` is the AWS outside IP, its ike policy's proposals, and the ``security ipsec vpn`` of
  that gateway with its ipsec policy's proposals.  Keys are never read.
"""

from __future__ import annotations

import re

from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import CAPABILITIES
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import aws_keywords
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import AEAD_ENCRYPTION

_CAP = CAPABILITIES["junos"]
_IKE_ENC = aws_keywords(_CAP["ikev2_encryption"], _CAP["ikev1_encryption"])
_IKE_INTEG = aws_keywords(_CAP["ikev2_integrity"], _CAP["ikev1_integrity"])
_ESP_ENC = aws_keywords(_CAP["esp_encryption"])
_ESP_INTEG = aws_keywords(_CAP["esp_integrity"])

# "show security ike security-associations detail" spells the algorithms its own way
_SA_ENC = {"aes128-cbc": "AES128", "aes256-cbc": "AES256", "aes128-gcm": "AES128-GCM-16", "aes256-gcm": "AES256-GCM-16"}
_SA_INTEG = {"hmac-sha1": "SHA1", "hmac-sha256": "SHA2-256", "hmac-sha384": "SHA2-384", "hmac-sha512": "SHA2-512"}


def _sa_integ(value):
    """``hmac-sha256-128`` (authentication) or ``hmac-sha256`` (PRF) -> AWS's name."""
    m = re.match(r"^(hmac-sha\d+)", value or "")
    return _SA_INTEG.get(m.group(1)) if m else None


def parse_ike_sa_detail(text, remote=None):
    """The phase 1 algorithms of the first UP IKE SA with ``remote`` (AWS's outside IP; any peer when
    None), in AWS's names, one value per field; ``{}`` when there is none.  An SA starts with ``IKE
    peer 198.51.100.1, Index 1, Gateway Name: ...``; its ``Algorithms:`` list follows."""
    sas = re.split(r"^(?=IKE peer )", text or "", flags=re.M)
    for sa in sas:
        m = re.match(r"^IKE peer (\S+?),", sa)
        if not m or (remote and m.group(1) != str(remote)) or not re.search(r"State:\s*UP\b", sa):
            continue
        fields = dict(re.findall(r"^\s*(Exchange type|Authentication|Encryption|Pseudo random function|Diffie-Hellman group)\s*:\s*([^,\n]+)",
                                 sa, re.M))
        out = {"ike_versions": "ikev2" if fields.get("Exchange type", "").strip().upper() == "IKEV2" else "ikev1"}
        enc = _SA_ENC.get(fields.get("Encryption", "").strip().lower())
        if enc:
            out["phase1_encryption_algorithms"] = enc
        # AEAD: no authentication algorithm; the PRF is what AWS calls phase 1 integrity
        integ = _sa_integ(fields.get("Authentication", "").strip()) or _sa_integ(fields.get("Pseudo random function", "").strip())
        if integ:
            out["phase1_integrity_algorithms"] = integ
        group = re.search(r"(\d+)$", fields.get("Diffie-Hellman group", "").strip())
        if group:
            out["phase1_dh_group_numbers"] = int(group.group(1))
        return out
    return {}


def _statements(text):
    """``{(kind, name): [the rest of each set line]}`` for ``set security <kind> <name> ...``."""
    out = {}
    for line in str(text or "").splitlines():
        words = line.split()
        if len(words) > 4 and words[:2] == ["set", "security"] and words[2] in ("ike", "ipsec"):
            out.setdefault((f"{words[2]} {words[3]}", words[4]), []).append(words[5:])
    return out


def _values(statements, kind, name, *keys):
    """The values after ``keys`` (``[ a b ]`` lists flattened)."""
    found = []
    for rest in statements.get((kind, name), []):
        if tuple(rest[:len(keys)]) == keys:
            found += [w for w in rest[len(keys):] if w not in ("[", "]")]
    return found


def _add(found, value):
    if value is not None and value not in found:
        found.append(value)


def _proposals(statements, kind, names, enc_table, integ_table, phase, out):
    lifetimes = []
    for name in names:
        for enc in _values(statements, kind, name, "encryption-algorithm"):
            _add(out[f"{phase}_encryption_algorithms"], enc_table.get(enc))
        for integ in _values(statements, kind, name, "authentication-algorithm"):
            _add(out[f"{phase}_integrity_algorithms"], integ_table.get(integ))
        for group in _values(statements, kind, name, "dh-group"):
            _add(out[f"{phase}_dh_group_numbers"], int(group[5:]) if group[5:].isdigit() else None)
        for lifetime in _values(statements, kind, name, "lifetime-seconds"):
            _add(lifetimes, int(lifetime))
    if len(lifetimes) == 1:
        out[f"{phase}_lifetime_seconds"] = lifetimes[0]


def parse_security_set(text, remote):
    """What the tunnel to ``remote`` (AWS's outside IP) is configured to offer, in AWS's names (lists
    compare as sets); ``{}`` when no ike gateway has that address."""
    st = _statements(text)
    gateway = next((name for (kind, name), lines in st.items()
                    if kind == "ike gateway" and ["address", str(remote)] in lines), None)
    if gateway is None:
        return {}
    out = {f"{phase}_{what}": [] for phase in ("phase1", "phase2")
           for what in ("encryption_algorithms", "integrity_algorithms", "dh_group_numbers")}
    for policy in _values(st, "ike gateway", gateway, "ike-policy"):
        _proposals(st, "ike proposal", _values(st, "ike policy", policy, "proposals"), _IKE_ENC, _IKE_INTEG, "phase1", out)
    vpn = next((name for (kind, name), lines in st.items() if kind == "ipsec vpn" and ["ike", "gateway", gateway] in lines), None)
    for policy in _values(st, "ipsec vpn", vpn, "ike", "ipsec-policy") if vpn else []:
        _proposals(st, "ipsec proposal", _values(st, "ipsec policy", policy, "proposals"), _ESP_ENC, _ESP_INTEG, "phase2", out)
        for group in _values(st, "ipsec policy", policy, "perfect-forward-secrecy", "keys"):
            _add(out["phase2_dh_group_numbers"], int(group[5:]) if group[5:].isdigit() else None)
    if not any(e not in AEAD_ENCRYPTION for e in out["phase2_encryption_algorithms"]):
        out["phase2_integrity_algorithms"] = []
    return {k: v for k, v in out.items() if v != []}
