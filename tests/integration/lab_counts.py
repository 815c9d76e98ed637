"""What the lab holds of the collection's AWS side, by kind, and the converged state (shared by the
fault and overlap tests)."""

from __future__ import annotations

# The collection's tags (roles/aws_vpn: aws_vpn_tags plus Name = <prefix>-...).
PROJECT_TAG = {"Name": "tag:Project", "Values": ["sitevpn"]}
LIVE = ("pending", "available")


def tagged(lab):
    """The live resources that carry the collection's tags, by kind."""
    ec2 = lab.client("ec2")
    return {
        "vpcs": ec2.describe_vpcs(Filters=[PROJECT_TAG])["Vpcs"],
        "vpn_gateways": [g for g in ec2.describe_vpn_gateways(Filters=[PROJECT_TAG])["VpnGateways"] if g["State"] in LIVE],
        "customer_gateways": [
            g for g in ec2.describe_customer_gateways(Filters=[PROJECT_TAG])["CustomerGateways"] if g["State"] in LIVE
        ],
        "vpn_connections": [
            c
            for c in ec2.describe_vpn_connections(Filters=[PROJECT_TAG])["VpnConnections"]
            if c["State"] in LIVE + ("modifying",)
        ],
    }


def everything(lab):
    """Every live resource of these kinds, tagged or not (the lab holds only what the test made)."""
    ec2 = lab.client("ec2")
    return {
        "vpcs": [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")],
        "vpn_gateways": [g for g in ec2.describe_vpn_gateways()["VpnGateways"] if g["State"] in LIVE],
        "customer_gateways": [g for g in ec2.describe_customer_gateways()["CustomerGateways"] if g["State"] in LIVE],
        "vpn_connections": [
            c for c in ec2.describe_vpn_connections()["VpnConnections"] if c["State"] in LIVE + ("modifying",)
        ],
    }


def assert_converged(lab, sites):
    """One of each kind per site (VPC and VGW shared), all tagged, all in use: no duplicate, no orphan."""
    found = tagged(lab)
    counts = {kind: len(items) for kind, items in found.items()}
    assert counts == {"vpcs": 1, "vpn_gateways": 1, "customer_gateways": sites, "vpn_connections": sites}, counts
    untagged = {kind: len(items) for kind, items in everything(lab).items()}
    assert untagged == counts, f"resources without the collection's tags: {untagged} vs tagged {counts}"
    vpc = found["vpcs"][0]["VpcId"]
    vgw = found["vpn_gateways"][0]
    attached = [a["VpcId"] for a in vgw.get("VpcAttachments", []) if a["State"] in ("attaching", "attached")]
    assert attached == [vpc], f"orphan: VPN gateway {vgw['VpnGatewayId']} attached to {attached}, not {vpc}"
    cgw_ids = {g["CustomerGatewayId"] for g in found["customer_gateways"]}
    used = {c["CustomerGatewayId"] for c in found["vpn_connections"]}
    assert cgw_ids == used, f"orphan customer gateways: {cgw_ids - used}"
    assert {c["VpnGatewayId"] for c in found["vpn_connections"]} == {vgw["VpnGatewayId"]}
    tables = lab.client("ec2").describe_route_tables(Filters=[{"Name": "tag:Name", "Values": ["sitevpn-rt"]}])
    tables = tables["RouteTables"]
    assert [t["VpcId"] for t in tables] == [vpc]
    assert [p["GatewayId"] for p in tables[0].get("PropagatingVgws", [])] == [vgw["VpnGatewayId"]]
