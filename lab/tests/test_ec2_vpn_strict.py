"""The lab is as strict as AWS: quotas, one VGW per VPC, no delete of what is in use, and the
lab's own reading of AWS's documented rules (lab/api/ec2_vpn/rules.py).

boto3 against a LabServer on 127.0.0.1; each test starts from a reset lab.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from lab.tests.ec2_helpers import customer_gateway_id, error_code


LAB = Path(__file__).resolve().parents[1]


LAB_SETTINGS = {"state_delay_s": 0}  # resources reach their state at once


@pytest.fixture
def ec2(lab):
    return lab.client("ec2")


def _vgw(ec2) -> str:
    return ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]


def _vpn(ec2, cgw: str, vgw: str, **options) -> str:
    return ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw, Options=options)[
        "VpnConnection"]["VpnConnectionId"]


# --------------------------------------------------------------------------- quotas


def test_eleventh_connection_on_one_vgw_is_refused(ec2):
    vgw = _vgw(ec2)
    for n in range(1, 11):
        _vpn(ec2, customer_gateway_id(ec2, n), vgw)
    with pytest.raises(ClientError) as exc:
        _vpn(ec2, customer_gateway_id(ec2, 11), vgw)
    assert error_code(exc) == "VpnConnectionLimitExceeded"
    assert "per virtual private gateway" in exc.value.response["Error"]["Message"]
    _vpn(ec2, customer_gateway_id(ec2, 11), _vgw(ec2))  # another gateway has room


def test_deleted_connections_free_the_quota_and_settings_raise_it(lab, ec2):
    lab.set_settings({"quotas": {"vpn_connections_per_vgw": 1}})
    vgw, cgw = _vgw(ec2), customer_gateway_id(ec2)
    first = _vpn(ec2, cgw, vgw)
    with pytest.raises(ClientError) as exc:
        _vpn(ec2, cgw, vgw)
    assert error_code(exc) == "VpnConnectionLimitExceeded"
    ec2.delete_vpn_connection(VpnConnectionId=first)
    _vpn(ec2, cgw, vgw)
    lab.set_settings({"quotas": {"vpn_connections_per_vgw": 2}})
    _vpn(ec2, cgw, vgw)


def test_connections_per_region(lab, ec2):
    lab.set_settings({"quotas": {"vpn_connections_per_region": 2}})
    cgw = customer_gateway_id(ec2)
    _vpn(ec2, cgw, _vgw(ec2))
    _vpn(ec2, cgw, _vgw(ec2))
    with pytest.raises(ClientError) as exc:
        _vpn(ec2, cgw, _vgw(ec2))
    assert error_code(exc) == "VpnConnectionLimitExceeded" and "per Region" in exc.value.response["Error"]["Message"]


def test_customer_gateways_per_region(lab, ec2):
    lab.set_settings({"quotas": {"customer_gateways_per_region": 2}})
    customer_gateway_id(ec2, 1)
    customer_gateway_id(ec2, 2)
    assert customer_gateway_id(ec2, 1)  # an identical request returns the existing gateway: no new one
    with pytest.raises(ClientError) as exc:
        customer_gateway_id(ec2, 3)
    assert error_code(exc) == "CustomerGatewayLimitExceeded"


def test_routes_per_connection(lab, ec2):
    lab.set_settings({"quotas": {"routes_per_vpn_connection": 2}})
    vpn = _vpn(ec2, customer_gateway_id(ec2), _vgw(ec2), StaticRoutesOnly=True)
    for cidr in ("192.168.1.0/24", "192.168.2.0/24", "192.168.2.0/24"):  # the same route again is no new one
        ec2.create_vpn_connection_route(VpnConnectionId=vpn, DestinationCidrBlock=cidr)
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_connection_route(VpnConnectionId=vpn, DestinationCidrBlock="192.168.3.0/24")
    assert error_code(exc) == "RouteLimitExceeded"


def test_aws_default_quotas(lab):
    assert lab.settings()["quotas"] == {
        "vpn_connections_per_vgw": 10,
        "vpn_connections_per_region": 50,
        "customer_gateways_per_region": 50,
        "routes_per_vpn_connection": 100,
        "vpn_connections_per_concentrator": 100,
    }


# --------------------------------------------------------------------------- gateways in use


def test_one_vgw_per_vpc(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    first, second = _vgw(ec2), _vgw(ec2)
    ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=first)
    ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=first)  # again: nothing to refuse
    with pytest.raises(ClientError) as exc:
        ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=second)
    assert error_code(exc) == "InvalidVpcState"
    ec2.detach_vpn_gateway(VpcId=vpc, VpnGatewayId=first)
    ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=second)


def test_one_vpc_per_vgw(ec2):
    vpcs = [ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")["Vpc"]["VpcId"] for n in (2, 3)]
    vgw = _vgw(ec2)
    ec2.attach_vpn_gateway(VpcId=vpcs[0], VpnGatewayId=vgw)
    with pytest.raises(ClientError) as exc:
        ec2.attach_vpn_gateway(VpcId=vpcs[1], VpnGatewayId=vgw)
    assert error_code(exc) == "VpnGatewayAttachmentLimitExceeded"


def test_attached_vgw_cannot_be_deleted(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    vgw = _vgw(ec2)
    ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpn_gateway(VpnGatewayId=vgw)
    assert error_code(exc) == "IncorrectState"
    assert ec2.describe_vpn_gateways(VpnGatewayIds=[vgw])["VpnGateways"][0]["State"] == "available"
    ec2.detach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
    ec2.delete_vpn_gateway(VpnGatewayId=vgw)


def test_customer_gateway_of_a_live_connection_cannot_be_deleted(ec2):
    cgw = customer_gateway_id(ec2)
    vpn = _vpn(ec2, cgw, _vgw(ec2))
    with pytest.raises(ClientError) as exc:
        ec2.delete_customer_gateway(CustomerGatewayId=cgw)
    assert error_code(exc) == "IncorrectState"
    ec2.delete_vpn_connection(VpnConnectionId=vpn)
    ec2.delete_customer_gateway(CustomerGatewayId=cgw)


# --------------------------------------------------------------------------- AWS's documented rules


@pytest.mark.parametrize(
    "options,code",
    [
        ({"TunnelBandwidth": "large"}, "InvalidParameterValue"),  # transit gateway / Cloud WAN only
        ({"LocalIpv6NetworkCidr": "fd00:1::/64"}, "InvalidParameterValue"),  # an IPv4 connection
        ({"TunnelInsideIpVersion": "ipv6"}, "InvalidParameterValue"),  # not on a VGW
        ({"TunnelOptions": [{"RekeyMarginTimeSeconds": 1801}]}, "InvalidParameterValue"),  # > half of phase 2
        ({"TunnelOptions": [{"ReplayWindowSize": 63}]}, "InvalidParameterValue"),
        ({"TunnelOptions": [{"DPDTimeoutSeconds": 29}]}, "InvalidParameterValue"),
        ({"TunnelOptions": [{"RekeyFuzzPercentage": 101}]}, "InvalidParameterValue"),
        ({"TunnelOptions": [{"TunnelInsideIpv6Cidr": "fd00::/64"}]}, "InvalidParameterValue"),
        ({"TunnelOptions": [{"Phase1AdditionalKeyExchanges": [
            {"AdditionalKeyExchangeRound": 1, "KeyExchangeMethods": [{"Value": 36}]},
            {"AdditionalKeyExchangeRound": 1, "KeyExchangeMethods": [{"Value": 37}]},
        ], "IKEVersions": [{"Value": "ikev2"}]}]}, "InvalidParameterValue"),
        # two required rounds that can only use the same method: not one method per exchange
        ({"TunnelOptions": [{"Phase1AdditionalKeyExchanges": [
            {"AdditionalKeyExchangeRound": 1, "KeyExchangeMethods": [{"Value": 36}]},
            {"AdditionalKeyExchangeRound": 2, "KeyExchangeMethods": [{"Value": 36}]},
        ], "IKEVersions": [{"Value": "ikev2"}]}]}, "InvalidParameterValue"),
        ({"TunnelOptions": [{"LogOptions": {"CloudWatchLogOptions": {"LogEnabled": True}}}]},
         "InvalidParameterValue"),
    ],
)
def test_connection_rules(ec2, options, code):
    with pytest.raises(ClientError) as exc:
        _vpn(ec2, customer_gateway_id(ec2), _vgw(ec2), **options)
    assert error_code(exc) == code
    assert ec2.describe_vpn_connections()["VpnConnections"] == []


@pytest.mark.parametrize(
    "kwargs,code",
    [
        ({"IpAddress": "203.0.113.5", "BgpAsnExtended": 4294967296}, "InvalidParameterValue"),
        ({"IpAddress": "203.0.113.5", "BgpAsn": 65000, "CertificateArn": "not-an-arn"}, "InvalidParameterValue"),
        ({"IpAddress": "203.0.113.5", "BgpAsn": 65000, "DeviceName": "x" * 256}, "InvalidParameterValue"),
        ({"IpAddress": "not-an-ip", "BgpAsn": 65000}, "InvalidParameterValue"),
    ],
)
def test_customer_gateway_rules(ec2, kwargs, code):
    with pytest.raises(ClientError) as exc:
        ec2.create_customer_gateway(Type="ipsec.1", **kwargs)
    assert error_code(exc) == code


def test_required_rounds_with_a_method_each_are_allowed(ec2):
    rounds = [{"AdditionalKeyExchangeRound": 1, "KeyExchangeMethods": [{"Value": 36}, {"Value": 37}]},
              {"AdditionalKeyExchangeRound": 2, "KeyExchangeMethods": [{"Value": 36}]}]
    vpn = _vpn(ec2, customer_gateway_id(ec2), _vgw(ec2), TunnelOptions=[
        {"Phase1AdditionalKeyExchanges": rounds, "IKEVersions": [{"Value": "ikev2"}]}])
    assert ec2.describe_vpn_connections(VpnConnectionIds=[vpn])["VpnConnections"][0]["State"] in ("pending", "available")


def test_what_aws_allows_the_lab_allows(ec2):
    # AWS's reference: BgpAsnExtended up to 4,294,967,295; an IPv6 address for Ipv6 outside addresses
    top = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.6", BgpAsnExtended=4294967295)
    assert top["CustomerGateway"]["BgpAsnExtended"] == "4294967295"
    six = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="2001:db8::6", BgpAsn=65006)
    assert six["CustomerGateway"]["IpAddress"] == "2001:db8::6"
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    conn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2), TransitGatewayId=tgw,
                                     Options={"TunnelBandwidth": "large"})["VpnConnection"]
    assert conn["Options"]["TunnelBandwidth"] == "large"


# --------------------------------------------------------------------------- the lab stands apart


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


# The data plane's files still read the collection (another engineer's slice, issue 15): this list
# may only shrink, and the test fails as soon as one of them stops importing the product.


def test_nothing_under_lab_imports_the_product():
    offenders = set()
    for path in LAB.rglob("*.py"):
        if any(n.startswith(("ansible_collections.sitevpn", "plugins")) for n in _imports(path)):
            offenders.add(str(path.relative_to(LAB)))
    assert not offenders, sorted(offenders)


def test_lab_api_files_stay_small():
    sizes = {str(p.relative_to(LAB)): len(p.read_text().splitlines()) for p in (LAB / "api").rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 500} == {}
