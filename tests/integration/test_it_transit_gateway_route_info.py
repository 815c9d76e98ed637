"""transit_gateway_route_info against the lab API (issue 17): a transit gateway site's routes in its
hub's route table - the prefixes its BGP sessions propagated and its static routes - in three calls, no
write; a connection on a virtual private gateway refused with a message."""

from __future__ import annotations

import json

from sitevpn_playbook import run_playbook, writes


def test_routes_of_a_transit_gateway_site(lab, tmp_path):
    ec2 = lab.client("ec2")
    tgw = ec2.create_transit_gateway(Description="hub")["TransitGateway"]
    table = tgw["Options"]["AssociationDefaultRouteTableId"]
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.8", BgpAsn=65008)["CustomerGateway"]["CustomerGatewayId"]
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, TransitGatewayId=tgw["TransitGatewayId"])["VpnConnection"]["VpnConnectionId"]
    att = ec2.describe_transit_gateway_attachments(
        Filters=[{"Name": "resource-id", "Values": [vpn]}])["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"]
    lab.bgp_routes(vpn, ["172.16.0.0/16"])
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=table, DestinationCidrBlock="172.30.0.0/16", TransitGatewayAttachmentId=att)
    out = tmp_path / "found.json"

    def read(vpn_id, filters=None):
        lab.clear_requests()
        run = run_playbook("transit_gateway_route_info/main.yml", lab.url, {"vpn_id": vpn_id, "filters": filters or {}, "out": str(out)})
        return run, (json.loads(out.read_text()) if run.rc == 0 else None)

    run, found = read(vpn)
    assert run.rc == 0, run.failures + run.output
    assert found["changed"] is False and writes(lab) == []
    assert found["transit_gateway_attachment_id"] == att and found["transit_gateway_route_table_id"] == table
    assert sorted((r["destination_cidr_block"], r["type"]) for r in found["routes"]) == [
        ("172.16.0.0/16", "propagated"), ("172.30.0.0/16", "static")]
    assert all(r["transit_gateway_attachments"][0]["resource_id"] == vpn for r in found["routes"])
    assert sorted(lab.requests()["counts"]) == ["ec2:DescribeTransitGatewayAttachments", "ec2:DescribeVpnConnections",
                                                "ec2:SearchTransitGatewayRoutes"]

    run, found = read(vpn, {"type": "propagated"})
    assert [r["destination_cidr_block"] for r in found["routes"]] == ["172.16.0.0/16"]

    vgw_site = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw,
                                         VpnGatewayId=ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"])
    run, dummy = read(vgw_site["VpnConnection"]["VpnConnectionId"])
    assert run.rc != 0 and "is not on a transit gateway" in run.output, run.output
