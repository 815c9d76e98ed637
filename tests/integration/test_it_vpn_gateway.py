"""vpn_gateway / vpn_gateway_info against the lab API: create + attach + propagation, idempotence,
check mode, moving the propagation (purge), detach + delete."""

from __future__ import annotations

from sitevpn_playbook import run_playbook, writes


def propagating(ec2, vgw_name):
    vgw = ec2.describe_vpn_gateways(Filters=[{"Name": "tag:Name", "Values": [vgw_name]}])["VpnGateways"]
    ids = {g["VpnGatewayId"] for g in vgw}
    tables = ec2.describe_route_tables()["RouteTables"]
    return sorted(t["RouteTableId"] for t in tables if any(p["GatewayId"] in ids for p in t.get("PropagatingVgws", [])))


def test_vpn_gateway_lifecycle(lab):
    ec2 = lab.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    rt1 = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    rt2 = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    args = {"vpc_id": vpc_id, "rt1": rt1, "rt2": rt2}

    def step(name, check=False):
        run = run_playbook("vpn_gateway/main.yml", lab.url, dict(args, step=name), check=check)
        assert run.rc == 0, run.failures + run.output
        return run.total_changed

    lab.clear_requests()
    assert step("create") == 1
    assert {"CreateVpnGateway", "AttachVpnGateway", "EnableVgwRoutePropagation"} <= set(writes(lab))
    assert propagating(ec2, "vgw-it") == [rt1]

    lab.clear_requests()
    assert step("create") == 0
    assert writes(lab) == []
    # One describe per resource kind (plus the info module's).
    assert lab.requests()["counts"] == {"ec2:DescribeVpnGateways": 2, "ec2:DescribeRouteTables": 1}

    lab.clear_requests()
    assert step("modify", check=True) == 1
    assert writes(lab) == []
    assert propagating(ec2, "vgw-it") == [rt1]

    assert step("modify") == 1
    assert propagating(ec2, "vgw-it") == [rt2]
    assert step("modify") == 0

    lab.clear_requests()
    assert step("delete", check=True) == 1
    assert writes(lab) == []
    assert step("delete") == 1
    assert writes(lab) == ["DetachVpnGateway", "DeleteVpnGateway"]
    assert step("delete") == 0
    live = [g for g in ec2.describe_vpn_gateways()["VpnGateways"] if g["State"] != "deleted"]
    assert live == []
