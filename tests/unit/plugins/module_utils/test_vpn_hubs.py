"""Hub types (issue 17): sitevpn_hub checked, defaulted and grouped before any AWS call, the quota
of each hub's kind, and the inventory check's messages for a hub (pure: no AWS)."""

from __future__ import annotations

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.site_inputs import inventory_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import group_by_hub
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import quota_plan_hubs
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import hub_config
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import hub_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import hub_site_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_quotas import DEFAULT_QUOTAS
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_quotas import plan_quota_errors

TGW = {"type": "transit_gateway"}
VPNC = {"type": "vpn_concentrator"}


def site(i, hub=None, static=False, prefixes=None):
    values = {"sitevpn_cgw_ip": f"203.0.113.{i + 10}", "sitevpn_bgp_asn": 65001 + i,
              "sitevpn_prefixes": prefixes if prefixes is not None else [f"10.{i + 50}.0.0/24"]}
    if hub is not None:
        values["sitevpn_hub"] = hub
    if static:
        values["sitevpn_static_routes_only"] = True
    return values


@pytest.mark.parametrize("hub", [None, {}, {"type": "vpn_gateway"}, TGW, VPNC, {
    "type": "transit_gateway", "name": "hub-east", "amazon_side_asn": 64513, "route_table": "sites", "ecmp": True, "dns": False,
    "vpc_route_summaries": ["10.50.0.0/15"], "enable_acceleration": False, "tunnel_bandwidth": "large", "transit_gateway_id": "tgw-0123",
}])
def test_good_hubs(hub):
    assert hub_errors(hub) == []


@pytest.mark.parametrize("hub, message", [
    ("tgw", "sitevpn_hub: must be a dict"),
    ({"type": "cloud_wan"}, "sitevpn_hub.type: 'cloud_wan' is not one of vpn_gateway, transit_gateway, vpn_concentrator"),
    ({"type": "vpn_gateway", "ecmp": True}, "sitevpn_hub.ecmp: does not apply to a vpn_gateway hub"),
    ({"type": "transit_gateway", "vpn_concentrator_id": "vpn-concentrator-1"}, "sitevpn_hub.vpn_concentrator_id: does not apply to a transit_gateway hub"),
    ({"type": "transit_gateway", "ecmp": "yes"}, "sitevpn_hub.ecmp: must be true or false, got 'yes'"),
    ({"type": "transit_gateway", "amazon_side_asn": 64000}, "sitevpn_hub.amazon_side_asn: ASN 64000 is not a private ASN"),
    ({"type": "transit_gateway", "tunnel_bandwidth": "huge"}, "sitevpn_hub.tunnel_bandwidth: 'huge' is not one of standard, large"),
    ({"type": "transit_gateway", "transit_gateway_id": "vgw-1"}, "sitevpn_hub.transit_gateway_id: must be an ID starting with tgw-"),
    ({"type": "transit_gateway", "vpc_route_summaries": ["10.0.0.1/8"]}, "sitevpn_hub.vpc_route_summaries[0]: '10.0.0.1/8' is not a valid CIDR"),
])
def test_bad_hubs(hub, message):
    assert any(e.startswith(message) for e in hub_errors(hub)), hub_errors(hub)


def test_defaults_and_keys():
    assert hub_config(None, "lab") == {"type": "vpn_gateway", "name": "lab-vgw", "key": "vpn_gateway:lab-vgw"}
    tgw = hub_config(TGW, "lab")
    assert (tgw["name"], tgw["transit_gateway_name"], tgw["key"], tgw["ecmp"], tgw["given"]) == ("lab-tgw", "lab-tgw", "transit_gateway:lab-tgw", True, [])
    vpnc = hub_config(dict(VPNC, ecmp=False), "lab")
    # a concentrator sits on the prefix's transit gateway unless told otherwise: one transit gateway for both kinds
    assert (vpnc["name"], vpnc["transit_gateway_name"], vpnc["given"]) == ("lab-vpnc", "lab-tgw", ["ecmp"])
    assert hub_config({"type": "transit_gateway", "transit_gateway_id": "tgw-1"}, "lab")["key"] == "transit_gateway:tgw-1"


def test_sites_grouped_by_hub():
    groups = group_by_hub({"b": {"hub": TGW}, "a": {"hub": None}, "c": {"hub": TGW}, "d": {"hub": {"type": "vpn_gateway"}}}, "lab")
    assert {key: hosts for key, (dummy, hosts) in groups.items()} == {"vpn_gateway:lab-vgw": ["a", "d"], "transit_gateway:lab-tgw": ["b", "c"]}
    hubs = quota_plan_hubs(groups, "vgw-1")
    assert hubs == {"vgw-1": {"type": "vpn_gateway", "sites": ["a", "d"]}, "lab-tgw": {"type": "transit_gateway", "sites": ["b", "c"]}}


def test_quota_per_hub_kind():
    sites = {f"s{i}": {"name": f"lab-s{i}", "cgw_ip": f"203.0.113.{i}", "bgp_asn": 65000, "static": False, "prefixes": []} for i in range(12)}
    names = sorted(sites)
    on_vgw = {"hubs": {"vgw-1": {"type": "vpn_gateway", "sites": names[:11]}, "lab-tgw": {"type": "transit_gateway", "sites": names[11:]}},
              "region": "us-east-1", "sites": sites}
    assert plan_quota_errors(on_vgw, DEFAULT_QUOTAS) == [
        "11 sites on vgw-1 exceeds 10 VPN connections per virtual private gateway; use a transit gateway hub or ask AWS for more"]
    on_tgw = dict(on_vgw, hubs={"lab-tgw": {"type": "transit_gateway", "sites": names}})
    assert plan_quota_errors(on_tgw, DEFAULT_QUOTAS) == []
    on_vpnc = dict(on_vgw, hubs={"lab-vpnc": {"type": "vpn_concentrator", "sites": names}})
    existing = {"vpn_connections": [{"vpn_connection_id": f"vpn-{i}", "vpn_concentrator_id": "lab-vpnc", "state": "available", "tags": {}}
                                    for i in range(89)]}
    quotas = dict(DEFAULT_QUOTAS, vpn_connections_per_region=200)
    assert plan_quota_errors(on_vpnc, quotas, existing) == [
        "101 sites on lab-vpnc exceeds 100 VPN connections per VPN concentrator; use another concentrator or ask AWS for more"]


def test_concentrator_refuses_static_sites_and_shared_prefixes():
    errors = hub_site_errors({"a": {"hub": VPNC, "static": True, "prefixes": ["10.1.0.0/24"]},
                              "b": {"hub": VPNC, "static": False, "prefixes": ["10.2.0.0/24", "10.3.0.0/24"]},
                              "c": {"hub": TGW, "static": True, "prefixes": ["10.4.0.0/24"]}}, "lab")
    assert errors == [
        "a: sitevpn_static_routes_only: the sites of VPN concentrator hub lab-vpnc use BGP only (AWS refuses static routing on a "
        "concentrator); use a transit_gateway hub for a static site",
        "b: sitevpn_prefixes: a site on VPN concentrator hub lab-vpnc needs exactly one prefix, its own CIDR among the concentrator's "
        "sites (summarise the site's networks)",
    ]


def test_inventory_check_knows_the_hub():
    # several hubs in one inventory: each group its own; sites of one hub must agree on it
    good = {"a": site(0), "b": site(1, TGW), "c": site(2, dict(TGW, name="hub-west")), "d": site(3, dict(TGW, name="hub-west"))}
    assert inventory_errors(good) == ([], [])
    bad = dict(good, d=site(3, dict(TGW, name="hub-west", ecmp=False)))
    assert any(e.startswith("sitevpn_hub: hub hub-west is set differently on its sites (c; d)") for e in inventory_errors(bad)[0])
    errors = inventory_errors({"a": site(0, {"type": "mesh"})})[0]
    assert errors == ["a: sitevpn_hub.type: 'mesh' is not one of vpn_gateway, transit_gateway, vpn_concentrator"]
    errors = inventory_errors({"a": site(0, VPNC, static=True)})[0]
    assert errors and errors[0].startswith("a: sitevpn_static_routes_only: the sites of VPN concentrator hub sitevpn-vpnc use BGP only")
    # BGP needs two ASNs: the transit gateway's is the hub's
    clash = site(0, dict(TGW, amazon_side_asn=65001))
    assert inventory_errors({"a": clash})[0] == ["a: sitevpn_bgp_asn: 65001 is the Amazon side's ASN (sitevpn_hub); BGP needs two"]
