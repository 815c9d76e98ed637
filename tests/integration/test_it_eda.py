"""The on-prem chain in the lab: tunnel down -> CloudWatch alarm -> SNS -> SQS -> ansible-rulebook
(the collection's vpn_events source and tunnel_events rulebook, started by tests/integration/rulebook.py)
-> playbooks/on_tunnel_event.yml -> the device's routes and nftables object follow; recovery reverses it;
reports/<site>/events.json. Each step is proven and timed by roles/failover_test's chain.yml.

The device is a network namespace holding the two tunnel interfaces with the connection's inside
addresses (what roles/strongswan leaves on a device), reached with the sitevpn.aws.netns connection.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan
from rulebook import missing, rulebook
from sitevpn_playbook import run_playbook

QUEUE = "sitevpn-vpn-events"
VPC = "10.0.0.0/16"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("nft") or missing() is not None,
    reason="needs root, nft, java and ansible-rulebook in the venv",
)


def _static_connection(lab):
    ec2 = lab.client("ec2")
    cgw = ec2.create_customer_gateway(BgpAsn=65001, IpAddress="203.0.113.20", Type="ipsec.1")["CustomerGateway"]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]
    vpn = ec2.create_vpn_connection(CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
                                    Type="ipsec.1", Options={"StaticRoutesOnly": True})["VpnConnection"]
    lab.wait_for(lambda: ec2.describe_vpn_connections(VpnConnectionIds=[vpn["VpnConnectionId"]])["VpnConnections"][0]["State"] == "available")
    conn = ec2.describe_vpn_connections(VpnConnectionIds=[vpn["VpnConnectionId"]])["VpnConnections"][0]
    return build_tunnel_plan(conn, {"name": "site-static", "vpc_prefixes": [VPC]})


def _monitoring(lab, plan):
    """What roles/monitoring makes: topic, queue subscribed to it, a TunnelState alarm per tunnel."""
    sns, sqs, cloudwatch = lab.client("sns"), lab.client("sqs"), lab.client("cloudwatch")
    topic = sns.create_topic(Name=QUEUE)["TopicArn"]
    url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    for tunnel in plan["tunnels"]:
        cloudwatch.put_metric_alarm(
            AlarmName=f"sitevpn-vpn-site-static-tunnel{tunnel['index']}-down", Namespace="AWS/VPN", MetricName="TunnelState",
            Dimensions=[{"Name": "VpnId", "Value": plan["vpn_connection_id"]}, {"Name": "TunnelIpAddress", "Value": tunnel["peer_outside_ip"]}],
            Statistic="Minimum", Period=60, EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="LessThanThreshold",
            AlarmActions=[topic], OKActions=[topic])


@pytest.fixture
def device(plan, tunnel_device):
    return tunnel_device(plan)


@pytest.fixture
def plan(lab):
    lab.set_settings({"time_factor": 30.0})  # a 60 s alarm period lasts 2 s
    plan = _static_connection(lab)
    _monitoring(lab, plan)
    return plan


def _routes(ns):
    out = subprocess.run(["ip", "-n", ns, "-j", "-4", "route", "show", "proto", "77"], capture_output=True, text=True, check=True).stdout
    return sorted((r["dst"], r.get("gateway"), r["dev"]) for r in json.loads(out or "[]"))


def _carrier(ns):
    out = subprocess.run(["ip", "netns", "exec", ns, "nft", "-j", "list", "set", "inet", "sitevpn", "vpc_tunnel_interfaces"],
                         capture_output=True, text=True, check=False).stdout
    if not out:
        return None
    return [x for x in json.loads(out)["nftables"] if "set" in x][0]["set"].get("elem", [])


def _records(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return []


def _chain(lab, inventory, tmp_path, phase, since, plan, tunnel):
    """roles/failover_test's chain.yml with the on-prem step (no failover Lambda in this lab)."""
    out = tmp_path / f"chain-{phase}.json"
    run = run_playbook("chain/main.yml", lab.url, {
        "chain_phase": phase, "chain_since": since, "chain_tunnel_ip": tunnel["peer_outside_ip"],
        "chain_connection_id": plan["vpn_connection_id"], "chain_output": str(out),
        "failover_test_onprem_events": True, "failover_test_chain_function_name": "",
        "failover_test_chain_timeout": 60, "failover_test_chain_onprem_timeout": 150, "failover_test_chain_delay": 0.5},
        inventory=inventory, timeout=400)
    assert run.rc == 0, run.failures + run.output
    return {s["step"]: s for s in json.loads(out.read_text())}


def test_tunnel_down_and_up_reach_the_device_through_the_rulebook(lab, plan, device, tmp_path, record_property):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(json.dumps({"sites": {"hosts": {"site-static": {
        "ansible_connection": "sitevpn.aws.netns", "sitevpn_netns": device, "vpn_device_type": "strongswan",
        "ansible_python_interpreter": sys.executable, "sitevpn_cgw_ip": "203.0.113.20",
        "sitevpn_aws_endpoint_url": lab.url, "sitevpn_aws_region": "us-east-1",
        "sitevpn_aws_access_key": "testing", "sitevpn_aws_secret_key": "testing", "sitevpn_vpc_cidr": VPC,
        "sitevpn_reports_dir": str(tmp_path / "reports"), "tunnel_event_state_dir": str(tmp_path / "state"),
    }}}}))
    # both tunnels up and their alarms settled (INSUFFICIENT_DATA -> OK) before the rulebook starts
    cloudwatch = lab.client("cloudwatch")
    for tunnel in plan["tunnels"]:
        lab.telemetry(tunnel["peer_outside_ip"], "UP")
    lab.wait_for(lambda: {a["StateValue"] for a in cloudwatch.describe_alarms()["MetricAlarms"]} == {"OK"}, timeout=30)
    events = tmp_path / "reports" / "site-static" / "events.json"
    t1, t2 = plan["tunnels"]

    # no lab data plane here: the inventory above names the device (state_dir: an empty lab)
    with rulebook(lab.url, state_dir=tmp_path / "no-lab", inventory=inventory, workdir=tmp_path / "eda") as eda:
        down_at = time.time()
        lab.telemetry(t1["peer_outside_ip"], "DOWN")
        down = _chain(lab, inventory, tmp_path, "down", down_at, plan, t1)
        assert [s["step"] for s in down.values()] == ["alarm ALARM", "SNS notification (ALARM)", "on-prem reaction: routes + firewall object"]
        assert all(s["ok"] for s in down.values()), (down, eda.output()[-6000:])
        assert _routes(device) == [(VPC, t2["peer_inside_ip"], "vti2")]
        assert _carrier(device) == ["vti2"]
        up_at = time.time()
        lab.telemetry(t1["peer_outside_ip"], "UP")
        up = _chain(lab, inventory, tmp_path, "restore", up_at, plan, t1)
        assert all(s["ok"] for s in up.values()), (up, eda.output()[-6000:])
        assert _routes(device) == [] and _carrier(device) == ["vti1"]
    assert not eda.alive()
    records = _records(events)
    assert [(r["state"], r["tunnel_outside_ip"], r["ok"]) for r in records] == [
        ("DOWN", t1["peer_outside_ip"], True), ("UP", t1["peer_outside_ip"], True)], records
    assert records[0]["action"] == "VPC prefixes moved to tunnel2" and records[1]["action"] == "VPC prefixes back on tunnel1"
    reaction = down["on-prem reaction: routes + firewall object"]["seconds"]
    recovery = up["on-prem reaction: routes + firewall object"]["seconds"]
    record_property("eda_down_to_alarm_s", down["alarm ALARM"]["seconds"])
    record_property("eda_down_to_device_s", reaction)
    record_property("eda_up_to_device_s", recovery)
    print(f"\ntunnel down -> alarm {down['alarm ALARM']['seconds']} s, device reaction {reaction} s; up -> restored {recovery} s")
