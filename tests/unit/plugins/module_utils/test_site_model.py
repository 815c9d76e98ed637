"""The site model (module_utils/site_model.py) and the one naming module (site_names.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.sitevpn.aws.plugins.module_utils import site_names as names
from ansible_collections.sitevpn.aws.plugins.module_utils.site_model import build_site_model
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import TunnelPlanError
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

SITE = {"name": "branch1", "site_prefixes": ["10.10.0.0/16"], "vpc_prefixes": ["10.0.0.0/16"]}
# AWS's published samples (tests/fixtures/real-aws): a BGP and a static connection
BGP, STATIC = (
    json.loads((Path(__file__).resolve().parents[3] / "fixtures" / "real-aws" / f"{name}.describe-vpn-connections.json").read_text())
    ["VpnConnections"][0]
    for name in ("vpn-ba2e34a8", "vpn-static-2019")
)


@pytest.fixture(name="bgp")
def bgp_sample():
    return copy.deepcopy(BGP)


@pytest.fixture(name="static")
def static_sample():
    return copy.deepcopy(STATIC)


def test_the_plan_is_the_tunnel_plan_unchanged(bgp):
    model = build_site_model(bgp, dict(SITE, primary_tunnel=2, name_prefix="acme", dataplane="libipsec"))
    assert model["plan"] == build_tunnel_plan(bgp, dict(SITE, primary_tunnel=2))
    assert (model["primary_tunnel"], model["backup_tunnel"]) == (2, 1)
    assert model["routing"] == "bgp" and model["static_routes_only"] is False
    assert model["vpn_connection_id"] == bgp["VpnConnectionId"]


def test_static_routing_comes_from_the_connection_not_the_inventory(static):
    model = build_site_model(camel_dict_to_snake_dict(static), {"name": "s"})
    assert model["routing"] == "static" and model["static_routes_only"] is True
    assert (model["primary_tunnel"], model["backup_tunnel"]) == (1, 2)


def test_names_of_the_site(bgp):
    model = build_site_model(bgp, dict(SITE, name_prefix="acme"))
    assert model["names"] == {
        "name_prefix": "acme",
        "connection": "acme-branch1",
        "customer_gateway": "acme-branch1",
        "vpn_gateway": "acme-vgw",
        "alarm_prefix": "acme-vpn-",
        "site_alarm_prefix": "acme-vpn-branch1-",
        "tunnel_alarm_prefixes": ["acme-vpn-branch1-tunnel1-", "acme-vpn-branch1-tunnel2-"],
        "tunnel_alarms": ["acme-vpn-branch1-tunnel1-down", "acme-vpn-branch1-tunnel2-down"],
        "both_down_alarm": "acme-vpn-branch1-both-tunnels-down",
    }
    assert build_site_model(bgp, SITE)["names"]["connection"] == "sitevpn-branch1"


@pytest.mark.parametrize("dataplane, devs, uri", [
    ("libipsec", ["vti1", "vti2"], "unix:///run/x/boxt1/charon.vici"),
    ("xfrm", ["ipsec1", "ipsec2"], None),
])
def test_device_layout(bgp, dataplane, devs, uri):
    device = build_site_model(bgp, dict(SITE, dataplane=dataplane, box_prefix="box", run_dir="/run/x"))["device"]
    assert [t["dev"] for t in device["tunnels"]] == devs
    assert [t["box"] for t in device["tunnels"]] == ["boxt1", "boxt2"]
    assert device["tunnels"][0]["vici_socket"] == "/run/x/boxt1/charon.vici"
    assert device["tunnels"][0]["pid_file"] == "/run/x/boxt1/charon.pid"
    assert device["tunnels"][0]["vici_uri"] == uri
    assert [t["name"] for t in device["tunnels"]] == [t["name"] for t in build_tunnel_plan(bgp, SITE)["tunnels"]]


def test_unset_inventory_values_take_the_defaults(bgp):
    model = build_site_model(bgp, dict(SITE, dataplane=None, box_prefix=None, run_dir=None, lan_probe_target=None))
    assert model["device"]["dataplane"] == "xfrm"
    assert model["device"]["tunnels"][1]["vici_socket"] == "/var/lib/sitevpn-strongswan/svpnt2/charon.vici"
    assert model["probes"] == {"lan_target": "", "vpc_targets": []}


@pytest.mark.parametrize("site, field", [
    ({"site_prefixes": []}, "site.name"),
    (dict(SITE, colour="blue"), "site"),
    (dict(SITE, dataplane="kernel"), "site.dataplane"),
    ("branch1", "site"),
])
def test_bad_site(bgp, site, field):
    with pytest.raises(TunnelPlanError) as info:
        build_site_model(bgp, site)
    assert info.value.field == field


@pytest.mark.parametrize("name, prefix, site", [
    ("sitevpn-site-bgp", "sitevpn", "site-bgp"),
    ("acme-east-1", "acme", "east-1"),
    ("other-site", "sitevpn", "other-site"),
    ("", "sitevpn", ""),
])
def test_site_of_connection_name(name, prefix, site):
    assert names.site_of_connection_name(name, prefix) == site


def test_site_of_connection_name_inverts_connection_name():
    assert names.site_of_connection_name(names.connection_name("p", "a-b"), "p") == "a-b"


@pytest.mark.parametrize("alarm, site", [
    ("sitevpn-vpn-site-bgp-tunnel1-down", "site-bgp"),
    ("acme-vpn-east-1-both-tunnels-down", "east-1"),
    ("sitevpn-vpn-site-bgp-tunnel12-down", "site-bgp"),
    ("sitevpn-vpn-site-bgp", None),
    ("unrelated", None),
    (None, None),
])
def test_site_of_alarm_name(alarm, site):
    assert names.site_of_alarm_name(alarm) == site


def test_alarm_names_read_back_to_their_site():
    for alarm in names.site_names("p", "x-y", 3)["tunnel_alarms"] + [names.both_down_alarm_name("p", "x-y")]:
        assert names.site_of_alarm_name(alarm) == "x-y"


def test_an_alarm_prefix_of_ones_own_names_every_alarm():
    """roles/monitoring's monitoring_alarm_prefix replaces <prefix>-vpn- in every alarm name."""
    got = names.site_names("p", "b1", 2, "ops-")
    assert got["alarm_prefix"] == "ops-" and got["site_alarm_prefix"] == "ops-b1-"
    assert got["tunnel_alarms"] == ["ops-b1-tunnel1-down", "ops-b1-tunnel2-down"]
    assert got["tunnel_alarm_prefixes"] == ["ops-b1-tunnel1-", "ops-b1-tunnel2-"]
    assert got["both_down_alarm"] == "ops-b1-both-tunnels-down"
    assert names.site_names("p", "b1", 2, None) == names.site_names("p", "b1")
