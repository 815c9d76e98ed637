# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ec2_vpn and customer_gateways: the EC2 wrappers' error handling, waiting, tags and the customer gateway logic."""

from __future__ import annotations

from unittest.mock import MagicMock

import botocore.exceptions
import pytest

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.sitevpn.aws.plugins.module_utils import customer_gateways
from ansible_collections.sitevpn.aws.plugins.module_utils import ec2_vpn


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, params=None, check_mode=False):
        self.params = dict(params or {})
        self.check_mode = check_mode

    def fail_json(self, **kwargs):
        raise Failed(kwargs["msg"])

    def fail_json_aws_error(self, e):
        raise Failed(str(e))

    def fail_json_aws(self, e, msg=None):
        raise Failed(msg or str(e))


def client_error(code, op="DescribeVpnConnections"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, op)


# ------------------------------------------------------------------ error handlers
def test_describe_vpn_connections_not_found_is_empty():
    client = MagicMock()
    client.describe_vpn_connections.side_effect = client_error("InvalidVpnConnectionID.NotFound")
    assert ec2_vpn.describe_vpn_connections(client, VpnConnectionIds=["vpn-x"]) == []


def test_delete_vpn_connection_not_found_is_false():
    client = MagicMock()
    client.delete_vpn_connection.side_effect = client_error("InvalidVpnConnectionID.NotFound", "DeleteVpnConnection")
    assert ec2_vpn.delete_vpn_connection(client, "vpn-x") is False


def test_other_errors_raise_ansible_ec2_error():
    client = MagicMock()
    client.create_customer_gateway.side_effect = client_error("InvalidParameterValue", "CreateCustomerGateway")
    with pytest.raises(AnsibleEC2Error, match="create customer gateway"):
        ec2_vpn.create_customer_gateway(client, BgpAsn=65000)


def test_throttling_is_retried(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    client = MagicMock()
    client.describe_customer_gateways.side_effect = [
        client_error("RequestLimitExceeded"),
        {"CustomerGateways": [{"CustomerGatewayId": "cgw-1"}]},
    ]
    assert ec2_vpn.describe_customer_gateways(client) == [{"CustomerGatewayId": "cgw-1"}]
    assert client.describe_customer_gateways.call_count == 2


# ------------------------------------------------------------------ customer gateways
def cgw(gw_id, ip="203.0.113.10", asn="65000", state="available", **extra):
    gw = {"CustomerGatewayId": gw_id, "IpAddress": ip, "BgpAsn": asn, "State": state, "Type": "ipsec.1", "Tags": []}
    gw.update(extra)
    return gw


@pytest.mark.parametrize(
    "gateways, kwargs, expected",
    [
        ([cgw("cgw-1")], {}, "cgw-1"),
        ([cgw("cgw-1", state="deleted")], {}, None),
        ([cgw("cgw-1", asn="65001")], {}, None),
        ([cgw("cgw-1"), cgw("cgw-2", DeviceName="edge-2")], {"device_name": "edge-2"}, "cgw-2"),
        ([cgw("cgw-1"), cgw("cgw-2", DeviceName="edge-2")], {}, "cgw-1"),
        # A 4-byte ASN comes back in BgpAsnExtended.
        ([cgw("cgw-4", asn=None, BgpAsnExtended="4200000001")], {"bgp_asn": 4200000001}, "cgw-4"),
        (
            [cgw("cgw-1", Tags=[{"Key": "Name", "Value": "a"}]), cgw("cgw-2", Tags=[{"Key": "Name", "Value": "b"}])],
            {"name": "b"},
            "cgw-2",
        ),
    ],
)
def test_find_customer_gateway(gateways, kwargs, expected):
    client = MagicMock()
    client.describe_customer_gateways.return_value = {"CustomerGateways": gateways}
    kwargs = dict(kwargs)
    asn = kwargs.pop("bgp_asn", 65000)
    found = customer_gateways.find_customer_gateway(client, "203.0.113.10", asn, **kwargs)
    assert (found or {}).get("CustomerGatewayId") == expected
    assert client.describe_customer_gateways.call_count == 1


def test_find_customer_gateway_refuses_to_guess():
    client = MagicMock()
    client.describe_customer_gateways.return_value = {"CustomerGateways": [cgw("cgw-1"), cgw("cgw-2")]}
    with pytest.raises(ec2_vpn.VpnError, match="cgw-1, cgw-2"):
        customer_gateways.find_customer_gateway(client, "203.0.113.10", 65000)


@pytest.mark.parametrize("asn, key", [(65000, "BgpAsn"), (2147483647, "BgpAsn"), (4200000001, "BgpAsnExtended")])
def test_create_customer_gateway_asn_and_tags(asn, key):
    client = MagicMock()
    client.create_customer_gateway.return_value = {"CustomerGateway": cgw("cgw-9", asn=str(asn))}
    module = FakeModule(
        {
            "bgp_asn": asn,
            "ip_address": "203.0.113.10",
            "name": "site-a",
            "tags": {"P": "x"},
            "purge_tags": True,
            "wait": False,
        }
    )
    changed, gw, diff = customer_gateways.ensure_customer_gateway(client, module, None)
    kwargs = client.create_customer_gateway.call_args.kwargs
    assert changed and gw["CustomerGatewayId"] == "cgw-9"
    assert kwargs[key] == asn and ({"BgpAsn", "BgpAsnExtended"} - {key}).isdisjoint(kwargs)
    assert kwargs["TagSpecifications"] == [
        {"ResourceType": "customer-gateway", "Tags": [{"Key": "P", "Value": "x"}, {"Key": "Name", "Value": "site-a"}]}
    ]
    assert diff["before"] == {} and diff["after"]["tags"] == {"P": "x", "Name": "site-a"}


def test_create_customer_gateway_sends_only_the_options_given():
    client = MagicMock()
    client.create_customer_gateway.return_value = {"CustomerGateway": cgw("cgw-9")}
    module = FakeModule({"bgp_asn": 65000, "ip_address": "203.0.113.10", "device_name": "", "certificate_arn": None,
                         "name": None, "tags": None, "purge_tags": True, "wait": False})
    customer_gateways.ensure_customer_gateway(client, module, None)
    assert client.create_customer_gateway.call_args.kwargs == {"Type": "ipsec.1", "BgpAsn": 65000, "IpAddress": "203.0.113.10"}


def test_create_customer_gateway_check_mode_makes_no_call():
    client = MagicMock()
    module = FakeModule(
        {"bgp_asn": 65000, "ip_address": "203.0.113.10", "name": None, "tags": None, "purge_tags": True},
        check_mode=True,
    )
    changed, dummy, dummy2 = customer_gateways.ensure_customer_gateway(client, module, None)
    assert changed
    assert client.method_calls == []


def test_tags_from_describe_output_no_describe_tags_call():
    client = MagicMock()
    module = FakeModule({"tags": {"Name": "site-a"}, "name": None, "purge_tags": True})
    existing = cgw("cgw-1", Tags=[{"Key": "Name", "Value": "site-a"}, {"Key": "Old", "Value": "1"}])
    changed, after = ec2_vpn.ensure_tags(client, module, existing, "cgw-1", {"Name": "site-a"}, True)
    assert changed and after == {"Name": "site-a"}
    assert [c[0] for c in client.method_calls] == ["delete_tags"]
    client.reset_mock()
    changed, after = ec2_vpn.ensure_tags(client, module, existing, "cgw-1", {"Name": "site-a", "Old": "1"}, True)
    assert not changed and client.method_calls == []


# ------------------------------------------------------------------ waiting
def waiter_error(code):
    return botocore.exceptions.WaiterError(name="VpnConnectionAvailable", reason="x", last_response={"Error": {"Code": code}})


def test_wait_keeps_waiting_through_throttling(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    client = MagicMock()
    client.get_waiter.return_value.wait.side_effect = [waiter_error("RequestLimitExceeded"), None]
    ec2_vpn.wait_for(client, "vpn_connection_available", 60, VpnConnectionIds=["vpn-1"])
    assert client.get_waiter.return_value.wait.call_count == 2
    assert client.get_waiter.return_value.wait.call_args.kwargs["WaiterConfig"]["Delay"] == 1


def test_wait_fails_on_other_errors(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    client = MagicMock()
    client.get_waiter.return_value.wait.side_effect = [waiter_error("InvalidVpnConnectionID.NotFound")]
    with pytest.raises(AnsibleEC2Error, match="Timeout waiting for 'vpn_connection_available'"):
        ec2_vpn.wait_for(client, "vpn_connection_available", 600, VpnConnectionIds=["vpn-1"])
    assert client.get_waiter.return_value.wait.call_args.kwargs["WaiterConfig"] == {"Delay": 5, "MaxAttempts": 120}
