"""Customer gateways and VPN gateways in the lab API, as AWS answers: plain boto3 against a real server."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from lab.tests import cgw_xml
from lab.tests.ec2_helpers import error_code
from lab.tests.vpn_contract.helpers import create


def test_customer_gateway_extended_fields_and_idempotent_create(ec2):
    request = {
        "Type": "ipsec.1",
        "IpAddress": "203.0.113.20",
        "BgpAsnExtended": 4200000001,
        "DeviceName": "edge-1",
        "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    }
    made = ec2.create_customer_gateway(**request)["CustomerGateway"]
    assert made["BgpAsnExtended"] == "4200000001"
    assert "BgpAsn" not in made
    # the same request again returns the same gateway
    again = ec2.create_customer_gateway(**request)["CustomerGateway"]
    assert again["CustomerGatewayId"] == made["CustomerGatewayId"]
    other = ec2.create_customer_gateway(
        Type="ipsec.1", IpAddress="203.0.113.20", BgpAsnExtended=4200000001, DeviceName="edge-2"
    )["CustomerGateway"]
    assert other["CustomerGatewayId"] != made["CustomerGatewayId"]
    desc = ec2.describe_customer_gateways(CustomerGatewayIds=[made["CustomerGatewayId"]])["CustomerGateways"][0]
    assert desc["DeviceName"] == "edge-1"
    assert desc["CertificateArn"].endswith("certificate/abc")
    assert desc["BgpAsnExtended"] == "4200000001"
    default = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.21")["CustomerGateway"]
    assert default["BgpAsn"] == "65000"
    # a certificate-authenticated gateway may have no IP address (dynamic IP)
    cert_only = ec2.create_customer_gateway(
        Type="ipsec.1", BgpAsn=65020, CertificateArn="arn:aws:acm:us-east-1:123456789012:certificate/dyn"
    )["CustomerGateway"]
    assert "IpAddress" not in cert_only
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]
    conn = create(ec2, cert_only, vgw)
    parsed = cgw_xml.parse(conn["CustomerGatewayConfiguration"])
    assert {t["cgw_asn"] for t in parsed["tunnels"]} == {65020}


@pytest.mark.parametrize(
    "kwargs,code",
    [
        ({"IpAddress": "203.0.113.22", "BgpAsn": 65001, "BgpAsnExtended": 4200000001}, "InvalidParameterCombination"),
        ({"IpAddress": "203.0.113.22", "BgpAsnExtended": 65001}, "InvalidParameterValue"),
        ({"IpAddress": "not-an-ip", "BgpAsn": 65001}, "InvalidParameterValue"),
        ({"BgpAsn": 65001}, "MissingParameter"),
    ],
)
def test_customer_gateway_errors(ec2, kwargs, code):
    with pytest.raises(ClientError) as exc:
        ec2.create_customer_gateway(Type="ipsec.1", **kwargs)
    assert error_code(exc) == code


def test_customer_gateway_in_use_cannot_be_deleted(ec2, cgw, vgw):
    conn = create(ec2, cgw, vgw)
    with pytest.raises(ClientError) as exc:
        ec2.delete_customer_gateway(CustomerGatewayId=cgw["CustomerGatewayId"])
    assert error_code(exc) == "IncorrectState"
    ec2.delete_vpn_connection(VpnConnectionId=conn["VpnConnectionId"])
    ec2.delete_customer_gateway(CustomerGatewayId=cgw["CustomerGatewayId"])


def test_vpn_gateway_asn_default_range_and_single_vpc(ec2):
    assert ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["AmazonSideAsn"] == 64512
    assert ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=4200000000)["VpnGateway"]["AmazonSideAsn"] == 4200000000
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=65535)
    assert error_code(exc) == "InvalidParameterValue"
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    vpc_a = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    vpc_b = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc_a)
    with pytest.raises(ClientError) as exc:
        ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc_b)
    assert error_code(exc) == "VpnGatewayAttachmentLimitExceeded"
    ec2.detach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc_a)
    assert ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc_b)["VpcAttachment"]["State"] == "attached"
