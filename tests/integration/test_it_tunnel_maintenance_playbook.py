"""playbooks/tunnel_maintenance.yml against the lab API (API only, no data plane): maintenance announced
through the lab's control API is named, with its auto-apply date, in reports/<site>/tunnel_maintenance.json
and the site's page; without the opt-in, and in check mode, nothing is replaced."""

from __future__ import annotations

import json

from sitevpn_playbook import LAB_VGW_SITES, ROOT, run_playbook, writes

INVENTORY = LAB_VGW_SITES
PLAYBOOK = ROOT / "playbooks" / "tunnel_maintenance.yml"
SITE = "site-bgp"
WHEN = "2031-05-01T02:00:00Z"


def _replacements(lab):
    return {t["outside_ip"]: t["replacements"] for c in lab.vpn_connections() for t in c["tunnels"]}


def _site_connection(lab):
    """The BGP site's connection as provision.yml names it, made straight through the API (seconds, not a provision run)."""
    lab.set_settings({"state_delay_s": 0.0})
    ec2 = lab.client("ec2")
    cgw = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.10", BgpAsn=65000)["CustomerGateway"]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64512)["VpnGateway"]
    ec2.create_vpn_connection(
        Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
        TagSpecifications=[{"ResourceType": "vpn-connection", "Tags": [{"Key": "Name", "Value": f"sitevpn-{SITE}"}]}])
    return next(c for c in lab.vpn_connections() if c["customer_gateway_ip"] == "203.0.113.10")


def test_report_names_the_pending_tunnel_and_replaces_nothing_unasked(lab, tmp_path):
    conn = _site_connection(lab)
    ips = [t["outside_ip"] for t in conn["tunnels"]]
    lab.maintenance(ips[1], vpn_connection_id=conn["vpn_connection_id"], pending="Endpoint upgrade", auto_applied_after=WHEN)
    before = _replacements(lab)
    extra = {"sitevpn_lab_dataplane": False, "sitevpn_failover_test": False, "lockstep_reports_dir": str(tmp_path)}

    lab.clear_requests()
    run = run_playbook(PLAYBOOK, lab.url, extra, inventory=INVENTORY, limit=SITE)
    assert run.rc == 0, run.failures + run.output
    assert writes(lab) == [] and _replacements(lab) == before
    assert "Not asked for, so not done" in run.output
    rep = json.loads((tmp_path / SITE / "tunnel_maintenance.json").read_text())
    assert rep["change"] == "tunnel_maintenance" and rep["ok"] is True and rep["report_only"] is True
    assert rep["pending"] == [ips[1]] and rep["replaced"] == []
    by_ip = {t["outside_ip"]: t for t in rep["maintenance"]}
    assert by_ip[ips[1]]["pending_maintenance"] == "Endpoint upgrade"
    assert by_ip[ips[1]]["maintenance_auto_applied_after"] == "2031-05-01T02:00:00+00:00"
    assert by_ip[ips[0]]["pending_maintenance"] is None
    # tunnel 2 is the backup: it would be replaced, and only it
    assert rep["order"] == [ips[1]] and rep["vpn_connection_id"] == conn["vpn_connection_id"]
    details = {s["tunnel"]: s["detail"] for s in rep["steps"]}
    assert details[ips[1]].startswith("pending: Endpoint upgrade; AWS applies it after 2031-05-01T02:00:00+00:00")
    assert details[ips[0]] == "nothing pending"
    assert f"would replace {ips[1]} (backup first)" in " ".join(run.output.split())
    page = (tmp_path / SITE / "verify.html").read_text()
    assert "Day-2 changes" in page and "Endpoint upgrade" in page

    # check mode with the opt-in: reads, says what it would do, replaces nothing
    lab.clear_requests()
    checked = run_playbook(PLAYBOOK, lab.url, dict(extra, sitevpn_failover_test=True), inventory=INVENTORY,
                           limit=SITE, check=True)
    assert checked.rc == 0, checked.failures + checked.output
    assert "check mode: tunnel_maintenance would touch live tunnels" in checked.output
    assert writes(lab) == [] and _replacements(lab) == before
