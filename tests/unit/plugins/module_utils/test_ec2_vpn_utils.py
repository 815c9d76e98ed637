# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ec2_vpn: the EC2 wrappers' error handling and the pure comparison / matching logic."""

from __future__ import annotations

import json
from pathlib import Path
from unittest.mock import MagicMock

import botocore.exceptions
import pytest

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.sitevpn.aws.plugins.module_utils import ec2_vpn

SHARED = Path(__file__).resolve().parents[3] / "fixtures" / "real-aws"


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


def tunnel_entry(ip, cidr, psk, **extra):
    entry = {"OutsideIpAddress": ip, "TunnelInsideCidr": cidr, "PreSharedKey": psk}
    entry.update(extra)
    return entry


def connection(tunnels, **extra):
    conn = {
        "VpnConnectionId": "vpn-1",
        "CustomerGatewayId": "cgw-1",
        "VpnGatewayId": "vgw-1",
        "State": "available",
        "Options": {"StaticRoutesOnly": False, "TunnelOptions": tunnels},
        "Routes": [],
        "Tags": [{"Key": "Name", "Value": "site-a"}],
    }
    conn.update(extra)
    return conn


T1 = tunnel_entry("198.51.100.11", "169.254.10.0/30", "psk_one_111")
T2 = tunnel_entry("198.51.100.12", "169.254.11.0/30", "psk_two_222", IkeVersions=[{"Value": "ikev2"}])


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
    found = ec2_vpn.find_customer_gateway(client, FakeModule(), "203.0.113.10", asn, **kwargs)
    assert (found or {}).get("CustomerGatewayId") == expected
    assert client.describe_customer_gateways.call_count == 1


def test_find_customer_gateway_refuses_to_guess():
    client = MagicMock()
    client.describe_customer_gateways.return_value = {"CustomerGateways": [cgw("cgw-1"), cgw("cgw-2")]}
    with pytest.raises(Failed, match="cgw-1, cgw-2"):
        ec2_vpn.find_customer_gateway(client, FakeModule(), "203.0.113.10", 65000)


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
    changed, gw, diff = ec2_vpn.ensure_customer_gateway(client, module, None)
    kwargs = client.create_customer_gateway.call_args.kwargs
    assert changed and gw["CustomerGatewayId"] == "cgw-9"
    assert kwargs[key] == asn and ({"BgpAsn", "BgpAsnExtended"} - {key}).isdisjoint(kwargs)
    assert kwargs["TagSpecifications"] == [
        {"ResourceType": "customer-gateway", "Tags": [{"Key": "P", "Value": "x"}, {"Key": "Name", "Value": "site-a"}]}
    ]
    assert diff["before"] == {} and diff["after"]["tags"] == {"P": "x", "Name": "site-a"}


def test_create_customer_gateway_check_mode_makes_no_call():
    client = MagicMock()
    module = FakeModule(
        {"bgp_asn": 65000, "ip_address": "203.0.113.10", "name": None, "tags": None, "purge_tags": True},
        check_mode=True,
    )
    changed, dummy, dummy2 = ec2_vpn.ensure_customer_gateway(client, module, None)
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


# ------------------------------------------------------------------ tunnel matching
def test_match_by_outside_ip_whatever_the_order():
    current = ec2_vpn.current_tunnels(connection([T2, T1]))
    pairs = ec2_vpn.match_tunnels(
        [{"outside_ip_address": "198.51.100.11", "dpd_timeout_seconds": 40}, {"outside_ip_address": "198.51.100.12"}],
        current,
    )
    assert [(i, t["outside_ip_address"]) for i, dummy, t in pairs] == [(0, "198.51.100.11"), (1, "198.51.100.12")]


def test_match_by_inside_cidr_and_psk():
    current = ec2_vpn.current_tunnels(connection([T2, T1]))
    pairs = ec2_vpn.match_tunnels(
        [{"pre_shared_key": "psk_two_222"}, {"tunnel_inside_cidr": "169.254.10.0/30"}], current
    )
    assert [t["outside_ip_address"] for dummy, dummy2, t in pairs] == ["198.51.100.12", "198.51.100.11"]


def test_match_best_fit_when_nothing_names_the_tunnel():
    # Entry 0 is what tunnel 2 already has (ikev2 only): it must go there, not to position 0.
    current = ec2_vpn.current_tunnels(connection([T1, T2]))
    pairs = ec2_vpn.match_tunnels([{"ike_versions": ["ikev2"]}, {"ike_versions": ["ikev1", "ikev2"]}], current)
    assert {i: t["outside_ip_address"] for i, dummy, t in pairs} == {0: "198.51.100.12", 1: "198.51.100.11"}


def test_match_ambiguous_fails():
    current = ec2_vpn.current_tunnels(connection([T1, tunnel_entry("198.51.100.12", "169.254.11.0/30", "psk_two_222")]))
    with pytest.raises(ValueError, match="outside_ip_address"):
        ec2_vpn.match_tunnels([{"dpd_timeout_seconds": 40}, {"dpd_timeout_seconds": 50}], current)


def test_identical_entries_are_not_ambiguous():
    current = ec2_vpn.current_tunnels(connection([T1, T2]))
    pairs = ec2_vpn.match_tunnels([{"dpd_timeout_seconds": 40}, {"dpd_timeout_seconds": 40}], current)
    assert len(pairs) == 2


def test_unknown_outside_ip_fails():
    current = ec2_vpn.current_tunnels(connection([T1, T2]))
    with pytest.raises(ValueError, match=r"tunnel_options\[1\].outside_ip_address: 192.0.2.1"):
        ec2_vpn.match_tunnels([{"outside_ip_address": "192.0.2.1"}], current)


# ------------------------------------------------------------------ planning changes
def params(**kw):
    base = {"routes": None, "purge_routes": True, "tunnel_options": None, "pre_shared_key_storage": None}
    base.update(kw)
    return base


def test_defaults_given_explicitly_are_no_change():
    conn = connection([T1, T2])
    plan = ec2_vpn.plan_vpn_connection(
        params(
            static_routes_only=False,
            tunnel_options=[
                {
                    "outside_ip_address": "198.51.100.11",
                    "phase1_lifetime_seconds": 28800,
                    "dpd_timeout_action": "clear",
                    "startup_action": "add",
                },
                {"outside_ip_address": "198.51.100.12", "ike_versions": ["ikev2"], "replay_window_size": 1024},
            ],
        ),
        conn,
    )
    assert plan == {
        "errors": [],
        "connection_options": {},
        "tunnels": [],
        "psk_storage": None,
        "routes_add": [],
        "routes_remove": [],
        "target": {},
    }


def test_tunnel_change_planned_per_outside_ip():
    plan = ec2_vpn.plan_vpn_connection(
        params(tunnel_options=[{"outside_ip_address": "198.51.100.12", "dpd_timeout_seconds": 45}]),
        connection([T1, T2]),
    )
    assert plan["errors"] == []
    assert plan["tunnels"] == [("198.51.100.12", {"dpd_timeout_seconds": (30, 45)})]


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"static_routes_only": True}, "static_routes_only"),
        ({"tunnel_inside_ip_version": "ipv6"}, "tunnel_inside_ip_version"),
        ({"enable_acceleration": True}, "enable_acceleration"),
    ],
)
def test_non_modifiable_difference_is_an_error_not_a_replace(kw, message):
    plan = ec2_vpn.plan_vpn_connection(params(**kw), connection([T1, T2]))
    assert len(plan["errors"]) == 1
    assert plan["errors"][0].startswith(message) and "cannot modify this in place" in plan["errors"][0]


def test_routes_and_connection_options():
    conn = connection(
        [T1, T2],
        Routes=[
            {"DestinationCidrBlock": "172.17.0.0/16", "State": "available"},
            {"DestinationCidrBlock": "10.9.0.0/16", "State": "available"},
        ],
    )
    plan = ec2_vpn.plan_vpn_connection(
        params(routes=["172.17.0.0/16", "172.18.0.0/16"], local_ipv4_network_cidr="172.17.0.0/16"), conn
    )
    assert plan["routes_add"] == ["172.18.0.0/16"] and plan["routes_remove"] == ["10.9.0.0/16"]
    assert plan["connection_options"] == {"LocalIpv4NetworkCidr": "172.17.0.0/16"}
    plan = ec2_vpn.plan_vpn_connection(params(routes=["172.17.0.0/16"], purge_routes=False), conn)
    assert plan["routes_add"] == [] and plan["routes_remove"] == []


def test_psk_not_compared_when_stored_in_secrets_manager():
    t = {"OutsideIpAddress": "198.51.100.11", "TunnelInsideCidr": "169.254.10.0/30"}
    conn = connection(
        [t, dict(t, OutsideIpAddress="198.51.100.12", TunnelInsideCidr="169.254.11.0/30")],
        PreSharedKeyArn="arn:aws:secretsmanager:x",
    )
    plan = ec2_vpn.plan_vpn_connection(
        params(
            pre_shared_key_storage="SecretsManager",
            tunnel_options=[{"outside_ip_address": "198.51.100.11", "pre_shared_key": "new_key_123"}],
        ),
        conn,
    )
    assert plan["tunnels"] == [] and plan["psk_storage"] is None and plan["errors"] == []


def test_create_params():
    api = ec2_vpn.create_vpn_connection_params(
        params(
            customer_gateway_id="cgw-1",
            vpn_gateway_id="vgw-1",
            static_routes_only=True,
            tunnel_options=[{"outside_ip_address": None, "dpd_timeout_seconds": 40, "ike_versions": ["ikev2"]}],
        ),
        {"Name": "site-b"},
    )
    assert api["Options"] == {
        "StaticRoutesOnly": True,
        "TunnelOptions": [{"DPDTimeoutSeconds": 40, "IKEVersions": [{"Value": "ikev2"}]}],
    }
    assert api["TagSpecifications"][0]["ResourceType"] == "vpn-connection"
    assert "TransitGatewayId" not in api


# ------------------------------------------------------------------ results
def real_connection():
    return json.loads((SHARED / "vpn-ba2e34a8.describe-vpn-connections.json").read_text())["VpnConnections"][0]


def test_result_has_no_psk_by_default():
    conn = real_connection()
    result = ec2_vpn.vpn_connection_result(conn)
    text = json.dumps(result)
    assert "QMP5tKPP5qk95Y1Eee9c_82.MofNUJQV" not in text and "pre_shared_key" not in text
    assert "customer_gateway_configuration" not in result["vpn_connection"]
    assert [t["outside_ip"] for t in result["tunnels"]] == ["52.27.166.152", "52.39.121.126"]
    assert result["vpn_connection"]["tags"] == {"Name": "GNS3-BGP-Test"}


def test_result_with_secrets():
    result = ec2_vpn.vpn_connection_result(real_connection(), return_secrets=True)
    assert result["tunnels"][0]["pre_shared_key"] == "QMP5tKPP5qk95Y1Eee9c_82.MofNUJQV"
    assert "customer_gateway_configuration" in result["vpn_connection"]


def test_diff_view_never_shows_psks():
    view = ec2_vpn.vpn_view(real_connection())
    assert not any("pre_shared_key" in t for t in view["tunnels"]) and "PreSharedKey" not in json.dumps(view)
    assert [t["outside_ip_address"] for t in view["tunnels"]] == ["52.27.166.152", "52.39.121.126"]


def test_move_to_another_gateway_by_id():
    plan = ec2_vpn.plan_vpn_connection(params(vpn_connection_id="vpn-1", vpn_gateway_id="vgw-2"), connection([T1, T2]))
    assert plan["target"] == {"VpnGatewayId": "vgw-2"} and plan["errors"] == []
    plan = ec2_vpn.plan_vpn_connection(params(vpn_connection_id="vpn-1", transit_gateway_id="tgw-1"), connection([T1, T2]))
    assert plan["target"] == {"TransitGatewayId": "tgw-1"}


# ------------------------------------------------------------------ waiting
def waiter_error(code):
    return botocore.exceptions.WaiterError(name="VpnConnectionAvailable", reason="x", last_response={"Error": {"Code": code}})


def test_wait_keeps_waiting_through_throttling(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    client = MagicMock()
    client.get_waiter.return_value.wait.side_effect = [waiter_error("RequestLimitExceeded"), None]
    ec2_vpn.wait_for(client, FakeModule(), "vpn_connection_available", 60, VpnConnectionIds=["vpn-1"])
    assert client.get_waiter.return_value.wait.call_count == 2
    assert client.get_waiter.return_value.wait.call_args.kwargs["WaiterConfig"]["Delay"] == 1


def test_wait_fails_on_other_errors(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    client = MagicMock()
    client.get_waiter.return_value.wait.side_effect = [waiter_error("InvalidVpnConnectionID.NotFound")]
    with pytest.raises(Failed, match="Timeout waiting for 'vpn_connection_available'"):
        ec2_vpn.wait_for(client, FakeModule(), "vpn_connection_available", 600, VpnConnectionIds=["vpn-1"])
    assert client.get_waiter.return_value.wait.call_args.kwargs["WaiterConfig"] == {"Delay": 5, "MaxAttempts": 120}
