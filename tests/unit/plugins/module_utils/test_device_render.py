# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Vendor renderers: golden files, AWS's sample parameters, bad input (strongSwan parity:
tests/unit/roles/strongswan/test_strongswan_cisco_parity.py).

Regenerate the golden files after an intended change with SITEVPN_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
from pathlib import Path

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.filter.device_config import device_config
from ansible_collections.sitevpn.aws.plugins.module_utils.devices import common as dr
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import DeviceRenderError
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import render_device_config
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import TunnelPlanError
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

_SPEC = importlib.util.spec_from_file_location("device_cases", Path(__file__).resolve().parent / "device_cases.py")
cases_mod = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cases_mod)


CASES = cases_mod.cases()
PLATFORMS = ("cisco_ios", "junos", "fortios")


def _plan(name):
    conn, site = CASES[name]
    return build_tunnel_plan(conn, site)


def _render(name, platform, **options):
    return render_device_config(_plan(name), platform, dict(cases_mod.OPTIONS[platform], **options))


# ------------------------------------------------------------------------------------- golden


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case, platform):
    got = _render(case, platform)
    path = cases_mod.GOLDEN / platform / f"{case}.json"
    text = json.dumps(got, indent=2) + "\n"
    if os.environ.get("SITEVPN_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if platform in ("cisco_ios", "junos"):
            path.with_suffix(".conf").write_text(device_config_text_of(got))
    assert json.loads(path.read_text()) == got
    if platform in ("cisco_ios", "junos"):
        assert path.with_suffix(".conf").read_text() == device_config_text_of(got)


def device_config_text_of(rendered):
    from ansible_collections.sitevpn.aws.plugins.filter.device_config import device_config_text

    return device_config_text(rendered)


def test_golden_cases_cover_the_matrix():
    plans = {name: _plan(name) for name in CASES}
    assert {p["routing"] for p in plans.values()} == {"bgp", "static"}
    versions = {(p["routing"], t["ike_version"]) for p in plans.values() for t in p["tunnels"]}
    assert versions == {("bgp", "ikev1"), ("bgp", "ikev2"), ("static", "ikev1"), ("static", "ikev2")}


def test_rendering_is_deterministic_and_does_not_change_the_plan():
    plan = _plan("bgp_default_ikev2")
    before = copy.deepcopy(plan)
    a = render_device_config(plan, "cisco_ios", cases_mod.OPTIONS["cisco_ios"])
    assert plan == before
    assert render_device_config(plan, "cisco_ios", cases_mod.OPTIONS["cisco_ios"]) == a


# ------------------------------------------------------------------------------- bad input


def test_unknown_device_type_names_the_field():
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(_plan("bgp_default_ikev2"), "vyos", {"outside_interface": "eth0"})
    assert e.value.field == "vpn_device_type" and "vyos" in str(e.value)
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(_plan("bgp_default_ikev2"), "strongswan", {"outside_interface": "eth0"})
    assert e.value.field == "vpn_device_type"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_dh_group_the_platform_cannot_do(platform):
    # batfish's sample: tunnel 2 allows only DH groups 22 and 23 in phase 1
    conn = json.loads((cases_mod.SAMPLES / "vpn-ba2e34a8.describe-vpn-connections.json").read_text())["VpnConnections"][0]
    plan = build_tunnel_plan(conn, cases_mod.SITE)
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(plan, platform, dict(cases_mod.OPTIONS[platform], os_version="17.9.4"))
    assert e.value.field == "tunnel2.phase1_dh_group_numbers"
    assert platform in e.value.message and "23, 22" in e.value.message


@pytest.mark.parametrize("platform", PLATFORMS)
def test_ikev1_with_only_gcm_is_refused(platform):
    conn, site = CASES["bgp_default_ikev2"]
    conn = copy.deepcopy(conn)
    conn["Options"]["TunnelOptions"][0].update({"IkeVersions": [{"Value": "ikev1"}],
                                                "Phase1EncryptionAlgorithms": [{"Value": "AES128-GCM-16"}]})
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(build_tunnel_plan(conn, site), platform, cases_mod.OPTIONS[platform])
    assert e.value.field == "tunnel1.phase1_encryption_algorithms"
    assert platform in e.value.message and "AES128-GCM-16" in e.value.message


def test_required_additional_key_exchange_is_refused():
    plan = _plan("bgp_default_ikev2")
    plan["tunnels"][0]["phase2"]["additional_key_exchanges"] = [{"round": 1, "requirement": "required", "methods": [36]}]
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(plan, "junos", cases_mod.OPTIONS["junos"])
    assert e.value.field == "tunnel1.phase2_additional_key_exchanges"


def test_replay_window_ios_cannot_do():
    plan = _plan("bgp_default_ikev2")
    plan["tunnels"][1]["replay_window_size"] = 2048
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(plan, "cisco_ios", cases_mod.OPTIONS["cisco_ios"])
    assert e.value.field == "tunnel2.replay_window_size" and "2048" in e.value.message


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("outside", [None, "", "  "])
def test_missing_outside_interface(platform, outside):
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(_plan("static_default_ikev2"), platform, {"outside_interface": outside})
    assert e.value.field == "outside_interface"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_missing_asn(platform):
    plan = _plan("bgp_default_ikev2")
    plan["local_asn"] = None
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(plan, platform, cases_mod.OPTIONS[platform])
    assert e.value.field == "local_asn"


def test_bgp_connection_without_asns_fails_in_the_plan():
    conn, site = CASES["bgp_default_ikev2"]
    conn = copy.deepcopy(conn)
    conn["CustomerGatewayConfiguration"] = re.sub(r"<bgp>.*?</bgp>", "", conn["CustomerGatewayConfiguration"], flags=re.S)
    with pytest.raises(TunnelPlanError) as e:
        build_tunnel_plan(conn, site)
    assert e.value.field == "connection" and "ASN" in e.value.message


def test_missing_psk_names_the_tunnel():
    plan = _plan("bgp_default_ikev2")
    plan["tunnels"][1]["pre_shared_key"] = None
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(plan, "fortios", cases_mod.OPTIONS["fortios"])
    assert e.value.field == "tunnel2.pre_shared_key"


def test_filter_reports_the_field():
    with pytest.raises(AnsibleFilterError, match="outside_interface"):
        device_config(_plan("bgp_default_ikev2"), "junos", {})
    with pytest.raises(AnsibleFilterError, match="options must be a dict"):
        device_config(_plan("bgp_default_ikev2"), "junos", "ge-0/0/0.0")


# --------------------------------------------------------------------- platform translation


def test_translate_keeps_the_strongest_first_order_and_drops_what_the_platform_lacks():
    plan = _plan("bgp_default_ikev2")
    tr = dr.translate_tunnel(plan["tunnels"][0], "cisco_ios")
    assert tr["phase1"]["dh_groups"] == [21, 20, 16, 19, 15, 24, 14, 2]  # AWS's list minus 17, 18, 22, 23
    assert tr["phase1"]["classic_encryption"] == ["aes-cbc-256", "aes-cbc-128"]
    assert tr["phase1"]["aead_encryption"] == ["aes-gcm-256", "aes-gcm-128"]
    assert tr["phase2"]["pfs_group"] == 21
    fort = dr.translate_tunnel(plan["tunnels"][0], "fortios")
    assert fort["phase1"]["dh_groups"] == [21, 20, 18, 17, 16, 19, 15, 14, 2]
    assert fort["phase2"]["combos"][0] == {"encryption": "aes256gcm16", "integrity": None}
    assert fort["phase2"]["combos"][-1] == {"encryption": "aes128", "integrity": "sha1"}


@pytest.mark.parametrize("version,groups", [
    ("17.9.4", [21, 20, 16, 19, 15, 24, 14, 2]),
    ("17.11.1a", [21, 20, 16, 19, 15, 14]),   # FN72510: 1, 2, 5 and 24 refused by default
    ("17.15.1", [21, 20, 16, 19, 15, 14]),
    (None, [21, 20, 16, 19, 15, 14]),         # unknown: rendered for the newest
])
def test_ios_xe_dh_groups_follow_the_release(version, groups):
    r = _render("bgp_default_ikev2", "cisco_ios", os_version=version)
    text = device_config_text_of(r)
    assert f" group {' '.join(map(str, groups))}\n" in text
    assert "set pfs group21\n" in text


def test_ios_xe_17_11_refuses_a_tunnel_with_only_weak_groups():
    conn, site = CASES["bgp_default_ikev2"]
    conn = copy.deepcopy(conn)
    conn["Options"]["TunnelOptions"][0]["Phase1DHGroupNumbers"] = [{"Value": 2}, {"Value": 24}]
    plan = build_tunnel_plan(conn, site)
    render_device_config(plan, "cisco_ios", dict(cases_mod.OPTIONS["cisco_ios"], os_version="17.6.5"))
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(plan, "cisco_ios", dict(cases_mod.OPTIONS["cisco_ios"], os_version="17.12.2"))
    assert e.value.field == "tunnel1.phase1_dh_group_numbers" and "refuses DH groups 1, 2, 5, 24" in e.value.message


def test_names_fit_fortios_limits():
    r = _render("bgp_default_ikev2", "fortios")
    assert all(len(p["name"]) <= 15 for p in r["phase1_interface"])
    assert all(len(p["proposal"]) <= 10 for p in r["phase1_interface"] + r["phase2_interface"])
