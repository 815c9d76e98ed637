"""transit_gateway_vpn_attachment against the lab API (issue 17): move a VPN attachment's association,
set its propagations (purge), check mode, idempotence."""

from __future__ import annotations

from sitevpn_playbook import run_playbook, writes


def test_vpn_attachment_association_and_propagation(lab):
    ec2 = lab.client("ec2")
    tgw = ec2.create_transit_gateway(Description="hub")["TransitGateway"]
    default = tgw["Options"]["AssociationDefaultRouteTableId"]
    sites = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw["TransitGatewayId"])["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    vpc = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw["TransitGatewayId"])["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.7", BgpAsn=65007)["CustomerGateway"]["CustomerGatewayId"]
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, TransitGatewayId=tgw["TransitGatewayId"])["VpnConnection"]["VpnConnectionId"]
    att = ec2.describe_transit_gateway_attachments(
        Filters=[{"Name": "resource-id", "Values": [vpn]}])["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"]
    args = {"vpn_id": vpn, "associate": sites, "propagate": [vpc]}

    def state():
        assoc = ec2.describe_transit_gateway_attachments(TransitGatewayAttachmentIds=[att])["TransitGatewayAttachments"][0].get("Association")
        props = ec2.get_transit_gateway_attachment_propagations(TransitGatewayAttachmentId=att)["TransitGatewayAttachmentPropagations"]
        return (assoc or {}).get("TransitGatewayRouteTableId"), sorted(p["TransitGatewayRouteTableId"] for p in props)

    assert state() == (default, [default])
    lab.clear_requests()
    run = run_playbook("transit_gateway_vpn_attachment/main.yml", lab.url, args, check=True, diff=True)
    assert run.rc == 0 and run.total_changed == 1, run.output
    assert writes(lab) == [] and state() == (default, [default])
    assert f"+    association_route_table_id: {sites}" in run.output

    run = run_playbook("transit_gateway_vpn_attachment/main.yml", lab.url, args)
    assert run.rc == 0 and run.total_changed == 1, run.output
    assert state() == (sites, [vpc])
    assert sorted(writes(lab)) == sorted(["DisassociateTransitGatewayRouteTable", "AssociateTransitGatewayRouteTable",
                                          "DisableTransitGatewayRouteTablePropagation", "EnableTransitGatewayRouteTablePropagation"])

    lab.clear_requests()
    run = run_playbook("transit_gateway_vpn_attachment/main.yml", lab.url, args)
    assert run.rc == 0 and run.total_changed == 0, run.output
    assert writes(lab) == []

    run = run_playbook("transit_gateway_vpn_attachment/main.yml", lab.url, {"vpn_id": vpn, "associate": "", "propagate": [vpc, sites]})
    assert run.rc == 0 and run.total_changed == 1, run.output
    assert state() == (None, sorted([vpc, sites]))
