# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The device roles through ansible-playbook, offline: the vendor resource modules' `state: rendered`
renders what the role would push, `state: parsed` reads it back (a round trip through the vendor's
own parser), and bad input fails in the render task, before any task talks to the device.

Regenerate the golden command files with SITEVPN_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.api.testing import free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
PLAYBOOKS = HERE / "playbooks"
GOLDEN = HERE / "golden"
BIN = Path(sys.executable).parent

_SPEC = importlib.util.spec_from_file_location("device_cases", ROOT / "tests/unit/plugins/module_utils/device_cases.py")
cases_mod = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cases_mod)


IFACE = {"cisco_ios": "GigabitEthernet1", "junos": "ge-0/0/0.0", "fortios": "wan1"}
CONNECTION = {"cisco_ios": "ansible.netcommon.network_cli", "junos": "ansible.netcommon.netconf", "fortios": "ansible.netcommon.httpapi"}
NETWORK_OS = {"cisco_ios": "cisco.ios.ios", "junos": "junipernetworks.junos.junos", "fortios": "fortinet.fortios.fortios"}
# host -> (platform, case); documentation addresses (RFC 5737): never reachable, never contacted
HOSTS = {
    "cisco-bgp": ("cisco_ios", "bgp_default_ikev2"),
    "cisco-static": ("cisco_ios", "static_nondefault_ikev1"),
    "junos-bgp": ("junos", "bgp_nondefault_ikev1_ikev2"),
    "fortios-static": ("fortios", "static_nondefault_ikev1"),
}


def _inventory(tmp_path, hosts, host_extra=None):
    cases = cases_mod.cases()
    groups = {}
    for n, (name, (platform, case)) in enumerate(sorted(hosts.items()), start=1):
        conn, site = cases[case]
        hostvars = {"ansible_host": f"192.0.2.{200 + n}", "ansible_connection": CONNECTION[platform],
                    "ansible_network_os": NETWORK_OS[platform], "vpn_device_type": platform,
                    "sitevpn_vpn_connection": conn, "sitevpn_site": site,
                    "test_out": str(tmp_path / f"{name}.json"), "test_outside_interface": IFACE[platform]}
        hostvars.update(host_extra or {})
        groups.setdefault(platform, {"hosts": {}})["hosts"][name] = hostvars
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps({"all": {"children": groups}}))
    return path


def _run(tmp_path, playbook, hosts, host_extra=None, extra=None):
    inventory = _inventory(tmp_path, hosts, host_extra)
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"))
    cmd = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(PLAYBOOKS / playbook)]
    if extra:
        cmd += ["-e", json.dumps(extra)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    data = {name: json.loads((tmp_path / f"{name}.json").read_text()) for name in hosts if (tmp_path / f"{name}.json").exists()}
    return proc.returncode, proc.stdout + proc.stderr, data


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One ansible-playbook run: every platform playbook, state rendered then parsed."""
    tmp_path = tmp_path_factory.mktemp("device_roles")
    hosts = dict(HOSTS)
    rc, output, data = _run(tmp_path, "all.yml", hosts)
    assert rc == 0, output
    assert set(data) == set(hosts)
    return data


def _golden(name, value):
    path = GOLDEN / name
    if os.environ.get("SITEVPN_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, indent=2) + "\n")
    return json.loads(path.read_text())


def _by(items, key):
    return sorted(items, key=lambda i: i[key])


def test_cisco_ios_bgp_rendered_and_parsed(rendered):
    data = rendered["cisco-bgp"]
    rendered_, parsed = data["rendered"], data["parsed"]
    config = rendered_["config"]
    assert rendered_["commands"] == _golden("cisco_ios_bgp_default_ikev2.commands.json", rendered_["commands"])
    golden_conf = cases_mod.GOLDEN / "cisco_ios" / "bgp_default_ikev2.conf"
    assert rendered_["config_lines"] == golden_conf.read_text()
    assert "neighbor 169.254.15.193 timers 10 30" in rendered_["commands"]["bgp_global"]
    assert "set as-path prepend 65301 65301" in rendered_["commands"]["route_maps"]
    assert "ip prefix-list AWS-BA2E34A8-SITE seq 5 permit 172.16.0.0/16" in rendered_["commands"]["prefix_lists"]
    # the vendor's parser reads back exactly what we asked for
    assert parsed["l3_interfaces"] == config["l3_interfaces"]
    assert _by(parsed["route_maps"], "route_map") == _by(config["route_maps"], "route_map")
    assert parsed["bgp_global"]["as_number"] == config["bgp_global"]["as_number"]
    assert _by(parsed["bgp_global"]["neighbors"], "neighbor_address") == _by(config["bgp_global"]["neighbors"], "neighbor_address")
    # every route map a neighbor uses exists (IOS drops all routes through a missing one)
    used = {m["name"] for n in config["bgp_address_family"]["address_family"][0]["neighbors"] for m in n["route_maps"]}
    assert used <= {m["route_map"] for m in parsed["route_maps"]}


def test_cisco_ios_static_rendered_and_parsed(rendered):
    data = rendered["cisco-static"]
    config = data["rendered"]["config"]
    assert data["parsed"]["static_routes"] == config["static_routes"]
    assert data["rendered"]["commands"]["bgp_global"] == []
    # issue 21: routes follow the track of their tunnel (AWS's Cisco_NoBGP sample)
    assert "ip route 10.1.0.0 255.255.0.0 Tunnel2 200 track 101" in data["rendered"]["commands"]["static_routes"]
    assert "track 101 ip sla 101 reachability" in data["rendered"]["config_lines"]
    assert "crypto isakmp policy 100" in data["rendered"]["config_lines"]


def test_junos_rendered(rendered):
    data = rendered["junos-bgp"]
    lines = data["rendered"]["config"]["set_lines"]
    assert data["rendered"]["config_lines"] == (cases_mod.GOLDEN / "junos" / "bgp_nondefault_ikev1_ikev2.conf").read_text()
    # issue 21 item 1: the BGP group is committed whole with the rest (type and peer-as included)
    assert "set protocols bgp group aws-ba2e34a8 type external" in lines
    assert "set protocols bgp group aws-ba2e34a8 peer-as 65401" in lines
    assert "set protocols bgp group aws-ba2e34a8 hold-time 30" in lines


def test_fortios_rendered(rendered):
    got = rendered["fortios-static"]["rendered"]["config"]
    assert got == json.loads((cases_mod.GOLDEN / "fortios" / "static_nondefault_ikev1.json").read_text())


def test_bad_input_fails_before_any_push(tmp_path):
    # a real push (state present) to unreachable example hosts of each platform, without an outside interface
    hosts = {"cisco-bgp": HOSTS["cisco-bgp"], "junos-bgp": HOSTS["junos-bgp"], "fortios-static": HOSTS["fortios-static"]}
    rc, output, data = _run(tmp_path, "push.yml", hosts, host_extra={"test_outside_interface": ""})
    assert rc != 0 and not data
    for role in ("device_cisco_ios", "device_junos", "device_fortios"):
        assert f"sitevpn.aws.{role} : Render the tunnel plan" in output
    assert output.count("outside_interface: is required") >= 3
    for host in hosts:
        assert f"fatal: [{host}]" in output
    assert "unreachable=1" not in output
    for pushed in ("Push the crypto configuration", "Push IKE, IPsec", "Configure the IPsec phase 1 interfaces"):
        assert pushed not in output


def test_algorithm_the_platform_cannot_do_fails_before_any_push(tmp_path):
    conn = json.loads((cases_mod.SAMPLES / "vpn-ba2e34a8.describe-vpn-connections.json").read_text())["VpnConnections"][0]
    rc, output, _data = _run(tmp_path, "push.yml", {"cisco-bgp": HOSTS["cisco-bgp"]},
                             host_extra={"sitevpn_vpn_connection": conn, "sitevpn_outside_interface": "Gi1"})
    assert rc != 0
    assert "tunnel1.phase1_dh_group_numbers: cisco_ios cannot do phase1 DH groups 2 (this software release refuses DH groups 1, 2, 5, 24)" in output
    assert "Push the crypto configuration" not in output


def test_role_refuses_another_device_type(tmp_path):
    rc, output, _data = _run(tmp_path, "cisco_ios.yml", {"cisco-bgp": HOSTS["cisco-bgp"]}, host_extra={"vpn_device_type": "vyos"})
    assert rc != 0
    assert "vpn_device_type is vyos, not cisco_ios" in output


def test_example_hosts_are_examples_only():
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    proc = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(ROOT / "inventories/lab"), "--list"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    inv = json.loads(proc.stdout)
    examples = inv["sites_examples"]["hosts"]
    hostvars = inv["_meta"]["hostvars"]
    assert sorted(hostvars[h]["vpn_device_type"] for h in examples) == ["cisco_ios", "fortios", "junos"]
    assert not set(examples) & set(inv.get("sites", {}).get("hosts", []))
    for host in examples:
        hv = hostvars[host]
        assert hv["sitevpn_example"] is True
        assert hv["ansible_host"].startswith("192.0.2.")  # RFC 5737: never routed
        assert hv["ansible_connection"] == CONNECTION[hv["vpn_device_type"]]
        assert hv["ansible_network_os"] == NETWORK_OS[hv["vpn_device_type"]]


def test_device_failure_names_the_step_and_shows_no_key(tmp_path):
    # each platform's connection to a closed port on this machine fails at the role's first device task
    port = free_port()   # nothing listens on it
    hosts = {"cisco-bgp": HOSTS["cisco-bgp"], "junos-bgp": HOSTS["junos-bgp"], "fortios-static": HOSTS["fortios-static"]}
    rc, output, _data = _run(tmp_path, "push.yml", hosts, host_extra={
        "ansible_host": "127.0.0.1", "ansible_port": port, "ansible_user": "admin", "ansible_password": "not-a-key",
        "ansible_connect_timeout": 5, "ansible_command_timeout": 5, "sitevpn_outside_interface": "port1"})
    assert rc != 0
    for role, step in (("device_cisco_ios", "Read the device's interfaces"), ("device_junos", "Read the device's st0 units"),
                       ("device_fortios", "Read the device's firewall policies")):
        assert f'{role}: step "{step}' in output, output
    from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

    cases = cases_mod.cases()
    keys = {t["pre_shared_key"] for _platform, case in hosts.values() for t in build_tunnel_plan(*cases[case])["tunnels"]}
    assert len(keys) >= 4 and all(keys)
    for key in keys:
        assert key not in output
