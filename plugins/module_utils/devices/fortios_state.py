# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""FortiOS state for drift (module_utils/drift.py), in the shape ``parse_swanctl_conf`` returns:
:func:`parse_ipsec_interfaces` reads what one tunnel is configured to offer from the device's
``vpn.ipsec phase1-interface`` and ``phase2-interface`` objects, as the REST API returns them
(``fortinet.fortios.fortios_configuration_fact``: hyphenated keys, space-separated lists) or as
``devices/fortios.py`` renders them (the fortinet.fortios modules' underscored keys, lists).
The phase 1 object whose ``remote-gw`` is the AWS outside IP is the tunnel; its phase 2 objects
name it in ``phase1name``.  ``psksecret`` is never read.
"""

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import CAPABILITIES
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import aws_keywords
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import AEAD_ENCRYPTION

_CAP = CAPABILITIES["fortios"]
_ENC = aws_keywords(_CAP["ikev2_encryption"], _CAP["esp_encryption"])
_INTEG = aws_keywords(_CAP["ikev2_integrity"], _CAP["esp_integrity"])


def _get(obj, key):
    """A field by its REST (``remote-gw``) or module (``remote_gw``) name."""
    return obj.get(key, obj.get(key.replace("-", "_")))


def _words(value):
    if value is None:
        return []
    return [str(w) for w in (value if isinstance(value, list) else str(value).split())]


def _add(found, value):
    if value is not None and value not in found:
        found.append(value)


def _proposals(value, phase, out):
    """``aes256-sha256 aes256gcm-prfsha384`` (phase 1) / ``aes256gcm`` (phase 2) -> AWS's names."""
    for proposal in _words(value):
        enc, dummy, integ = proposal.partition("-")
        _add(out[f"{phase}_encryption_algorithms"], _ENC.get(enc))
        integ = integ[3:] if integ.startswith("prf") else integ
        _add(out[f"{phase}_integrity_algorithms"], _INTEG.get(integ))


def parse_ipsec_interfaces(phase1, phase2, remote):
    """What the tunnel to ``remote`` (AWS's outside IP) is configured to offer, in AWS's names (lists
    compare as sets); ``{}`` when no phase 1 interface has that ``remote-gw``."""
    p1 = next((o for o in phase1 or [] if str(_get(o, "remote-gw")) == str(remote)), None)
    if p1 is None:
        return {}
    out = {f"{phase}_{what}": [] for phase in ("phase1", "phase2")
           for what in ("encryption_algorithms", "integrity_algorithms", "dh_group_numbers")}
    _proposals(_get(p1, "proposal"), "phase1", out)
    out["phase1_dh_group_numbers"] = [int(g) for g in _words(_get(p1, "dhgrp")) if g.isdigit()]
    if _get(p1, "keylife") is not None:
        out["phase1_lifetime_seconds"] = int(_get(p1, "keylife"))
    lifetimes = []
    for p2 in (o for o in phase2 or [] if _get(o, "phase1name") == _get(p1, "name")):
        _proposals(_get(p2, "proposal"), "phase2", out)
        if _get(p2, "pfs") == "enable":
            for group in _words(_get(p2, "dhgrp")):
                _add(out["phase2_dh_group_numbers"], int(group) if group.isdigit() else None)
        if _get(p2, "keylifeseconds") is not None:
            _add(lifetimes, int(_get(p2, "keylifeseconds")))
    if len(lifetimes) == 1:
        out["phase2_lifetime_seconds"] = lifetimes[0]
    if not any(e not in AEAD_ENCRYPTION for e in out["phase2_encryption_algorithms"]):
        out["phase2_integrity_algorithms"] = []
    return {k: v for k, v in out.items() if v != []}
