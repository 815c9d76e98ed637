"""Drift of a FortiOS device (configured side): module_utils/devices/fortios_state.py with recorded
phase1-interface / phase2-interface objects of the REST API (tests/unit/fixtures/drift) and the
objects the collection's FortiOS renderer writes."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.filter.drift import FilterModule
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.fortios_state import parse_ipsec_interfaces
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import render_device_config
from ansible_collections.sitevpn.aws.plugins.module_utils.drift import drift_report
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

HERE = Path(__file__).resolve().parent
RECORDED = json.loads((HERE / "fixtures" / "drift" / "fortios_vpn_ipsec_interfaces.json").read_text())
_SPEC = importlib.util.spec_from_file_location("device_cases", HERE / "plugins" / "module_utils" / "device_cases.py")
cases_mod = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cases_mod)

T1, T2 = "198.51.100.1", "198.51.100.2"
FILTERS = FilterModule().filters()


def _v(values):
    return [{"Value": v} for v in values]


def test_recorded_rest_objects_read_back_and_compared():
    p1, p2 = RECORDED["phase1-interface"], RECORDED["phase2-interface"]
    assert parse_ipsec_interfaces(p1, p2, T1) == {
        "phase1_encryption_algorithms": ["AES256"], "phase1_integrity_algorithms": ["SHA2-256"],
        "phase1_dh_group_numbers": [14], "phase1_lifetime_seconds": 28800,
        "phase2_encryption_algorithms": ["AES256"], "phase2_integrity_algorithms": ["SHA2-256"],
        "phase2_dh_group_numbers": [14], "phase2_lifetime_seconds": 3600}
    t2 = parse_ipsec_interfaces(p1, p2, T2)
    assert t2["phase1_integrity_algorithms"] == ["SHA2-384"] and t2["phase1_dh_group_numbers"] == [20, 14]
    assert "phase2_integrity_algorithms" not in t2  # AEAD only
    assert parse_ipsec_interfaces(p1, p2, "192.0.2.9") == {}
    aws = {"Phase1EncryptionAlgorithms": _v(["AES256"]), "Phase1IntegrityAlgorithms": _v(["SHA2-256"]),
           "Phase1DHGroupNumbers": _v([14]), "Phase2EncryptionAlgorithms": _v(["AES256"]),
           "Phase2IntegrityAlgorithms": _v(["SHA2-256"]), "Phase2DHGroupNumbers": _v([14])}
    conn = {"VpnConnectionId": "vpn-1", "Options": {"TunnelOptions": [
        dict(aws, OutsideIpAddress=T1, TunnelInsideCidr="169.254.10.0/30", PreSharedKey="secret.key.1")]}}
    device = {T1: {"configured": FILTERS["fortios_configured"](p1, p2, remote=T1)}}
    assert drift_report("s1", [], conn, device, time="t") == {"site": "s1", "time": "t", "ok": True, "differences": [], "messages": []}
    assert "ENC" not in json.dumps(device)


def _rendered(case="bgp_nondefault_ikev1_ikev2"):
    conn, site = cases_mod.cases()[case]
    return conn, render_device_config(build_tunnel_plan(conn, site), "fortios", cases_mod.OPTIONS["fortios"])


def _configured(conn, rendered):
    return {t["OutsideIpAddress"]: {"configured": FILTERS["fortios_configured"](
        rendered["phase1_interface"], rendered["phase2_interface"], remote=t["OutsideIpAddress"])}
        for t in conn["Options"]["TunnelOptions"]}


@pytest.mark.parametrize("case", ["bgp_nondefault_ikev1_ikev2", "static_nondefault_ikev1"])
def test_the_objects_the_renderer_writes_are_no_drift(case):
    conn, rendered = _rendered(case)
    device = _configured(conn, rendered)
    assert all(len(d["configured"]) >= 6 for d in device.values()), device
    report = drift_report("s1", [], conn, device)
    assert report["ok"] is True and report["differences"] == [], report


def test_a_proposal_changed_on_the_device_is_named_with_both_values_and_no_key():
    conn, rendered = _rendered()
    changed = copy.deepcopy(rendered)
    ikev2 = cases_mod.BGP_IPS[1]
    [p1] = [o for o in changed["phase1_interface"] if o["remote_gw"] == ikev2]
    assert p1["proposal"] == ["aes256gcm-prfsha384"]
    p1["proposal"] = ["aes256gcm-prfsha256"]
    device = _configured(conn, changed)
    report = drift_report("s1", [], conn, device)
    assert report["differences"] == [{"tunnel": ikev2, "field": "phase1_integrity_algorithms", "desired": None,
                                      "aws": ["SHA2-384"], "device": ["SHA2-256"], "wrong": "device"}]
    keys = [t["PreSharedKey"] for t in conn["Options"]["TunnelOptions"]]
    assert all(k in json.dumps(rendered) for k in keys)
    assert not any(k in json.dumps([device, report]) for k in keys)


def test_filter_refuses_what_is_not_objects():
    with pytest.raises(AnsibleFilterError, match="list of objects"):
        FILTERS["fortios_configured"]("text", [], remote=T1)
    with pytest.raises(AnsibleFilterError, match="needs remote"):
        FILTERS["fortios_configured"]([], [], remote=None)
