# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils import validation as v
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError


@pytest.mark.parametrize(
    "value,expected",
    [("198.51.100.10", "198.51.100.10"), (" 203.0.113.1 ", "203.0.113.1"), ("8.8.8.8", "8.8.8.8"), ("10.0.0.1", "10.0.0.1")],
)
def test_ipv4_good(value, expected):
    assert v.validate_ipv4_address(value, "ip_address") == expected


@pytest.mark.parametrize("value", ["", "1.2.3", "256.1.1.1", "1.2.3.4/32", "::1", None, 12345, "a.b.c.d"])
def test_ipv4_bad(value):
    with pytest.raises(ValidationError) as e:
        v.validate_ipv4_address(value, "customer_gateway.ip_address")
    assert e.value.field == "customer_gateway.ip_address"
    assert str(e.value).startswith("customer_gateway.ip_address: ")


@pytest.mark.parametrize("value", ["198.51.100.10", "192.0.2.1", "203.0.113.254", "52.27.166.152", "1.1.1.1"])
def test_public_good(value):
    assert v.validate_ipv4_address(value, "ip", public=True) == value


@pytest.mark.parametrize(
    "value",
    ["10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.1.1", "224.0.0.1", "240.0.0.1", "0.0.0.0",
     "255.255.255.255", "100.64.0.1"],
)
def test_public_bad(value):
    with pytest.raises(ValidationError) as e:
        v.validate_ipv4_address(value, "ip", public=True)
    assert "not a public unicast" in e.value.message or "not a unicast" in e.value.message


@pytest.mark.parametrize("value", ["10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1"])
def test_private_allowed_for_private_outside_ip_type(value):
    assert v.validate_ipv4_address(value, "ip", public=True, allow_private=True) == value


@pytest.mark.parametrize("value", ["127.0.0.1", "169.254.1.1", "224.0.0.1"])
def test_private_allowed_still_refuses_non_unicast(value):
    with pytest.raises(ValidationError):
        v.validate_ipv4_address(value, "ip", public=True, allow_private=True)


@pytest.mark.parametrize("value,expected", [(1, 1), (65000, 65000), ("65001", 65001), (4294967294, 4294967294), (2147483648, 2147483648)])
def test_asn_good(value, expected):
    assert v.validate_asn(value, "bgp_asn") == expected


@pytest.mark.parametrize(
    "validate,field,value",
    [(v.validate_asn, "sites[0].bgp_asn", x) for x in (0, -1, 4294967295, 4294967296, "x", None, 1.5, True, "65000.1")]
    + [(v.validate_amazon_side_asn, "vpn_gateway.amazon_side_asn", x) for x in (64511, 65535, 7224, 4199999999, 0)],
)
def test_asn_bad(validate, field, value):
    with pytest.raises(ValidationError) as e:
        validate(value, field)
    assert e.value.field == field


@pytest.mark.parametrize(
    "asn,params",
    [
        (65000, {"BgpAsn": 65000}),
        (2147483647, {"BgpAsn": 2147483647}),
        (2147483648, {"BgpAsnExtended": 2147483648}),
        (4200000000, {"BgpAsnExtended": 4200000000}),
    ],
)
def test_customer_gateway_asn_params(asn, params):
    assert v.customer_gateway_asn_params(asn) == params
    assert v.asn_needs_extended(asn) == ("BgpAsnExtended" in params)


def test_customer_gateway_asn_params_pass_botocore_validation():
    botocore_session = pytest.importorskip("botocore.session")
    from botocore.validate import ParamValidator

    shape = botocore_session.get_session().get_service_model("ec2").operation_model("CreateCustomerGateway").input_shape
    for asn in (65000, 4200000000):
        params = dict(v.customer_gateway_asn_params(asn), Type="ipsec.1", IpAddress="198.51.100.1")
        report = ParamValidator().validate(params, shape)
        assert not report.has_errors(), report.generate_report()


@pytest.mark.parametrize("value", [64512, 65534, 4200000000, 4294967294])
def test_amazon_side_asn_good(value):
    assert v.validate_amazon_side_asn(value) == value


@pytest.mark.parametrize(
    "value,version,expected",
    [("10.0.0.0/16", 4, "10.0.0.0/16"), ("fd00::/8", 6, "fd00::/8"), ("10.0.0.0/16", None, "10.0.0.0/16"), (" 0.0.0.0/0", 4, "0.0.0.0/0")],
)
def test_cidr_good(value, version, expected):
    assert v.validate_cidr(value, "cidr", version=version) == expected


@pytest.mark.parametrize(
    "value,version,words",
    [
        ("10.0.0.1/16", 4, "host bits"),
        ("10.0.0.0", 4, "must be a CIDR"),
        ("10.0.0.0/33", 4, "not a valid CIDR"),
        ("fd00::/8", 4, "not an IPv4"),
        ("10.0.0.0/8", 6, "not an IPv6"),
        (None, 4, "must be a CIDR"),
    ],
)
def test_cidr_bad(value, version, words):
    with pytest.raises(ValidationError) as e:
        v.validate_cidr(value, "routes[0]", version=version)
    assert e.value.field == "routes[0]"
    assert words in e.value.message


def test_cidr_not_strict_masks_host_bits():
    assert v.validate_cidr("10.0.0.1/16", "c", strict=False) == "10.0.0.0/16"


@pytest.mark.parametrize(
    "a,b,overlap",
    [
        ("10.0.0.0/16", "10.0.1.0/24", True),
        ("10.0.0.0/16", "10.1.0.0/16", False),
        ("10.0.0.0/8", "10.255.255.0/24", True),
        ("10.0.0.0/16", "fd00::/8", False),
        ("0.0.0.0/0", "192.0.2.0/24", True),
    ],
)
def test_prefixes_overlap(a, b, overlap):
    first, second = b, a
    assert v.prefixes_overlap(a, b) is overlap
    assert v.prefixes_overlap(first, second) is overlap


def test_validate_cidrs():
    assert v.validate_cidrs(None, "routes") == []
    assert v.validate_cidrs(["10.0.0.0/16", "10.1.0.0/16"], "routes") == ["10.0.0.0/16", "10.1.0.0/16"]
    with pytest.raises(ValidationError) as e:
        v.validate_cidrs(["10.0.0.0/16", "10.0.128.0/17"], "routes")
    assert e.value.field == "routes" and "overlap" in e.value.message
    with pytest.raises(ValidationError) as e:
        v.validate_cidrs(["10.0.0.0/16", "bad"], "routes")
    assert e.value.field == "routes[1]"
    with pytest.raises(ValidationError):
        v.validate_cidrs("10.0.0.0/16", "routes")
    assert v.validate_cidrs(["10.0.0.0/16", "10.0.0.0/24"], "routes", allow_overlap=True)


def test_validate_no_overlap():
    v.validate_no_overlap(["10.1.0.0/16"], ["10.0.0.0/16"], "site_prefixes", "vpc_prefixes")
    with pytest.raises(ValidationError) as e:
        v.validate_no_overlap(["10.0.5.0/24"], ["10.0.0.0/16"], "site_prefixes", "vpc_prefixes")
    assert e.value.field == "site_prefixes"
    assert "10.0.5.0/24 overlaps 10.0.0.0/16 of vpc_prefixes" == e.value.message


def test_find_overlap():
    assert v.find_overlap(["10.0.0.0/16", "10.1.0.0/16", "10.1.2.0/24"]) == (1, 2)
    assert v.find_overlap(["10.0.0.0/16", "10.1.0.0/16"]) is None
