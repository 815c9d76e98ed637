# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_config import IKE_KEYS
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_config import IPSEC_KEYS
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_config import TUNNEL_KEYS
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_config import VpnConfigError
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_config import parse_customer_gateway_configuration as parse

SAMPLES = Path(__file__).resolve().parents[3] / "fixtures" / "real-aws"


def _sample(name):
    return (SAMPLES / name).read_text()


def _check_shape(parsed):
    assert set(parsed) == {"vpn_connection_id", "customer_gateway_id", "vpn_gateway_id", "vpn_connection_type", "static_routes_only", "tunnels"}
    for t in parsed["tunnels"]:
        assert tuple(t) == TUNNEL_KEYS
        assert tuple(t["ike"]) == IKE_KEYS
        assert tuple(t["ipsec"]) == IPSEC_KEYS
    json.dumps(parsed)  # plain data only


def test_bgp_vgw_sample():
    parsed = parse(_sample("vpn-ba2e34a8.customer-gateway-configuration.xml"))
    _check_shape(parsed)
    assert parsed["vpn_connection_id"] == "vpn-ba2e34a8"
    assert parsed["customer_gateway_id"] == "cgw-fb76ace5"
    assert parsed["vpn_gateway_id"] == "vgw-81fd279f"
    assert parsed["static_routes_only"] is False
    t1, t2 = parsed["tunnels"]
    assert t1 == {
        "vgw_outside_ip": "52.27.166.152",
        "cgw_outside_ip": "147.75.69.27",
        "vgw_inside_ip": "169.254.15.193",
        "cgw_inside_ip": "169.254.15.194",
        "inside_cidr": "169.254.15.192/30",
        "inside_prefix_length": 30,
        "vgw_inside_ipv6": None,
        "cgw_inside_ipv6": None,
        "inside_ipv6_cidr": None,
        "pre_shared_key": "QMP5tKPP5qk95Y1Eee9c_82.MofNUJQV",
        "vgw_asn": 65401,
        "cgw_asn": 65301,
        "hold_time": 30,
        "ike": {
            "authentication_protocol": "sha1",
            "encryption_protocol": "aes-128-cbc",
            "lifetime": 28800,
            "perfect_forward_secrecy": "group2",
            "mode": "main",
        },
        "ipsec": {
            "protocol": "esp",
            "authentication_protocol": "hmac-sha1-96",
            "encryption_protocol": "aes-128-cbc",
            "lifetime": 3600,
            "perfect_forward_secrecy": "group2",
            "mode": "tunnel",
            "tcp_mss_adjustment": 1379,
            "dpd_interval": 10,
            "dpd_retries": 3,
        },
    }
    assert t2["vgw_outside_ip"] == "52.39.121.126"
    assert t2["inside_cidr"] == "169.254.13.236/30"
    assert t2["pre_shared_key"] == "tYrysT4iT0.CRwQnhiBbng.BahDc7YPq"


def test_static_sample_has_no_bgp():
    parsed = parse(_sample("vpn-static-2019.customer-gateway-configuration.xml"))
    _check_shape(parsed)
    assert parsed["static_routes_only"] is True
    assert parsed["vpn_connection_id"] == "vpn-05044757278685fd3"
    assert [t["vgw_outside_ip"] for t in parsed["tunnels"]] == ["3.13.210.90", "18.221.157.90"]
    for t in parsed["tunnels"]:
        assert t["vgw_asn"] is None and t["cgw_asn"] is None and t["hold_time"] is None
        assert t["cgw_outside_ip"] == "1.1.1.1"
        assert isinstance(t["ipsec"]["lifetime"], int)


def test_transit_gateway_sample_has_no_vgw_id():
    parsed = parse(_sample("vpn-tgw-2019.customer-gateway-configuration.xml"))
    _check_shape(parsed)
    assert parsed["vpn_gateway_id"] is None
    assert [t["vgw_asn"] for t in parsed["tunnels"]] == [64512, 64512]
    assert [t["inside_cidr"] for t in parsed["tunnels"]] == ["169.254.195.140/30", "169.254.70.160/30"]


@pytest.mark.parametrize("name", ["vpn-ba2e34a8", "vpn-static-2019"])
def test_xml_in_describe_output_is_the_same(name):
    data = json.loads(_sample(f"{name}.describe-vpn-connections.json"))
    embedded = data["VpnConnections"][0]["CustomerGatewayConfiguration"]
    assert parse(embedded) == parse(_sample(f"{name}.customer-gateway-configuration.xml"))


def test_bytes_input():
    raw = (SAMPLES / "vpn-tgw-2019.customer-gateway-configuration.xml").read_bytes()
    assert parse(raw) == parse(raw.decode())


# XML the parser has never seen: moto's layout (odd indentation, padded vpn_gateway_id), elements in
# another order, extra elements and comments, an IPv6 inside tunnel, no XML declaration.
UNSEEN = """<vpn_connection id=" vpn-0abc ">
<!-- a comment -->
  <vpn_connection_type>ipsec.1</vpn_connection_type>
  <vpn_gateway_id> vgw-0123 </vpn_gateway_id>
  <customer_gateway_id>cgw-0456</customer_gateway_id>
  <future_element kind="new">x</future_element>
  <ipsec_tunnel>
    <ipsec><dead_peer_detection><retries>5</retries><interval>15</interval></dead_peer_detection>
      <lifetime> 1800 </lifetime><protocol>esp</protocol></ipsec>
    <ike><pre_shared_key>Second_Key.123</pre_shared_key><lifetime>7200</lifetime></ike>
    <vpn_gateway>
      <bgp><hold_time>30</hold_time><asn>4200000001</asn></bgp>
      <tunnel_inside_address><network_mask>255.255.255.252</network_mask><ip_address>169.254.200.9</ip_address></tunnel_inside_address>
      <tunnel_outside_address><ip_address>203.0.113.20</ip_address></tunnel_outside_address>
    </vpn_gateway>
    <customer_gateway>
      <bgp><asn>4200000002</asn><hold_time>30</hold_time></bgp>
      <tunnel_outside_address><ip_address>198.51.100.5</ip_address></tunnel_outside_address>
      <tunnel_inside_address><ip_address>169.254.200.10</ip_address><network_cidr>30</network_cidr></tunnel_inside_address>
      <extra>ignored</extra>
    </customer_gateway>
  </ipsec_tunnel>
  <ipsec_tunnel>
    <customer_gateway>
      <tunnel_outside_address><ip_address>198.51.100.5</ip_address></tunnel_outside_address>
      <tunnel_inside_ipv6_address><ip_address>fd00:1::2</ip_address><prefix_length>126</prefix_length></tunnel_inside_ipv6_address>
    </customer_gateway>
    <vpn_gateway>
      <tunnel_outside_address><ip_address>203.0.113.10</ip_address></tunnel_outside_address>
      <tunnel_inside_ipv6_address><ip_address>fd00:1::1</ip_address><prefix_length>126</prefix_length></tunnel_inside_ipv6_address>
    </vpn_gateway>
  </ipsec_tunnel>
</vpn_connection>
"""


def test_unseen_xml():
    parsed = parse(UNSEEN)
    _check_shape(parsed)
    assert parsed["vpn_connection_id"] == "vpn-0abc"
    assert parsed["vpn_gateway_id"] == "vgw-0123"
    assert parsed["static_routes_only"] is False
    t1, t2 = parsed["tunnels"]
    # document order, not address order
    assert t1["vgw_outside_ip"] == "203.0.113.20" and t2["vgw_outside_ip"] == "203.0.113.10"
    assert t1["inside_cidr"] == "169.254.200.8/30" and t1["inside_prefix_length"] == 30
    assert (t1["vgw_asn"], t1["cgw_asn"]) == (4200000001, 4200000002)
    assert t1["ike"] == {"authentication_protocol": None, "encryption_protocol": None, "lifetime": 7200,
                         "perfect_forward_secrecy": None, "mode": None}
    assert t1["ipsec"]["lifetime"] == 1800
    assert (t1["ipsec"]["dpd_interval"], t1["ipsec"]["dpd_retries"]) == (15, 5)
    assert t2["inside_cidr"] is None and t2["vgw_inside_ip"] is None
    assert t2["inside_ipv6_cidr"] == "fd00:1::/126"
    assert (t2["vgw_inside_ipv6"], t2["cgw_inside_ipv6"]) == ("fd00:1::1", "fd00:1::2")
    assert t2["pre_shared_key"] is None and t2["hold_time"] is None
    assert t2["ike"]["lifetime"] is None and t2["ipsec"]["tcp_mss_adjustment"] is None


def test_moto_xml():
    moto_vpn = pytest.importorskip("moto.ec2.models.vpn_connections")
    xml = moto_vpn._CUSTOMER_GATEWAY_CONFIGURATION.format(
        vpn_connection_id="vpn-1", customer_gateway_id="cgw-1", vpn_gateway_id="vgw-1", vpn_connection_type="ipsec.1"
    )
    parsed = parse(xml)
    assert parsed["vpn_gateway_id"] == "vgw-1"
    assert len(parsed["tunnels"]) == 2
    assert parsed["tunnels"][0]["vgw_asn"] == 7224


@pytest.mark.parametrize(
    "xml,words",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("<vpn_connection><ipsec_tunnel>", "not well-formed"),
        ("not xml at all", "not well-formed"),
        ("<other/>", "root element is <other>"),
        ("<vpn_connection id='vpn-1'></vpn_connection>", "no <ipsec_tunnel>"),
        ("<vpn_connection><ipsec_tunnel><customer_gateway/></ipsec_tunnel></vpn_connection>", "missing <customer_gateway> or <vpn_gateway>"),
        (
            "<vpn_connection><ipsec_tunnel><customer_gateway/><vpn_gateway/></ipsec_tunnel></vpn_connection>",
            "missing tunnel_outside_address",
        ),
        (
            "<vpn_connection><ipsec_tunnel><customer_gateway><bgp><asn>x1</asn></bgp></customer_gateway>"
            "<vpn_gateway><tunnel_outside_address><ip_address>1.2.3.4</ip_address></tunnel_outside_address>"
            "</vpn_gateway></ipsec_tunnel></vpn_connection>",
            "ipsec_tunnel[1]/customer_gateway/bgp/asn: 'x1' is not an integer",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><vpn_connection>&a;</vpn_connection>',
            "DTD or entity",
        ),
        ('<!DOCTYPE vpn_connection SYSTEM "file:///etc/passwd"><vpn_connection/>', "DTD or entity"),
    ],
)
def test_malformed(xml, words):
    with pytest.raises(VpnConfigError) as e:
        parse(xml)
    assert words in str(e.value)


@pytest.mark.parametrize("value", [None, 42, {"a": 1}, b"\xff\xfe<x/>"])
def test_not_a_string(value):
    with pytest.raises(VpnConfigError):
        parse(value)


def test_error_is_a_value_error():
    assert issubclass(VpnConfigError, ValueError)
