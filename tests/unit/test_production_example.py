"""inventories/production.example: parses, fits the playbooks, and holds no secret or lab setting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from ansible_collections.sitevpn.aws.plugins.module_utils import tunnel_option_validation, validation

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "inventories" / "production.example"
BIN = Path(sys.executable).parent
DEVICE_TYPES = {"strongswan", "cisco_ios", "junos", "fortios"}
SECRET_VARS = ("ansible_password", "ansible_become_password", "fortios_access_token", "sitevpn_aws_access_key", "sitevpn_aws_secret_key")


def _run(*argv):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run(argv, cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=120, check=False)


def _inventory():
    result = _run(str(BIN / "ansible-inventory"), "-i", str(INVENTORY), "--list")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return json.loads(result.stdout)


def test_inventory_parses_with_one_host_per_site():
    data = _inventory()
    hosts = data["sites"]["hosts"]
    hostvars = data["_meta"]["hostvars"]
    assert len(hosts) >= 4
    assert {hostvars[h]["vpn_device_type"] for h in hosts} == DEVICE_TYPES
    cgw_ips = [hostvars[h]["sitevpn_cgw_ip"] for h in hosts]
    assert len(set(cgw_ips)) == len(cgw_ips)
    for host in hosts:
        hv = hostvars[host]
        validation.validate_ipv4_address(hv["sitevpn_cgw_ip"], "sitevpn_cgw_ip")
        validation.validate_asn(hv["sitevpn_bgp_asn"], "sitevpn_bgp_asn")
        validation.validate_cidrs(hv["sitevpn_prefixes"], "sitevpn_prefixes")
        assert isinstance(hv["sitevpn_static_routes_only"], bool)
        assert hv["ansible_connection"]
        if hv["vpn_device_type"] != "strongswan":
            assert hv["ansible_network_os"].split(".")[0] in ("cisco", "junipernetworks", "fortinet"), host
        # secrets only as references to the vault, never a value
        for name in SECRET_VARS:
            if name in hv:
                assert "{{ vault_" in hv[name], f"{host}: {name} must come from the vault"


def test_tunnel_options_example_is_valid():
    hostvars = _inventory()["_meta"]["hostvars"]
    examples = [hv["sitevpn_tunnel_options"] for hv in hostvars.values() if "sitevpn_tunnel_options" in hv]
    assert examples, "no host shows sitevpn_tunnel_options"
    for options in examples:
        for tunnel in options:
            assert "{{ vault_" in tunnel.get("pre_shared_key", "{{ vault_"), "pre-shared keys come from the vault"
        # the vault's keys stand in as a valid key: the rest must pass the module's own rules
        resolved = [dict(t, pre_shared_key="example_key_1") if "pre_shared_key" in t else t for t in options]
        tunnel_option_validation.validate_tunnel_options(resolved, name="sitevpn_tunnel_options")


def test_group_vars_are_aws_not_lab():
    group_vars = yaml.safe_load((INVENTORY / "group_vars" / "all" / "main.yml").read_text())
    for name in ("sitevpn_aws_region", "sitevpn_vpc_id", "sitevpn_route_table_ids", "sitevpn_amazon_side_asn"):
        assert name in group_vars, name
    assert "sitevpn_lab" not in group_vars
    assert "sitevpn_aws_endpoint_url" not in group_vars
    assert group_vars["sitevpn_vpc_id"].startswith("vpc-")
    assert all(rt.startswith("rtb-") for rt in group_vars["sitevpn_route_table_ids"])
    validation.validate_amazon_side_asn(group_vars["sitevpn_amazon_side_asn"])


def test_vault_example_is_not_loaded_and_holds_placeholders():
    vault = yaml.safe_load((INVENTORY / "group_vars" / "all" / "vault.yml.example").read_text())
    referenced = (INVENTORY / "hosts.yml").read_text() + (INVENTORY / "group_vars" / "all" / "main.yml").read_text()
    for name in vault:
        assert name.startswith("vault_") and name in referenced, name
    leaves = []

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        else:
            leaves.append(str(value))

    walk(vault)
    assert leaves and all("REPLACE" in leaf for leaf in leaves), leaves
    # *.example is not a vars file extension: nothing of it reaches the hosts
    hostvars = _inventory()["_meta"]["hostvars"]
    assert not any(name.startswith("vault_") for hv in hostvars.values() for name in hv)


def test_playbooks_syntax_check_with_production_inventory():
    for playbook in ("playbooks/provision.yml", "playbooks/configure_devices.yml", "site.yml"):
        result = _run(str(BIN / "ansible-playbook"), "-i", str(INVENTORY), "--syntax-check", playbook)
        assert result.returncode == 0, playbook + "\n" + result.stdout + result.stderr
