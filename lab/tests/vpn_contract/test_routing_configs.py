"""Routes, tunnel telemetry, tunnel order, device configurations, XML parity with real AWS and
describe filters in the lab API: plain boto3 against a real server."""

from __future__ import annotations

import ipaddress
import json
import time

import pytest
from botocore.exceptions import ClientError

from lab.api import ec2_vpn, patches, settings
from lab.tests import cgw_xml
from lab.tests.ec2_helpers import error_code
from lab.tests.vpn_contract.helpers import REAL, create, describe, wait_state


def test_route_propagation_and_bgp_routes(ec2, cgw):
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    with pytest.raises(ClientError) as exc:
        ec2.enable_vgw_route_propagation(GatewayId=vgw, RouteTableId=table)
    assert error_code(exc) == "Gateway.NotAttached"
    ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc)
    ec2.enable_vgw_route_propagation(GatewayId=vgw, RouteTableId=table)
    conn = create(ec2, cgw, {"VpnGatewayId": vgw})
    vpn_id = conn["VpnConnectionId"]
    wait_state(ec2, vpn_id, "available")

    def describe():
        return ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]

    assert describe()["PropagatingVgws"] == [{"GatewayId": vgw}]
    assert ec2_vpn.set_bgp_routes(vpn_id, ["172.16.0.0/16", "172.17.0.0/16"])["route_tables"] == [table]
    propagated = [r for r in describe()["Routes"] if r.get("Origin") == "EnableVgwRoutePropagation"]
    assert {(r["DestinationCidrBlock"], r["GatewayId"], r["State"]) for r in propagated} == {
        ("172.16.0.0/16", vgw, "active"),
        ("172.17.0.0/16", vgw, "active"),
    }
    ec2_vpn.set_bgp_routes(vpn_id, ["172.18.0.0/16"])  # replaced, not appended
    propagated = [r["DestinationCidrBlock"] for r in describe()["Routes"] if r.get("Origin") == "EnableVgwRoutePropagation"]
    assert propagated == ["172.18.0.0/16"]
    view = {c["vpn_connection_id"]: c for c in ec2_vpn.lab_view()}[vpn_id]
    assert view["vpc_ids"] == [vpc] and view["vpc_cidrs"] == ["10.30.0.0/16"]
    assert view["bgp_prefixes"] == ["172.18.0.0/16"]
    assert any(r.get("GatewayId") == "local" for r in describe()["Routes"])
    ec2.disable_vgw_route_propagation(GatewayId=vgw, RouteTableId=table)
    assert describe()["PropagatingVgws"] == []
    assert not [r for r in describe()["Routes"] if r.get("Origin") == "EnableVgwRoutePropagation"]
    assert ec2_vpn.set_bgp_routes("vpn-0000000000000000f", ["10.0.0.0/8"]) is None


def test_tunnel_telemetry(ec2, cgw, vgw):
    conn = create(ec2, cgw, vgw)
    vpn_id = conn["VpnConnectionId"]
    ip = conn["Options"]["TunnelOptions"][0]["OutsideIpAddress"]
    created = {t["OutsideIpAddress"]: t for t in conn["VgwTelemetry"]}[ip]["LastStatusChange"]
    time.sleep(1.05)  # LastStatusChange has whole seconds
    got = ec2_vpn.set_tunnel_telemetry(ip, "UP", accepted_route_count=2)
    assert got["vpn_connection_id"] == vpn_id and got["status"] == "UP" and got["changed"] is True
    tel = {t["OutsideIpAddress"]: t for t in describe(ec2, vpn_id)["VgwTelemetry"]}[ip]
    assert tel["Status"] == "UP" and tel["AcceptedRouteCount"] == 2 and tel["StatusMessage"] == "2 BGP ROUTES"
    assert tel["LastStatusChange"] > created
    changed_at = tel["LastStatusChange"]
    time.sleep(1.05)
    assert ec2_vpn.set_tunnel_telemetry(ip, "UP", status_message="still up")["changed"] is False
    tel = {t["OutsideIpAddress"]: t for t in describe(ec2, vpn_id)["VgwTelemetry"]}[ip]
    assert tel["LastStatusChange"] == changed_at and tel["StatusMessage"] == "still up"
    ec2_vpn.set_tunnel_telemetry(ip, "DOWN")
    tel = {t["OutsideIpAddress"]: t for t in describe(ec2, vpn_id)["VgwTelemetry"]}[ip]
    assert tel["Status"] == "DOWN" and tel["LastStatusChange"] > changed_at
    assert ec2_vpn.set_tunnel_telemetry("192.0.2.250", "UP") is None


# --------------------------------------------------------------------------- order, device configs, XML parity


def test_tunnel_order_setting(ec2, cgw, vgw):
    settings.update({"tunnel_order": "reversed"})
    conn = create(ec2, cgw, vgw)
    ips = [ipaddress.ip_address(t["OutsideIpAddress"]) for t in conn["Options"]["TunnelOptions"]]
    assert ips == sorted(ips, reverse=True)
    assert [ipaddress.ip_address(t["OutsideIpAddress"]) for t in conn["VgwTelemetry"]] == ips
    xml_ips = [ipaddress.ip_address(t["vgw_outside_ip"]) for t in cgw_xml.parse(conn["CustomerGatewayConfiguration"])["tunnels"]]
    assert xml_ips == ips
    settings.update({"tunnel_order": "shuffled"})
    orders = set()
    for dummy in range(30):
        desc = describe(ec2, conn["VpnConnectionId"])
        orders.add(tuple(t["OutsideIpAddress"] for t in desc["Options"]["TunnelOptions"]))
        orders.add(tuple(t["OutsideIpAddress"] for t in desc["VgwTelemetry"]))
    assert len(orders) == 2  # both orders show up


def test_device_types_and_generic_sample_configuration(ec2, cgw, vgw):
    types = ec2.get_vpn_connection_device_types()["VpnConnectionDeviceTypes"]
    generic = next(t for t in types if t["Vendor"] == "Generic")
    conn = create(ec2, cgw, vgw)
    text = ec2.get_vpn_connection_device_sample_configuration(
        VpnConnectionId=conn["VpnConnectionId"],
        VpnConnectionDeviceTypeId=generic["VpnConnectionDeviceTypeId"],
        InternetKeyExchangeVersion="ikev2",
    )["VpnConnectionDeviceSampleConfiguration"]
    assert conn["VpnConnectionId"] in text and "IKEV2" in text
    for tun in conn["Options"]["TunnelOptions"]:
        assert tun["OutsideIpAddress"] in text and tun["PreSharedKey"] in text
    assert "65010" in text and "64600" in text
    with pytest.raises(ClientError) as exc:
        ec2.get_vpn_connection_device_sample_configuration(
            VpnConnectionId=conn["VpnConnectionId"], VpnConnectionDeviceTypeId="nope"
        )
    assert error_code(exc) == "InvalidParameterValue"


def _shape(value):
    """The structure of a parsed document: keys and value types, not the values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


@pytest.mark.parametrize(
    "sample,static",
    [("vpn-ba2e34a8.customer-gateway-configuration.xml", False), ("vpn-static-2019.customer-gateway-configuration.xml", True)],
)
def test_parser_gives_same_structure_for_lab_and_real_xml(ec2, cgw, vgw, sample, static):
    real = cgw_xml.parse((REAL / sample).read_text())
    conn = create(ec2, cgw, vgw, StaticRoutesOnly=static)
    lab = cgw_xml.parse(conn["CustomerGatewayConfiguration"])
    assert _shape(lab) == _shape(real)
    assert lab["tunnels"][0]["ike"] == real["tunnels"][0]["ike"]
    assert lab["tunnels"][0]["ipsec"] == real["tunnels"][0]["ipsec"]


def test_install_is_idempotent():
    patches.install()
    patches.install()
    from moto.ec2.models.vpn_gateway import VpnGatewayBackend

    # wrapped once only: the wrapper's original is moto's own function
    wrapper = VpnGatewayBackend.create_vpn_gateway
    assert wrapper.lab_patched is True
    assert not getattr(wrapper.lab_original, "lab_patched", False)


def test_describe_filters(ec2, vgw):
    cgw = ec2.create_customer_gateway(
        Type="ipsec.1", IpAddress="203.0.113.40", BgpAsnExtended=4200000040, DeviceName="filter-me",
        TagSpecifications=[{"ResourceType": "customer-gateway", "Tags": [{"Key": "Name", "Value": "site-40"}]}],
    )["CustomerGateway"]

    def cgws(*filters):
        found = ec2.describe_customer_gateways(Filters=[{"Name": n, "Values": [v]} for n, v in filters])
        return [g["CustomerGatewayId"] for g in found["CustomerGateways"]]

    assert cgws(("ip-address", "203.0.113.40"), ("bgp-asn", "4200000040")) == [cgw["CustomerGatewayId"]]
    assert cgws(("tag:Name", "site-40")) == [cgw["CustomerGatewayId"]]
    assert cgws(("ip-address", "203.0.113.40"), ("state", "deleted")) == []
    with pytest.raises(ClientError) as exc:
        ec2.describe_customer_gateways(CustomerGatewayIds=["cgw-0000000000000000f"])
    assert error_code(exc) == "InvalidCustomerGatewayID.NotFound"

    conn = ec2.create_vpn_connection(
        Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
        Options={"StaticRoutesOnly": True},
        TagSpecifications=[{"ResourceType": "vpn-connection", "Tags": [{"Key": "Name", "Value": "vpn-40"}]}],
    )["VpnConnection"]
    vpn_id = conn["VpnConnectionId"]
    ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="192.168.40.0/24")

    def vpns(*filters):
        found = ec2.describe_vpn_connections(Filters=[{"Name": n, "Values": [v]} for n, v in filters])
        return [c["VpnConnectionId"] for c in found["VpnConnections"]]

    assert vpns(("customer-gateway-id", cgw["CustomerGatewayId"])) == [vpn_id]
    assert vpns(("vpn-connection-id", vpn_id), ("option.static-routes-only", "true")) == [vpn_id]
    assert vpns(("vpn-connection-id", vpn_id), ("option.static-routes-only", "false")) == []
    assert vpns(("route.destination-cidr-block", "192.168.40.0/24")) == [vpn_id]
    assert vpns(("tag:Name", "vpn-40")) == [vpn_id]
    assert vpns(("transit-gateway-id", "tgw-0000000000000000f")) == []
    assert vpns(("bgp-asn", "4200000040")) == [vpn_id]
    json.dumps(ec2_vpn.lab_view())  # the /_lab route serves it as JSON


def test_describe_has_the_shape_of_real_output(ec2, cgw, vgw):
    real = json.loads((REAL / "vpn-static-2019.describe-vpn-connections.json").read_text())["VpnConnections"][0]
    conn = create(ec2, cgw, vgw, StaticRoutesOnly=True)
    ec2.create_vpn_connection_route(VpnConnectionId=conn["VpnConnectionId"], DestinationCidrBlock="192.168.50.0/24")
    lab = json.loads(json.dumps(describe(ec2, conn["VpnConnectionId"]), default=str))
    assert set(real) <= set(lab)
    assert {k: type(v) for k, v in real.items() if k != "Tags"} == {k: type(lab[k]) for k in real if k != "Tags"}
    assert [set(t) for t in lab["VgwTelemetry"]] == [set(t) for t in real["VgwTelemetry"]]
    assert [set(r) for r in lab["Routes"]] == [set(r) for r in real["Routes"]]
    # the real 2019 output predates the recent Options keys; the values it has agree
    assert lab["Options"]["StaticRoutesOnly"] is real["Options"]["StaticRoutesOnly"] is True
