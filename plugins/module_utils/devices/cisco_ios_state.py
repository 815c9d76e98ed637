# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Cisco IOS-XE state for drift (module_utils/drift.py): the device's running state in AWS's names,
in the shape ``parse_swanctl_negotiated`` / ``parse_swanctl_conf`` return for strongSwan.

- :func:`parse_ikev2_sa_detailed`: what one peer (AWS outside IP) negotiated, from
  ``show crypto ikev2 sa detailed`` (phase 1 only: IOS shows the IPsec SAs elsewhere);
- :func:`parse_running_crypto`: what one tunnel is configured to offer, from the crypto section
  of ``show running-config`` as ``devices/cisco_ios.py`` renders it: the Tunnel interface whose
  ``tunnel destination`` is the AWS outside IP, its ipsec profile, transform sets, ikev2 profile
  and the ikev2 proposals named after it (IKEv2) or every isakmp policy (IKEv1: IOS offers them
  all to every peer).  Keys are never read.

The keywords are the renderer's (``common.CAPABILITIES["cisco_ios"]``), read back; IOS's defaults
that ``show running-config`` does not print are the renderer's too.
"""

from __future__ import annotations

import re

from ansible_collections.sitevpn.aws.plugins.module_utils.devices.cisco_ios import IKEV2_SA_LIFETIME_DEFAULT
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.cisco_ios import IPSEC_SA_LIFETIME_DEFAULT
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.cisco_ios import ISAKMP_HASH_DEFAULT
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.cisco_ios import ISAKMP_LIFETIME_DEFAULT
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.cisco_ios import REPLAY_WINDOW_DEFAULT
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import CAPABILITIES
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import aws_keywords
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import AEAD_ENCRYPTION

_CAP = CAPABILITIES["cisco_ios"]
_IKEV2_ENC = aws_keywords(_CAP["ikev2_encryption"])
_IKEV1_ENC = aws_keywords(_CAP["ikev1_encryption"])
_IKEV2_INTEG = aws_keywords(_CAP["ikev2_integrity"])
_IKEV1_INTEG = aws_keywords(_CAP["ikev1_integrity"])
_ESP_ENC = aws_keywords(_CAP["esp_encryption"])
_ESP_INTEG = aws_keywords(_CAP["esp_integrity"])

# "show crypto ikev2 sa detailed": "Encr: AES-GCM, keysize: 256" -> the renderer's keyword
_SA_ENC = {("AES-CBC", "128"): "aes-cbc-128", ("AES-CBC", "256"): "aes-cbc-256",
           ("AES-GCM", "128"): "aes-gcm-128", ("AES-GCM", "256"): "aes-gcm-256"}


def _add(found, value):
    if value is not None and value not in found:
        found.append(value)


def parse_ikev2_sa_detailed(text, remote=None):
    """The phase 1 algorithms of the first READY IKEv2 SA with ``remote`` (the AWS outside IP; any
    peer when None) in ``show crypto ikev2 sa detailed`` output, in AWS's names, one value per field;
    ``{}`` when there is none.  The SA line reads ``1  192.0.2.10/500  198.51.100.1/500  none/none
    READY``, the next ``Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH Grp:14, ...``."""
    lines = (text or "").splitlines()
    for pos, line in enumerate(lines):
        m = re.match(r"^\s*\d+\s+\S+/\d+\s+(\S+)/\d+\s+\S+\s+READY\b", line)
        if not m or (remote and m.group(1) != str(remote)):
            continue
        for follow in lines[pos + 1:pos + 4]:
            alg = re.search(r"Encr:\s*([\w-]+),\s*keysize:\s*(\d+),\s*PRF:\s*(\w+),\s*Hash:\s*(\w+),\s*DH Grp:\s*(\d+)", follow)
            if not alg:
                continue
            out = {"ike_versions": "ikev2"}
            enc = _IKEV2_ENC.get(_SA_ENC.get((alg.group(1).upper(), alg.group(2))))
            if enc:
                out["phase1_encryption_algorithms"] = enc
            # AEAD: no Hash; the PRF is what AWS calls phase 1 integrity
            integ = _IKEV2_INTEG.get(alg.group(3).lower()) or _IKEV2_INTEG.get(alg.group(4).lower())
            if integ:
                out["phase1_integrity_algorithms"] = integ
            out["phase1_dh_group_numbers"] = int(alg.group(5))
            return out
    return {}


def running_blocks(text):
    """``[(top-level line, [its lines, nested ones with their parent's words first])]``."""
    blocks, parents = [], []
    for raw in str(text or "").splitlines():
        line = raw.rstrip()
        if not line.strip() or line.strip() == "!":
            continue
        depth = len(line) - len(line.lstrip(" "))
        if depth == 0:
            blocks.append((line, []))
            parents = []
            continue
        if not blocks:
            continue
        parents = [p for p in parents if p[0] < depth]
        blocks[-1][1].append(" ".join([p[1] for p in parents] + [line.strip()]))
        parents.append((depth, line.strip()))
    return blocks


def _children(blocks, header):
    for head, lines in blocks:
        if head == header:
            return lines
    return None


def _value(lines, prefix):
    for line in lines or []:
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return None


def _transform(words, out):
    """``esp-aes 256 esp-sha256-hmac`` -> encryption and integrity in AWS's names."""
    k = 0
    while k < len(words):
        keyword = words[k]
        if k + 1 < len(words) and words[k + 1].isdigit():
            keyword, k = f"{keyword} {words[k + 1]}", k + 1
        if keyword in _ESP_ENC:
            _add(out["phase2_encryption_algorithms"], _ESP_ENC[keyword])
        elif keyword in _ESP_INTEG:
            _add(out["phase2_integrity_algorithms"], _ESP_INTEG[keyword])
        k += 1


def _groups(value):
    return [int(g) for g in (value or "").split() if g.isdigit()]


def _ikev2_phase1(blocks, name, out):
    for proposal in (name, f"{name}-GCM"):
        lines = _children(blocks, f"crypto ikev2 proposal {proposal}")
        if lines is None:
            continue
        for enc in (_value(lines, "encryption ") or "").split():
            _add(out["phase1_encryption_algorithms"], _IKEV2_ENC.get(enc))
        for key in ("integrity ", "prf "):
            for integ in (_value(lines, key) or "").split():
                _add(out["phase1_integrity_algorithms"], _IKEV2_INTEG.get(integ))
        for group in _groups(_value(lines, "group ")):
            _add(out["phase1_dh_group_numbers"], group)
    profile = _children(blocks, f"crypto ikev2 profile {name}")
    lifetime = _value(profile, "lifetime ")
    out["phase1_lifetime_seconds"] = int(lifetime) if lifetime else IKEV2_SA_LIFETIME_DEFAULT


def _ikev1_phase1(blocks, out):
    lifetimes = []
    for head, lines in blocks:
        if not re.match(r"^crypto isakmp policy \d+$", head):
            continue
        _add(out["phase1_encryption_algorithms"], _IKEV1_ENC.get(_value(lines, "encr ")))
        _add(out["phase1_integrity_algorithms"], _IKEV1_INTEG.get(_value(lines, "hash ") or ISAKMP_HASH_DEFAULT))
        for group in _groups(_value(lines, "group ")):
            _add(out["phase1_dh_group_numbers"], group)
        _add(lifetimes, int(_value(lines, "lifetime ") or ISAKMP_LIFETIME_DEFAULT))
    if len(lifetimes) == 1:
        out["phase1_lifetime_seconds"] = lifetimes[0]


def parse_running_crypto(text, remote):
    """What the tunnel to ``remote`` (AWS's outside IP) is configured to offer, in AWS's names
    (lists compare as sets); ``{}`` when no Tunnel interface has that ``tunnel destination``."""
    blocks = running_blocks(text)
    profile = None
    for head, lines in blocks:
        if head.startswith("interface ") and f"tunnel destination {remote}" in lines:
            profile = _value(lines, "tunnel protection ipsec profile ")
            break
    ipsec = _children(blocks, f"crypto ipsec profile {profile}") if profile else None
    if ipsec is None:
        return {}
    out = {f"{phase}_{what}": [] for phase in ("phase1", "phase2")
           for what in ("encryption_algorithms", "integrity_algorithms", "dh_group_numbers")}
    for ts in (_value(ipsec, "set transform-set ") or "").split():
        for head, dummy in blocks:
            if head.startswith(f"crypto ipsec transform-set {ts} "):
                _transform(head.split()[4:], out)
    if not any(e not in AEAD_ENCRYPTION for e in out["phase2_encryption_algorithms"]):
        del out["phase2_integrity_algorithms"]
    pfs = _value(ipsec, "set pfs group")
    out["phase2_dh_group_numbers"] = [int(pfs)] if pfs and pfs.isdigit() else []
    out["phase2_lifetime_seconds"] = int(_value(ipsec, "set security-association lifetime seconds ") or IPSEC_SA_LIFETIME_DEFAULT)
    out["replay_window_size"] = int(_value(ipsec, "set security-association replay window-size ") or REPLAY_WINDOW_DEFAULT)
    ikev2 = _value(ipsec, "set ikev2-profile ")
    # no ike_versions: a tunnel is configured for one version where AWS allows a list
    if ikev2:
        _ikev2_phase1(blocks, ikev2, out)
    elif _value(ipsec, "set isakmp-profile "):
        _ikev1_phase1(blocks, out)
    return {k: v for k, v in out.items() if v != []}
