"""The rule that converges the collection's own duplicates (module_utils/vpn_duplicates.py) and the
lookups that hand them over (DuplicatesFound only when every match is the collection's)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import converge_vpn_connections
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import find_vpn_connection
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import DuplicatesFound
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import VPN_CONNECTIONS
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import choose
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import converged_result
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import find_converged
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import one_match
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import owned
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import tunnels_up

OURS = {"Project": "sitevpn", "Site": "site-a"}


def conn(conn_id, state="available", up=0, name="sitevpn-site-a", tags=None):
    return {
        "VpnConnectionId": conn_id,
        "State": state,
        "CustomerGatewayId": "cgw-1",
        "VpnGatewayId": "vgw-1",
        "VgwTelemetry": [{"Status": "UP"}] * up + [{"Status": "DOWN"}] * (2 - up),
        "Tags": [{"Key": k, "Value": v} for k, v in dict(OURS if tags is None else tags, Name=name).items()],
    }


def test_owned_needs_the_name_and_every_given_tag():
    assert owned(conn("vpn-1"), "sitevpn-site-a", OURS)
    assert not owned(conn("vpn-1"), "sitevpn-site-b", OURS)
    assert not owned(conn("vpn-1", tags={"Project": "sitevpn"}), "sitevpn-site-a", OURS)
    assert not owned(conn("vpn-1"), None, OURS)


def test_in_use_wins_over_id_and_is_never_removed():
    matches = [conn("vpn-a"), conn("vpn-b", up=1), conn("vpn-c", up=2)]
    in_use = {"vpn-a": False, "vpn-b": True, "vpn-c": True}
    keeper, removable, kept = choose(matches, "VpnConnectionId", in_use, prefer=lambda c: -sum(t["Status"] == "UP" for t in c["VgwTelemetry"]))
    assert keeper["VpnConnectionId"] == "vpn-c"
    assert [c["VpnConnectionId"] for c in removable] == ["vpn-a"]
    assert [c["VpnConnectionId"] for c in kept] == ["vpn-b"]


def test_the_same_keeper_whatever_the_order():
    matches = [conn("vpn-b"), conn("vpn-a"), conn("vpn-c", state="pending")]
    for order in (matches, matches[::-1]):
        assert choose(order, "VpnConnectionId", {}, prefer=lambda c: c["State"] != "available")[0]["VpnConnectionId"] == "vpn-a"


def module(check_mode=False):
    mod = MagicMock()
    mod.check_mode = check_mode
    return mod


def test_connections_converge_to_the_one_with_tunnels_up():
    client = MagicMock()
    matches = [conn("vpn-a"), conn("vpn-b", up=1)]
    mod = module()
    keeper, report = converge_vpn_connections(client, mod, matches)
    assert keeper["VpnConnectionId"] == "vpn-b"
    assert report == {"duplicates_removed": ["vpn-a"], "duplicates_kept": []}
    client.delete_vpn_connection.assert_called_once_with(VpnConnectionId="vpn-a")
    assert "deleted the unused duplicate(s) vpn-a" in mod.warn.call_args[0][0]


def test_check_mode_reports_and_deletes_nothing():
    client = MagicMock()
    mod = module(check_mode=True)
    keeper, report = converge_vpn_connections(client, mod, [conn("vpn-b"), conn("vpn-a")])
    assert keeper["VpnConnectionId"] == "vpn-a" and report["duplicates_removed"] == ["vpn-b"]
    client.delete_vpn_connection.assert_not_called()
    assert "would delete" in mod.warn.call_args[0][0]


def test_lookup_hands_over_only_the_collections_duplicates():
    client = MagicMock()
    client.describe_vpn_connections.return_value = {"VpnConnections": [conn("vpn-a"), conn("vpn-b")]}
    with pytest.raises(DuplicatesFound) as dup:
        find_vpn_connection(client, customer_gateway_id="cgw-1", vpn_gateway_id="vgw-1", name="sitevpn-site-a", tags=OURS)
    assert [c["VpnConnectionId"] for c in dup.value.matches] == ["vpn-a", "vpn-b"]
    # one of them is not the collection's (no Site tag): refused as before, nothing to converge
    client.describe_vpn_connections.return_value = {"VpnConnections": [conn("vpn-a"), conn("vpn-b", tags={"Project": "sitevpn"})]}
    with pytest.raises(VpnError) as err:
        find_vpn_connection(client, customer_gateway_id="cgw-1", vpn_gateway_id="vgw-1", name="sitevpn-site-a", tags=OURS)
    assert not isinstance(err.value, DuplicatesFound) and "give vpn_connection_id or a distinct name" in err.value.message


def test_one_match_narrows_by_name_then_by_the_tie_break():
    a, b, c = conn("vpn-a"), conn("vpn-b", name="other"), conn("vpn-c", up=1)
    assert one_match([], VPN_CONNECTIONS, "hint") is None
    assert one_match([b], VPN_CONNECTIONS, "hint", name="sitevpn-site-a") is b
    assert one_match([a, b], VPN_CONNECTIONS, "hint", name="sitevpn-site-a") is a
    # the tie-break only narrows what the name left, and only when it keeps some
    assert one_match([a, b, c], VPN_CONNECTIONS, "hint", name="sitevpn-site-a", tie=tunnels_up) is c
    with pytest.raises(DuplicatesFound):
        one_match([a, c], VPN_CONNECTIONS, "hint", name="sitevpn-site-a", tags=OURS, tie=lambda m: False)
    with pytest.raises(VpnError, match=r"Several VPN connections match \(vpn-a, vpn-b\); hint"):
        one_match([a, b], VPN_CONNECTIONS, "hint")


def test_find_converged_hands_only_the_collections_duplicates_to_converge():
    found = conn("vpn-1")
    converge = MagicMock(return_value=(found, {"duplicates_removed": ["vpn-2"]}))
    assert find_converged(lambda client, **kw: kw["hit"], converge, "client", hit=found) == (found, {})
    converge.assert_not_called()

    matches = [conn("vpn-1"), conn("vpn-2")]

    def several_found(client):
        raise DuplicatesFound("Several", matches)

    assert find_converged(several_found, converge, "client") == (found, {"duplicates_removed": ["vpn-2"]})
    converge.assert_called_once_with(matches)

    def not_ours(client):
        raise VpnError("Several VPN connections match")

    with pytest.raises(VpnError, match="Several VPN connections match"):
        find_converged(not_ours, converge, "client")


@pytest.mark.parametrize("report, changed, expected", [
    ({}, False, False),
    ({}, True, True),
    ({"duplicates_removed": ["vpn-2"], "duplicates_kept": ["vpn-1"]}, False, True),
    ({"duplicates_removed": []}, False, False),
])
def test_converged_result_is_changed_when_duplicates_were_removed(report, changed, expected):
    result = converged_result(report, changed, {"before": {}, "after": {}}, vpn_connection_id="vpn-1")
    assert result == dict(report, changed=expected, diff={"before": {}, "after": {}}, vpn_connection_id="vpn-1")
