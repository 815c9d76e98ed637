"""Drift of a Cisco IOS-XE device: module_utils/devices/cisco_ios_state.py with a recorded
``show crypto ikev2 sa detailed`` (tests/unit/fixtures/drift) and the running configuration the
collection's Cisco renderer writes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.filter.drift import FilterModule
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.cisco_ios_state import parse_ikev2_sa_detailed
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.cisco_ios_state import parse_running_crypto
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import config_text
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import render_device_config
from ansible_collections.sitevpn.aws.plugins.module_utils.drift import drift_report
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

HERE = Path(__file__).resolve().parent
SA_DETAILED = (HERE / "fixtures" / "drift" / "ios_show_crypto_ikev2_sa_detailed.txt").read_text()
_SPEC = importlib.util.spec_from_file_location("device_cases", HERE / "plugins" / "module_utils" / "device_cases.py")
cases_mod = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cases_mod)

T1, T2 = "198.51.100.1", "198.51.100.2"
FILTERS = FilterModule().filters()


def _v(values):
    return [{"Value": v} for v in values]


def _connection(t1, t2):
    return {"VpnConnectionId": "vpn-1", "Options": {"TunnelOptions": [
        dict({"OutsideIpAddress": T1, "TunnelInsideCidr": "169.254.10.0/30", "PreSharedKey": "secret.key.1"}, **t1),
        dict({"OutsideIpAddress": T2, "TunnelInsideCidr": "169.254.11.0/30", "PreSharedKey": "secret.key.2"}, **t2)]}}


CBC = {"IkeVersions": _v(["ikev2"]), "Phase1EncryptionAlgorithms": _v(["AES256"]),
       "Phase1IntegrityAlgorithms": _v(["SHA2-256"]), "Phase1DHGroupNumbers": _v([14])}
GCM = {"IkeVersions": _v(["ikev2"]), "Phase1EncryptionAlgorithms": _v(["AES256-GCM-16"]),
       "Phase1IntegrityAlgorithms": _v(["SHA2-384"]), "Phase1DHGroupNumbers": _v([20])}


def test_show_crypto_ikev2_sa_detailed_per_peer():
    assert parse_ikev2_sa_detailed(SA_DETAILED, T1) == {
        "ike_versions": "ikev2", "phase1_encryption_algorithms": "AES256",
        "phase1_integrity_algorithms": "SHA2-256", "phase1_dh_group_numbers": 14}
    # AEAD: Hash None, the PRF is the integrity AWS names
    assert parse_ikev2_sa_detailed(SA_DETAILED, T2) == {
        "ike_versions": "ikev2", "phase1_encryption_algorithms": "AES256-GCM-16",
        "phase1_integrity_algorithms": "SHA2-384", "phase1_dh_group_numbers": 20}
    assert parse_ikev2_sa_detailed(SA_DETAILED) == parse_ikev2_sa_detailed(SA_DETAILED, T1)
    assert parse_ikev2_sa_detailed(SA_DETAILED, "198.51.100.9") == {}
    assert parse_ikev2_sa_detailed(SA_DETAILED.replace("READY", "IN-NEG"), T1) == {}


def test_negotiated_as_aws_allows_is_no_drift():
    device = {ip: {"negotiated": FILTERS["cisco_ios_negotiated"](SA_DETAILED, remote=ip)} for ip in (T1, T2)}
    report = drift_report("s1", [], _connection(CBC, GCM), device, time="t")
    assert report == {"site": "s1", "time": "t", "ok": True, "differences": [], "messages": []}


def test_negotiated_outside_what_aws_allows_is_named():
    # AWS was narrowed to group 20 on tunnel 1; the device still holds the group 14 SA
    device = {ip: {"negotiated": parse_ikev2_sa_detailed(SA_DETAILED, ip)} for ip in (T1, T2)}
    report = drift_report("s1", [], _connection(dict(CBC, Phase1DHGroupNumbers=_v([20])), GCM), device)
    assert report["differences"] == [{"tunnel": T1, "field": "phase1_dh_group_numbers", "desired": None,
                                      "aws": [20], "device": 14, "wrong": "device"}]


def _rendered(case="bgp_nondefault_ikev1_ikev2"):
    conn, site = cases_mod.cases()[case]
    rendered = render_device_config(build_tunnel_plan(conn, site), "cisco_ios", cases_mod.OPTIONS["cisco_ios"])
    return conn, config_text(rendered)


def _configured(conn, text):
    return {t["OutsideIpAddress"]: {"configured": FILTERS["cisco_ios_configured"](text, remote=t["OutsideIpAddress"])}
            for t in conn["Options"]["TunnelOptions"]}


@pytest.mark.parametrize("case", ["bgp_nondefault_ikev1_ikev2", "static_nondefault_ikev1"])
def test_the_configuration_the_renderer_writes_is_no_drift(case):
    conn, text = _rendered(case)
    device = _configured(conn, text)
    assert all(len(d["configured"]) >= 8 for d in device.values()), device
    report = drift_report("s1", [], conn, device)
    assert report["ok"] is True and report["differences"] == [], report


def test_configured_ikev1_and_ikev2_tunnels_read_back():
    conn, text = _rendered()
    ikev1, ikev2 = cases_mod.BGP_IPS
    assert parse_running_crypto(text, ikev1) == {
        "phase1_encryption_algorithms": ["AES256"], "phase1_integrity_algorithms": ["SHA2-256"],
        "phase1_dh_group_numbers": [14], "phase1_lifetime_seconds": 14400,
        "phase2_encryption_algorithms": ["AES256"], "phase2_integrity_algorithms": ["SHA2-256"],
        "phase2_dh_group_numbers": [14], "phase2_lifetime_seconds": 1800, "replay_window_size": 512}
    # AEAD phase 2 carries no integrity; the GCM proposal's prf is phase 1 integrity
    assert parse_running_crypto(text, ikev2) == {
        "phase1_encryption_algorithms": ["AES256-GCM-16"], "phase1_integrity_algorithms": ["SHA2-384"],
        "phase1_dh_group_numbers": [20], "phase1_lifetime_seconds": 27000,
        "phase2_encryption_algorithms": ["AES256-GCM-16"], "phase2_dh_group_numbers": [20],
        "phase2_lifetime_seconds": 3000, "replay_window_size": 1024}
    assert parse_running_crypto(text, "192.0.2.99") == {}


def test_a_proposal_changed_on_the_device_is_named_with_both_values():
    conn, text = _rendered()
    ikev2 = cases_mod.BGP_IPS[1]
    changed = text.replace(" encryption aes-gcm-256\n prf sha384\n group 20\n",
                           " encryption aes-gcm-128\n prf sha384\n group 20\n")
    assert changed != text
    report = drift_report("s1", [], conn, _configured(conn, changed))
    assert report["ok"] is False
    assert report["differences"] == [{"tunnel": ikev2, "field": "phase1_encryption_algorithms", "desired": None,
                                      "aws": ["AES256-GCM-16"], "device": ["AES128-GCM-16"], "wrong": "device"}]
    [line] = [FILTERS["drift_line"](d) for d in report["differences"]]
    assert "AES256-GCM-16" in line and "AES128-GCM-16" in line


def test_no_pre_shared_key_in_the_state_nor_the_report():
    conn, text = _rendered()
    keys = [t["PreSharedKey"] for t in conn["Options"]["TunnelOptions"]]
    assert all(k in text for k in keys)  # the renderer writes them: the parser must leave them
    device = _configured(conn, text.replace("lifetime 27000", "lifetime 3600"))
    report = drift_report("s1", [], conn, device)
    assert [d["field"] for d in report["differences"]] == ["phase1_lifetime_seconds"]
    dumped = json.dumps([device, report])
    assert not any(k in dumped for k in keys)
    assert "pre_shared_key" not in dumped


def test_filters_refuse_what_is_not_text():
    with pytest.raises(AnsibleFilterError, match="expects a string"):
        FILTERS["cisco_ios_negotiated"](["not", "text"])
    with pytest.raises(AnsibleFilterError, match="needs remote"):
        FILTERS["cisco_ios_configured"]("", remote=None)
