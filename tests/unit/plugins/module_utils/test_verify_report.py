"""The verify report: facts from both sides -> report fields and precise failure messages."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.sitevpn.aws.plugins.filter.verify_report import FilterModule
from ansible_collections.sitevpn.aws.plugins.module_utils.verify_report import build_report
from ansible_collections.sitevpn.aws.plugins.module_utils.verify_report import parse_frr_bgp_summary
from ansible_collections.sitevpn.aws.plugins.module_utils.verify_report import parse_swanctl_sas
from ansible_collections.sitevpn.aws.plugins.module_utils.report_index import render_index
from ansible_collections.sitevpn.aws.plugins.module_utils.report_site import render_site_page as render_html
from ansible_collections.sitevpn.aws.plugins.module_utils.report_site import route_count

SAS_UP = """tunnel1: #1, ESTABLISHED, IKEv2, 1a2b3c4d5e6f7a8b_i* 9a8b7c6d5e4f3a2b_r
  local  '203.0.113.10' @ 203.0.113.10[4500]
  remote '198.51.100.11' @ 198.51.100.11[4500]
  tunnel1: #1, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-128/HMAC_SHA1_96
"""
SAS_CONNECTING = "tunnel2: #3, CONNECTING, IKEv2, 1a2b3c4d5e6f7a8b_i* 0000000000000000_r\n"


def bgp_json(states):
    peers = {ip: {"state": st, "pfxRcd": 1 if st == "Established" else 0, "pfxSnt": 1 if st == "Established" else 0}
             for ip, st in states.items()}
    return json.dumps({"ipv4Unicast": {"routerId": "169.254.10.2", "peers": peers}})


def facts_bgp():
    return {
        "site": "site-bgp",
        "routing": "bgp",
        "primary_tunnel": 1,
        "site_prefixes": ["172.16.0.0/16"],
        "vpc_prefixes": ["10.0.0.0/16"],
        "connection": {
            "vpn_connection_id": "vpn-1", "state": "available",
            "vgw_telemetry": [
                {"outside_ip_address": "198.51.100.11", "status": "UP", "accepted_route_count": 1},
                {"outside_ip_address": "198.51.100.12", "status": "UP", "accepted_route_count": 1},
            ],
        },
        "plan_tunnels": [
            {"index": 1, "peer_outside_ip": "198.51.100.11", "bgp": {"peer_ip": "169.254.10.1"}},
            {"index": 2, "peer_outside_ip": "198.51.100.12", "bgp": {"peer_ip": "169.254.11.1"}},
        ],
        "swanctl": [SAS_UP, SAS_UP.replace("tunnel1", "tunnel2")],
        "bgp_summary": bgp_json({"169.254.10.1": "Established", "169.254.11.1": "Established"}),
        "route_get": "10.0.0.10 dev vti1 src 172.16.0.1 uid 0 \n    cache \n",
        "primary_dev": "vti1",
        "propagated_routes": ["172.16.0.0/16", "10.0.0.0/16"],
        "ping": {"10.0.0.10": True},
    }


def test_parsers():
    assert parse_swanctl_sas(SAS_UP) == ("up", "up")
    assert parse_swanctl_sas(SAS_CONNECTING) == ("down", "down")
    assert parse_swanctl_sas("") == ("down", "down")
    peers = parse_frr_bgp_summary(bgp_json({"169.254.10.1": "Established", "169.254.11.1": "Active"}))
    assert peers["169.254.10.1"] == {"state": "established", "pfx_rcd": 1, "pfx_snt": 1}
    assert peers["169.254.11.1"]["state"] == "active"
    assert not parse_frr_bgp_summary("")


def test_all_good_bgp():
    report = build_report(facts_bgp())
    assert report["ok"] is True, report["messages"]
    assert report["messages"] == []
    assert [t["outside_ip"] for t in report["tunnels"]] == ["198.51.100.11", "198.51.100.12"]
    t1 = report["tunnels"][0]
    assert (t1["aws_status"], t1["ike_state"], t1["ipsec_state"], t1["bgp_state"]) == ("UP", "up", "up", "established")
    assert (t1["prefixes_received"], t1["prefixes_advertised"]) == (1, 1)
    assert report["best_path_ok"] is True and report["ping_ok"] is True
    assert t1["bgp_peer_ip"] == "169.254.10.1" and report["hub"] is None


def test_hub_and_time():
    facts = facts_bgp()
    facts["connection"]["vpn_gateway_id"] = "vgw-1"
    facts["time"] = 1795614564.62
    report = build_report(facts)
    assert report["hub"] == "virtual private gateway vgw-1" and report["time"] == "2026-11-25T13:49:24.620Z"
    facts["connection"]["transit_gateway_id"] = "tgw-1"
    assert build_report(facts)["hub"] == "transit gateway tgw-1"
    facts["hub"] = "VPN Concentrator vcn-1 on tgw-1"
    assert build_report(facts)["hub"] == "VPN Concentrator vcn-1 on tgw-1"


def test_tunnel2_ike_up_bgp_active():
    facts = facts_bgp()
    facts["bgp_summary"] = bgp_json({"169.254.10.1": "Established", "169.254.11.1": "Active"})
    report = build_report(facts)
    assert report["ok"] is False
    assert report["messages"] == ["tunnel 2 (198.51.100.12): IKE up, BGP active with 169.254.11.1"]


def test_tunnel2_down_everywhere():
    facts = facts_bgp()
    facts["connection"]["vgw_telemetry"][1].update(status="DOWN", accepted_route_count=0)
    facts["swanctl"][1] = SAS_CONNECTING
    facts["bgp_summary"] = json.dumps({"ipv4Unicast": {"peers": {"169.254.10.1": {"state": "Established", "pfxRcd": 1, "pfxSnt": 1}}}})
    msgs = build_report(facts)["messages"]
    assert msgs == ["tunnel 2 (198.51.100.12): AWS status DOWN, IKE down, IPsec down, BGP missing with 169.254.11.1"]


def test_routes_path_ping_and_connection():
    facts = facts_bgp()
    facts["propagated_routes"] = ["10.0.0.0/16"]
    facts["route_get"] = "10.0.0.10 dev vti2 src 172.16.0.1"
    facts["ping"] = {"10.0.0.10": False}
    facts["connection"]["state"] = "pending"
    msgs = build_report(facts)["messages"]
    assert msgs == [
        "site-bgp: VPN connection vpn-1 is pending",
        "site-bgp: site prefix 172.16.0.0/16 is not propagated into the VPC route tables",
        "site-bgp: best path to the VPC goes via vti2, not tunnel 1 (vti1)",
        "site-bgp: no ping reply from 10.0.0.10",
    ]
    facts["ping"] = [{"item": "10.0.0.10", "rc": 0}, {"item": "10.0.0.11", "rc": 1}]
    report = build_report(facts)
    assert report["ping"] == {"10.0.0.10": True, "10.0.0.11": False} and report["ping_ok"] is False
    facts["connection"] = None
    assert build_report(facts)["messages"][0] == "site-bgp: no VPN connection found"


def test_static_site():
    facts = facts_bgp()
    facts.update(routing="static", site="site-static", site_prefixes=["172.17.0.0/16"], bgp_summary=None,
                 propagated_routes=None)
    facts["connection"]["routes"] = [{"destination_cidr_block": "172.17.0.0/16", "state": "available", "source": "static"}]
    for tele in facts["connection"]["vgw_telemetry"]:
        tele["accepted_route_count"] = 0
    report = build_report(facts)
    assert report["ok"] is True, report["messages"]
    assert report["tunnels"][0]["bgp_state"] is None
    assert report["static_routes"] == [{"destination_cidr_block": "172.17.0.0/16", "state": "available"}]
    facts["connection"]["routes"][0]["state"] = "pending"
    assert build_report(facts)["messages"] == ["site-static: static route 172.17.0.0/16 is pending"]


@pytest.mark.parametrize("routing, kind", [("bgp", "propagated"), ("static", "static")])
def test_transit_gateway_site_judged_by_its_hub_table(routing, kind):
    """A transit gateway site: the site prefix must be in the hub's route table (propagated over BGP, or
    a static route), not in the VPC's route tables nor among the connection's static routes."""
    facts = facts_bgp()
    facts["connection"]["transit_gateway_id"] = "tgw-1"
    route = {"destination_cidr_block": "172.16.0.0/16", "type": kind, "state": "active"}
    facts.update(routing=routing, propagated_routes=None, transit_gateway_routes={"route_table_id": "tgw-rtb-1", "routes": [route]})
    if routing == "static":
        facts["bgp_summary"] = None
    report = build_report(facts)
    assert report["ok"] is True, report["messages"]
    assert report["hub"] == "transit gateway tgw-1" and report["static_routes"] is None
    assert report["transit_gateway_routes"]["routes"] == [route] and route_count(report) == 1
    for wrong in ({"type": "static" if kind == "propagated" else "propagated"}, {"state": "blackhole"}):
        facts["transit_gateway_routes"]["routes"] = [dict(route, **wrong)]
        assert build_report(facts)["messages"] == [
            f"site-bgp: site prefix 172.16.0.0/16 is not a {kind} route in transit gateway route table tgw-rtb-1"]


def test_unchecked_facts_are_none():
    facts = {"site": "s", "routing": "bgp", "connection": copy.deepcopy(facts_bgp()["connection"]),
             "plan_tunnels": facts_bgp()["plan_tunnels"]}
    report = build_report(facts)
    assert report["ok"] is True
    assert report["tunnels"][1]["ike_state"] is None and report["ping_ok"] is None


def test_html_and_filters():
    facts = facts_bgp()
    facts["site"] = "<b>x</b>"
    facts["ping"] = {"10.0.0.10": False}
    filters = FilterModule().filters()
    report = filters["verify_report"](facts)
    page = filters["verify_report_html"](report)
    assert page.startswith("<!DOCTYPE html>") and "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    assert "198.51.100.12" in page and "NOT healthy" in page and "no ping reply from 10.0.0.10" in page
    index = render_index([build_report(facts_bgp()), report])
    assert 'href="site-bgp/verify.html"' in index and index.count("<tr data-status=") == 2
    assert "site-bgp is healthy: both tunnels UP" in render_html(build_report(facts_bgp()))
    with pytest.raises(Exception, match="expects a dict"):
        filters["verify_report"]([])
