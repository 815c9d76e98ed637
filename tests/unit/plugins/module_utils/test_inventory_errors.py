"""The aws_vpn role's inventory check (issue 16 items 13-15): pure, so every rule is tested here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.site_inputs import KNOWN_VARIABLES
from ansible_collections.sitevpn.aws.plugins.module_utils.site_inputs import inventory_errors

ROOT = Path(__file__).resolve().parents[4]
A = {"sitevpn_cgw_ip": "203.0.113.10", "sitevpn_bgp_asn": 65000, "sitevpn_prefixes": ["172.16.0.0/16"]}
B = {"sitevpn_cgw_ip": "203.0.113.20", "sitevpn_bgp_asn": 65001, "sitevpn_prefixes": ["172.17.0.0/16"]}


def test_good_inventory_has_no_errors():
    assert inventory_errors({"a": A, "b": B}) == ([], [])


@pytest.mark.parametrize(
    "b, words",
    [
        ({"sitevpn_bgp_asn": 65001.5}, "b: sitevpn_bgp_asn: must be a whole number"),
        ({"sitevpn_bgp_asn": "AS65001"}, "b: sitevpn_bgp_asn: must be a whole number"),
        ({"sitevpn_static_routes_only": "flase"}, "b: sitevpn_static_routes_only: must be true or false"),
        ({"sitevpn_tunnel_options": {"dpd_timeout_seconds": 30}}, "b: sitevpn_tunnel_options: must be a list"),
        ({"sitevpn_cgw_ip": "203.0.113.10"}, "a, b: sitevpn_cgw_ip: 203.0.113.10 is used by several sites"),
        ({"sitevpn_amazon_side_asn": 64513}, "sitevpn_amazon_side_asn: the sites share one VPC"),
        ({"sitevpn_bgp_asn": 64512}, "b: sitevpn_bgp_asn: 64512 is the Amazon side's ASN"),
        ({"sitevpn_bgp_asn": "065010"}, "b: sitevpn_bgp_asn: 065010 has a leading 0"),
        ({"sitevpn_cgw_ip": "198.18.0.1"}, "b: sitevpn_cgw_ip: 198.18.0.1 is not a public"),
    ],
)
def test_one_bad_site_named_by_its_variable(b, words):
    errors, dummy = inventory_errors({"a": A, "b": dict(B, **b)})
    assert any(e.startswith(words) for e in errors), errors
    assert all("\n" not in e for e in errors)


def test_yaml_octal_int_seen_through_its_source_text():
    errors, dummy = inventory_errors({"a": dict(A, sitevpn_bgp_asn=27144)}, lambda site, name, value: "065010" if name == "sitevpn_bgp_asn" else None)
    assert errors == ["a: sitevpn_bgp_asn: 065010 has a leading 0, which YAML reads as octal (27144); write it without"]


def test_same_inside_cidr_on_two_sites():
    tun = {"sitevpn_tunnel_options": [{"tunnel_inside_cidr": "169.254.10.0/30"}]}
    errors, dummy = inventory_errors({"a": dict(A, **tun), "b": dict(B, **tun)})
    assert any("tunnel_inside_cidr: 169.254.10.0/30 is used by several sites" in e for e in errors), errors


def test_typos_reported_with_the_closest_name():
    dummy, unknown = inventory_errors({"a": dict(A, sitevpn_bgp_asm=65010, sitevpn_prefix=["10.9.0.0/16"])})
    assert unknown == [("a", "sitevpn_bgp_asm", "sitevpn_bgp_asn"), ("a", "sitevpn_prefix", "sitevpn_prefixes")]


def test_known_variables_cover_the_tree():
    """Every sitevpn_* name the collection uses is known, or the check would warn about it."""
    used = set()
    for folder in ("roles", "playbooks", "inventories", "extensions", "plugins"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in (".yml", ".yaml", ".py", ".j2", ".ini"):
                used |= set(re.findall(r"\bsitevpn_[a-z0-9][a-z0-9_]*", path.read_text(errors="replace")))
    assert sorted(used - KNOWN_VARIABLES) == []
