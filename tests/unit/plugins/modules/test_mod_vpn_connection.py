from __future__ import annotations

import copy

import pytest

from ansible_collections.sitevpn.aws.plugins.modules import vpn_connection
from ansible_collections.sitevpn.aws.plugins.modules import vpn_connection_info

from sitevpn_module_harness import run_module, write_calls

BASE = {"customer_gateway_id": "cgw-1", "vpn_gateway_id": "vgw-1", "name": "site-a"}
# Described in the order AWS may use: tunnel 2 first.
EXISTING = {
    "VpnConnectionId": "vpn-1",
    "CustomerGatewayId": "cgw-1",
    "VpnGatewayId": "vgw-1",
    "State": "available",
    "Type": "ipsec.1",
    "Options": {
        "StaticRoutesOnly": False,
        "TunnelOptions": [
            {"OutsideIpAddress": "198.51.100.12", "TunnelInsideCidr": "169.254.11.0/30", "PreSharedKey": "psk_two_222"},
            {
                "OutsideIpAddress": "198.51.100.11",
                "TunnelInsideCidr": "169.254.10.0/30",
                "PreSharedKey": "psk_one_111",
                "DpdTimeoutSeconds": 40,
            },
        ],
    },
    "Routes": [],
    "Tags": [{"Key": "Name", "Value": "site-a"}],
}


def existing(ec2, conn=None):
    ec2.describe_vpn_connections.return_value = {"VpnConnections": [copy.deepcopy(conn or EXISTING)]}


@pytest.mark.parametrize(
    "args, field",
    [
        ({"tunnel_options": [{"pre_shared_key": "0startswithzero"}]}, "tunnel_options[1].pre_shared_key"),
        ({"tunnel_options": [{"tunnel_inside_cidr": "169.254.1.0/30"}]}, "tunnel_options[1].tunnel_inside_cidr"),
        (
            {"tunnel_options": [{"tunnel_inside_cidr": "169.254.10.0/30"}, {"tunnel_inside_cidr": "169.254.10.0/30"}]},
            "tunnel_options[2].tunnel_inside_cidr",
        ),
        ({"tunnel_options": [{}, {}, {}]}, "tunnel_options"),
        ({"tunnel_options": [{"phase2_lifetime_seconds": 4000}]}, "tunnel_options[1].phase2_lifetime_seconds"),
        (
            {
                "tunnel_options": [
                    {
                        "ike_versions": ["ikev1", "ikev2"],
                        "phase1_additional_key_exchanges": [{"round": 1, "requirement": "required", "methods": [36]}],
                    }
                ]
            },
            "tunnel_options[1]",
        ),
        ({"routes": ["172.17.0.0/16"], "static_routes_only": False}, "routes"),
        ({"routes": ["172.17.0.300/16"], "static_routes_only": True}, "routes[0]"),
        ({"local_ipv4_network_cidr": "10.0.0.0/33"}, "local_ipv4_network_cidr"),
    ],
)
def test_bad_input_fails_before_any_call(ec2, args, field):
    outcome, result = run_module(vpn_connection.main, dict(BASE, **args))
    assert outcome == "fail", result
    assert result["field"].startswith(field), result
    assert ec2.method_calls == []


def test_both_gateways_refused(ec2):
    outcome, result = run_module(vpn_connection.main, dict(BASE, transit_gateway_id="tgw-1"))
    assert outcome == "fail" and "mutually exclusive" in result["msg"] and "transit_gateway_id" in result["msg"]
    assert ec2.method_calls == []


def test_create_check_mode_makes_no_write_call(ec2):
    ec2.describe_vpn_connections.return_value = {"VpnConnections": []}
    outcome, result = run_module(
        vpn_connection.main, dict(BASE, tunnel_options=[{"dpd_timeout_seconds": 40}]), check_mode=True
    )
    assert outcome == "exit" and result["changed"] and result["vpn_connection_id"] is None
    assert write_calls(ec2) == []


def test_create_sends_options_and_tags(ec2):
    created = copy.deepcopy(EXISTING)
    ec2.describe_vpn_connections.side_effect = [{"VpnConnections": []}, {"VpnConnections": [created]}]
    ec2.create_vpn_connection.return_value = {"VpnConnection": created}
    args = dict(
        BASE,
        static_routes_only=True,
        routes=["172.17.0.0/16"],
        wait=False,
        tunnel_options=[{"tunnel_inside_cidr": "169.254.10.0/30", "ike_versions": ["ikev2"]}],
    )
    outcome, result = run_module(vpn_connection.main, args)
    assert outcome == "exit" and result["changed"], result
    kwargs = ec2.create_vpn_connection.call_args.kwargs
    assert kwargs["Options"] == {
        "StaticRoutesOnly": True,
        "TunnelOptions": [{"TunnelInsideCidr": "169.254.10.0/30", "IKEVersions": [{"Value": "ikev2"}]}],
    }
    assert kwargs["TagSpecifications"] == [
        {"ResourceType": "vpn-connection", "Tags": [{"Key": "Name", "Value": "site-a"}]}
    ]
    ec2.create_vpn_connection_route.assert_called_once_with(
        VpnConnectionId="vpn-1", DestinationCidrBlock="172.17.0.0/16"
    )


def test_idempotent_with_defaults_and_reversed_order(ec2):
    existing(ec2)
    args = dict(
        BASE,
        tunnel_options=[
            {"tunnel_inside_cidr": "169.254.10.0/30", "dpd_timeout_seconds": 40, "dpd_timeout_action": "clear"},
            {"tunnel_inside_cidr": "169.254.11.0/30", "phase1_lifetime_seconds": 28800},
        ],
    )
    outcome, result = run_module(vpn_connection.main, args)
    assert outcome == "exit" and not result["changed"], result
    assert [c[0] for c in ec2.method_calls] == ["describe_vpn_connections"]
    assert "psk_one_111" not in repr(result)


def test_modify_one_tunnel_at_a_time_by_outside_ip(ec2):
    existing(ec2)
    ec2.modify_vpn_tunnel_options.return_value = {"VpnConnection": {}}
    args = dict(
        BASE,
        tunnel_options=[
            {"tunnel_inside_cidr": "169.254.10.0/30", "dpd_timeout_seconds": 45},
            {"outside_ip_address": "198.51.100.12", "replay_window_size": 512},
        ],
    )
    outcome, result = run_module(vpn_connection.main, args)
    assert outcome == "exit" and result["changed"], result
    calls = [c.kwargs for c in ec2.modify_vpn_tunnel_options.call_args_list]
    assert calls == [
        {
            "VpnConnectionId": "vpn-1",
            "VpnTunnelOutsideIpAddress": "198.51.100.11",
            "TunnelOptions": {"DPDTimeoutSeconds": 45},
        },
        {
            "VpnConnectionId": "vpn-1",
            "VpnTunnelOutsideIpAddress": "198.51.100.12",
            "TunnelOptions": {"ReplayWindowSize": 512},
        },
    ]
    # A wait for `available` between the two modifications and after the last.
    names = [c[0] for c in ec2.mock_calls]
    first, second = [i for i, n in enumerate(names) if n == "modify_vpn_tunnel_options"]
    assert "get_waiter().wait" in names[first:second] and "get_waiter().wait" in names[second:]
    assert "delete_vpn_connection" not in names and "create_vpn_connection" not in names


def test_modify_check_mode_makes_no_write_call(ec2):
    existing(ec2)
    outcome, result = run_module(
        vpn_connection.main,
        dict(BASE, tunnel_options=[{"outside_ip_address": "198.51.100.12", "replay_window_size": 512}]),
        check_mode=True,
    )
    assert outcome == "exit" and result["changed"]
    assert write_calls(ec2) == []
    before = {t["outside_ip_address"]: t for t in result["diff"]["before"]["tunnels"]}
    after = {t["outside_ip_address"]: t for t in result["diff"]["after"]["tunnels"]}
    assert (before["198.51.100.12"]["replay_window_size"], after["198.51.100.12"]["replay_window_size"]) == (1024, 512)
    assert not any("pre_shared_key" in t for side in result["diff"].values() for t in side["tunnels"])
    assert "psk_one_111" not in repr(result["diff"]) and "psk_two_222" not in repr(result["diff"])


@pytest.mark.parametrize("args", [{"static_routes_only": True}, {"outside_ip_address_type": "Ipv6"}])
def test_non_modifiable_difference_fails_without_writing(ec2, args):
    existing(ec2)
    outcome, result = run_module(vpn_connection.main, dict(BASE, **args))
    assert outcome == "fail" and "cannot modify this in place" in result["msg"]
    assert write_calls(ec2) == []


def test_ambiguous_entries_fail(ec2):
    conn = copy.deepcopy(EXISTING)
    conn["Options"]["TunnelOptions"][1].pop("DpdTimeoutSeconds")
    existing(ec2, conn)
    outcome, result = run_module(
        vpn_connection.main, dict(BASE, tunnel_options=[{"dpd_timeout_seconds": 45}, {"dpd_timeout_seconds": 50}])
    )
    assert outcome == "fail" and "outside_ip_address" in result["msg"]
    assert write_calls(ec2) == []


@pytest.mark.parametrize("secrets", [False, True])
def test_info_secrets_only_on_request(ec2, secrets):
    existing(ec2)
    outcome, result = run_module(vpn_connection_info.main, {"return_secrets": secrets})
    assert outcome == "exit"
    tunnels = result["vpn_connections"][0]["tunnels"]
    assert ("pre_shared_key" in tunnels[0]) is secrets
    assert ("psk_one_111" in repr(result)) is secrets


# Issue 16 items 1, 2: what AWS refuses by gateway kind and inside IP version, refused here first.
@pytest.mark.parametrize(
    "args, field",
    [
        ({"tunnel_bandwidth": "large"}, "tunnel_bandwidth"),
        ({"tunnel_inside_ip_version": "ipv6"}, "tunnel_inside_ip_version"),
        ({"local_ipv6_network_cidr": "fd00:1::/64"}, "local_ipv6_network_cidr"),
        ({"remote_ipv6_network_cidr": "fd00:2::/64"}, "remote_ipv6_network_cidr"),
        ({"tunnel_options": [{}, {"tunnel_inside_ipv6_cidr": "fd00::/126"}]}, "tunnel_options[2].tunnel_inside_ipv6_cidr"),
    ],
)
def test_vgw_connection_rules_refused_before_any_call(ec2, args, field):
    outcome, result = run_module(vpn_connection.main, dict(BASE, **args))
    assert outcome == "fail" and result["field"] == field, result
    assert ec2.method_calls == []


@pytest.mark.parametrize(
    "args, field",
    [
        ({"tunnel_bandwidth": "large"}, "tunnel_bandwidth"),
        ({"local_ipv6_network_cidr": "fd00:1::/64"}, "local_ipv6_network_cidr"),
        ({"routes": ["172.16.0.0/16"]}, "routes"),
        ({"name": "site-z"}, "name"),
    ],
)
def test_existing_connection_rules_refused_before_any_write(ec2, args, field):
    """Found by id (no gateway given) or by its gateways: the describe tells VGW, BGP and Name."""
    existing(ec2)
    by_id = {"vpn_connection_id": "vpn-1"} if field != "name" else dict(BASE)
    outcome, result = run_module(vpn_connection.main, dict(by_id, **args))
    assert outcome == "fail" and result["field"] == field, result
    assert write_calls(ec2) == []


def test_routes_without_static_routes_only_on_create_refused(ec2):
    ec2.describe_vpn_connections.return_value = {"VpnConnections": []}
    outcome, result = run_module(vpn_connection.main, dict(BASE, routes=["172.16.0.0/16"]))
    assert outcome == "fail" and result["field"] == "routes"
    assert write_calls(ec2) == []


# Issue 16 item 4: a key for a connection whose keys live in Secrets Manager is refused, not ignored.
def test_psk_with_secrets_manager_storage_refused(ec2):
    conn = copy.deepcopy(EXISTING)
    conn["PreSharedKeyArn"] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:vpn-1"
    for tunnel in conn["Options"]["TunnelOptions"]:
        tunnel.pop("PreSharedKey")
    existing(ec2, conn)
    args = dict(BASE, tunnel_options=[{"tunnel_inside_cidr": "169.254.10.0/30", "pre_shared_key": "new_key_1234"}])
    outcome, result = run_module(vpn_connection.main, args)
    assert outcome == "fail" and result["field"] == "tunnel_options[1].pre_shared_key" and "Secrets Manager" in result["msg"]
    assert "new_key_1234" not in result["msg"]
    assert write_calls(ec2) == []


# Issue 16 item 5: diff mode shows every change; a key change as "changed", never the key.
@pytest.mark.parametrize("check_mode", [True, False])
def test_diff_shows_bandwidth_storage_cidrs_and_key_changes(ec2, check_mode):
    existing(ec2)
    ec2.modify_vpn_connection_options.return_value = {"VpnConnection": {}}
    ec2.modify_vpn_tunnel_options.return_value = {"VpnConnection": {}}
    after_conn = copy.deepcopy(EXISTING)
    after_conn["Options"].update(RemoteIpv4NetworkCidr="10.0.0.0/16")
    after_conn["Options"]["TunnelOptions"][1]["PreSharedKey"] = "new_key_1234"
    if not check_mode:
        ec2.describe_vpn_connections.side_effect = [{"VpnConnections": [copy.deepcopy(EXISTING)]}, {"VpnConnections": [after_conn]}]
    args = dict(
        BASE,
        remote_ipv4_network_cidr="10.0.0.0/16",
        wait=False,
        tunnel_options=[{"outside_ip_address": "198.51.100.11", "pre_shared_key": "new_key_1234"}],
    )
    outcome, result = run_module(vpn_connection.main, args, check_mode=check_mode)
    assert outcome == "exit" and result["changed"], result
    diff = result["diff"]
    assert (diff["before"]["remote_ipv4_network_cidr"], diff["after"]["remote_ipv4_network_cidr"]) == ("0.0.0.0/0", "10.0.0.0/16")
    assert diff["before"]["tunnel_bandwidth"] == "standard" and diff["before"]["pre_shared_key_storage"] == "Standard"
    after = {t["outside_ip_address"]: t for t in diff["after"]["tunnels"]}
    assert after["198.51.100.11"]["pre_shared_key"] == "changed" and "pre_shared_key" not in after["198.51.100.12"]
    assert "new_key_1234" not in repr(diff) and "psk_one_111" not in repr(diff)


# Issue 16 item 11: Ansible's own argument errors name the entry.
@pytest.mark.parametrize(
    "entry, words",
    [
        ({"phase1_dh_group_numbers": [25]}, "phase1_dh_group_numbers"),
        ({"phase1_lifetime_seconds": "an hour"}, "phase1_lifetime_seconds"),
        ({"dpd_interval": 10}, "dpd_interval"),
        ({"log_options": {"cloudwatch_log_options": {"log_output_format": "xml"}}}, "log_output_format"),
    ],
)
def test_argument_errors_name_the_entry(ec2, entry, words):
    args = dict(BASE, tunnel_options=[{"dpd_timeout_seconds": 30, "pre_shared_key": "secret_key_1"}, entry])
    outcome, result = run_module(vpn_connection.main, args)
    assert outcome == "fail" and result["field"] == "tunnel_options[2]", result
    assert result["msg"].startswith("tunnel_options[2]: ") and words in result["msg"]
    assert "secret_key_1" not in repr(result)
    assert ec2.method_calls == []
