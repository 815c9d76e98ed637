# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Issue 21: static sites track their tunnels, IDs taken on the device are refused (read from the
device's own configuration, in the form the device prints it), and failures carry no key."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.filter.device_config import device_failure
from ansible_collections.sitevpn.aws.plugins.filter.device_config import device_redact
from ansible_collections.sitevpn.aws.plugins.filter.device_config import device_taken_ids
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import DeviceRenderError
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import config_text
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import render_device_config
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

_SPEC = importlib.util.spec_from_file_location("device_cases", Path(__file__).resolve().parent / "device_cases.py")
cases_mod = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cases_mod)


def _plan(case="static_nondefault_ikev1"):
    conn, site = cases_mod.cases()[case]
    return conn, build_tunnel_plan(conn, site)


def _render(platform, plan, **options):
    return render_device_config(plan, platform, dict(cases_mod.OPTIONS[platform], **options))


# ---- 1. tracking of static sites ----------------------------------------------------------------

def test_cisco_static_tracks_each_tunnel_as_aws_sample():
    # awsdocs/amazon-vpc-network-administrator-guide Cisco_NoBGP.md, per tunnel:
    #   ip sla 100 / icmp-echo 169.254.249.17 source-interface Tunnel1 / timeout 1000 / frequency 5
    #   ip sla schedule 100 life forever start-time now / track 100 ip sla 100 reachability
    #   ip route 10.0.0.0 255.255.0.0 Tunnel1 track 100
    _conn, plan = _plan()
    r = _render("cisco_ios", plan)
    text = config_text(r)
    hops = r["static_routes"][0]["address_families"][0]["routes"][0]["next_hops"]
    for n, (t, hop) in enumerate(zip(plan["tunnels"], hops)):
        number, ifname = 100 + n, f"Tunnel{n + 1}"
        assert f"ip sla {number}\n icmp-echo {t['peer_inside_ip']} source-interface {ifname}\n timeout 1000\n frequency 5\n" in text
        assert f"ip sla schedule {number} life forever start-time now\n" in text
        assert f"track {number} ip sla {number} reachability\n" in text
        assert hop == {"interface": ifname, "distance_metric": t["preference"]["route_metric"], "track": number}
    # the SLA's source interface exists before the probe is configured (tunnel interfaces first)
    assert text.index("interface Tunnel2") < text.index("ip sla 100")


def test_cisco_bgp_has_no_tracking():
    _conn, plan = _plan("bgp_default_ikev2")
    assert _render("cisco_ios", plan)["tracking"] == []


def test_cisco_sla_numbers_follow_the_inventory_and_refuse_taken_ones():
    _conn, plan = _plan()
    r = _render("cisco_ios", plan, ip_sla_start=300)
    assert "track 301 ip sla 301 reachability" in config_text(r)
    with pytest.raises(DeviceRenderError, match="ip_slas 101 already exists"):
        _render("cisco_ios", plan, existing={"ip_slas": [101]})
    with pytest.raises(DeviceRenderError, match="tracks 100 already exists"):
        _render("cisco_ios", plan, existing={"tracks": [100]})


def test_junos_static_monitors_each_vpn_as_aws_sample():
    # AWS's SRX sample: set security ipsec vpn <vpn> vpn-monitor source-interface st0.1
    #                   set security ipsec vpn <vpn> vpn-monitor destination-ip <AWS inside address>
    _conn, plan = _plan()
    lines = _render("junos", plan)["set_lines"]
    prefs = []
    for n, t in enumerate(plan["tunnels"], start=1):
        vpn = f"aws-78685fd3-t{n}"
        assert f"set security ipsec vpn {vpn} vpn-monitor source-interface st0.{n}" in lines
        assert f"set security ipsec vpn {vpn} vpn-monitor destination-ip {t['peer_inside_ip']}" in lines
        pref = t["preference"]["route_metric"]
        assert f"set routing-options static route 10.0.0.0/16 qualified-next-hop {t['peer_inside_ip']} preference {pref}" in lines
        prefs.append(pref)
    assert prefs[0] < prefs[1]  # tunnel 1 preferred while both are up
    _conn, bgp = _plan("bgp_default_ikev2")
    assert not [line for line in _render("junos", bgp)["set_lines"] if "vpn-monitor" in line]


def test_fortios_static_link_monitor_per_tunnel_and_tunnel1_preferred():
    _conn, plan = _plan()
    r = _render("fortios", plan)
    assert [(m["srcintf"], m["server"], m["update_static_route"]) for m in r["link_monitor"]] == [
        (f"aws-78685fd3-{n}", [{"address": t["peer_inside_ip"]}], "enable") for n, t in enumerate(plan["tunnels"], start=1)]
    by_device = {}
    for route in r["router_static"]:
        by_device.setdefault(route["device"], set()).add((route["distance"], route["priority"]))
    (d1, p1), = by_device["aws-78685fd3-1"]
    (d2, p2), = by_device["aws-78685fd3-2"]
    assert d1 == d2 and p1 < p2  # same distance, tunnel 1 at the lower (preferred) priority
    _conn, bgp = _plan("bgp_default_ikev2")
    assert _render("fortios", bgp)["link_monitor"] == []


# ---- 2. IDs taken on the device ----------------------------------------------------------------

# "show running-config" as IOS-XE prints it: a site-to-site policy and an IP SLA of the WAN uplink
# (forms from Cisco's IOS XE Security Configuration Guide, "crypto isakmp policy", and IP SLAs
# Configuration Guide, "Configuring IP SLAs ICMP Echo Operations").
IOS_RUNNING = """\
!
crypto isakmp policy 100
 encr aes 256
 hash sha256
 authentication pre-share
 group 14
!
ip sla 101
 icmp-echo 8.8.8.8 source-interface GigabitEthernet1
 frequency 10
ip sla schedule 101 life forever start-time now
track 101 interface GigabitEthernet1 line-protocol
!
"""


def test_cisco_numbers_used_by_other_configuration_are_refused():
    conn, plan = _plan()
    first = _render("cisco_ios", plan)
    taken = device_taken_ids({"interfaces": [], "running_config": IOS_RUNNING}, "cisco_ios", plan["vpn_connection_id"], None, first)
    assert taken == {"isakmp_policies": [100], "ip_slas": [101], "tracks": [101]}
    with pytest.raises(DeviceRenderError, match="isakmp_policies 100 already exists"):
        _render("cisco_ios", plan, existing=taken)
    # the inventory moves the numbers out of the way
    ok = _render("cisco_ios", plan, existing=taken, isakmp_priority_start=200, ip_sla_start=200)
    assert "crypto isakmp policy 200" in config_text(ok)


def test_cisco_own_configuration_is_not_taken():
    # the second run reads back what the first pushed: nothing is refused
    _conn, plan = _plan()
    first = _render("cisco_ios", plan)
    taken = device_taken_ids({"running_config": config_text(first)}, "cisco_ios", plan["vpn_connection_id"], None, first)
    assert taken == {}
    # without the first rendering every number in use counts as taken
    taken = device_taken_ids({"running_config": config_text(first)}, "cisco_ios", plan["vpn_connection_id"])
    assert 100 in taken["isakmp_policies"] and taken["tracks"] == [100, 101]


# "show configuration | display set | match st0" on an SRX with a VPN of its own on st0.1
# (Junos CLI User Guide, "display set"; the AWS SRX sample binds st0 units the same way).
JUNOS_SHOWN = """\
set interfaces st0 unit 1 family inet address 10.255.0.1/30
set security ipsec vpn partner-hq bind-interface st0.1
set security zones security-zone vpn interfaces st0.1
set interfaces st0 unit 2 family inet address 169.254.58.222/30
set security ipsec vpn aws-78685fd3-t2 bind-interface st0.2
"""


def test_junos_st0_unit_of_another_vpn_is_refused():
    _conn, plan = _plan()
    taken = device_taken_ids({"configuration": JUNOS_SHOWN}, "junos", plan["vpn_connection_id"])
    assert taken == {"st0_units": [1]}  # unit 2 is this connection's own
    with pytest.raises(DeviceRenderError, match="st0_units 1 already exists"):
        _render("junos", plan, existing=taken)
    assert "bind-interface st0.3" in config_text(_render("junos", plan, existing=taken, st0_unit_start=2))


# ---- 3. failures without keys --------------------------------------------------------------------

def test_failure_message_names_the_item_and_hides_every_key():
    conn, plan = _plan("bgp_default_ikev2")
    psk = plan["tunnels"][0]["pre_shared_key"]
    result = {"failed": True, "msg": "One or more items failed", "results": [
        {"failed": False, "_ansible_item_label": "crypto ikev2 proposal AWS-BA2E34A8-T1"},
        {"failed": True, "_ansible_item_label": "crypto ikev2 keyring AWS-BA2E34A8-T1 / peer 52.27.166.152",
         "msg": f"pre-shared-key {psk}\r\n% Invalid input detected at '^' marker."},
    ]}
    message = device_redact(device_failure(result), conn)
    assert message.startswith("crypto ikev2 keyring AWS-BA2E34A8-T1 / peer 52.27.166.152: pre-shared-key ********")
    assert psk not in message


@pytest.mark.parametrize("echoed", [
    "pre-shared-key address 3.13.210.90 key s3cr3t.Not_In_The_Connection",   # IOS keyring
    "pre-shared-key 6 s3cr3t.Not_In_The_Connection",                        # IOS type-6 key
    'pre-shared-key ascii-text "s3cr3t.Not_In_The_Connection"',             # Junos
    "{'psksecret': 's3cr3t.Not_In_The_Connection'}",                        # FortiOS module args
])
def test_keys_the_device_echoes_are_hidden_even_when_unknown(echoed):
    assert "s3cr3t" not in device_redact(f"error: {echoed}")


def test_plain_failure_message_is_kept():
    assert device_failure({"failed": True, "msg": "timed out"}) == "timed out"
    assert device_redact("timed out", {"PreSharedKey": "abc"}) == "timed out"
