"""The lab API server the EC2 VPN contract tests talk to (one per test module), fast settings
around each test, and boto3 clients, a customer gateway and a VPN gateway to start from."""

from __future__ import annotations

import pytest

from lab.api import patches, settings
from lab.api.testing import LabAPI
from lab.tests.vpn_contract.helpers import lab_client


@pytest.fixture(scope="module")
def url():
    """A lab API server of the module's own, from a reset lab: moto's state is the process's, and a
    customer gateway another module left in use would be the one the ``cgw`` fixture gets back."""
    patches.install()
    api = LabAPI.start()
    api.reset()
    try:
        yield api.url
    finally:
        api.stop()


@pytest.fixture(autouse=True)
def fast_settings():
    before = settings.get()
    settings.update({"state_delay_s": 0.2, "tunnel_order": "sorted"})
    yield
    settings.update(before)


@pytest.fixture
def ec2(url):
    return lab_client(url)


@pytest.fixture
def cgw(ec2):
    return ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.10", BgpAsn=65010)["CustomerGateway"]


@pytest.fixture
def vgw(ec2):
    return ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64600)["VpnGateway"]
