"""Creating and describing VPN connections in the lab API, as AWS answers: plain boto3 against a real server."""

from __future__ import annotations

import ipaddress

import pytest
from botocore.exceptions import ClientError

from lab.api import ec2_vpn
from lab.tests import cgw_xml
from lab.tests.ec2_helpers import error_code
from lab.tests.vpn_contract.helpers import ALWAYS_IN_TUNNEL_OPTIONS, EDGE, FULL_TUNNEL, PSK_RE, RESERVED, create, describe, wait_state


def test_default_connection_as_aws_returns_it(ec2, cgw, vgw):
    conn = create(ec2, cgw, vgw)
    assert conn["State"] == "pending"
    vpn_id = conn["VpnConnectionId"]
    opts = conn["Options"]
    assert opts["StaticRoutesOnly"] is False
    assert opts["LocalIpv4NetworkCidr"] == opts["RemoteIpv4NetworkCidr"] == "0.0.0.0/0"
    assert opts["OutsideIpAddressType"] == "PublicIpv4"
    assert opts["TunnelInsideIpVersion"] == "ipv4"
    assert opts["EnableAcceleration"] is False
    tunnels = opts["TunnelOptions"]
    assert len(tunnels) == 2
    for tun in tunnels:
        assert set(tun) == ALWAYS_IN_TUNNEL_OPTIONS
        assert tun["LogOptions"] == {"CloudWatchLogOptions": {"LogEnabled": False}}
        assert ipaddress.ip_address(tun["OutsideIpAddress"]) in EDGE
        cidr = ipaddress.ip_network(tun["TunnelInsideCidr"])
        assert cidr.prefixlen == 30 and cidr.subnet_of(ipaddress.ip_network("169.254.0.0/16"))
        assert cidr not in RESERVED
        assert PSK_RE.match(tun["PreSharedKey"])
    assert tunnels[0]["OutsideIpAddress"] != tunnels[1]["OutsideIpAddress"]
    assert tunnels[0]["TunnelInsideCidr"] != tunnels[1]["TunnelInsideCidr"]
    assert tunnels[0]["PreSharedKey"] != tunnels[1]["PreSharedKey"]
    telemetry = conn["VgwTelemetry"]
    assert {t["OutsideIpAddress"] for t in telemetry} == {t["OutsideIpAddress"] for t in tunnels}
    assert all(t["Status"] == "DOWN" and t["AcceptedRouteCount"] == 0 and "CertificateArn" not in t for t in telemetry)
    assert conn["Routes"] == [] and conn["Category"] == "VPN"
    assert wait_state(ec2, vpn_id, "available")["State"] == "available"

    xml = cgw_xml.parse(conn["CustomerGatewayConfiguration"])
    assert xml["vpn_connection_id"] == vpn_id and xml["vpn_gateway_id"] == vgw["VpnGatewayId"]
    by_ip = {t["OutsideIpAddress"]: t for t in tunnels}
    for tun in xml["tunnels"]:
        api = by_ip[tun["vgw_outside_ip"]]
        assert tun["pre_shared_key"] == api["PreSharedKey"]
        assert tun["inside_cidr"] == api["TunnelInsideCidr"]
        assert tun["cgw_outside_ip"] == "203.0.113.10"
        assert (tun["cgw_asn"], tun["vgw_asn"], tun["hold_time"]) == (65010, 64600, 30)
        assert tun["ipsec"]["tcp_mss_adjustment"] == 1379


def test_every_tunnel_option_is_stored_and_returned(ec2, cgw, vgw):
    second = {"TunnelInsideCidr": "169.254.100.4/30", "IKEVersions": [{"Value": "ikev1"}]}
    conn = create(
        ec2,
        cgw,
        vgw,
        LocalIpv4NetworkCidr="10.10.0.0/16",
        RemoteIpv4NetworkCidr="172.16.0.0/16",
        TunnelOptions=[FULL_TUNNEL, second],
    )
    by_cidr = {t["TunnelInsideCidr"]: t for t in conn["Options"]["TunnelOptions"]}
    full = by_cidr["169.254.100.0/30"]
    assert full["PreSharedKey"] == "lab.key_one.12345"
    for key in ("Phase1LifetimeSeconds", "Phase2LifetimeSeconds", "RekeyMarginTimeSeconds", "RekeyFuzzPercentage",
                "ReplayWindowSize", "StartupAction", "EnableTunnelLifecycleControl", "Phase1EncryptionAlgorithms",
                "Phase2EncryptionAlgorithms", "Phase1IntegrityAlgorithms", "Phase2IntegrityAlgorithms",
                "Phase1DHGroupNumbers", "Phase2DHGroupNumbers", "Phase1AdditionalKeyExchanges",
                "Phase2AdditionalKeyExchanges"):
        assert full[key] == FULL_TUNNEL[key], key
    assert full["DpdTimeoutSeconds"] == 45 and full["DpdTimeoutAction"] == "restart"
    assert full["IkeVersions"] == [{"Value": "ikev2"}]
    assert full["LogOptions"]["CloudWatchLogOptions"]["LogEnabled"] is True
    assert full["LogOptions"]["CloudWatchLogOptions"]["LogOutputFormat"] == "json"
    assert set(by_cidr["169.254.100.4/30"]) == ALWAYS_IN_TUNNEL_OPTIONS | {"IkeVersions"}
    assert conn["Options"]["LocalIpv4NetworkCidr"] == "10.10.0.0/16"

    # the data plane's view: snake_case with AWS's defaults for what was not set
    view = {c["vpn_connection_id"]: c for c in ec2_vpn.lab_view()}[conn["VpnConnectionId"]]
    assert view["customer_gateway_ip"] == "203.0.113.10" and view["customer_gateway_bgp_asn"] == 65010
    assert view["amazon_side_asn"] == 64600 and view["static_routes_only"] is False
    tun = {t["inside_cidr"]: t for t in view["tunnels"]}
    assert tun["169.254.100.0/30"]["phase1_lifetime_seconds"] == 14400
    assert tun["169.254.100.0/30"]["phase1_additional_key_exchanges"][0]["methods"] == [36]
    assert tun["169.254.100.0/30"]["vgw_inside_ip"] == "169.254.100.1"
    assert tun["169.254.100.0/30"]["cgw_inside_ip"] == "169.254.100.2"
    assert tun["169.254.100.0/30"]["psk"] == "lab.key_one.12345"
    defaults = tun["169.254.100.4/30"]
    assert defaults["phase1_lifetime_seconds"] == 28800 and defaults["phase2_lifetime_seconds"] == 3600
    assert defaults["ike_versions"] == ["ikev1"] and defaults["dpd_timeout_action"] == "clear"
    assert defaults["startup_action"] == "add" and defaults["replay_window_size"] == 1024


# option -> values AWS refuses, each given alone: the error names the option
BAD_TUNNEL_OPTIONS = {
    "PreSharedKey": ["0startswithzero", "short", "bad+char+in+key"],
    "TunnelInsideCidr": ["169.254.169.252/30", "169.254.3.0/30", "10.0.0.0/30"],
    "Phase1EncryptionAlgorithms": [[{"Value": "DES"}]],
    "Phase2DHGroupNumbers": [[{"Value": 3}]],
    "Phase1LifetimeSeconds": [899],
    "Phase2LifetimeSeconds": [3601],
    "DPDTimeoutAction": ["explode"],
}


@pytest.mark.parametrize("tunnel,fragment", [({key: value}, key) for key, values in BAD_TUNNEL_OPTIONS.items() for value in values] + [
    ({"IKEVersions": [{"Value": "ikev1"}],
      "Phase1AdditionalKeyExchanges": [{"AdditionalKeyExchangeRound": 1, "KeyExchangeMethods": [{"Value": 36}], "Requirement": "required"}]},
     "Phase1AdditionalKeyExchanges"),
])
def test_bad_tunnel_options_are_refused_and_nothing_is_created(ec2, cgw, vgw, tunnel, fragment):
    before = len(ec2.describe_vpn_connections()["VpnConnections"])
    with pytest.raises(ClientError) as exc:
        create(ec2, cgw, vgw, TunnelOptions=[tunnel])
    assert error_code(exc) == "InvalidParameterValue"
    assert fragment in exc.value.response["Error"]["Message"]
    assert len(ec2.describe_vpn_connections()["VpnConnections"]) == before


def test_connection_level_errors(ec2, cgw, vgw):
    cases = [
        (dict(CustomerGatewayId="cgw-0000000000000000f", VpnGatewayId=vgw["VpnGatewayId"]), "InvalidCustomerGatewayID.NotFound"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId="vgw-0000000000000000f"), "InvalidVpnGatewayID.NotFound"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"]), "MissingParameter"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
              Options={"TunnelOptions": [{"StartupAction": "add"}] * 3}), "InvalidParameterValue"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
              Options={"TunnelOptions": [{"TunnelInsideCidr": "169.254.50.0/30"},
                                         {"TunnelInsideCidr": "169.254.50.0/30"}]}), "InvalidParameterValue"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
              Options={"EnableAcceleration": True}), "InvalidParameterValue"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
              Options={"LocalIpv4NetworkCidr": "10.0.0.0/33"}), "InvalidParameterValue"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
              PreSharedKeyStorage="Vault"), "InvalidParameterValue"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as exc:
            ec2.create_vpn_connection(Type="ipsec.1", **kwargs)
        assert error_code(exc) == code, kwargs


def test_inside_cidr_unique_per_gateway(ec2, cgw, vgw):
    create(ec2, cgw, vgw, TunnelOptions=[{"TunnelInsideCidr": "169.254.60.0/30"}])
    with pytest.raises(ClientError) as exc:
        create(ec2, cgw, vgw, TunnelOptions=[{"TunnelInsideCidr": "169.254.60.0/30"}])
    assert error_code(exc) == "InvalidParameterValue"
    assert "already used" in exc.value.response["Error"]["Message"]
    other_vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]
    conn = create(ec2, cgw, other_vgw, TunnelOptions=[{"TunnelInsideCidr": "169.254.60.0/30"}])
    assert "169.254.60.0/30" in {t["TunnelInsideCidr"] for t in conn["Options"]["TunnelOptions"]}


def test_outside_ips_distinct_and_released_only_when_deleted(ec2, cgw, vgw):
    a = create(ec2, cgw, vgw)
    b = create(ec2, cgw, vgw)
    ips_a = {t["OutsideIpAddress"] for t in a["Options"]["TunnelOptions"]}
    ips_b = {t["OutsideIpAddress"] for t in b["Options"]["TunnelOptions"]}
    assert len(ips_a) == 2 and not ips_a & ips_b
    ec2.delete_vpn_connection(VpnConnectionId=a["VpnConnectionId"])
    assert describe(ec2, a["VpnConnectionId"])["State"] == "deleting"
    c = create(ec2, cgw, vgw)  # still deleting: a's addresses are not free yet
    assert not ips_a & {t["OutsideIpAddress"] for t in c["Options"]["TunnelOptions"]}
    assert wait_state(ec2, a["VpnConnectionId"], "deleted")["State"] == "deleted"


def test_static_connection_routes_and_xml(ec2, cgw, vgw):
    conn = create(ec2, cgw, vgw, StaticRoutesOnly=True)
    vpn_id = conn["VpnConnectionId"]
    raw = conn["CustomerGatewayConfiguration"]
    assert "<vpn_connection_attributes>NoBGPVPNConnection</vpn_connection_attributes>" in raw
    assert "<bgp>" not in raw
    parsed = cgw_xml.parse(raw)
    assert parsed["static_routes_only"] is True
    assert all(t["cgw_asn"] is None and t["hold_time"] is None for t in parsed["tunnels"])
    ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="192.168.10.0/24")
    ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="192.168.20.0/24")
    ec2.delete_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="192.168.20.0/24")
    routes = {r["DestinationCidrBlock"]: r for r in describe(ec2, vpn_id)["Routes"]}
    assert routes["192.168.10.0/24"]["State"] == "available"
    assert routes["192.168.20.0/24"]["State"] == "deleted"
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="192.168.30.0/24")
    assert error_code(exc) == "InvalidRoute.NotFound"
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_connection_route(VpnConnectionId="vpn-0000000000000000f", DestinationCidrBlock="192.168.30.0/24")
    assert error_code(exc) == "InvalidVpnConnectionID.NotFound"
    bgp_conn = create(ec2, cgw, vgw)
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_connection_route(VpnConnectionId=bgp_conn["VpnConnectionId"], DestinationCidrBlock="192.168.30.0/24")
    assert error_code(exc) == "InvalidParameterValue"
    view = {c["vpn_connection_id"]: c for c in ec2_vpn.lab_view()}[vpn_id]
    assert view["static_routes"] == ["192.168.10.0/24"] and view["static_routes_only"] is True


def test_transit_gateway_connection(ec2, cgw):
    tgw = ec2.create_transit_gateway(Options={"AmazonSideAsn": 64700})["TransitGateway"]["TransitGatewayId"]
    conn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"], TransitGatewayId=tgw)[
        "VpnConnection"
    ]
    assert conn["TransitGatewayId"] == tgw and "VpnGatewayId" not in conn
    assert "<vpn_gateway_id></vpn_gateway_id>" in conn["CustomerGatewayConfiguration"]
    parsed = cgw_xml.parse(conn["CustomerGatewayConfiguration"])
    assert parsed["vpn_gateway_id"] is None
    assert {t["vgw_asn"] for t in parsed["tunnels"]} == {64700}
    attachments = ec2.describe_transit_gateway_attachments()["TransitGatewayAttachments"]
    assert any(a["ResourceId"] == conn["VpnConnectionId"] for a in attachments)
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]
    ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[subnet])
    view = {c["vpn_connection_id"]: c for c in ec2_vpn.lab_view()}[conn["VpnConnectionId"]]
    assert view["vpc_cidrs"] == ["10.40.0.0/16"] and view["amazon_side_asn"] == 64700
    v6 = ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=cgw["CustomerGatewayId"],
        TransitGatewayId=tgw,
        Options={"TunnelInsideIpVersion": "ipv6", "EnableAcceleration": True},
    )["VpnConnection"]
    opts = v6["Options"]
    assert opts["EnableAcceleration"] is True and opts["TunnelInsideIpVersion"] == "ipv6"
    assert opts["LocalIpv6NetworkCidr"] == opts["RemoteIpv6NetworkCidr"] == "::/0"
    v6_cidrs = [ipaddress.ip_network(t["TunnelInsideIpv6Cidr"]) for t in opts["TunnelOptions"]]
    assert len(set(v6_cidrs)) == 2
    assert all(n.prefixlen == 126 and n.subnet_of(ipaddress.ip_network("fd00::/8")) for n in v6_cidrs)
