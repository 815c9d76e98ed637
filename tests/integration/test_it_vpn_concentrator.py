"""vpn_concentrator against the lab API (issue 17): create, idempotence, check and diff mode, tags,
a transit gateway it cannot move to, delete."""

from __future__ import annotations

from sitevpn_playbook import run_playbook, writes


def concentrators(ec2):
    return [c for c in ec2.describe_vpn_concentrators()["VpnConcentrators"] if c["State"] != "deleted"]


def _changes_once(lab, step, name, expected_writes):
    """Check mode reports the change and writes nothing; the real run then makes exactly expected_writes."""
    lab.clear_requests()
    run = step(name, check=True)
    assert run.rc == 0 and run.total_changed == 1 and writes(lab) == [], run.output
    run = step(name)
    assert run.rc == 0 and run.total_changed == 1, run.output
    assert writes(lab) == expected_writes


def test_vpn_concentrator_lifecycle(lab):
    ec2 = lab.client("ec2")
    lab.set_settings({"state_delay_s": 0.2})
    tgw = ec2.create_transit_gateway(Description="hub")["TransitGateway"]["TransitGatewayId"]

    def step(name, check=False, diff=False, **extra):
        run = run_playbook("vpn_concentrator/main.yml", lab.url, dict({"step": name, "tgw_id": tgw}, **extra), check=check, diff=diff)
        return run

    lab.clear_requests()
    run = step("create", check=True, diff=True)
    assert run.rc == 0 and run.total_changed == 1, run.output
    assert writes(lab) == [] and concentrators(ec2) == []
    assert f"+    transit_gateway_id: {tgw}" in run.output  # the diff's after

    run = step("create")
    assert run.rc == 0 and run.total_changed == 1, run.output
    assert writes(lab) == ["CreateVpnConcentrator"]
    made = concentrators(ec2)
    assert len(made) == 1 and made[0]["State"] == "available" and made[0]["TransitGatewayId"] == tgw

    lab.clear_requests()
    run = step("create")
    assert run.rc == 0 and run.total_changed == 0, run.output
    assert writes(lab) == []

    _changes_once(lab, step, "retag", ["CreateTags"])
    assert {t["Key"]: t["Value"] for t in concentrators(ec2)[0]["Tags"]} == {"Name": "conc-it", "Env": "prod"}

    other = ec2.create_transit_gateway(Description="other")["TransitGateway"]["TransitGatewayId"]
    lab.clear_requests()
    run = run_playbook("vpn_concentrator/main.yml", lab.url, {"step": "retag", "tgw_id": other})
    assert run.rc != 0 and "cannot move" in run.output, run.output
    assert writes(lab) == []

    _changes_once(lab, step, "delete", ["DeleteVpnConcentrator"])
    assert concentrators(ec2) == []
    assert step("delete").total_changed == 0
