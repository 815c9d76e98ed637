"""playbooks/teardown.yml against the lab API (api_only, no data plane): provision + monitoring, then a
non-lab inventory without the confirmation refuses before any write, check mode writes nothing, the
teardown leaves nothing the collection tagged (connections, gateways, VPC, alarms, dashboard, topic,
queue, rule, Lambda, IAM role) while gateways made outside the collection survive (a customer gateway
with a site's IP and ASN too: the collection's are found by their tags), and a second
teardown changes nothing."""

from __future__ import annotations

import json

from sitevpn_playbook import LAB_VGW_SITES, ROOT, run_playbook

INVENTORY = LAB_VGW_SITES
API_ONLY = {"sitevpn_lab_dataplane": False}
LIVE = ["pending", "available", "deleting"]
# The lab's alarms keep firing on the (down) tunnels while the test runs; the failover Lambda then
# tags the alarm and publishes. Those writes are the Lambda's (the lab logs them as caller "lambda").


def play(lab, playbook, check=False, inventory=INVENTORY, limit=None):
    return run_playbook(ROOT / "playbooks" / playbook, lab.url, API_ONLY, check=check, inventory=inventory,
                        limit=limit, timeout=300)


def playbook_writes(lab) -> list[str]:
    return [f"{r['service']}:{r['action']}" for r in lab.requests()["requests"]
            if r["write"] and r["caller"] != "lambda"]


def collection_leftovers(lab) -> dict:
    """Everything of the collection's that is still there, by kind (empty lists when all is gone)."""
    ec2 = lab.client("ec2")
    tagged = [{"Name": "tag:Project", "Values": ["sitevpn"]}]
    names = {
        "vpn_connections": [c["VpnConnectionId"] for c in ec2.describe_vpn_connections(Filters=tagged)["VpnConnections"]
                            if c["State"] != "deleted"],
        "customer_gateways": [g["CustomerGatewayId"] for g in ec2.describe_customer_gateways(
            Filters=tagged + [{"Name": "state", "Values": LIVE}])["CustomerGateways"]],
        "vpn_gateways": [g["VpnGatewayId"] for g in ec2.describe_vpn_gateways(
            Filters=[{"Name": "tag:Name", "Values": ["sitevpn-vgw"]}, {"Name": "state", "Values": LIVE}])["VpnGateways"]],
        "vpcs": [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["sitevpn-vpc"]}])["Vpcs"]],
        "alarms": [a["AlarmName"] for a in lab.client("cloudwatch").describe_alarms(AlarmNamePrefix="sitevpn-vpn-")["MetricAlarms"]],
        "dashboards": [d["DashboardName"] for d in lab.client("cloudwatch").list_dashboards(
            DashboardNamePrefix="sitevpn-vpn-")["DashboardEntries"]],
        "topics": [t["TopicArn"] for t in lab.client("sns").list_topics()["Topics"] if t["TopicArn"].endswith(":sitevpn-vpn-events")],
        "queues": lab.client("sqs").list_queues(QueueNamePrefix="sitevpn-vpn-events").get("QueueUrls", []),
        "rules": [r["Name"] for r in lab.client("events").list_rules(NamePrefix="sitevpn-vpn-")["Rules"]],
        "functions": [f["FunctionName"] for f in lab.client("lambda").list_functions()["Functions"]
                      if f["FunctionName"] == "sitevpn-vpn-failover"],
        "roles": [r["RoleName"] for r in lab.client("iam").list_roles()["Roles"] if r["RoleName"] == "sitevpn-vpn-failover"],
        "log_groups": [g["logGroupName"] for g in lab.client("logs").describe_log_groups(
            logGroupNamePrefix="/aws/lambda/sitevpn-vpn-failover")["logGroups"]],
    }
    return {kind: found for kind, found in names.items() if found}


def test_teardown_removes_only_the_collections_resources(lab, tmp_path, record_property):
    # one site built (the test's time goes to module runs); the teardown still covers both
    for playbook in ("provision.yml", "monitoring.yml"):
        built = play(lab, playbook, limit="site-bgp")
        assert built.rc == 0, built.failures + built.output
    # Lambda makes the function's log group on its first run (whenever an alarm here invokes it)
    if "log_groups" not in collection_leftovers(lab):
        lab.client("logs").create_log_group(logGroupName="/aws/lambda/sitevpn-vpn-failover")
    before = collection_leftovers(lab)
    assert set(before) == {"log_groups", "vpn_connections", "customer_gateways", "vpn_gateways", "vpcs", "alarms", "dashboards",
                           "topics", "queues", "rules", "functions", "roles"}, before
    assert len(before["vpn_connections"]) == 1 and len(before["alarms"]) == 3

    # Made outside the collection: an untagged VGW, untagged CGWs with a site's IP, one with another ASN, one
    # with the same ASN (AWS would return the site's own for the same IP and ASN: a device name sets it apart).
    ec2 = lab.client("ec2")
    own_vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    own_cgws = [ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.10", BgpAsn=65099),
                ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.10", BgpAsn=65000, DeviceName="fw-2")]
    own_cgws = [g["CustomerGateway"]["CustomerGatewayId"] for g in own_cgws]
    assert not set(own_cgws) & set(before["customer_gateways"]), own_cgws

    # A production-like inventory (sitevpn_lab false) without the confirmation: refused before any write.
    inventory = tmp_path / "prod.yml"
    inventory.write_text(json.dumps({"all": {"vars": {"sitevpn_aws_region": "us-east-1", "sitevpn_aws_access_key": "testing",
                                                      "sitevpn_aws_secret_key": "testing"},
                                             "children": {"sites": {"hosts": {
                                                 "site-bgp": {"sitevpn_cgw_ip": "203.0.113.10", "sitevpn_bgp_asn": 65000},
                                                 "site-static": {"sitevpn_cgw_ip": "203.0.113.20", "sitevpn_bgp_asn": 65001}}}}}}))
    lab.clear_requests()
    refused = play(lab, "teardown.yml", inventory=inventory)
    assert refused.rc != 0
    assert "sitevpn_teardown_confirm=true" in refused.output
    assert playbook_writes(lab) == []
    # Only some sites: refused too, even in the lab.
    partial = play(lab, "teardown.yml", limit="site-bgp")
    assert partial.rc != 0 and "run it on every site" in partial.output
    assert playbook_writes(lab) == []

    # Check mode: reports the deletions, deletes nothing.
    check = play(lab, "teardown.yml", check=True)
    assert check.rc == 0, check.failures + check.output
    assert check.changed["site-bgp"] > 0 and check.changed["site-static"] == 0, check.output
    assert playbook_writes(lab) == []
    assert collection_leftovers(lab) == before

    lab.clear_requests()
    down = play(lab, "teardown.yml")
    assert down.rc == 0, down.failures + down.output
    assert collection_leftovers(lab) == {}
    record_property("teardown_writes", len(playbook_writes(lab)))
    assert ec2.describe_vpn_gateways(VpnGatewayIds=[own_vgw])["VpnGateways"][0]["State"] == "available"
    assert [g["State"] for g in ec2.describe_customer_gateways(CustomerGatewayIds=own_cgws)["CustomerGateways"]] == [
        "available", "available"]

    # The site's own gateway gone, one made outside the collection now takes its IP and ASN exactly.
    same = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.10", BgpAsn=65000)["CustomerGateway"]
    assert same["CustomerGatewayId"] not in before["customer_gateways"] + own_cgws

    # Idempotent: nothing left to do, nothing written (that gateway is not the collection's).
    lab.clear_requests()
    again = play(lab, "teardown.yml")
    assert again.rc == 0, again.failures + again.output
    assert again.total_changed == 0, again.output
    assert playbook_writes(lab) == []
    assert ec2.describe_customer_gateways(CustomerGatewayIds=[same["CustomerGatewayId"]])["CustomerGateways"][0][
        "State"] == "available"
