# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Device status parsers on real show-command outputs (sources in each fixture's header)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils import device_status as ds
from ansible_collections.sitevpn.aws.plugins.module_utils.device_status import DeviceStatusError
from ansible_collections.sitevpn.aws.plugins.module_utils.device_status import parse_device_status

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "device_status"


def _fixture(name):
    """The fixture without its leading '# source' header block."""
    lines = (FIXTURES / name).read_text().splitlines(keepends=True)
    while lines and lines[0].startswith("# "):
        lines.pop(0)
    return "".join(lines)


def test_ios_ikev2_one_line_form():
    assert ds.parse_ios_ike(_fixture("ios_show_crypto_ikev2_sa.txt")) == {"66.66.66.2": "up"}


def test_ios_ikev2_multi_line_form():
    assert ds.parse_ios_ike(_fixture("ios_show_crypto_ikev2_sa_multiline.txt")) == {
        "2001:DB8:1201::122": "up", "2001:DB8:1202::123": "up"}


def test_ios_isakmp_states():
    got = ds.parse_ios_ike(_fixture("ios_show_crypto_isakmp_sa.txt"))
    assert got["100.13.220.2"] == "up"
    assert got["100.12.82.2"] == "down"  # MM_NO_STATE, deleted
    assert got["100.11.106.2"] == "up"
    assert got["100.0.10.2"] == "up"


def test_ios_ipsec_sa():
    assert ds.parse_ios_ipsec(_fixture("ios_show_crypto_ipsec_sa.txt")) == {"1.1.1.1": "up", "2.2.2.1": "up"}


def test_ios_ipsec_sa_without_inbound_sa_is_down():
    text = _fixture("ios_show_crypto_ipsec_sa.txt")
    # only the second block of peer 1.1.1.1 (no SAs)
    second = text.split("protected vrf: (none)\n\nlocal ident")[1].split("interface: Tunnel0")[0]
    assert ds.parse_ios_ipsec("local ident" + second) == {"1.1.1.1": "down"}


def test_bgp_summary_cisco():
    got = ds.parse_bgp_summary(_fixture("ios_show_ip_bgp_summary.txt"))
    assert got["10.0.0.4"] == ("established", 1351)
    assert got["10.0.0.3"] == ("established", 0)
    assert got["10.0.0.10"] == ("idle", None)
    assert len(got) == 10


def test_bgp_summary_fortios():
    got = ds.parse_bgp_summary(_fixture("fortios_get_router_info_bgp_summary.txt"))
    assert got == {"10.204.35.84": ("active", None), "10.205.35.95": ("established", 1),
                   "169.132.250.17": ("idle", None), "169.132.250.21": ("idle", None)}


def test_junos_bgp_summary_inline_counts():
    got = ds.parse_junos_bgp_summary(_fixture("junos_show_bgp_summary.txt"))
    assert got == {"169.254.1.1": ("established", 28), "169.254.2.1": ("established", 28)}


def test_junos_bgp_summary_establ_with_tables():
    got = ds.parse_junos_bgp_summary(_fixture("junos_show_bgp_summary_establ.txt"))
    assert got["192.0.2.254"] == ("established", 224)
    assert got["198.51.100.200"] == ("established", 70)


def test_junos_sa_tables():
    assert ds.parse_junos_ike(_fixture("junos_show_security_ike_sa.txt")) == {"35.233.197.145": "up", "35.230.59.183": "up"}
    assert ds.parse_junos_ipsec(_fixture("junos_show_security_ipsec_sa.txt")) == {"35.230.59.183": "up", "35.233.197.145": "up"}


def test_fortios_monitor_ipsec():
    assert ds.parse_fortios_ipsec(_fixture("fortios_monitor_vpn_ipsec.json")) == {"1.2.3.4": "up"}


JUNOS_TUNNELS = [
    {"outside_ip": "35.230.59.183", "bgp_peer_ip": "169.254.1.1"},
    {"outside_ip": "35.233.197.145", "bgp_peer_ip": "169.254.2.1"},
]


def test_junos_status_format():
    got = parse_device_status("junos", {
        "ike": _fixture("junos_show_security_ike_sa.txt"),
        "ipsec": _fixture("junos_show_security_ipsec_sa.txt"),
        "bgp": _fixture("junos_show_bgp_summary.txt"),
    }, JUNOS_TUNNELS)
    assert got == [
        {"outside_ip": "35.230.59.183", "ike_state": "up", "ipsec_state": "up", "bgp_state": "established",
         "prefixes_received": 28, "prefixes_advertised": None},
        {"outside_ip": "35.233.197.145", "ike_state": "up", "ipsec_state": "up", "bgp_state": "established",
         "prefixes_received": 28, "prefixes_advertised": None},
    ]


def test_cisco_status_missing_peer_is_down():
    got = parse_device_status("cisco_ios", {"ike": _fixture("ios_show_crypto_ikev2_sa.txt"),
                                            "ipsec": _fixture("ios_show_crypto_ipsec_sa.txt"),
                                            "bgp": _fixture("ios_show_ip_bgp_summary.txt")},
                              [{"outside_ip": "66.66.66.2", "bgp_peer_ip": "10.0.0.4"},
                               {"outside_ip": "198.51.100.9", "bgp_peer_ip": "10.0.0.99"}])
    assert got[0] == {"outside_ip": "66.66.66.2", "ike_state": "up", "ipsec_state": "down", "bgp_state": "established",
                      "prefixes_received": 1351, "prefixes_advertised": None}
    assert got[1]["ike_state"] == "down" and got[1]["ipsec_state"] == "down" and got[1]["bgp_state"] == "idle"


def test_fortios_status_from_plan_shape():
    plan = {"tunnels": [{"peer_outside_ip": "1.2.3.4", "bgp": {"peer_ip": "10.205.35.95"}},
                        {"peer_outside_ip": "5.6.7.8", "bgp": None}]}
    got = parse_device_status("fortios", {"ipsec": _fixture("fortios_monitor_vpn_ipsec.json"),
                                          "bgp": _fixture("fortios_get_router_info_bgp_summary.txt")}, plan)
    assert got[0] == {"outside_ip": "1.2.3.4", "ike_state": "up", "ipsec_state": "up", "bgp_state": "established",
                      "prefixes_received": 1, "prefixes_advertised": None}
    assert got[1] == {"outside_ip": "5.6.7.8", "ike_state": None, "ipsec_state": "down", "bgp_state": None,
                      "prefixes_received": None, "prefixes_advertised": None}


def test_static_tunnels_have_no_bgp_state():
    got = parse_device_status("junos", {"bgp": _fixture("junos_show_bgp_summary.txt")}, [{"outside_ip": "35.230.59.183"}])
    assert got[0]["bgp_state"] is None and got[0]["ike_state"] is None


@pytest.mark.parametrize("args, field", [
    (("vyos", {}, JUNOS_TUNNELS), "vpn_device_type"),
    (("junos", "text", JUNOS_TUNNELS), "outputs"),
    (("junos", {}, []), "tunnels"),
    (("junos", {}, [{"bgp_peer_ip": "1.1.1.1"}]), "tunnels"),
    (("fortios", {"ipsec": "not json"}, JUNOS_TUNNELS), "outputs.ipsec"),
])
def test_bad_input_names_the_field(args, field):
    with pytest.raises(DeviceStatusError) as e:
        parse_device_status(*args)
    assert e.value.field == field


def test_the_platform_list_is_the_renderers():
    """Status, facts and firewall objects refuse the same device types the renderers do not know."""
    from ansible.errors import AnsibleFilterError

    from ansible_collections.sitevpn.aws.plugins.filter.device_config import device_taken_ids
    from ansible_collections.sitevpn.aws.plugins.filter.tunnel_event import tunnel_event_firewall_object

    with pytest.raises(DeviceStatusError, match=r"unknown device type 'asa'; one of cisco_ios, junos, fortios$"):
        parse_device_status("asa", {}, [{"outside_ip": "192.0.2.1"}])
    with pytest.raises(AnsibleFilterError, match=r"no facts reader for 'asa' \(cisco_ios, junos, fortios\)"):
        device_taken_ids({}, "asa", "vpn-1")
    with pytest.raises(AnsibleFilterError, match=r"unknown platform 'asa' \(cisco_ios, junos, fortios\)"):
        tunnel_event_firewall_object({}, {"vpn_connection_id": "vpn-0123456789abcdef0"}, "asa")
