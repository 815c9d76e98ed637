from __future__ import annotations

import pytest

from ansible_collections.sitevpn.aws.plugins.modules import customer_gateway
from ansible_collections.sitevpn.aws.plugins.modules import customer_gateway_info

from sitevpn_module_harness import run_module, write_calls

EXISTING = {
    "CustomerGatewayId": "cgw-1",
    "IpAddress": "203.0.113.10",
    "BgpAsn": "65000",
    "State": "available",
    "Type": "ipsec.1",
    "Tags": [{"Key": "Name", "Value": "site-a"}],
}


@pytest.mark.parametrize(
    "args, field",
    [
        ({"ip_address": "203.0.113.300"}, "ip_address"),
        ({"ip_address": "not-an-ip"}, "ip_address"),
        ({"ip_address": "203.0.113.10", "bgp_asn": 0}, "bgp_asn"),
        ({"ip_address": "203.0.113.10", "bgp_asn": 4294967295}, "bgp_asn"),
    ],
)
def test_bad_input_fails_before_any_call(ec2, args, field):
    outcome, result = run_module(customer_gateway.main, args)
    assert outcome == "fail"
    assert result["field"] == field and result["msg"].startswith(field)
    assert ec2.method_calls == []


def test_create_with_tags_at_creation(ec2):
    ec2.describe_customer_gateways.return_value = {"CustomerGateways": []}
    ec2.create_customer_gateway.return_value = {"CustomerGateway": dict(EXISTING, CustomerGatewayId="cgw-new")}
    outcome, result = run_module(
        customer_gateway.main, {"ip_address": "203.0.113.10", "bgp_asn": 65000, "name": "site-a"}
    )
    assert outcome == "exit" and result["changed"] and result["customer_gateway_id"] == "cgw-new"
    kwargs = ec2.create_customer_gateway.call_args.kwargs
    assert kwargs["TagSpecifications"] == [
        {"ResourceType": "customer-gateway", "Tags": [{"Key": "Name", "Value": "site-a"}]}
    ]
    assert write_calls(ec2) == ["create_customer_gateway"]


def test_existing_is_not_duplicated(ec2):
    ec2.describe_customer_gateways.return_value = {"CustomerGateways": [EXISTING]}
    outcome, result = run_module(
        customer_gateway.main, {"ip_address": "203.0.113.10", "bgp_asn": 65000, "name": "site-a"}
    )
    assert outcome == "exit" and not result["changed"]
    assert result["customer_gateway"]["tags"] == {"Name": "site-a"}
    assert [c[0] for c in ec2.method_calls] == ["describe_customer_gateways"]


@pytest.mark.parametrize("args", [{"name": "site-b"}, {"state": "absent"}])
def test_check_mode_makes_no_write_call(ec2, args):
    ec2.describe_customer_gateways.return_value = {"CustomerGateways": [EXISTING]}
    outcome, result = run_module(
        customer_gateway.main, dict({"ip_address": "203.0.113.10", "bgp_asn": 65000}, **args), check_mode=True
    )
    assert outcome == "exit" and result["changed"]
    assert write_calls(ec2) == []


def test_delete(ec2):
    ec2.describe_customer_gateways.return_value = {"CustomerGateways": [EXISTING]}
    outcome, result = run_module(
        customer_gateway.main, {"ip_address": "203.0.113.10", "bgp_asn": 65000, "state": "absent"}
    )
    assert outcome == "exit" and result["changed"] and result["diff"]["after"] == {}
    ec2.delete_customer_gateway.assert_called_once_with(CustomerGatewayId="cgw-1")


def test_info_snake_case_except_tags(ec2):
    ec2.describe_customer_gateways.return_value = {
        "CustomerGateways": [dict(EXISTING, Tags=[{"Key": "CamelKey", "Value": "v"}])]
    }
    outcome, result = run_module(customer_gateway_info.main, {"filters": {"ip-address": "203.0.113.10"}})
    assert outcome == "exit"
    assert result["customer_gateways"] == [
        {
            "customer_gateway_id": "cgw-1",
            "ip_address": "203.0.113.10",
            "bgp_asn": "65000",
            "state": "available",
            "type": "ipsec.1",
            "tags": {"CamelKey": "v"},
        }
    ]
    assert ec2.describe_customer_gateways.call_args.kwargs == {
        "Filters": [{"Name": "ip-address", "Values": ["203.0.113.10"]}]
    }


# Issue 16 item 8: addresses no device has, ARNs that are not, reserved ASNs.
NO_DEVICE_ADDRESSES = ("0.0.0.0", "127.0.0.1", "255.255.255.255", "224.0.0.5", "198.18.0.1", "169.254.1.1", "ff02::1", "::1")


@pytest.mark.parametrize("args, field", [({"ip_address": ip}, "ip_address") for ip in NO_DEVICE_ADDRESSES] + [
    ({"ip_address": "203.0.113.10", "certificate_arn": "not-an-arn"}, "certificate_arn"),
    ({"certificate_arn": "arn:aws:iam::123456789012:server-certificate/x"}, "certificate_arn"),
    ({"ip_address": "203.0.113.10", "bgp_asn": 7224}, "bgp_asn"),
    ({"ip_address": "203.0.113.10", "bgp_asn": 9059, "region": "eu-west-1"}, "bgp_asn"),
    ({"ip_address": "203.0.113.10", "replace": True}, "replace"),
])
def test_unusable_inputs_refused_before_any_call(ec2, args, field):
    outcome, result = run_module(customer_gateway.main, args)
    assert outcome == "fail" and result["field"] == field, result
    assert ec2.method_calls == []


def test_ipv6_and_private_addresses_accepted(ec2):
    ec2.describe_customer_gateways.return_value = {"CustomerGateways": []}
    ec2.create_customer_gateway.return_value = {"CustomerGateway": dict(EXISTING, IpAddress="2001:db8::10")}
    outcome, result = run_module(customer_gateway.main, {"ip_address": "2001:db8::10"})
    assert outcome == "exit" and result["changed"], result
    assert ec2.create_customer_gateway.call_args.kwargs["IpAddress"] == "2001:db8::10"
    outcome, result = run_module(customer_gateway.main, {"ip_address": "10.1.2.3", "bgp_asn": 9059})
    assert outcome == "exit", result


# Issue 16 item 7: a gateway in use fails at once, naming the connections.
def test_delete_in_use_fails_at_once(ec2):
    ec2.describe_customer_gateways.return_value = {"CustomerGateways": [dict(EXISTING)]}
    ec2.describe_vpn_connections.return_value = {
        "VpnConnections": [{"VpnConnectionId": "vpn-7", "CustomerGatewayId": "cgw-1", "State": "available"}]
    }
    outcome, result = run_module(customer_gateway.main, {"ip_address": "203.0.113.10", "state": "absent"})
    assert outcome == "fail" and "vpn-7" in result["msg"] and result["vpn_connection_ids"] == ["vpn-7"]
    assert write_calls(ec2) == []


# Issue 16 item 10: a new address under an existing name is said, not silently added.
def test_new_ip_under_existing_name_refused(ec2):
    ec2.describe_customer_gateways.side_effect = [{"CustomerGateways": []}, {"CustomerGateways": [dict(EXISTING)]}]
    outcome, result = run_module(customer_gateway.main, {"ip_address": "203.0.113.99", "name": "site-a"})
    assert outcome == "fail" and result["field"] == "name" and "cgw-1" in result["msg"] and "replace" in result["msg"]
    assert write_calls(ec2) == []


def test_replace_creates_then_deletes_the_unused_old_one(ec2):
    ec2.describe_customer_gateways.side_effect = [{"CustomerGateways": []}, {"CustomerGateways": [dict(EXISTING)]}]
    ec2.describe_vpn_connections.return_value = {"VpnConnections": []}
    ec2.create_customer_gateway.return_value = {"CustomerGateway": dict(EXISTING, CustomerGatewayId="cgw-2", IpAddress="203.0.113.99")}
    outcome, result = run_module(
        customer_gateway.main, {"ip_address": "203.0.113.99", "name": "site-a", "replace": True, "wait": False}
    )
    assert outcome == "exit" and result["customer_gateway_id"] == "cgw-2", result
    assert result["replaced_customer_gateway_id"] == "cgw-1"
    assert write_calls(ec2) == ["create_customer_gateway", "delete_customer_gateway"]
    assert ec2.delete_customer_gateway.call_args.kwargs == {"CustomerGatewayId": "cgw-1"}
