# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vpn_changes and vpn_connections: tunnel matching, the connection change set, diff views and results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils import vpn_changes
from ansible_collections.sitevpn.aws.plugins.module_utils import vpn_connections
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connection_checks import existing_errors

SHARED = Path(__file__).resolve().parents[3] / "fixtures" / "real-aws"


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


# ------------------------------------------------------------------ tunnel matching
def test_match_by_outside_ip_whatever_the_order():
    current = vpn_changes.current_tunnels(connection([T2, T1]))
    pairs = vpn_changes.match_tunnels(
        [{"outside_ip_address": "198.51.100.11", "dpd_timeout_seconds": 40}, {"outside_ip_address": "198.51.100.12"}],
        current,
    )
    assert [(i, t["outside_ip_address"]) for i, dummy, t in pairs] == [(0, "198.51.100.11"), (1, "198.51.100.12")]


def test_match_by_inside_cidr_and_psk():
    current = vpn_changes.current_tunnels(connection([T2, T1]))
    pairs = vpn_changes.match_tunnels(
        [{"pre_shared_key": "psk_two_222"}, {"tunnel_inside_cidr": "169.254.10.0/30"}], current
    )
    assert [t["outside_ip_address"] for dummy, dummy2, t in pairs] == ["198.51.100.12", "198.51.100.11"]


def test_match_best_fit_when_nothing_names_the_tunnel():
    # Entry 0 is what tunnel 2 already has (ikev2 only): it must go there, not to position 0.
    current = vpn_changes.current_tunnels(connection([T1, T2]))
    pairs = vpn_changes.match_tunnels([{"ike_versions": ["ikev2"]}, {"ike_versions": ["ikev1", "ikev2"]}], current)
    assert {i: t["outside_ip_address"] for i, dummy, t in pairs} == {0: "198.51.100.12", 1: "198.51.100.11"}


def test_match_ambiguous_fails():
    current = vpn_changes.current_tunnels(connection([T1, tunnel_entry("198.51.100.12", "169.254.11.0/30", "psk_two_222")]))
    with pytest.raises(ValueError, match="outside_ip_address"):
        vpn_changes.match_tunnels([{"dpd_timeout_seconds": 40}, {"dpd_timeout_seconds": 50}], current)


def test_identical_entries_are_not_ambiguous():
    current = vpn_changes.current_tunnels(connection([T1, T2]))
    pairs = vpn_changes.match_tunnels([{"dpd_timeout_seconds": 40}, {"dpd_timeout_seconds": 40}], current)
    assert len(pairs) == 2


def test_unknown_outside_ip_fails():
    current = vpn_changes.current_tunnels(connection([T1, T2]))
    with pytest.raises(ValueError, match=r"tunnel_options\[1\].outside_ip_address: 192.0.2.1"):
        vpn_changes.match_tunnels([{"outside_ip_address": "192.0.2.1"}], current)


# ------------------------------------------------------------------ planning changes
def params(**kw):
    base = {"routes": None, "purge_routes": True, "tunnel_options": None, "pre_shared_key_storage": None}
    base.update(kw)
    return base


def test_defaults_given_explicitly_are_no_change():
    conn = connection([T1, T2])
    changes = vpn_changes.vpn_connection_changes(
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
    assert changes == {"errors": [], "connection_options": {}, "tunnels": [], "psk_storage": None,
                       "routes_add": [], "routes_remove": [], "target": {}}


def test_tunnel_change_planned_per_outside_ip():
    changes = vpn_changes.vpn_connection_changes(
        params(tunnel_options=[{"outside_ip_address": "198.51.100.12", "dpd_timeout_seconds": 45}]),
        connection([T1, T2]),
    )
    assert changes["errors"] == []
    assert changes["tunnels"] == [("198.51.100.12", {"dpd_timeout_seconds": (30, 45)})]


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"static_routes_only": True}, "static_routes_only"),
        ({"tunnel_inside_ip_version": "ipv6"}, "tunnel_inside_ip_version"),
        ({"enable_acceleration": True}, "enable_acceleration"),
    ],
)
def test_non_modifiable_difference_is_an_error_not_a_replace(kw, message):
    changes = vpn_changes.vpn_connection_changes(params(**kw), connection([T1, T2]))
    assert len(changes["errors"]) == 1
    assert changes["errors"][0].startswith(message) and "cannot modify this in place" in changes["errors"][0]


def test_routes_and_connection_options():
    conn = connection(
        [T1, T2],
        Routes=[
            {"DestinationCidrBlock": "172.17.0.0/16", "State": "available"},
            {"DestinationCidrBlock": "10.9.0.0/16", "State": "available"},
        ],
    )
    changes = vpn_changes.vpn_connection_changes(
        params(routes=["172.17.0.0/16", "172.18.0.0/16"], local_ipv4_network_cidr="172.17.0.0/16"), conn
    )
    assert changes["routes_add"] == ["172.18.0.0/16"] and changes["routes_remove"] == ["10.9.0.0/16"]
    assert changes["connection_options"] == {"LocalIpv4NetworkCidr": "172.17.0.0/16"}
    changes = vpn_changes.vpn_connection_changes(params(routes=["172.17.0.0/16"], purge_routes=False), conn)
    assert changes["routes_add"] == [] and changes["routes_remove"] == []


def test_psk_not_compared_when_stored_in_secrets_manager():
    t = {"OutsideIpAddress": "198.51.100.11", "TunnelInsideCidr": "169.254.10.0/30"}
    conn = connection(
        [t, dict(t, OutsideIpAddress="198.51.100.12", TunnelInsideCidr="169.254.11.0/30")],
        PreSharedKeyArn="arn:aws:secretsmanager:x",
    )
    changes = vpn_changes.vpn_connection_changes(
        params(
            pre_shared_key_storage="SecretsManager",
            tunnel_options=[{"outside_ip_address": "198.51.100.11", "pre_shared_key": "new_key_123"}],
        ),
        conn,
    )
    assert changes["tunnels"] == [] and changes["psk_storage"] is None and changes["errors"] == []


def test_create_params():
    api = vpn_changes.create_vpn_connection_params(
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
    result = vpn_connections.vpn_connection_result(conn)
    text = json.dumps(result)
    assert "QMP5tKPP5qk95Y1Eee9c_82.MofNUJQV" not in text and "pre_shared_key" not in text
    assert "customer_gateway_configuration" not in result["vpn_connection"]
    assert [t["outside_ip"] for t in result["tunnels"]] == ["52.27.166.152", "52.39.121.126"]
    assert result["vpn_connection"]["tags"] == {"Name": "GNS3-BGP-Test"}


def test_result_with_secrets():
    result = vpn_connections.vpn_connection_result(real_connection(), return_secrets=True)
    assert result["tunnels"][0]["pre_shared_key"] == "QMP5tKPP5qk95Y1Eee9c_82.MofNUJQV"
    assert "customer_gateway_configuration" in result["vpn_connection"]


def test_diff_view_never_shows_psks():
    view = vpn_changes.vpn_view(real_connection())
    assert not any("pre_shared_key" in t for t in view["tunnels"]) and "PreSharedKey" not in json.dumps(view)
    assert [t["outside_ip_address"] for t in view["tunnels"]] == ["52.27.166.152", "52.39.121.126"]


def test_move_to_another_gateway_by_id():
    changes = vpn_changes.vpn_connection_changes(params(vpn_connection_id="vpn-1", vpn_gateway_id="vgw-2"), connection([T1, T2]))
    assert changes["target"] == {"VpnGatewayId": "vgw-2"} and changes["errors"] == []
    changes = vpn_changes.vpn_connection_changes(params(vpn_connection_id="vpn-1", transit_gateway_id="tgw-1"), connection([T1, T2]))
    assert changes["target"] == {"TransitGatewayId": "tgw-1"}


@pytest.mark.parametrize(
    "params, existing, expected",
    [
        # no version given, none on the connection: AWS's default, IPv4 inside
        ({"local_ipv6_network_cidr": "::/0"}, None,
         [("local_ipv6_network_cidr", "does not apply to a connection whose tunnel_inside_ip_version is ipv4")]),
        ({"local_ipv6_network_cidr": "::/0"}, {"VpnConnectionId": "vpn-1", "TransitGatewayId": "tgw-1", "Options": {}},
         [("local_ipv6_network_cidr", "does not apply to a connection whose tunnel_inside_ip_version is ipv4")]),
        # the connection's own version when the task gives none
        ({"local_ipv4_network_cidr": "10.0.0.0/16"},
         {"VpnConnectionId": "vpn-1", "TransitGatewayId": "tgw-1", "Options": {"TunnelInsideIpVersion": "ipv6"}},
         [("local_ipv4_network_cidr", "does not apply to a connection whose tunnel_inside_ip_version is ipv6")]),
        ({"vpn_gateway_id": "vgw-1", "tunnel_inside_ip_version": "ipv6"}, None,
         [("tunnel_inside_ip_version", "ipv6 is only available for transit gateway connections, not a virtual private gateway")]),
    ],
)
def test_gateway_kind_rules_take_aws_default_inside_version(params, existing, expected):
    assert [e for e in existing_errors(params, existing) if e[0] != "routes"] == expected
