# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Issue 21: every rendered configuration against the vendor rule sets (device_rules.py), the
second run against the running configuration as the device prints it, and each numbered item."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import DeviceRenderError
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.fortios import merge_router_bgp
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import render_device_config
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan


def _load(name):
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


cases_mod = _load("device_cases")
rules_mod = _load("device_rules")
CASES = cases_mod.cases()
PLATFORMS = ("cisco_ios", "junos", "fortios")


def _plan(case, **site):
    conn, base = CASES[case]
    return build_tunnel_plan(conn, dict(base, **site))


def _render(case, platform, plan=None, **options):
    return render_device_config(plan or _plan(case), platform, dict(cases_mod.OPTIONS[platform], **options))


# ------------------------------------------------------------------------------ rule sets


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_rendering_obeys_the_vendor_rules(case, platform):
    assert rules_mod.RULES[platform](_render(case, platform)) == []


@pytest.mark.parametrize("version", ["17.9.4", "17.11.1a", "17.15.1", None])
def test_cisco_rules_hold_for_every_release(version):
    assert rules_mod.cisco_rules(_render("bgp_default_ikev2", "cisco_ios", os_version=version), version) == []


def test_rules_catch_what_main_rendered():
    """The rules are not vacuous: main's shapes (BGP without type/peer-as, no policies, group 2) fail them."""
    junos = _render("bgp_default_ikev2", "junos")
    junos["set_lines"] = [line for line in junos["set_lines"] if " type external" not in line and " peer-as " not in line
                          and "security policies" not in line and "system-services ike" not in line]
    assert len(rules_mod.junos_rules(junos)) == 5
    cisco = _render("bgp_default_ikev2", "cisco_ios", os_version="17.9.4")
    assert any("FN72510" in v for v in rules_mod.cisco_rules(cisco, "17.12.1"))


# ----------------------------------------------------------------------- item by item


def test_item1_junos_commits_bgp_in_one_go():
    r = _render("bgp_default_ikev2", "junos")
    assert set(r) == {"platform", "set_lines"}  # no second (junos_bgp_global) commit
    assert "set protocols bgp group aws-ba2e34a8 peer-as 65401" in r["set_lines"]


def test_item2_junos_zone_names_come_from_the_options():
    r = _render("bgp_default_ikev2", "junos", lan_zone="inside", outside_zone="internet")
    assert rules_mod.junos_rules(r, "inside", "internet") == []
    assert "set security zones security-zone internet host-inbound-traffic system-services ike" in r["set_lines"]


def test_item4_fortios_bgp_merge_keeps_the_sites_own_bgp():
    ours = _render("bgp_default_ikev2", "fortios")["router_bgp"]
    current = {"as": 65301, "router-id": "10.9.9.9",
               "neighbor": [{"ip": "10.1.1.1", "remote-as": 65100}, {"ip": "169.254.15.193", "remote-as": 1}],
               "network": [{"id": 1, "prefix": "192.168.0.0 255.255.255.0"}, {"id": 7, "prefix": "172.16.0.0 255.255.0.0"}]}
    merged = merge_router_bgp(current, ours)
    assert merged["router_id"] == "10.9.9.9"
    assert [n["ip"] for n in merged["neighbor"]] == ["10.1.1.1", "169.254.15.193", "169.254.13.237"]
    assert merged["neighbor"][1]["remote_as"] == "65401"
    assert [n["id"] for n in merged["network"]] == [1, 7]  # 172.16.0.0/16 already announced
    # idempotent: merging into the merged object changes nothing
    assert merge_router_bgp(merged, ours) == merged
    assert merge_router_bgp({}, ours)["neighbor"] == ours["neighbor"]


def test_item4_fortios_refuses_another_as():
    ours = _render("bgp_default_ikev2", "fortios")["router_bgp"]
    with pytest.raises(DeviceRenderError) as e:
        merge_router_bgp({"as": 65000}, ours)
    assert e.value.field == "router_bgp.as" and "65000" in e.value.message


def test_item6_equal_local_preference_by_default():
    for platform, key in (("cisco_ios", "route_maps"), ("fortios", "route_maps")):
        r = _render("bgp_default_ikev2", platform)
        prefs = [e["set"]["local_preference"] for m in r[key] if m.get("route_map", "").endswith("-IN") for e in m["entries"]] \
            if platform == "cisco_ios" else [m["rule"][0]["set_local_preference"] for m in r[key] if m["name"].endswith("-in")]
        assert prefs == [100, 100]
    junos = "\n".join(_render("bgp_default_ikev2", "junos")["set_lines"])
    assert junos.count("then local-preference 100") == 2
    # AWS->site is still steered: prepend on the backup
    assert "as-path-prepend \"65301 65301\"" in junos


def test_item6_unequal_preference_still_possible():
    plan = _plan("bgp_default_ikev2", local_preference_primary=200)
    assert "then local-preference 200" in "\n".join(_render("bgp_default_ikev2", "junos", plan=plan)["set_lines"])


@pytest.mark.parametrize("platform", PLATFORMS)
def test_item7_strongest_proposal_first(platform):
    r = _render("bgp_default_ikev2", platform)
    if platform == "cisco_ios":
        assert r["crypto"][0]["lines"][0] == "encryption aes-gcm-256 aes-gcm-128"
        assert [b["parents"][0] for b in r["crypto"] if "transform-set" in b["parents"][0]][0].endswith("esp-gcm 256")
    elif platform == "junos":
        first = [line for line in r["set_lines"] if "-ike1 " in line]
        assert "encryption-algorithm aes-256-gcm" in " ".join(first) and "dh-group group21" in " ".join(first)
    else:
        assert r["phase1_interface"][0]["proposal"][0] == "aes256gcm-prfsha512"
        assert r["phase2_interface"][0]["proposal"][0] == "aes256gcm"
        assert r["phase1_interface"][0]["dhgrp"][0] == "21"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_item8_bgp_site_without_prefixes_is_refused(platform):
    with pytest.raises(DeviceRenderError) as e:
        _render("bgp_default_ikev2", platform, plan=_plan("bgp_default_ikev2", site_prefixes=[]))
    assert e.value.field == "site_prefixes"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_item8_traffic_selectors_other_than_any_are_refused(platform):
    conn, site = CASES["bgp_default_ikev2"]
    conn = copy.deepcopy(conn)
    conn["Options"]["RemoteIpv4NetworkCidr"] = "10.0.0.0/16"
    with pytest.raises(DeviceRenderError) as e:
        _render("bgp_default_ikev2", platform, plan=build_tunnel_plan(conn, site))
    assert e.value.field == "remote_ipv4_network_cidr"
    conn["Options"]["RemoteIpv4NetworkCidr"] = "0.0.0.0/0"
    _render("bgp_default_ikev2", platform, plan=build_tunnel_plan(conn, site))


@pytest.mark.parametrize("platform,existing,option", [
    ("cisco_ios", {"interfaces": ["Tunnel2"]}, "tunnel_interface_start"),
    ("junos", {"st0_units": [1]}, "st0_unit_start"),
    ("fortios", {"firewall_policy": [1001]}, "policy_id_start"),
])
def test_item8_taken_ids_are_refused(platform, existing, option):
    with pytest.raises(DeviceRenderError) as e:
        _render("bgp_default_ikev2", platform, existing=existing)
    assert e.value.field == option and "not created by sitevpn.aws" in e.value.message
    _render("bgp_default_ikev2", platform, existing=existing, **{option: 10})


def test_item8_cisco_ikev1_isakmp_priority_taken():
    with pytest.raises(DeviceRenderError) as e:
        _render("static_nondefault_ikev1", "cisco_ios", existing={"isakmp_policies": [100]})
    assert e.value.field == "isakmp_priority_start"


def test_item8_fortios_local_address_is_the_local_gateway():
    r = _render("bgp_default_ikev2", "fortios", local_address="192.0.2.77")
    assert {p["local_gw"] for p in r["phase1_interface"]} == {"192.0.2.77"}
    assert "local_gw" not in _render("bgp_default_ikev2", "fortios")["phase1_interface"][0]


def test_item8_mtu_follows_the_algorithms_on_every_device():
    plan = _plan("bgp_nondefault_ikev1_ikev2")  # tunnel 1 AES256/SHA2-256, tunnel 2 AES256-GCM
    assert [(t["mtu"], t["tcp_mss"]) for t in plan["tunnels"]] == [(1436, 1379), (1436, 1379)]
    plan = _plan("bgp_default_ikev2")  # AWS's defaults allow AES-CBC with SHA2-512
    r = _render("bgp_default_ikev2", "cisco_ios", plan=plan)
    assert "ip mtu 1399" in r["tunnel_interfaces"][0]["lines"]


def test_item8_taken_ids_read_from_the_vendors_facts():
    from ansible_collections.sitevpn.aws.plugins.filter.device_config import device_taken_ids

    gathered = [{"name": "GigabitEthernet1"}, {"name": "Tunnel1", "description": "vpn-ba2e34a8 tunnel1 to 52.27.166.152"},
                {"name": "Tunnel2", "description": "DMVPN hub"}, {"name": "Tunnel3"}]
    taken = device_taken_ids({"interfaces": gathered}, "cisco_ios", "vpn-ba2e34a8", {"isakmp_policies": [100]})
    assert taken == {"isakmp_policies": [100], "interfaces": ["Tunnel2", "Tunnel3"]}
    with pytest.raises(DeviceRenderError):
        _render("bgp_default_ikev2", "cisco_ios", existing=taken)
    facts = {"firewall_policy": [{"policyid": 1000, "name": "aws-ba2e34a8-1-out"}, {"policyid": 1002, "name": "lan-to-wan"}],
             "router_static": [{"seq-num": 1000, "device": "wan1"}]}
    taken = device_taken_ids(facts, "fortios", "vpn-ba2e34a8")
    assert taken == {"firewall_policy": [1002], "router_static": [1000]}
    with pytest.raises(DeviceRenderError) as e:
        _render("bgp_default_ikev2", "fortios", existing=taken)
    assert e.value.field == "policy_id_start"
