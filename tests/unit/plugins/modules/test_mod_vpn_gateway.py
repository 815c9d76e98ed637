from __future__ import annotations

import copy

import pytest

from ansible_collections.sitevpn.aws.plugins.modules import vpn_gateway
from ansible_collections.sitevpn.aws.plugins.modules import vpn_gateway_info

from sitevpn_module_harness import run_module, write_calls

VGW = {
    "VpnGatewayId": "vgw-1",
    "State": "available",
    "Type": "ipsec.1",
    "AmazonSideAsn": 64512,
    "VpcAttachments": [{"VpcId": "vpc-1", "State": "attached"}],
    "Tags": [{"Key": "Name", "Value": "gw"}],
}
TABLES = [
    {"RouteTableId": "rtb-a", "VpcId": "vpc-1", "PropagatingVgws": [{"GatewayId": "vgw-1"}]},
    {"RouteTableId": "rtb-b", "VpcId": "vpc-1", "PropagatingVgws": []},
]


@pytest.fixture
def described(ec2):
    ec2.describe_vpn_gateways.return_value = {"VpnGateways": [copy.deepcopy(VGW)]}
    ec2.get_paginator.return_value.paginate.return_value.build_full_result.return_value = {
        "RouteTables": copy.deepcopy(TABLES),
        "Vpcs": [{"VpcId": "vpc-2"}],
    }
    return ec2


def test_bad_asn_fails_before_any_call(ec2):
    outcome, result = run_module(vpn_gateway.main, {"name": "gw", "amazon_side_asn": 100})
    assert outcome == "fail" and result["field"] == "amazon_side_asn"
    assert ec2.method_calls == []


def test_idempotent_is_one_describe_per_kind(described):
    outcome, result = run_module(
        vpn_gateway.main, {"name": "gw", "amazon_side_asn": 64512, "vpc_id": "vpc-1", "route_table_ids": ["rtb-a"]}
    )
    assert outcome == "exit" and not result["changed"], result
    assert result["route_table_ids"] == ["rtb-a"] and result["vpc_id"] == "vpc-1"
    assert [c[0] for c in described.method_calls] == ["describe_vpn_gateways", "get_paginator"]


@pytest.mark.parametrize(
    "purge, enabled, disabled, after",
    [(True, ["rtb-b"], ["rtb-a"], ["rtb-b"]), (False, ["rtb-b"], [], ["rtb-a", "rtb-b"])],
)
def test_route_propagation_with_and_without_purge(described, purge, enabled, disabled, after):
    args = {"name": "gw", "vpc_id": "vpc-1", "route_table_ids": ["rtb-b"], "purge_route_tables": purge}
    outcome, result = run_module(vpn_gateway.main, args)
    assert outcome == "exit" and result["changed"]
    assert [c.kwargs["RouteTableId"] for c in described.enable_vgw_route_propagation.call_args_list] == enabled
    assert [c.kwargs["RouteTableId"] for c in described.disable_vgw_route_propagation.call_args_list] == disabled
    assert result["route_table_ids"] == after


def test_route_table_of_another_vpc_fails(described):
    outcome, result = run_module(vpn_gateway.main, {"name": "gw", "vpc_id": "vpc-1", "route_table_ids": ["rtb-zzz"]})
    assert outcome == "fail" and "rtb-zzz" in result["msg"]
    assert write_calls(described) == []


def test_asn_cannot_change_in_place(described):
    outcome, result = run_module(vpn_gateway.main, {"name": "gw", "amazon_side_asn": 64513})
    assert outcome == "fail" and "cannot be modified in place" in result["msg"]
    assert write_calls(described) == []


@pytest.mark.parametrize(
    "args",
    [
        {"name": "gw", "vpc_id": "vpc-2"},
        {"name": "gw", "vpc_id": ""},
        {"name": "gw", "vpc_id": "vpc-1", "route_table_ids": ["rtb-b"]},
        {"name": "gw", "state": "absent"},
        {"name": "other", "amazon_side_asn": 64512},
    ],
)
def test_check_mode_makes_no_write_call(ec2, args):
    ec2.describe_vpn_gateways.return_value = {"VpnGateways": [copy.deepcopy(VGW)] if args["name"] == "gw" else []}
    ec2.get_paginator.return_value.paginate.return_value.build_full_result.return_value = {
        "RouteTables": copy.deepcopy(TABLES),
        "Vpcs": [{"VpcId": "vpc-2"}],
    }
    outcome, result = run_module(vpn_gateway.main, args, check_mode=True)
    assert outcome == "exit" and result["changed"], result
    assert write_calls(ec2) == []


def test_move_to_another_vpc_detaches_first(described):
    outcome, result = run_module(vpn_gateway.main, {"name": "gw", "vpc_id": "vpc-2", "wait": False})
    assert outcome == "exit" and result["changed"] and result["vpc_id"] == "vpc-2"
    assert write_calls(described) == ["detach_vpn_gateway", "attach_vpn_gateway"]
    assert result["diff"] == {
        "before": {"vpn_gateway_id": "vgw-1", "amazon_side_asn": 64512, "vpc_id": "vpc-1", "tags": {"Name": "gw"}},
        "after": {"vpn_gateway_id": "vgw-1", "amazon_side_asn": 64512, "vpc_id": "vpc-2", "tags": {"Name": "gw"}},
    }


def test_absent_detaches_then_deletes(described):
    outcome, result = run_module(vpn_gateway.main, {"name": "gw", "state": "absent"})
    assert outcome == "exit" and result["changed"]
    assert write_calls(described) == ["detach_vpn_gateway", "delete_vpn_gateway"]


def test_info(described):
    outcome, result = run_module(vpn_gateway_info.main, {"vpn_gateway_ids": ["vgw-1"]})
    assert outcome == "exit"
    assert result["vpn_gateways"][0]["vpc_attachments"] == [{"vpc_id": "vpc-1", "state": "attached"}]
    assert result["vpn_gateways"][0]["tags"] == {"Name": "gw"}


# Issue 16 item 3: nothing is created when the attach or the propagation would fail.
def test_route_tables_without_vpc_refused_before_create(ec2):
    ec2.describe_vpn_gateways.return_value = {"VpnGateways": []}
    outcome, result = run_module(vpn_gateway.main, {"name": "new", "route_table_ids": ["rtb-a"]})
    assert outcome == "fail" and result["field"] == "route_table_ids" and "vpc_id" in result["msg"]
    assert write_calls(ec2) == []


def test_nonexistent_vpc_refused_before_create(ec2):
    ec2.describe_vpn_gateways.return_value = {"VpnGateways": []}
    ec2.get_paginator.return_value.paginate.return_value.build_full_result.return_value = {"Vpcs": [], "RouteTables": []}
    outcome, result = run_module(vpn_gateway.main, {"name": "new", "vpc_id": "vpc-404"})
    assert outcome == "fail" and result["field"] == "vpc_id" and "vpc-404 does not exist" in result["msg"]
    assert write_calls(ec2) == []


def test_route_table_outside_target_vpc_refused_before_create(ec2):
    ec2.describe_vpn_gateways.return_value = {"VpnGateways": []}
    ec2.get_paginator.return_value.paginate.return_value.build_full_result.return_value = {
        "Vpcs": [{"VpcId": "vpc-1"}],
        "RouteTables": copy.deepcopy(TABLES),
    }
    outcome, result = run_module(vpn_gateway.main, {"name": "new", "vpc_id": "vpc-1", "route_table_ids": ["rtb-zzz"]})
    assert outcome == "fail" and result["field"] == "route_table_ids" and "rtb-zzz" in result["msg"]
    assert write_calls(ec2) == []


# Issue 16 item 6: no detach when the move cannot finish, no delete under live connections.
def test_move_to_vpc_with_a_gateway_refused_before_detach(described):
    other = dict(copy.deepcopy(VGW), VpnGatewayId="vgw-2", VpcAttachments=[{"VpcId": "vpc-2", "State": "attached"}])
    described.describe_vpn_gateways.side_effect = [{"VpnGateways": [copy.deepcopy(VGW)]}, {"VpnGateways": [other]}]
    outcome, result = run_module(vpn_gateway.main, {"name": "gw", "vpc_id": "vpc-2"})
    assert outcome == "fail" and result["field"] == "vpc_id" and "vgw-2" in result["msg"]
    assert write_calls(described) == []


def test_absent_with_live_connections_refused(described):
    described.describe_vpn_connections.return_value = {
        "VpnConnections": [{"VpnConnectionId": "vpn-1", "VpnGatewayId": "vgw-1", "State": "available"}]
    }
    outcome, result = run_module(vpn_gateway.main, {"name": "gw", "state": "absent"})
    assert outcome == "fail" and "vpn-1" in result["msg"]
    assert write_calls(described) == []
