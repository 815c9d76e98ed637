"""The on-prem chain in the lab: tunnel down -> CloudWatch alarm -> SNS -> SQS -> ansible-rulebook
(the collection's vpn_events source and tunnel_events rulebook) -> playbooks/on_tunnel_event.yml ->
the device's routes and nftables object follow; recovery reverses it; reports/<site>/events.json.

The device is a network namespace holding the two tunnel interfaces with the connection's inside
addresses (what roles/strongswan leaves on a device), reached with the sitevpn.aws.netns connection.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RULEBOOK = ROOT / "extensions" / "eda" / "rulebooks" / "tunnel_events.yml"
QUEUE = "sitevpn-vpn-events"
VPC = "10.0.0.0/16"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("nft") or not (BIN / "ansible-rulebook").exists() or not shutil.which("java"),
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
def device(plan):
    name = f"svlx{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for n, tunnel in enumerate(plan["tunnels"], 1):
            for cmd in (f"link add vti{n} type veth peer name p{n}", f"link set p{n} up",
                        f"addr add {tunnel['local_inside_ip']}/30 dev vti{n}", f"link set vti{n} up"):
                subprocess.run(["ip", "-n", name, *cmd.split()], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)
        shutil.rmtree(f"/etc/netns/{name}", ignore_errors=True)


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


def _wait(predicate, timeout, what, proc, log):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s; ansible-rulebook output:\n{log.read_text()[-6000:]}")


def test_tunnel_down_and_up_reach_the_device_through_the_rulebook(lab, plan, device, tmp_path, record_property):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(json.dumps({"sites": {"hosts": {"site-static": {
        "ansible_connection": "sitevpn.aws.netns", "sitevpn_netns": device, "vpn_device_type": "strongswan",
        "ansible_python_interpreter": sys.executable, "sitevpn_cgw_ip": "203.0.113.20",
        "sitevpn_aws_endpoint_url": lab.url, "sitevpn_aws_region": "us-east-1",
        "sitevpn_aws_access_key": "testing", "sitevpn_aws_secret_key": "testing", "sitevpn_vpc_cidr": VPC,
        "sitevpn_reports_dir": str(tmp_path / "reports"), "tunnel_event_state_dir": str(tmp_path / "state"),
    }}}}))
    variables = tmp_path / "vars.yml"
    variables.write_text(json.dumps({
        "sitevpn_eda_queue_name": QUEUE, "sitevpn_eda_region": "us-east-1", "sitevpn_eda_endpoint_url": lab.url,
        "sitevpn_eda_access_key": "testing", "sitevpn_eda_secret_key": "testing",
        "sitevpn_eda_escalation_playbook": "sitevpn.aws.on_tunnel_escalation"}))
    # both tunnels up and their alarms settled (INSUFFICIENT_DATA -> OK) before the rulebook starts
    cloudwatch, sqs = lab.client("cloudwatch"), lab.client("sqs")
    for tunnel in plan["tunnels"]:
        lab.telemetry(tunnel["peer_outside_ip"], "UP")
    lab.wait_for(lambda: {a["StateValue"] for a in cloudwatch.describe_alarms()["MetricAlarms"]} == {"OK"}, timeout=30)
    sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"])
    log = tmp_path / "rulebook.log"
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=str(Path(sys.modules["ansible_collections"].__path__[0]).parent), PATH=f"{BIN}:{os.environ['PATH']}")
    with log.open("w") as out:
        proc = subprocess.Popen([str(BIN / "ansible-rulebook"), "-r", str(RULEBOOK), "-i", str(inventory), "--vars", str(variables),
                                 "--print-events"], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    events = tmp_path / "reports" / "site-static" / "events.json"
    t1, t2 = plan["tunnels"]

    def tunnel1(state):
        return [r for r in _records(events) if r["tunnel_outside_ip"] == t1["peer_outside_ip"] and r["state"] == state]

    try:
        time.sleep(8)  # ansible-rulebook (and its JVM) starting; events would wait in the queue anyway
        down_at = time.time()
        lab.telemetry(t1["peer_outside_ip"], "DOWN")
        _wait(lambda: tunnel1("DOWN"), 120, "the DOWN event on the device", proc, log)
        reaction = time.time() - down_at
        assert _routes(device) == [(VPC, t2["peer_inside_ip"], "vti2")]
        assert _carrier(device) == ["vti2"]
        up_at = time.time()
        lab.telemetry(t1["peer_outside_ip"], "UP")
        _wait(lambda: tunnel1("UP"), 120, "the UP event on the device", proc, log)
        recovery = time.time() - up_at
        assert _routes(device) == [] and _carrier(device) == ["vti1"]
        records = _records(events)
        assert [(r["state"], r["tunnel_outside_ip"], r["ok"]) for r in records] == [
            ("DOWN", t1["peer_outside_ip"], True), ("UP", t1["peer_outside_ip"], True)], records
        assert records[0]["action"] == "VPC prefixes moved to tunnel2" and records[1]["action"] == "VPC prefixes back on tunnel1"
        record_property("eda_down_to_device_s", round(reaction, 1))
        record_property("eda_up_to_device_s", round(recovery, 1))
        print(f"\ntunnel down -> device reaction {reaction:.1f} s; up -> restored {recovery:.1f} s")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
