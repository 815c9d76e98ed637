"""Overlapping runs of playbooks/provision.yml (issue 16, item 12), API only, creates slowed down so
that the race is real:

- two runs of both lab sites at once: the second waits for the first's lock (sitevpn.aws.run_lock),
  so each resource is created once, the second run changes nothing, and teardown.yml leaves none;
- the duplicates an overlap leaves where no lock reaches (a killed run's create landing after the
  next run's): the next run deletes the unused ones it can tell are the collection's (a VPC with its
  tagged route table, a VPN gateway, a VPN connection), keeps one of each, and the run after it
  changes nothing; teardown.yml then leaves none.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter

from lab_counts import assert_converged, everything
from sitevpn_playbook import BIN, LAB_VGW_SITES, RECAP, ROOT, run_playbook

PROVISION = ROOT / "playbooks" / "provision.yml"
TEARDOWN = ROOT / "playbooks" / "teardown.yml"
INVENTORY = LAB_VGW_SITES
API_ONLY = {"sitevpn_lab_dataplane": False}
SLOW_CREATES = {
    "actions": {
        action: {"latency_ms": 1200}
        for action in ("CreateVpc", "CreateVpnGateway", "CreateCustomerGateway", "CreateVpnConnection")
    }
}
CREATES = ("CreateVpc", "CreateVpnGateway", "CreateCustomerGateway", "CreateVpnConnection")
NOTHING = {"vpcs": 0, "vpn_gateways": 0, "customer_gateways": 0, "vpn_connections": 0}


def extra(lab, lock_dir):
    return dict(API_ONLY, sitevpn_aws_endpoint_url=lab.url, sitevpn_lock_dir=str(lock_dir))


def start(lab, lock_dir, log):
    cmd = [str(BIN / "ansible-playbook"), str(PROVISION), "-i", str(INVENTORY), "-e", json.dumps(extra(lab, lock_dir))]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.pop("ANSIBLE_STDOUT_CALLBACK", None)
    return subprocess.Popen(  # pylint: disable=consider-using-with
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def creates(lab):
    return Counter(r["action"] for r in lab.requests()["requests"] if r["action"] in CREATES and r["status"] == 200)


def teardown_leaves_nothing(lab, lock_dir):
    run = run_playbook(TEARDOWN, lab.url, extra(lab, lock_dir), inventory=INVENTORY, timeout=240)
    assert run.rc == 0, run.failures + run.output[-4000:]
    assert {kind: len(items) for kind, items in everything(lab).items()} == NOTHING


def test_two_runs_at_once_create_each_resource_once(lab, tmp_path):
    lab.set_faults(SLOW_CREATES)
    lab.clear_requests()
    outputs = [tmp_path / "run1.log", tmp_path / "run2.log"]
    with open(outputs[0], "w", encoding="utf-8") as log1, open(outputs[1], "w", encoding="utf-8") as log2:
        runs = [start(lab, tmp_path / "locks", log1), start(lab, tmp_path / "locks", log2)]
        codes = [proc.wait(timeout=180) for proc in runs]
    texts = [path.read_text(encoding="utf-8") for path in outputs]
    lab.clear_faults()
    assert codes == [0, 0], "\n".join(t[-3000:] for t in texts)
    # Serialised: one create of each resource in all, and the run that waited found everything in place.
    assert creates(lab) == {"CreateVpc": 1, "CreateVpnGateway": 1, "CreateCustomerGateway": 2, "CreateVpnConnection": 2}
    changed = sorted(sum(int(m.group(3)) for m in RECAP.finditer(text)) for text in texts)
    assert changed[0] == 0 and changed[1] > 0, changed
    assert_converged(lab, sites=2)
    teardown_leaves_nothing(lab, tmp_path / "locks")


def inject_late_creates(lab):
    """What a killed run's modules leave when their creates land after the next run's: a second VPC
    (its main route table tagged, as that run went on to do), VPN gateway and VPN connection, with
    the collection's names and tags."""
    ec2 = lab.client("ec2")
    tags = {"Project": "sitevpn"}

    def spec(kind, name, **more):
        return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in dict(tags, Name=name, **more).items()]}]

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=spec("vpc", "sitevpn-vpc"))["Vpc"]["VpcId"]
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]["RouteTableId"]
    ec2.create_tags(Resources=[main], Tags=[{"Key": "Name", "Value": "sitevpn-rt"}, {"Key": "Project", "Value": "sitevpn"}])
    vgw = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64512, TagSpecifications=spec("vpn-gateway", "sitevpn-vgw"))
    live = [c for c in ec2.describe_vpn_connections()["VpnConnections"] if c["State"] in ("pending", "available")]
    site = next(c for c in live if {"Key": "Site", "Value": "site-bgp"} in c.get("Tags", []))
    conn = ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=site["CustomerGatewayId"],
        VpnGatewayId=site["VpnGatewayId"],
        Options={"StaticRoutesOnly": False},
        TagSpecifications=spec("vpn-connection", "sitevpn-site-bgp", Site="site-bgp"),
    )
    return {vpc, vgw["VpnGateway"]["VpnGatewayId"], conn["VpnConnection"]["VpnConnectionId"], site["VpnConnectionId"]}


def test_next_run_converges_the_duplicates_an_overlap_left(lab, tmp_path):
    locks = tmp_path / "locks"
    first = run_playbook(PROVISION, lab.url, extra(lab, locks), inventory=INVENTORY, timeout=180)
    assert first.rc == 0, first.failures + first.output[-4000:]
    injected = inject_late_creates(lab)
    assert {kind: len(items) for kind, items in everything(lab).items()} == {
        "vpcs": 2, "vpn_gateways": 2, "customer_gateways": 2, "vpn_connections": 3
    }

    lab.clear_requests()
    converge = run_playbook(PROVISION, lab.url, extra(lab, locks), inventory=INVENTORY, timeout=180)
    assert converge.rc == 0, converge.failures + converge.output[-4000:]
    deletes = Counter(r["action"] for r in lab.requests()["requests"] if r["write"] and r["action"].startswith("Delete"))
    assert deletes == {"DeleteVpc": 1, "DeleteVpnGateway": 1, "DeleteVpnConnection": 1}, deletes
    assert "runs overlapped" in converge.output
    assert_converged(lab, sites=2)
    # One of the two site-bgp connections is left, whichever the rule kept; nothing else was touched.
    left = {c["VpnConnectionId"] for c in everything(lab)["vpn_connections"]}
    assert len(left & injected) == 1, (left, injected)

    again = run_playbook(PROVISION, lab.url, extra(lab, locks), inventory=INVENTORY, timeout=180)
    assert again.rc == 0 and again.total_changed == 0, again.output[-4000:]
    teardown_leaves_nothing(lab, locks)
