"""Small helpers of the lab's EC2 tests: an error's code, a customer gateway to start from."""

from __future__ import annotations


def error_code(excinfo) -> str:
    """The AWS error code of a ``pytest.raises(ClientError)``."""
    return excinfo.value.response["Error"]["Code"]


def customer_gateway_id(ec2, n: int = 1) -> str:
    """A new customer gateway, the n-th (its address and ASN from n)."""
    return ec2.create_customer_gateway(Type="ipsec.1", IpAddress=f"203.0.113.{n}", BgpAsn=65000 + n)[
        "CustomerGateway"]["CustomerGatewayId"]
