# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.sitevpn.aws.plugins.filter import parse_vpn_config as pvc
from ansible_collections.sitevpn.aws.plugins.filter import tunnel_plan as tpf
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import merge_tunnels
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_config import parse_customer_gateway_configuration

REPO = Path(__file__).resolve().parents[4]
SAMPLES = REPO / "tests" / "fixtures" / "real-aws"


def _describe(name):
    return json.loads((SAMPLES / f"{name}.describe-vpn-connections.json").read_text())


def test_filter_maps():
    assert pvc.FilterModule().filters() == {"parse_vpn_config": pvc.parse_vpn_config}
    assert tpf.FilterModule().filters() == {"vpn_tunnels": tpf.vpn_tunnels, "vpn_tunnel_plan": tpf.vpn_tunnel_plan,
                                            "site_model": tpf.site_model, "site_names": tpf.site_names,
                                            "device_layout": tpf.device_layout}


def test_parse_vpn_config_is_the_module_utils_parser():
    xml = (SAMPLES / "vpn-tgw-2019.customer-gateway-configuration.xml").read_text()
    assert pvc.parse_vpn_config(xml) == parse_customer_gateway_configuration(xml)


def test_vpn_tunnels_and_plan_wrap_module_utils():
    conn = _describe("vpn-ba2e34a8")["VpnConnections"][0]
    site = {"site_prefixes": ["10.10.0.0/16"]}
    assert tpf.vpn_tunnels(conn) == merge_tunnels(conn)
    assert tpf.vpn_tunnel_plan(conn, site) == build_tunnel_plan(conn, site)
    # the whole describe result with one connection, a one-element list, snake_case
    assert tpf.vpn_tunnels(_describe("vpn-ba2e34a8")) == merge_tunnels(conn)
    assert tpf.vpn_tunnels([conn]) == merge_tunnels(conn)
    assert tpf.vpn_tunnel_plan(camel_dict_to_snake_dict(conn), site) == build_tunnel_plan(conn, site)


@pytest.mark.parametrize(
    "filter_,value,words",
    [
        (pvc.parse_vpn_config, "<x", "not well-formed"),
        (pvc.parse_vpn_config, None, "expects the CustomerGatewayConfiguration"),
        (pvc.parse_vpn_config, ["<a/>"], "expects"),
        (tpf.vpn_tunnels, "vpn-1", "expects a VPN connection"),
        (tpf.vpn_tunnels, [], "got a list of 0"),
        (tpf.vpn_tunnels, {"VpnConnections": []}, "got a list of 0"),
        (tpf.vpn_tunnels, {"CustomerGatewayConfiguration": "<broken"}, "not well-formed"),
    ],
)
def test_filter_errors(filter_, value, words):
    with pytest.raises(AnsibleFilterError) as e:
        filter_(value)
    assert words in str(e.value)


def test_vpn_tunnel_plan_errors():
    conn = _describe("vpn-ba2e34a8")["VpnConnections"][0]
    with pytest.raises(AnsibleFilterError) as e:
        tpf.vpn_tunnel_plan(conn, {"bgp_asn": 65000})
    assert "site.bgp_asn" in str(e.value)
    with pytest.raises(AnsibleFilterError) as e:
        tpf.vpn_tunnel_plan(conn, "branch1")
    assert "site must be a dict" in str(e.value)


def test_filters_in_a_playbook(tmp_path):
    """The filters load under their FQCNs in a real ansible-playbook run."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        f"""
- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
    describe: "{{{{ lookup('file', '{SAMPLES.resolve()}/vpn-ba2e34a8.describe-vpn-connections.json') | from_json }}}}"
    conn: "{{{{ describe.VpnConnections[0] }}}}"
  tasks:
    - ansible.builtin.assert:
        that:
          - (conn.CustomerGatewayConfiguration | sitevpn.aws.parse_vpn_config).tunnels[1].vgw_outside_ip == '52.39.121.126'
          - (conn | sitevpn.aws.vpn_tunnels)[1].options.phase1_dh_group_numbers == [22, 23]
          - "(conn | sitevpn.aws.vpn_tunnel_plan({{'prepend_count': 3}})).tunnels[1].preference.as_path_prepend == 3"
    - ansible.builtin.debug:
        msg: "{{{{ 'not xml' | sitevpn.aws.parse_vpn_config }}}}"
      register: bad
      ignore_errors: true
    - ansible.builtin.assert:
        that:
          - bad is failed
          - "'not well-formed' in bad.msg"
"""
    )
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    cfg = REPO / "ansible.cfg"
    if cfg.exists():
        env["ANSIBLE_CONFIG"] = str(cfg)
    bindir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bindir / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed=0" in result.stdout


def test_tunnel_plan_without_xml_or_keys_says_return_secrets():
    """Issue 16 item 9: vpn_connection's default result (no XML, no keys) gets a message that says why."""
    stripped = {
        "vpn_connection_id": "vpn-1",
        "options": {"tunnel_options": [{"outside_ip_address": "198.51.100.1", "tunnel_inside_cidr": "169.254.10.0/30"}]},
    }
    with pytest.raises(AnsibleFilterError, match="return_secrets: true"):
        tpf.vpn_tunnel_plan(stripped, {"name": "site-a"})


def test_site_model_filter_takes_the_describe_result_and_says_what_is_wrong():
    describe = _describe("vpn-ba2e34a8")
    model = tpf.FilterModule().filters()["site_model"](describe, {"name": "branch1", "primary_tunnel": 2})
    assert model["plan"]["primary_tunnel"] == 2 and model["names"]["connection"] == "sitevpn-branch1"
    with pytest.raises(AnsibleFilterError, match="site_model: site: unknown keys: colour"):
        tpf.site_model(describe, {"name": "branch1", "colour": "blue"})
    bare = dict(describe["VpnConnections"][0], CustomerGatewayConfiguration=None)
    bare["Options"] = {}
    with pytest.raises(AnsibleFilterError, match="site_model: the connection has no customer_gateway_configuration"):
        tpf.site_model(bare, {"name": "branch1"})


def test_site_names_filter():
    assert tpf.site_names("site-bgp")["connection"] == "sitevpn-site-bgp"
    assert tpf.site_names("site-bgp", "acme")["both_down_alarm"] == "acme-vpn-site-bgp-both-tunnels-down"
    # the region's dashboard (roles/monitoring), only when a region is given
    assert tpf.site_names("site-bgp", "acme", region="eu-west-1")["dashboard"] == "acme-vpn-eu-west-1"
    assert "dashboard" not in tpf.site_names("site-bgp", "acme")
    with pytest.raises(AnsibleFilterError, match="site_names"):
        tpf.site_names("")


def test_device_layout_filter_is_the_site_models_device_without_a_connection():
    """A device's absent path has no connection: the layout of the indexes is the model's own."""
    describe = _describe("vpn-ba2e34a8")
    site = {"name": "branch1", "dataplane": "libipsec", "box_prefix": "svl-d1", "run_dir": "/run/x"}
    assert tpf.device_layout([1, 2], "libipsec", "svl-d1", "/run/x") == tpf.site_model(describe, site)["device"]
    xfrm = tpf.device_layout([1, 2])
    assert [t["dev"] for t in xfrm["tunnels"]] == ["ipsec1", "ipsec2"] and xfrm["tunnels"][0]["vici_uri"] is None
    with pytest.raises(AnsibleFilterError, match="device_layout: site.dataplane"):
        tpf.device_layout([1], "kernel")
    with pytest.raises(AnsibleFilterError, match="device_layout expects"):
        tpf.device_layout("1,2")


@pytest.mark.parametrize("device_type, platforms_only, message", [
    ("strongswan", False, ""),
    ("fortios", True, ""),
    ("strongswan", True, "vpn_device_type strongswan is not one of cisco_ios, junos, fortios"),
    ("vyos", False, "vpn_device_type vyos is not one of strongswan, cisco_ios, junos, fortios"),
    (None, False, "vpn_device_type None is not one of strongswan, cisco_ios, junos, fortios"),
])
def test_device_type_error_is_the_one_list_of_device_types(device_type, platforms_only, message):
    from ansible_collections.sitevpn.aws.plugins.filter.device_config import device_type_error
    assert device_type_error(device_type, platforms_only) == message
