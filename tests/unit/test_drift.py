"""module_utils/drift: the three-way comparison with recorded device outputs (tests/unit/fixtures/drift)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ansible_collections.sitevpn.aws.plugins.module_utils.drift import drift_report
from ansible_collections.sitevpn.aws.plugins.module_utils.drift import parse_swanctl_conf
from ansible_collections.sitevpn.aws.plugins.module_utils.drift import parse_swanctl_negotiated
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import merge_tunnels

DATA = Path(__file__).resolve().parent / "fixtures" / "drift"
T1, T2 = "198.51.100.1", "198.51.100.2"


def _connection(t1=None, t2=None):
    def tunnel(ip, cidr, extra):
        return dict({"OutsideIpAddress": ip, "TunnelInsideCidr": cidr, "PreSharedKey": "secret.key.1"}, **(extra or {}))

    return {"VpnConnectionId": "vpn-1", "Options": {"TunnelOptions": [
        tunnel(T1, "169.254.10.0/30", t1), tunnel(T2, "169.254.11.0/30", t2)]}}


STRONG = {"Phase1EncryptionAlgorithms": [{"Value": "AES256"}], "Phase2EncryptionAlgorithms": [{"Value": "AES256"}],
          "IkeVersions": [{"Value": "ikev2"}]}


def _device(name):
    return {"negotiated": parse_swanctl_negotiated((DATA / name).read_text())}


def test_parse_swanctl_negotiated():
    assert parse_swanctl_negotiated((DATA / "swanctl_list_sas_cbc.txt").read_text()) == {
        "ike_versions": "ikev2",
        "phase1_encryption_algorithms": "AES256", "phase1_integrity_algorithms": "SHA2-256", "phase1_dh_group_numbers": 14,
        "phase2_encryption_algorithms": "AES256", "phase2_integrity_algorithms": "SHA2-256",
    }
    assert parse_swanctl_negotiated((DATA / "swanctl_list_sas_gcm_ikev1.txt").read_text()) == {
        "ike_versions": "ikev1",
        "phase1_encryption_algorithms": "AES128", "phase1_integrity_algorithms": "SHA1", "phase1_dh_group_numbers": 2,
        "phase2_encryption_algorithms": "AES128-GCM-16", "phase2_dh_group_numbers": 2,
    }
    assert parse_swanctl_negotiated("") == {}
    assert parse_swanctl_negotiated("aws-1: #1, CONNECTING, IKEv2, 1_i* 0_r\n") == {}


def test_no_drift():
    desired = [{"tunnel_inside_cidr": "169.254.10.0/30", "phase1_encryption_algorithms": ["AES256"],
                "phase2_encryption_algorithms": ["AES256"], "ike_versions": ["ikev2"], "pre_shared_key": "other"}]
    device = {T1: _device("swanctl_list_sas_cbc.txt"), T2: {"negotiated": {"ike_versions": "ikev2"}}}
    report = drift_report("s1", desired, _connection(STRONG), device, time="t")
    assert report == {"site": "s1", "time": "t", "ok": True, "differences": [], "messages": []}


def test_aws_changed_behind_the_collections_back():
    desired = [{"tunnel_inside_cidr": "169.254.10.0/30", "phase2_lifetime_seconds": 3600}]
    report = drift_report("s1", desired, _connection({"Phase2LifetimeSeconds": 1800}), {T1: {}, T2: {}})
    assert report["ok"] is False
    assert report["differences"] == [{"tunnel": T1, "field": "phase2_lifetime_seconds", "desired": 3600, "aws": 1800,
                                      "device": None, "wrong": "aws"}]


def test_device_negotiated_what_aws_does_not_allow():
    # AWS allows AES256 only; the device negotiated AES128 and IKEv1 with group 2 (inventory silent: AWS is the truth)
    report = drift_report("s1", [], _connection(None, STRONG), {T1: {}, T2: _device("swanctl_list_sas_gcm_ikev1.txt")})
    wrong = {(d["tunnel"], d["field"]): (d["aws"], d["device"], d["wrong"]) for d in report["differences"]}
    assert wrong == {
        (T2, "ike_versions"): (["ikev2"], "ikev1", "device"),
        (T2, "phase1_encryption_algorithms"): (["AES256"], "AES128", "device"),
        (T2, "phase2_encryption_algorithms"): (["AES256"], "AES128-GCM-16", "device"),
    }
    assert not report["ok"]


def test_configured_device_and_both_sides_wrong():
    desired = [{"outside_ip_address": T2, "dpd_timeout_seconds": 40, "phase1_dh_group_numbers": [20, 21]}]
    device = {T1: {}, T2: {"configured": {"dpd_timeout_seconds": 30, "phase1_dh_group_numbers": [21, 20]}}}
    report = drift_report("s1", desired, _connection(), device)
    assert report["differences"] == [
        {"tunnel": T2, "field": "dpd_timeout_seconds", "desired": 40, "aws": 30, "device": 30, "wrong": "both"},
        {"tunnel": T2, "field": "phase1_dh_group_numbers", "desired": [20, 21],
         "aws": [2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24], "device": [21, 20], "wrong": "aws"},
    ]


def test_secrets_never_reported_and_missing_state_named():
    report = drift_report("s1", [{"tunnel_inside_cidr": "169.254.10.0/30", "pre_shared_key": "new.key.22"}],
                          _connection(), {T1: {"configured": {"pre_shared_key": "x"}}})
    assert report["differences"] == [] and "secret.key.1" not in str(report) and "new.key.22" not in str(report)
    assert report["messages"] == [f"tunnel {T2}: the device has no state for it"] and not report["ok"]


def test_no_connection_and_unmatched_inventory():
    assert drift_report("s1", [], None)["messages"] == ["s1 has no VPN connection on AWS"]
    report = drift_report("s1", [{"outside_ip_address": "192.0.2.9"}], _connection())
    assert not report["ok"] and "cannot be matched" in report["messages"][0]


def test_vpn_connection_info_form_gives_the_same_report():
    camel = _connection({"Phase2LifetimeSeconds": 1800})
    info = {"vpn_connection_id": "vpn-1", "tunnels": merge_tunnels(camel)}
    desired = [{"tunnel_inside_cidr": "169.254.10.0/30", "phase2_lifetime_seconds": 3600}]
    assert drift_report("s1", desired, info, {T1: {}, T2: {}}) == drift_report("s1", desired, camel, {T1: {}, T2: {}})


# The strongswan role's own output (its golden files) for the connection fixtures/bgp.json.
GOLDEN = Path(__file__).resolve().parent / "roles" / "strongswan" / "golden"
BGP = Path(__file__).resolve().parent / "roles" / "strongswan" / "fixtures" / "bgp.json"


def _golden_tunnels(case="bgp-libipsec-med"):
    """{outside IP: swanctl.conf text} of each tunnel as the role wrote it (libipsec: one file per tunnel)."""
    out = {}
    for i in (1, 2):
        text = (GOLDEN / case / "strongswan" / f"tunnel{i}" / "swanctl.conf").read_text()
        out[re.search(r"remote_addrs = (\S+)", text).group(1)] = text
    return out


def test_the_configuration_the_role_writes_is_no_drift():
    conn = json.loads(BGP.read_text())
    confs = _golden_tunnels()
    device = {ip: {"configured": parse_swanctl_conf(text)} for ip, text in confs.items()}
    assert all(len(d["configured"]) >= 5 for d in device.values()), device
    report = drift_report("site-bgp", [], conn, device)
    assert report["ok"] is True and report["differences"] == [], report
    # phase 2 AEAD-only carries no integrity to compare
    aead_only = [d["configured"] for d in device.values() if d["configured"]["phase2_encryption_algorithms"] == ["AES128-GCM-16"]]
    assert aead_only and all("phase2_integrity_algorithms" not in c for c in aead_only)


def test_one_connection_of_a_shared_file_is_read_by_name_or_outside_ip():
    shared = (GOLDEN / "bgp-xfrm" / "strongswan" / "swanctl.conf").read_text()
    per_tunnel = _golden_tunnels()
    for i, ip in enumerate(per_tunnel, 1):
        name = re.search(r"^  (tunnel\d) \{", per_tunnel[ip], re.M).group(1)
        assert parse_swanctl_conf(shared, name) == parse_swanctl_conf(per_tunnel[ip]), name
        # found by its AWS outside IP, in one file or in the tunnels' files read as one text
        assert parse_swanctl_conf(shared, remote=ip) == parse_swanctl_conf(per_tunnel[ip]), ip
        assert parse_swanctl_conf("\n".join(per_tunnel.values()), remote=ip) == parse_swanctl_conf(per_tunnel[ip]), ip
    assert parse_swanctl_conf(shared, "tunnel9") == {} and parse_swanctl_conf(shared, remote="192.0.2.9") == {}


def test_a_proposal_rewritten_on_the_device_is_named_with_both_values():
    conn = json.loads(BGP.read_text())
    confs = _golden_tunnels()
    ip = sorted(confs)[1]
    line = re.search(r"^\s*proposals = (\S+)$", confs[ip], re.M).group(1)
    narrowed = ",".join("-".join(t for t in p.split("-") if not t.startswith("aes128")) for p in line.split(","))
    confs[ip] = confs[ip].replace(f"proposals = {line}", f"proposals = {narrowed}")
    device = {i: {"configured": parse_swanctl_conf(text)} for i, text in confs.items()}
    report = drift_report("site-bgp", [], conn, device)
    [diff] = report["differences"]
    assert diff["tunnel"] == ip and diff["field"] == "phase1_encryption_algorithms" and diff["wrong"] == "device"
    assert diff["desired"] is None and diff["device"] == ["AES256"]
    assert sorted(diff["aws"]) == ["AES128-GCM-16", "AES256"]
    # strongSwan carries AWS's lists whole: judged on the options themselves, never on a vendor's rendering
    assert drift_report("site-bgp", [], conn, device, device_type="strongswan") == report
