"""vpn_tunnel_maintenance against the lab API (API only): report, check mode, apply one tunnel, idempotence."""

from __future__ import annotations

import json

from lab.tests.ec2_helpers import vgw_vpn_connection
from sitevpn_playbook import run_playbook, writes


def _vpn(lab):
    lab.set_settings({"state_delay_s": 0.0})
    ec2 = lab.client("ec2")
    conn = vgw_vpn_connection(ec2, 50)
    return conn["VpnConnectionId"], sorted(t["OutsideIpAddress"] for t in conn["Options"]["TunnelOptions"])


def _run(lab, tmp_path, vpn_id, apply_ip="", check=False, rc=0):
    out = tmp_path / "result.json"
    out.unlink(missing_ok=True)
    extra = {"vpn_id": vpn_id, "apply_ip": apply_ip, "result_file": str(out)}
    run = run_playbook("vpn_tunnel_maintenance/main.yml", lab.url, extra, check=check)
    assert run.rc == rc, run.output
    return run, json.loads(out.read_text()) if out.exists() else None


def _replacements(lab, vpn_id):
    conn = next(c for c in lab.vpn_connections() if c["vpn_connection_id"] == vpn_id)
    return {t["outside_ip"]: t["replacements"] for t in conn["tunnels"]}


def test_report_and_apply_one_tunnel(lab, tmp_path):
    vpn_id, ips = _vpn(lab)
    lab.maintenance(ips[1], vpn_connection_id=vpn_id, auto_applied_after="2031-05-01T02:00:00Z")

    lab.clear_requests()
    run, result = _run(lab, tmp_path, vpn_id)
    assert run.total_changed == 0 and writes(lab) == []
    assert result["pending"] == [ips[1]] and result["applied"] is None
    by_ip = {t["outside_ip"]: t for t in result["tunnels"]}
    assert by_ip[ips[1]]["maintenance_auto_applied_after"] == "2031-05-01T02:00:00+00:00"
    assert by_ip[ips[0]]["pending_maintenance"] is None and by_ip[ips[0]]["status"] == "DOWN"

    # check mode: says what it would do, changes nothing
    lab.clear_requests()
    run, result = _run(lab, tmp_path, vpn_id, ips[1], check=True)
    assert run.total_changed == 1 and writes(lab) == []
    assert result["applied"]["outside_ip"] == ips[1] and result["pending"] == []
    assert _replacements(lab, vpn_id) == {ips[0]: 0, ips[1]: 0}

    lab.clear_requests()
    run, result = _run(lab, tmp_path, vpn_id, ips[1])
    assert run.total_changed == 1
    assert writes(lab) == ["ReplaceVpnTunnel"]
    assert _replacements(lab, vpn_id) == {ips[0]: 0, ips[1]: 1}
    assert result["pending"] == [] and result["applied"]["after"]["last_maintenance_applied"]
    assert result["applied"]["before"]["pending_maintenance"]

    # nothing pending any more: no call, unchanged
    lab.clear_requests()
    run, result = _run(lab, tmp_path, vpn_id, ips[1])
    assert run.total_changed == 0 and writes(lab) == []
    assert _replacements(lab, vpn_id) == {ips[0]: 0, ips[1]: 1}


def test_unknown_tunnel_is_refused(lab, tmp_path):
    vpn_id, dummy = _vpn(lab)
    lab.clear_requests()
    run, dummy2 = _run(lab, tmp_path, vpn_id, "192.0.2.1", rc=2)
    assert "192.0.2.1 is not a tunnel outside IP of " + vpn_id in run.output
    assert writes(lab) == []
