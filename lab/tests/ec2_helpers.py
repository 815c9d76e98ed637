"""Small helpers of the lab's EC2 tests: an error's code, a customer gateway or a VPN
connection to start from."""

from __future__ import annotations


def error_code(excinfo) -> str:
    """The AWS error code of a ``pytest.raises(ClientError)``."""
    return excinfo.value.response["Error"]["Code"]


def customer_gateway_id(ec2, n: int = 1) -> str:
    """A new customer gateway, the n-th (its address and ASN from n)."""
    return ec2.create_customer_gateway(Type="ipsec.1", IpAddress=f"203.0.113.{n}", BgpAsn=65000 + n)[
        "CustomerGateway"]["CustomerGatewayId"]


def vgw_vpn_connection(ec2, n: int = 1) -> dict:
    """A new VPN connection from customer gateway n to a new virtual private gateway."""
    cgw = customer_gateway_id(ec2, n)
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    return ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw)["VpnConnection"]
