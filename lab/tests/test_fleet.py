"""lab/fleet.py: the generated inventory of `make fleet` (N BGP sites on one VPN concentrator)."""
from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab import fleet

ROOT = Path(__file__).resolve().parents[2]


def hosts(inv: dict) -> dict:
    return inv["sites"]["children"][fleet.GROUP]["hosts"]


def test_each_site_has_its_own_gateway_asn_and_one_cidr():
    sites = hosts(fleet.inventory(100))
    assert len(sites) == 100 and list(sites)[:2] == ["fleet-001", "fleet-002"]
    for key in ("sitevpn_cgw_ip", "sitevpn_bgp_asn"):
        assert len({s[key] for s in sites.values()}) == 100, key
    cidrs = [ipaddress.IPv4Network(s["sitevpn_prefixes"][0]) for s in sites.values()]
    assert all(len(s["sitevpn_prefixes"]) == 1 for s in sites.values())   # a concentrator: one CIDR per site
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1:])
    vpc = ipaddress.IPv4Network("10.0.0.0/16")
    assert not any(c.overlaps(vpc) for c in cidrs)
    # documentation range only, clear of the lab inventory's own sites (.10, .20, .30)
    ips = [ipaddress.IPv4Address(s["sitevpn_cgw_ip"]) for s in sites.values()]
    assert all(ip in ipaddress.IPv4Network("203.0.113.0/24") for ip in ips)
    assert min(ips) > ipaddress.IPv4Address("203.0.113.30") and max(ips) < ipaddress.IPv4Address("203.0.113.255")
    assert all(s["sitevpn_static_routes_only"] is False for s in sites.values())   # BGP only
    assert all(64512 <= s["sitevpn_bgp_asn"] <= 65534 for s in sites.values())


@pytest.mark.parametrize("n", [0, 101])
def test_refuses_what_one_concentrator_cannot_take(n):
    with pytest.raises(ValueError, match="1 to 100 sites"):
        fleet.inventory(n)


def test_quotas_raised_only_beyond_aws_defaults():
    assert "sitevpn_quotas" not in fleet.overrides(50)
    raised = fleet.overrides(51)
    assert raised["sitevpn_quotas"] == {"vpn_connections_per_region": 51, "customer_gateways_per_region": 51}
    assert raised["lab_api_settings"]["quotas"] == raised["sitevpn_quotas"]


def test_written_inventory_is_the_lab_with_a_concentrator_hub(tmp_path):
    out = fleet.write(tmp_path / "inv", 3)
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    listed = json.loads(subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(out), "--list"],
                                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True).stdout)
    assert sorted(listed[fleet.GROUP]["hosts"]) == ["fleet-001", "fleet-002", "fleet-003"]
    hv = listed["_meta"]["hostvars"]["fleet-002"]
    assert hv["sitevpn_hub"] == {"type": "vpn_concentrator"}
    assert hv["sitevpn_lab"] is True and hv["sitevpn_failover_test"] is False   # the lab's vars, test off
    assert hv["sitevpn_name_prefix"] == "sitevpn-fleet"
