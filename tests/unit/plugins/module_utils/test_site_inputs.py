"""site_inputs.site_errors: one site's inventory variables checked together, naming the variable."""

from __future__ import annotations

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.site_inputs import site_errors

GOOD = {
    "sitevpn_cgw_ip": "203.0.113.10",
    "sitevpn_bgp_asn": 65000,
    "sitevpn_prefixes": ["172.16.0.0/16"],
    "sitevpn_vpc_cidr": "10.0.0.0/16",
    "sitevpn_amazon_side_asn": 64512,
}


def test_good_site_has_no_errors():
    assert site_errors(GOOD, {"other": ["172.17.0.0/16"]}) == []


@pytest.mark.parametrize(
    "change, field",
    [
        ({"sitevpn_cgw_ip": "10.1.2.3"}, "sitevpn_cgw_ip"),
        ({"sitevpn_cgw_ip": "203.0.113.256"}, "sitevpn_cgw_ip"),
        ({"sitevpn_bgp_asn": 4294967295}, "sitevpn_bgp_asn"),
        ({"sitevpn_amazon_side_asn": 65000 + 600}, "sitevpn_amazon_side_asn"),
        ({"sitevpn_vpc_cidr": "10.0.0.0/33"}, "sitevpn_vpc_cidr"),
        ({"sitevpn_prefixes": ["10.0.5.0/24"]}, "sitevpn_prefixes"),
        ({"sitevpn_prefixes": ["172.16.0.0/16", "172.16.1.0/24"]}, "sitevpn_prefixes"),
        ({"sitevpn_static_routes_only": True, "sitevpn_prefixes": []}, "sitevpn_prefixes"),
        ({"sitevpn_tunnel_options": [{"phase2_lifetime_seconds": 4000}]}, "sitevpn_tunnel_options[1].phase2_lifetime_seconds"),
    ],
)
def test_bad_value_is_named(change, field):
    errors = site_errors(dict(GOOD, **change))
    assert errors and all(e.startswith(field) for e in errors), errors


def test_overlap_with_another_site_names_it():
    assert site_errors(GOOD, {"branch": ["172.16.4.0/24"]}) == [
        "sitevpn_prefixes: 172.16.0.0/16 overlaps 172.16.4.0/24 of site branch"
    ]


def test_every_problem_is_reported_and_no_psk_is_echoed():
    psk = "0badkey!"
    errors = site_errors(dict(GOOD, sitevpn_cgw_ip="x", sitevpn_tunnel_options=[{"pre_shared_key": psk}]))
    assert {e.split(":")[0] for e in errors} == {"sitevpn_cgw_ip", "sitevpn_tunnel_options[1].pre_shared_key"}
    assert not any(psk in e for e in errors)
