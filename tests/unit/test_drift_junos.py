"""Drift of a Junos (SRX) device: module_utils/devices/junos_state.py with a recorded
``show security ike security-associations detail`` (tests/unit/fixtures/drift) and the configuration
the collection's Junos renderer writes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.filter.drift import FilterModule
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.junos_state import parse_ike_sa_detail
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.junos_state import parse_security_set
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import config_text
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import render_device_config
from ansible_collections.sitevpn.aws.plugins.module_utils.drift import drift_report
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

HERE = Path(__file__).resolve().parent
SA_DETAIL = (HERE / "fixtures" / "drift" / "junos_show_security_ike_sa_detail.txt").read_text()
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


def test_show_security_ike_sa_detail_per_peer():
    assert parse_ike_sa_detail(SA_DETAIL, T1) == {
        "ike_versions": "ikev2", "phase1_encryption_algorithms": "AES256",
        "phase1_integrity_algorithms": "SHA2-256", "phase1_dh_group_numbers": 14}
    # AEAD: no authentication algorithm, the PRF is the integrity AWS names
    assert parse_ike_sa_detail(SA_DETAIL, T2) == {
        "ike_versions": "ikev2", "phase1_encryption_algorithms": "AES256-GCM-16",
        "phase1_integrity_algorithms": "SHA2-384", "phase1_dh_group_numbers": 20}
    assert parse_ike_sa_detail(SA_DETAIL) == parse_ike_sa_detail(SA_DETAIL, T1)
    assert parse_ike_sa_detail(SA_DETAIL, "198.51.100.9") == {}
    assert parse_ike_sa_detail(SA_DETAIL.replace("State: UP", "State: DOWN"), T1) == {}
    assert parse_ike_sa_detail(SA_DETAIL.replace("Exchange type: IKEv2", "Exchange type: Main"), T1)["ike_versions"] == "ikev1"


def test_negotiated_as_aws_allows_is_no_drift_and_outside_it_is_named():
    device = {ip: {"negotiated": FILTERS["junos_negotiated"](SA_DETAIL, remote=ip)} for ip in (T1, T2)}
    assert drift_report("s1", [], _connection(CBC, GCM), device, time="t") == {
        "site": "s1", "time": "t", "ok": True, "differences": [], "messages": []}
    report = drift_report("s1", [], _connection(CBC, dict(GCM, Phase1IntegrityAlgorithms=_v(["SHA2-512"]))), device)
    assert report["differences"] == [{"tunnel": T2, "field": "phase1_integrity_algorithms", "desired": None,
                                      "aws": ["SHA2-512"], "device": "SHA2-384", "wrong": "device"}]


def _rendered(case="bgp_nondefault_ikev1_ikev2"):
    conn, site = cases_mod.cases()[case]
    return conn, config_text(render_device_config(build_tunnel_plan(conn, site), "junos", cases_mod.OPTIONS["junos"]))


def _configured(conn, text):
    return {t["OutsideIpAddress"]: {"configured": FILTERS["junos_configured"](text, remote=t["OutsideIpAddress"])}
            for t in conn["Options"]["TunnelOptions"]}


@pytest.mark.parametrize("case", ["bgp_nondefault_ikev1_ikev2", "static_nondefault_ikev1"])
def test_the_configuration_the_renderer_writes_is_no_drift(case):
    conn, text = _rendered(case)
    device = _configured(conn, text)
    assert all(len(d["configured"]) >= 6 for d in device.values()), device
    report = drift_report("s1", [], conn, device)
    assert report["ok"] is True and report["differences"] == [], report


def test_configured_tunnels_read_back():
    conn, text = _rendered()
    ikev1, ikev2 = cases_mod.BGP_IPS
    assert parse_security_set(text, ikev1) == {
        "phase1_encryption_algorithms": ["AES256"], "phase1_integrity_algorithms": ["SHA2-256"],
        "phase1_dh_group_numbers": [14], "phase1_lifetime_seconds": 14400,
        "phase2_encryption_algorithms": ["AES256"], "phase2_integrity_algorithms": ["SHA2-256"],
        "phase2_dh_group_numbers": [14], "phase2_lifetime_seconds": 1800}
    # a GCM IKE proposal carries no authentication-algorithm on Junos: nothing to compare
    assert parse_security_set(text, ikev2) == {
        "phase1_encryption_algorithms": ["AES256-GCM-16"], "phase1_dh_group_numbers": [20], "phase1_lifetime_seconds": 27000,
        "phase2_encryption_algorithms": ["AES256-GCM-16"], "phase2_dh_group_numbers": [20], "phase2_lifetime_seconds": 3000}
    assert parse_security_set(text, "192.0.2.99") == {}


def test_a_proposal_changed_on_the_device_is_named_with_both_values_and_no_key():
    conn, text = _rendered()
    ikev1 = cases_mod.BGP_IPS[0]
    changed = text.replace("dh-group group14", "dh-group group2")
    assert changed != text
    device = _configured(conn, changed)
    report = drift_report("s1", [], conn, device)
    assert report["differences"] == [{"tunnel": ikev1, "field": "phase1_dh_group_numbers", "desired": None,
                                      "aws": [14], "device": [2], "wrong": "device"}]
    keys = [t["PreSharedKey"] for t in conn["Options"]["TunnelOptions"]]
    assert all(k in text for k in keys)
    assert not any(k in json.dumps([device, report]) for k in keys)


def test_filters_refuse_what_is_not_text():
    with pytest.raises(AnsibleFilterError, match="expects a string"):
        FILTERS["junos_negotiated"](42)
    with pytest.raises(AnsibleFilterError, match="needs remote"):
        FILTERS["junos_configured"]("", remote="")
