# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Per element, our rendering next to AWS's generated configuration for the same connection
(AWS's default tunnel options, BGP), as the table in docs/devices.md ("Compared with AWS's generated
configurations") has it: where we differ, the row says why.

AWS's values: awsdocs/amazon-vpc-network-administrator-guide, doc_source/Cisco.md (IOS, IKEv1
VTI), doc_source/juniper-srx.md (SRX), doc_source/fortinet.md (FortiGate).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import config_text
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import render_device_config
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

_SPEC = importlib.util.spec_from_file_location("device_cases", Path(__file__).resolve().parent / "device_cases.py")
cases_mod = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cases_mod)

DOC = Path(__file__).resolve().parents[4] / "docs" / "devices.md"
SECTION = "## Compared with AWS's generated configurations"


def _table():
    """The section's table rows: (platform, element, AWS's value, ours, why)."""
    text = DOC.read_text(encoding="utf-8").split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| platform ")]
    return [(platform, element, aws.strip("`"), ours.strip("`"), why) for platform, element, aws, ours, why in rows]


TABLE = _table()


def _ours(platform):
    conn, site = cases_mod.cases()["bgp_default_ikev2"]
    r = render_device_config(build_tunnel_plan(conn, site), platform, cases_mod.OPTIONS[platform])
    if platform == "cisco_ios":
        text = config_text(r)
        first = re.search(r"crypto ikev2 proposal \S+\n encryption (\S+).*\n prf (\S+).*\n group (\S+)", text)
        pref = {e["set"]["local_preference"] for m in r["route_maps"] if m["route_map"].endswith("-IN") for e in m["entries"]}
        return {
            "ike_version": "ikev2" if "crypto ikev2 profile" in text else "ikev1",
            "ike_encryption": first.group(1), "ike_integrity": first.group(2), "ike_dh_group": first.group(3),
            "ike_lifetime": re.search(r"\n lifetime (\d+)\n", text).group(1),
            "esp_transform": re.search(r"crypto ipsec transform-set \S+ (.*)\n", text).group(1),
            "ipsec_lifetime": (re.findall(r"lifetime seconds (\d+)", text) or ["3600"])[0],
            "pfs": re.search(r"set pfs (group\d+)", text).group(1),
            "dpd": re.search(r"dpd (\d+ \d+) on-demand", text).group(1),
            "tcp_mss": re.search(r"adjust-mss (\d+)", text).group(1),
            "ip_mtu": re.search(r"ip mtu (\d+)", text).group(1),
            "bgp_timers": "{interval} {holdtime}".format(**r["bgp_global"]["neighbors"][0]["timers"]),
            "local_preference": "equal" if len(pref) == 1 else "different",
            "outbound_filter": "prefix-list" if r["prefix_lists"] else "none",
        }
    if platform == "junos":
        text = "\n".join(r["set_lines"]) + "\n"
        return {
            "ike_encryption": re.search(r"ike proposal \S+-ike1 encryption-algorithm (\S+)", text).group(1),
            "ike_dh_group": re.search(r"ike proposal \S+-ike1 dh-group (\S+)", text).group(1),
            "ike_lifetime": re.search(r"ike proposal \S+ lifetime-seconds (\d+)", text).group(1),
            "esp_encryption": re.search(r"ipsec proposal \S+-esp1 encryption-algorithm (\S+)", text).group(1),
            "ipsec_lifetime": re.search(r"ipsec proposal \S+ lifetime-seconds (\d+)", text).group(1),
            "pfs": re.search(r"perfect-forward-secrecy keys (\S+)", text).group(1),
            "df_bit": re.search(r"df-bit (\S+)", text).group(1),
            "st0_mtu": re.search(r"st0 unit \d+ family inet mtu (\d+)", text).group(1),
            "tcp_mss": re.search(r"tcp-mss ipsec-vpn mss (\d+)", text).group(1),
            "ike_inbound_on_outside_zone": "yes" if "security-zone untrust host-inbound-traffic system-services ike" in text else "no",
            "st0_zone": re.search(r"security-zone (\S+) interfaces st0", text).group(1),
            "bgp_type_peer_as": "yes" if " type external\n" in text and " peer-as " in text else "no",
            "bgp_hold_time": re.search(r"hold-time (\d+)", text).group(1),
            "export": re.search(r"-export term \S+ from route-filter (\S+)", text).group(1),
        }
    p1, p2, iface = r["phase1_interface"][0], r["phase2_interface"][0], r["system_interface"][0]
    n = r["router_bgp"]["neighbor"][0]
    return {
        "ike_proposal": p1["proposal"][0], "ike_dh_group": p1["dhgrp"][0], "ike_lifetime": str(p1["keylife"]),
        "esp_proposal": p2["proposal"][0], "ipsec_lifetime": str(p2["keylifeseconds"]),
        "dpd_retryinterval": p1["dpd_retryinterval"], "tcp_mss": str(iface["tcp_mss"]),
        "local_gw": p1.get("local_gw", "not set"), "bgp_timers": f"{n['keep_alive_timer']} {n['holdtime_timer']}",
    }


@pytest.mark.parametrize("platform", ["cisco_ios", "junos", "fortios"])
def test_rendering_against_aws_generated_configuration(platform):
    ours = _ours(platform)
    rows = [row for row in TABLE if row[0] == platform]
    assert len(rows) >= 9, "the table in docs/devices.md is read"
    assert {row[1] for row in rows} == set(ours), "every compared element has a row"
    for dummy, element, aws, expected, why in rows:
        assert ours[element] == expected, element
        # a difference from AWS is deliberate and explained; sameness needs no reason
        assert bool(why) == (aws != expected), element
