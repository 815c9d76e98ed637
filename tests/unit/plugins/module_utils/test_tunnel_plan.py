# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import datetime
import itertools
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.sitevpn.aws.plugins.module_utils import tunnel_plan as tp
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_defaults import default_options
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import TunnelPlanError
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import merge_tunnels

SAMPLES = Path(__file__).resolve().parents[3] / "fixtures" / "real-aws"

SITE = {"name": "branch1", "site_prefixes": ["10.10.0.0/16"], "vpc_prefixes": ["10.0.0.0/16"]}


def _connection(name):
    return json.loads((SAMPLES / f"{name}.describe-vpn-connections.json").read_text())["VpnConnections"][0]


@pytest.fixture
def bgp():
    return _connection("vpn-ba2e34a8")


@pytest.fixture
def static():
    return _connection("vpn-static-2019")


def _swap_xml_tunnels(xml):
    root = ET.fromstring(xml.replace('<?xml version="1.0" encoding="UTF-8"?>', ""))
    tunnels = root.findall("ipsec_tunnel")
    for t in tunnels:
        root.remove(t)
    for t in reversed(tunnels):
        root.append(t)
    return ET.tostring(root, encoding="unicode")


# ------------------------------------------------------------------ merge_tunnels


def test_merge_bgp_sample(bgp):
    t1, t2 = merge_tunnels(bgp)
    assert (t1["index"], t1["outside_ip"], t2["index"], t2["outside_ip"]) == (1, "52.27.166.152", 2, "52.39.121.126")
    # addresses from the XML (the TunnelOptions' TunnelInsideCidr has host bits set in this sample)
    assert t2["inside_cidr"] == "169.254.13.236/30"
    assert (t2["vgw_inside_ip"], t2["cgw_inside_ip"], t2["inside_prefix_length"]) == ("169.254.13.237", "169.254.13.238", 30)
    assert (t1["vgw_asn"], t1["cgw_asn"], t1["hold_time"]) == (65401, 65301, 30)
    assert t1["pre_shared_key"] == "QMP5tKPP5qk95Y1Eee9c_82.MofNUJQV"
    # algorithms from TunnelOptions, matched by outside IP; the rest AWS's defaults
    assert t1["options"]["phase1_dh_group_numbers"] == [2]
    assert t2["options"]["phase1_dh_group_numbers"] == [22, 23]
    assert t2["options"]["phase2_encryption_algorithms"] == ["AES128-GCM-16"]
    assert t2["options"]["dpd_timeout_seconds"] == 30
    assert t2["options"]["ike_versions"] == ["ikev1", "ikev2"]
    assert t2["options"]["tunnel_inside_cidr"] == "169.254.13.236/30"
    assert t2["options"]["pre_shared_key"] == t2["pre_shared_key"]
    assert (t1["status"], t1["accepted_route_count"], t1["status_message"]) == ("UP", 5, "5 BGP ROUTES")
    assert t1["last_status_change"] == "2017-11-02 16:54:36+00:00"
    assert set(t1) == {
        "index", "outside_ip", "cgw_outside_ip", "inside_cidr", "inside_prefix_length", "vgw_inside_ip",
        "cgw_inside_ip", "inside_ipv6_cidr", "vgw_inside_ipv6", "cgw_inside_ipv6", "vgw_asn", "cgw_asn",
        "hold_time", "pre_shared_key", "options", "status", "status_message", "accepted_route_count",
        "last_status_change",
    }


def test_merge_never_matches_by_position(bgp):
    """terraform-provider-aws #396/#19079: every order of TunnelOptions and telemetry gives the same tunnels."""
    expected = merge_tunnels(bgp)
    for opts in itertools.permutations(bgp["Options"]["TunnelOptions"]):
        for tel in itertools.permutations(bgp["VgwTelemetry"]):
            shuffled = copy.deepcopy(bgp)
            shuffled["Options"]["TunnelOptions"] = list(opts)
            shuffled["VgwTelemetry"] = list(tel)
            assert merge_tunnels(shuffled) == expected


def test_merge_follows_the_xml_document_order(bgp):
    before = {t["outside_ip"]: t for t in merge_tunnels(bgp)}
    swapped = copy.deepcopy(bgp)
    swapped["CustomerGatewayConfiguration"] = _swap_xml_tunnels(bgp["CustomerGatewayConfiguration"])
    swapped["Options"]["TunnelOptions"].reverse()
    after = merge_tunnels(swapped)
    assert [t["outside_ip"] for t in after] == ["52.39.121.126", "52.27.166.152"]
    assert [t["index"] for t in after] == [1, 2]
    for t in after:
        # everything but the index travels with the outside IP
        assert dict(t, index=None) == dict(before[t["outside_ip"]], index=None)


def test_merge_snake_case_equals_camel_case(bgp):
    assert merge_tunnels(camel_dict_to_snake_dict(bgp)) == merge_tunnels(bgp)


def test_merge_static_sample_fills_defaults(static):
    t1, t2 = merge_tunnels(static)
    assert t1["outside_ip"] == "3.13.210.90"
    assert t1["vgw_asn"] is None and t1["hold_time"] is None
    expected = default_options()
    expected.update(tunnel_inside_cidr="169.254.58.232/30", pre_shared_key="k1TInAs3HRuiwr3Nosj4kbtsHGi3pJfN")
    assert t1["options"] == expected
    assert (t1["status"], t2["status"]) == ("DOWN", "DOWN")


def test_merge_without_xml_uses_tunnel_options_by_outside_ip(bgp):
    pending = copy.deepcopy(bgp)
    del pending["CustomerGatewayConfiguration"]
    pending["Options"]["TunnelOptions"].reverse()
    t1, t2 = merge_tunnels(pending)
    assert [t1["outside_ip"], t2["outside_ip"]] == ["52.27.166.152", "52.39.121.126"]
    assert t1["cgw_outside_ip"] is None and t1["vgw_asn"] is None
    assert t2["inside_cidr"] == "169.254.13.236/30"
    assert (t2["vgw_inside_ip"], t2["cgw_inside_ip"]) == ("169.254.13.237", "169.254.13.238")
    assert t2["pre_shared_key"] == "tYrysT4iT0.CRwQnhiBbng.BahDc7YPq"


def test_merge_secrets_manager_psk_is_none(bgp):
    sm = copy.deepcopy(bgp)
    root = ET.fromstring(sm["CustomerGatewayConfiguration"].replace('<?xml version="1.0" encoding="UTF-8"?>', ""))
    for ike in root.iter("ike"):
        ike.remove(ike.find("pre_shared_key"))
    sm["CustomerGatewayConfiguration"] = ET.tostring(root, encoding="unicode")
    for o in sm["Options"]["TunnelOptions"]:
        del o["PreSharedKey"]
    sm["PreSharedKeyArn"] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:vpn-psk"
    tunnels = merge_tunnels(sm)
    assert [t["pre_shared_key"] for t in tunnels] == [None, None]
    plan = build_tunnel_plan(sm, SITE)
    assert plan["pre_shared_key_arn"].endswith(":vpn-psk")
    assert [t["pre_shared_key"] for t in plan["tunnels"]] == [None, None]


def test_merge_datetime_telemetry_becomes_iso(bgp):
    dt = copy.deepcopy(bgp)
    dt["VgwTelemetry"][0]["LastStatusChange"] = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    t1 = merge_tunnels(dt)[0]
    assert t1["last_status_change"] == "2024-01-02T03:04:05+00:00"
    json.dumps(merge_tunnels(dt))


@pytest.mark.parametrize("bad", [None, "vpn-1", ["x"]])
def test_merge_bad_input(bad):
    with pytest.raises(TunnelPlanError) as e:
        merge_tunnels(bad)
    assert e.value.field == "connection"


# ------------------------------------------------------------------ build_tunnel_plan

PLAN_KEYS = {
    "vpn_connection_id", "customer_gateway_id", "vpn_gateway_id", "transit_gateway_id", "site", "routing",
    "local_asn", "peer_asn", "site_prefixes", "vpc_prefixes", "connection_routes", "pre_shared_key_arn",
    "primary_tunnel", "backup_method", "prepend_count", "tunnels", "traffic_selectors",
}
TUNNEL_KEYS = {
    "index", "name", "peer_outside_ip", "local_outside_ip", "inside_cidr", "inside_prefix_length",
    "peer_inside_ip", "local_inside_ip", "local_inside_address", "inside_ipv6_cidr", "peer_inside_ipv6",
    "local_inside_ipv6", "pre_shared_key", "ike_versions", "ike_version", "phase1", "phase2", "rekey",
    "replay_window_size", "dpd", "startup_action", "nat_traversal", "mtu", "tcp_mss", "bgp", "static_routes", "preference",
    "status",
}
PHASE_KEYS = {"encryption_algorithms", "integrity_algorithms", "dh_group_numbers", "lifetime_seconds", "proposals", "additional_key_exchanges"}


def test_plan_schema_is_pinned(bgp):
    """Renderers of every vendor read these keys: changing them is a breaking change (update the docstring)."""
    plan = build_tunnel_plan(bgp, SITE)
    assert set(plan) == PLAN_KEYS
    for t in plan["tunnels"]:
        assert set(t) == TUNNEL_KEYS
        assert set(t["phase1"]) == PHASE_KEYS
        assert set(t["phase2"]) == PHASE_KEYS | {"pfs"}
        assert set(t["rekey"]) == {"margin_time_seconds", "fuzz_percentage"}
        assert set(t["dpd"]) == {"timeout_seconds", "action", "interval", "retries"}
        assert set(t["bgp"]) == {"peer_ip", "local_ip", "peer_asn", "local_asn", "hold_time", "keepalive"}
        assert set(t["preference"]) == {"primary", "local_preference", "as_path_prepend", "med", "route_metric"}
        for p in t["phase1"]["proposals"] + t["phase2"]["proposals"]:
            assert set(p) == {"encryption", "integrity", "dh_group"}
    # every key named in the module docstring
    for key in PLAN_KEYS | TUNNEL_KEYS:
        assert f'"{key}"' in tp.__doc__, key
    json.dumps(plan)


def test_plan_bgp_sample(bgp):
    plan = build_tunnel_plan(bgp, SITE)
    assert plan["routing"] == "bgp"
    assert (plan["local_asn"], plan["peer_asn"]) == (65301, 65401)
    assert plan["vpn_connection_id"] == "vpn-ba2e34a8" and plan["vpn_gateway_id"] == "vgw-81fd279f"
    assert plan["site"] == "branch1"
    assert plan["site_prefixes"] == ["10.10.0.0/16"] and plan["vpc_prefixes"] == ["10.0.0.0/16"]
    t1, t2 = plan["tunnels"]
    assert t1["name"] == "tunnel1" and t2["name"] == "tunnel2"
    assert (t1["peer_outside_ip"], t1["local_outside_ip"]) == ("52.27.166.152", "147.75.69.27")
    assert (t1["peer_inside_ip"], t1["local_inside_ip"], t1["local_inside_address"]) == (
        "169.254.15.193", "169.254.15.194", "169.254.15.194/30")
    assert t1["bgp"] == {"peer_ip": "169.254.15.193", "local_ip": "169.254.15.194", "peer_asn": 65401,
                         "local_asn": 65301, "hold_time": 30, "keepalive": 10}
    assert t1["static_routes"] == []
    # equal local preference (AWS's routing guide): AWS's MED moves site->AWS traffic in maintenance
    assert t1["preference"] == {"primary": True, "local_preference": 100, "as_path_prepend": 0, "med": None, "route_metric": 100}
    assert t2["preference"] == {"primary": False, "local_preference": 100, "as_path_prepend": 2, "med": None, "route_metric": 200}
    # AWS's defaults allow AES-CBC with SHA2-512: MTU 1399, MSS 1359 (your-cgw.md)
    assert (t1["mtu"], t1["tcp_mss"]) == (1399, 1359)
    assert t1["dpd"] == {"timeout_seconds": 30, "action": "clear", "interval": 10, "retries": 3}
    assert t1["ike_version"] == "ikev2" and t1["ike_versions"] == ["ikev1", "ikev2"]
    # tunnel 2's own algorithms (matched by outside IP), AEAD in phase 2 has no integrity
    assert t2["phase1"]["dh_group_numbers"] == [23, 22]  # strongest first
    assert t2["phase2"]["proposals"] == [
        {"encryption": "aes128gcm16", "integrity": None, "dh_group": g} for g in (16, 15, 14)
    ]
    assert t2["phase2"]["pfs"] is True
    # phase 1 AEAD keeps the integrity algorithm as its PRF
    assert {"encryption": "aes128gcm16", "integrity": "sha512", "dh_group": 23} in t2["phase1"]["proposals"]
    assert len(t2["phase1"]["proposals"]) == 2 * 2 * 2
    assert t1["status"] == "UP"


def test_plan_with_aws_defaults_has_aws_sample_parameters(static):
    """Issue 7's parameter table: AWS's sample device configs (AES128, SHA1, group 2/14, 28800/3600, DPD 10x3); MSS 1359,
    not the samples' 1379, because AWS's defaults also allow SHA2-384/512 (your-cgw.md)."""
    plan = build_tunnel_plan(static, SITE)
    for t in plan["tunnels"]:
        p1, p2 = t["phase1"], t["phase2"]
        for group in (2, 14):
            assert {"encryption": "aes128", "integrity": "sha1", "dh_group": group} in p1["proposals"]
            assert {"encryption": "aes128", "integrity": "sha1", "dh_group": group} in p2["proposals"]
        assert (p1["lifetime_seconds"], p2["lifetime_seconds"]) == (28800, 3600)
        assert (t["dpd"]["interval"], t["dpd"]["retries"], t["tcp_mss"]) == (10, 3, 1359)
        assert t["rekey"] == {"margin_time_seconds": 270, "fuzz_percentage": 100}
        assert t["replay_window_size"] == 1024 and t["startup_action"] == "add"
        assert len(p1["proposals"]) == 4 * 4 * 12
        assert len(p2["proposals"]) == 2 * 4 * 13 + 2 * 13


def test_plan_static(static):
    plan = build_tunnel_plan(static, SITE)
    assert plan["routing"] == "static"
    assert plan["local_asn"] is None and plan["peer_asn"] is None
    assert plan["connection_routes"] == ["19.168.0.0/16"]
    for t in plan["tunnels"]:
        assert t["bgp"] is None
        assert t["static_routes"] == ["10.0.0.0/16"]
    assert [t["preference"]["route_metric"] for t in plan["tunnels"]] == [100, 200]


def test_plan_static_detected_from_xml_when_options_lack_it(static):
    del static["Options"]["StaticRoutesOnly"]
    assert build_tunnel_plan(static, SITE)["routing"] == "static"


def test_plan_primary_tunnel_2_and_med(bgp):
    plan = build_tunnel_plan(bgp, dict(SITE, primary_tunnel=2, backup_method="med", med_backup=500))
    t1, t2 = plan["tunnels"]
    assert t2["preference"]["primary"] and not t1["preference"]["primary"]
    assert (t1["preference"]["med"], t2["preference"]["med"]) == (500, 100)
    assert t1["preference"]["as_path_prepend"] == 0 and t2["preference"]["as_path_prepend"] == 0
    assert (t1["preference"]["local_preference"], t2["preference"]["local_preference"]) == (100, 100)


def test_plan_prepend_count_and_overrides(bgp):
    plan = build_tunnel_plan(bgp, dict(SITE, prepend_count=4, local_outside_ip="192.0.2.10", bgp_asn=65301, mtu=1400))
    t1, t2 = plan["tunnels"]
    assert t2["preference"]["as_path_prepend"] == 4
    assert t1["local_outside_ip"] == "192.0.2.10" and t1["mtu"] == 1400


def test_plan_default_site(bgp):
    plan = build_tunnel_plan(bgp)
    assert plan["site"] is None and plan["site_prefixes"] == [] and plan["primary_tunnel"] == 1


def test_plan_follows_xml_order_not_tunnel_options_order(bgp):
    swapped = copy.deepcopy(bgp)
    swapped["CustomerGatewayConfiguration"] = _swap_xml_tunnels(bgp["CustomerGatewayConfiguration"])
    plan = build_tunnel_plan(swapped, SITE)
    t1 = plan["tunnels"][0]
    assert t1["peer_outside_ip"] == "52.39.121.126"
    assert t1["phase1"]["dh_group_numbers"] == [23, 22]
    assert t1["preference"]["primary"] is True


@pytest.mark.parametrize(
    "site,field,words",
    [
        ({"bgp_asn": 65999}, "site.bgp_asn", "differs from the customer gateway's ASN 65301"),
        ({"bgp_asn": 0}, "site.bgp_asn", "out of range"),
        ({"backup_method": "weight"}, "site.backup_method", "prepend, med"),
        ({"primary_tunnel": 3}, "site.primary_tunnel", "out of range"),
        ({"primary_tunnel": "one"}, "site.primary_tunnel", "integer"),
        ({"prepend_count": 0}, "site.prepend_count", "out of range"),
        ({"site_prefixes": ["10.0.0.1/16"]}, "site.site_prefixes[0]", "host bits"),
        ({"vpc_prefixes": "10.0.0.0/16"}, "site.vpc_prefixes", "list"),
        ({"local_outside_ip": "nope"}, "site.local_outside_ip", "IPv4"),
    ],
)
def test_plan_bad_site(bgp, site, field, words):
    with pytest.raises(ValueError) as e:
        build_tunnel_plan(bgp, site)
    assert e.value.field == field
    assert words in e.value.message


def test_plan_site_must_be_a_dict(bgp):
    with pytest.raises(TunnelPlanError) as e:
        build_tunnel_plan(bgp, ["x"])
    assert e.value.field == "site"


def test_plan_with_modified_tunnel_options_ignores_stale_xml(bgp):
    """aws/aws-cli#9421: after a modify the XML still says aes-128-cbc/28800; the plan follows TunnelOptions."""
    modified = copy.deepcopy(bgp)
    modified["Options"]["TunnelOptions"][0].update(
        {"Phase1LifetimeSeconds": 14400, "DpdTimeoutSeconds": 45, "DpdTimeoutAction": "restart",
         "IkeVersions": [{"Value": "ikev1"}], "StartupAction": "start"}
    )
    t1 = build_tunnel_plan(modified, SITE)["tunnels"][0]
    assert t1["phase1"]["lifetime_seconds"] == 14400
    assert t1["dpd"]["timeout_seconds"] == 45 and t1["dpd"]["action"] == "restart"
    assert t1["ike_version"] == "ikev1" and t1["startup_action"] == "start"


def test_plan_carries_additional_key_exchanges(bgp):
    pq = copy.deepcopy(bgp)
    pq["Options"]["TunnelOptions"][1].update(
        {"IkeVersions": [{"Value": "ikev2"}],
         "Phase2AdditionalKeyExchanges": [{"AdditionalKeyExchangeRound": 1, "Requirement": "required",
                                           "KeyExchangeMethods": [{"Value": 36}]}]}
    )
    t2 = build_tunnel_plan(pq, SITE)["tunnels"][1]
    assert t2["phase2"]["additional_key_exchanges"] == [{"round": 1, "requirement": "required", "methods": [36]}]
    assert t2["phase1"]["additional_key_exchanges"] == []


# ------------------------------------------------------------- strongest first, MTU / MSS


def test_aws_default_lists_are_ordered_strongest_first(static):
    """Issue 21 item 7: AWS lists weakest first; every renderer reads the plan's order."""
    t = build_tunnel_plan(static, SITE)["tunnels"][0]
    assert t["phase1"]["encryption_algorithms"] == ["AES256-GCM-16", "AES256", "AES128-GCM-16", "AES128"]
    assert t["phase1"]["integrity_algorithms"] == ["SHA2-512", "SHA2-384", "SHA2-256", "SHA1"]
    assert t["phase1"]["dh_group_numbers"][:3] == [21, 20, 18] and t["phase1"]["dh_group_numbers"][-1] == 2
    assert t["phase1"]["proposals"][0] == {"encryption": "aes256gcm16", "integrity": "sha512", "dh_group": 21}
    assert t["phase2"]["proposals"][0] == {"encryption": "aes256gcm16", "integrity": None, "dh_group": 21}
    assert t["phase2"]["proposals"][-1] == {"encryption": "aes128", "integrity": "sha1", "dh_group": 2}


@pytest.mark.parametrize("enc,integ,nat,expected", [
    (["AES256-GCM-16"], ["SHA2-256"], False, (1436, 1379)),   # GCM: AWS's table 1446/1406, capped at the samples'
    (["AES256"], ["SHA2-256"], False, (1436, 1379)),
    (["AES256"], ["SHA2-384"], False, (1399, 1359)),          # your-cgw.md: MSS 1359 with SHA2-384/512
    (["AES256"], ["SHA2-512", "SHA2-256"], False, (1399, 1359)),
    (["AES256-GCM-16"], ["SHA2-256"], True, (1428, 1371)),    # NAT-T: 8 bytes of UDP
    (["AES256"], ["SHA2-512"], True, (1391, 1351)),
])
def test_mtu_and_mss_follow_the_algorithms(enc, integ, nat, expected):
    assert tp.mtu_mss({"encryption_algorithms": enc, "integrity_algorithms": integ}, nat) == expected


def test_device_behind_nat_gets_smaller_mtu(bgp):
    narrowed = copy.deepcopy(bgp)
    for t in narrowed["Options"]["TunnelOptions"]:
        t.update({"Phase2EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}]})
    t1 = build_tunnel_plan(narrowed, dict(SITE, local_outside_ip="192.0.2.10"))["tunnels"][0]
    assert t1["nat_traversal"] is True and (t1["mtu"], t1["tcp_mss"]) == (1428, 1371)
    t1 = build_tunnel_plan(narrowed, SITE)["tunnels"][0]
    assert t1["nat_traversal"] is False and (t1["mtu"], t1["tcp_mss"]) == (1436, 1379)


def test_traffic_selectors_are_carried(bgp):
    conn = copy.deepcopy(bgp)
    conn["Options"]["LocalIpv4NetworkCidr"] = "172.16.0.0/16"
    assert build_tunnel_plan(conn, SITE)["traffic_selectors"]["local_ipv4_network_cidr"] == "172.16.0.0/16"
