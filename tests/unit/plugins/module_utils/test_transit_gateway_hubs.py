"""A transit gateway hub's AWS side (module_utils transit_gateway_hubs, vpn_hub_batch) against the lab
API in-process: an adopted transit gateway keeps its tags and gets only the options the inventory
sets, its ASN is not changed, a VPC route to something else is refused, a named route table takes
the sites' attachments from the default one, and check mode writes nothing."""

from __future__ import annotations

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_hubs import ensure_transit_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_hubs import ensure_vpc_routes
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hub_batch import ensure_transit_hub
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hub_batch import route_hub_sites
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import hub_config
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites import SiteModule

TAGS = {"Project": "sitevpn"}


def _module(check_mode=False):
    return SiteModule({"wait_timeout": 10}, check_mode, "us-east-1")


def _writes(lab):
    return [r["action"] for r in lab.requests()["requests"] if r["write"] and not r["action"].startswith("Search")]


def _lab_vpc(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]["RouteTableId"]
    return {"vpc_id": vpc, "route_table_ids": [table], "cidr": "10.0.0.0/16", "name_prefix": "t"}


def test_adopted_transit_gateway_keeps_its_tags_and_asn(lab):
    ec2 = lab.client("ec2")
    made = ec2.create_transit_gateway(Options={"AmazonSideAsn": 64600, "VpnEcmpSupport": "disable", "DnsSupport": "disable"},
                                      TagSpecifications=[{"ResourceType": "transit-gateway", "Tags": [{"Key": "Owner", "Value": "net"}]}])
    tgw_id = made["TransitGateway"]["TransitGatewayId"]
    config = hub_config({"type": "transit_gateway", "transit_gateway_id": tgw_id, "ecmp": True}, "t")
    changed, tgw, diff = ensure_transit_gateway(ec2, _module(), config, TAGS)
    assert changed and diff["before"]["ecmp"] is False and diff["after"]["ecmp"] is True
    found = ec2.describe_transit_gateways(TransitGatewayIds=[tgw_id])["TransitGateways"][0]
    # DNS was not in the inventory: left as it is; the tags are the owner's
    assert (found["Options"]["VpnEcmpSupport"], found["Options"]["DnsSupport"]) == ("enable", "disable")
    assert found["Tags"] == [{"Key": "Owner", "Value": "net"}]
    assert ensure_transit_gateway(ec2, _module(), config, TAGS)[0] is False
    with pytest.raises(VpnError, match="sitevpn_hub.amazon_side_asn: 64513 differs from .*'s 64600"):
        ensure_transit_gateway(ec2, _module(), dict(config, amazon_side_asn=64513), TAGS)


def test_vpc_route_to_another_target_refused(lab):
    ec2 = lab.client("ec2")
    vpc = _lab_vpc(ec2)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc["vpc_id"])
    ec2.create_route(RouteTableId=vpc["route_table_ids"][0], DestinationCidrBlock="10.51.0.0/24", GatewayId=igw)
    with pytest.raises(VpnError, match=f"routes 10.51.0.0/24 to {igw}, not to tgw-1"):
        ensure_vpc_routes(ec2, _module(), vpc["route_table_ids"], ["10.50.0.0/24", "10.51.0.0/24"], "tgw-1")


def test_check_mode_then_named_route_table_takes_the_attachments(lab):
    ec2 = lab.client("ec2")
    vpc = _lab_vpc(ec2)
    config = hub_config({"type": "transit_gateway", "route_table": "sites"}, "t")
    lab.clear_requests()
    hub = ensure_transit_hub(ec2, _module(check_mode=True), config, vpc, ["10.50.0.0/24"], TAGS)
    assert hub["changed"] and hub["transit_gateway_id"] is None and _writes(lab) == []

    hub = ensure_transit_hub(ec2, _module(), config, vpc, ["10.50.0.0/24"], TAGS)
    assert hub["changed"] and hub["transit_gateway_route_table_id"].startswith("tgw-rtb-")
    tgw = ec2.describe_transit_gateways(TransitGatewayIds=[hub["transit_gateway_id"]])["TransitGateways"][0]
    default = tgw["Options"]["AssociationDefaultRouteTableId"]
    assert hub["transit_gateway_route_table_id"] != default
    cgw = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.9", BgpAsn=65009)["CustomerGateway"]["CustomerGatewayId"]
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, TransitGatewayId=tgw["TransitGatewayId"],
                                    Options={"StaticRoutesOnly": True})["VpnConnection"]["VpnConnectionId"]
    results = {"s": {"customer_gateway": {}, "vpn_connection": {"vpn_connection_id": vpn}}}
    sites = {"s": {"static_routes_only": True, "prefixes": ["10.50.0.0/24"]}}
    route_hub_sites(ec2, hub, sites, results, {"check_mode": False, "wait_timeout": 10})
    assert results["s"]["routing"]["changed"], results
    attachment = ec2.describe_transit_gateway_attachments(
        Filters=[{"Name": "resource-id", "Values": [vpn]}])["TransitGatewayAttachments"][0]
    assert attachment["Association"]["TransitGatewayRouteTableId"] == hub["transit_gateway_route_table_id"]
    routes = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=hub["transit_gateway_route_table_id"],
                                               Filters=[{"Name": "type", "Values": ["static"]}])["Routes"]
    assert [r["DestinationCidrBlock"] for r in routes] == ["10.50.0.0/24"]

    lab.clear_requests()
    assert ensure_transit_hub(ec2, _module(), config, vpc, ["10.50.0.0/24"], TAGS)["changed"] is False
    route_hub_sites(ec2, hub, sites, results, {"check_mode": False, "wait_timeout": 10})
    assert results["s"]["routing"]["changed"] is False and _writes(lab) == []
