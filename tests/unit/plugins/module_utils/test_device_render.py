# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Vendor renderers: golden files, AWS's sample parameters, strongSwan parity, bad input.

Regenerate the golden files after an intended change with SITEVPN_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
from pathlib import Path

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.filter.device_config import device_config
from ansible_collections.sitevpn.aws.plugins.module_utils import device_render as dr
from ansible_collections.sitevpn.aws.plugins.module_utils.device_render import DeviceRenderError
from ansible_collections.sitevpn.aws.plugins.module_utils.device_render import render_device_config
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import TunnelPlanError
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

_SPEC = importlib.util.spec_from_file_location("device_cases", Path(__file__).resolve().parent / "device_cases.py")
cases_mod = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cases_mod)


CASES = cases_mod.cases()
PLATFORMS = ("cisco_ios", "junos", "fortios")


def _plan(name):
    conn, site = CASES[name]
    return build_tunnel_plan(conn, site)


def _render(name, platform, **options):
    return render_device_config(_plan(name), platform, dict(cases_mod.OPTIONS[platform], **options))


# ------------------------------------------------------------------------------------- golden


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case, platform):
    got = _render(case, platform)
    path = cases_mod.GOLDEN / platform / f"{case}.json"
    text = json.dumps(got, indent=2) + "\n"
    if os.environ.get("SITEVPN_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if platform in ("cisco_ios", "junos"):
            path.with_suffix(".conf").write_text(device_config_text_of(got))
    assert json.loads(path.read_text()) == got
    if platform in ("cisco_ios", "junos"):
        assert path.with_suffix(".conf").read_text() == device_config_text_of(got)


def device_config_text_of(rendered):
    from ansible_collections.sitevpn.aws.plugins.filter.device_config import device_config_text

    return device_config_text(rendered)


def test_golden_cases_cover_the_matrix():
    plans = {name: _plan(name) for name in CASES}
    assert {p["routing"] for p in plans.values()} == {"bgp", "static"}
    versions = {(p["routing"], t["ike_version"]) for p in plans.values() for t in p["tunnels"]}
    assert versions == {("bgp", "ikev1"), ("bgp", "ikev2"), ("static", "ikev1"), ("static", "ikev2")}


def test_rendering_is_deterministic_and_does_not_change_the_plan():
    plan = _plan("bgp_default_ikev2")
    before = copy.deepcopy(plan)
    a = render_device_config(plan, "cisco_ios", cases_mod.OPTIONS["cisco_ios"])
    assert plan == before
    assert render_device_config(plan, "cisco_ios", cases_mod.OPTIONS["cisco_ios"]) == a


# --------------------------------------------------------------- AWS's sample parameter table

# AWS's sample configurations (Cisco IOS, Juniper SRX, FortiGate): AES128, SHA1, DH group 2 (14 in
# the newer samples), IKE lifetime 28800 s, IPsec lifetime 3600 s, PFS, DPD every 10 s with 3
# retries, TCP MSS 1379, MTU 1436, BGP hold time 30 s and keepalive 10 s.
def _cisco_checks(r, text):
    t1 = text.split("crypto ipsec profile")[0]
    return {
        "ike_encryption_aes128": "aes-cbc-128" in re.search(r"(?m)^ encryption (.*)$", t1).group(1).split(),
        "ike_integrity_sha1": "sha1" in re.search(r"(?m)^ integrity (.*)$", t1).group(1).split(),
        "ike_dh_group_2_or_14": bool({"2", "14"} & set(re.search(r"(?m)^ group (.*)$", t1).group(1).split())),
        "ike_lifetime_28800": " lifetime 28800\n" in text,
        "esp_aes128_sha1": "esp-aes 128 esp-sha-hmac" in text,
        "ipsec_lifetime_3600": "set security-association lifetime seconds 3600" in text,
        "pfs_group_2_or_14": bool(re.search(r"set pfs group(2|14)\n", text)),
        "dpd_10": " dpd 10 " in text,
        "tcp_mss_1379": "ip tcp adjust-mss 1379" in text,
        "mtu_1436": "ip mtu 1436" in text,
        "bgp_hold_30_keepalive_10": all(n["timers"] == {"interval": 10, "holdtime": 30} for n in r["bgp_global"]["neighbors"]),
    }


def _junos_checks(r, text):
    return {
        "ike_encryption_aes128": "encryption-algorithm aes-128-cbc" in text,
        "ike_integrity_sha1": re.search(r"ike proposal \S+ authentication-algorithm sha1\n", text) is not None,
        "ike_dh_group_2_or_14": re.search(r"dh-group group(2|14)\n", text) is not None,
        "ike_lifetime_28800": re.search(r"ike proposal \S+ lifetime-seconds 28800\n", text) is not None,
        "esp_aes128_sha1": re.search(r"ipsec proposal (\S+) authentication-algorithm hmac-sha1-96\n", text) is not None,
        "ipsec_lifetime_3600": re.search(r"ipsec proposal \S+ lifetime-seconds 3600\n", text) is not None,
        "pfs_group_2_or_14": re.search(r"perfect-forward-secrecy keys group(2|14)\n", text) is not None,
        "dpd_10": "dead-peer-detection interval 10\n" in text and "dead-peer-detection threshold 3\n" in text,
        "tcp_mss_1379": "tcp-mss ipsec-vpn mss 1379" in text,
        "mtu_1436": "family inet mtu 1436" in text,
        "bgp_hold_30_keepalive_10": r["bgp_global"]["groups"][0]["hold_time"] == 30,  # Junos keepalive = hold / 3
    }


def _fortios_checks(r, _text):
    p1, p2, ifs = r["phase1_interface"], r["phase2_interface"], r["system_interface"]
    return {
        "ike_encryption_aes128": all("aes128-sha1" in p["proposal"] for p in p1),
        "ike_integrity_sha1": all("aes128-sha1" in p["proposal"] for p in p1),
        "ike_dh_group_2_or_14": all({"2", "14"} & set(p["dhgrp"]) for p in p1),
        "ike_lifetime_28800": all(p["keylife"] == 28800 for p in p1),
        "esp_aes128_sha1": all("aes128-sha1" in p["proposal"] for p in p2),
        "ipsec_lifetime_3600": all(p["keylifeseconds"] == 3600 for p in p2),
        "pfs_group_2_or_14": all(p["pfs"] == "enable" and {"2", "14"} & set(p["dhgrp"]) for p in p2),
        "dpd_10": all(p["dpd_retryinterval"] == "10" and p["dpd_retrycount"] == 3 for p in p1),
        "tcp_mss_1379": all(i["tcp_mss"] == 1379 for i in ifs),
        "mtu_1436": all(i["mtu"] == 1436 for i in ifs),
        "bgp_hold_30_keepalive_10": all(n["holdtime_timer"] == 30 and n["keep_alive_timer"] == 10 for n in r["router_bgp"]["neighbor"]),
    }


CHECKS = {"cisco_ios": _cisco_checks, "junos": _junos_checks, "fortios": _fortios_checks}


@pytest.mark.parametrize("ike", ["ikev2", "ikev1"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_aws_sample_parameters_with_default_options(platform, ike):
    conn, site = CASES["bgp_default_ikev2"]
    conn = copy.deepcopy(conn)
    if ike == "ikev1":
        for t in conn["Options"]["TunnelOptions"]:
            t["IkeVersions"] = [{"Value": "ikev1"}]
    plan = build_tunnel_plan(conn, site)
    assert {t["ike_version"] for t in plan["tunnels"]} == {ike}
    r = render_device_config(plan, platform, cases_mod.OPTIONS[platform])
    text = device_config_text_of(r) if platform != "fortios" else ""
    if platform == "cisco_ios" and ike == "ikev1":
        got = _cisco_checks_ikev1(r, text)
    else:
        got = CHECKS[platform](r, text)
    assert got == dict.fromkeys(got, True)
    assert len(got) == 11


def _cisco_checks_ikev1(r, text):
    policy = text.split("crypto keyring")[0]
    return {
        "ike_encryption_aes128": "encryption aes 128\n" in policy,
        "ike_integrity_sha1": " hash sha\n" in policy,
        "ike_dh_group_2_or_14": re.search(r" group (2|14)\n", policy) is not None,
        "ike_lifetime_28800": " lifetime 28800\n" in policy,
        "esp_aes128_sha1": "esp-aes 128 esp-sha-hmac" in text,
        "ipsec_lifetime_3600": "set security-association lifetime seconds 3600" in text,
        "pfs_group_2_or_14": re.search(r"set pfs group(2|14)\n", text) is not None,
        "dpd_10": "keepalive 10 retry 10" in text,
        "tcp_mss_1379": "ip tcp adjust-mss 1379" in text,
        "mtu_1436": "ip mtu 1436" in text,
        "bgp_hold_30_keepalive_10": all(n["timers"] == {"interval": 10, "holdtime": 30} for n in r["bgp_global"]["neighbors"]),
    }


# ------------------------------------------------------- strongSwan and Cisco from one plan

_SS_ENC = {"aes128": "AES128", "aes256": "AES256", "aes128gcm16": "AES128-GCM-16", "aes256gcm16": "AES256-GCM-16"}
_SS_INTEG = {"sha1": "SHA1", "sha256": "SHA2-256", "sha384": "SHA2-384", "sha512": "SHA2-512"}


def _strongswan_params(swanctl):
    """AWS-named parameters back from a swanctl.conf the lab's strongSwan renderer wrote."""
    from lab.dataplane.strongswan import DH_GROUPS

    groups = {v: k for k, v in DH_GROUPS.items()}

    def proposals(line):
        enc, integ, dh = set(), set(), set()
        for proposal in line.split(","):
            for tok in proposal.strip().split("-"):
                if tok in _SS_ENC:
                    enc.add(_SS_ENC[tok])
                elif tok in _SS_INTEG:
                    integ.add(_SS_INTEG[tok])
                elif tok.startswith("prf") and tok[3:] in _SS_INTEG:
                    integ.add(_SS_INTEG[tok[3:]])
                elif tok in groups:
                    dh.add(groups[tok])
        return enc, integ, dh

    ike = proposals(re.search(r"(?m)^\s+proposals = (.*)$", swanctl).group(1))
    esp = proposals(re.search(r"(?m)^\s+esp_proposals = (.*)$", swanctl).group(1))
    return {
        "ike_version": "ikev2" if re.search(r"version = 2", swanctl) else "ikev1",
        "peer": re.search(r"remote_addrs = (\S+)", swanctl).group(1),
        "psk": re.search(r'secret = "(.*)"', swanctl).group(1),
        "phase1": ike, "phase2": esp,
        "phase2_lifetime": int(re.search(r"life_time = (\d+)s", swanctl).group(1)),
        "dpd_interval": int(re.search(r"dpd_delay = (\d+)s", swanctl).group(1)),
    }


def _cisco_params(rendered, tunnel_index):
    """The same parameters back from the IOS-XE rendering of one tunnel."""
    inv = {}
    cap = dr.CAPABILITIES["cisco_ios"]
    for table in ("ikev2_encryption", "ikev1_encryption", "esp_encryption"):
        inv.update({v: _SS_ENC[k] for k, v in cap[table].items()})
    inv_integ = {v: _SS_INTEG[k] for table in ("ikev2_integrity", "ikev1_integrity", "esp_integrity") for k, v in cap[table].items()}
    name = f"-T{tunnel_index}"
    enc1, integ1, dh1, enc2, integ2 = set(), set(), set(), set(), set()
    out = {}
    for block in rendered["crypto"]:
        head = block["parents"][0]
        lines = block["lines"]
        if head.startswith("crypto ikev2 proposal") and name in head:
            out["ike_version"] = "ikev2"
            for line in lines:
                kw, _sep, rest = line.partition(" ")
                if kw == "encryption":
                    enc1 |= {inv[x] for x in rest.split()}
                elif kw in ("integrity", "prf"):
                    integ1 |= {inv_integ[x] for x in rest.split()}
                elif kw == "group":
                    dh1 |= {int(x) for x in rest.split()}
        elif head.startswith("crypto ikev2 keyring") and name in head:
            out["peer"] = lines[0].split()[1]
            out["psk"] = lines[1].split()[1]
        elif head.startswith("crypto ikev2 profile") and name in head:
            out["dpd_interval"] = int([x for x in lines if x.startswith("dpd ")][0].split()[1])
        elif head.startswith("crypto ipsec transform-set") and name in head:
            words = head.split()[3:]
            enc2.add(inv[" ".join(words[1:3])])
            if len(words) > 3:
                integ2.add(inv_integ[words[3]])
        elif head.startswith("crypto ipsec profile") and name in head:
            out["phase2_lifetime"] = int([x for x in lines if "lifetime seconds" in x][0].split()[-1])
            pfs = [x for x in lines if x.startswith("set pfs")]
            out["pfs"] = {int(pfs[0].split("group")[1])} if pfs else set()
    out["phase1"] = (enc1, integ1, dh1)
    out["phase2"] = (enc2, integ2)
    return out


@pytest.mark.parametrize("case", ["bgp_nondefault_ikev1_ikev2", "bgp_default_ikev2"])
def test_strongswan_and_cisco_carry_the_plans_parameters(case):
    device = pytest.importorskip("lab.dataplane.device")
    plan = _plan(case)
    conn = device.conn_from_plan(plan)
    cisco = render_device_config(plan, "cisco_ios", cases_mod.OPTIONS["cisco_ios"])
    for i, (pt, st) in enumerate(zip(plan["tunnels"], conn["tunnels"]), start=1):
        if pt["ike_version"] != "ikev2":
            continue
        ss = _strongswan_params(device._device_swanctl({"cgw_ip": pt["local_outside_ip"]}, conn, st, i,
                                                       {"box_addr": "192.0.2.1", "dir": "/nonexistent"}))
        cs = _cisco_params(cisco, pt["index"])
        for key in ("ike_version", "peer", "psk", "phase2_lifetime", "dpd_interval"):
            assert ss[key] == cs[key], key
        assert ss["ike_version"] == pt["ike_version"] and ss["peer"] == pt["peer_outside_ip"]
        caps = dr.CAPABILITIES["cisco_ios"]
        cisco_groups = set(caps["ike_groups"])
        ss_enc, ss_integ, ss_dh = ss["phase1"]
        cs_enc, cs_integ, cs_dh = cs["phase1"]
        # identical wherever IOS-XE can do the algorithm; strongSwan's extra DH groups are the
        # ones IOS-XE lacks (the device then offers the rest)
        assert cs_enc == ss_enc and cs_integ == ss_integ
        assert cs_dh == ss_dh & cisco_groups
        assert ss_dh - cs_dh <= set(pt["phase1"]["dh_group_numbers"]) - cisco_groups
        ss_enc2, ss_integ2, ss_dh2 = ss["phase2"]
        cs_enc2, cs_integ2 = cs["phase2"]
        assert cs_enc2 <= ss_enc2 and cs_integ2 <= ss_integ2
        assert cs["pfs"] <= ss_dh2
        if case == "bgp_nondefault_ikev1_ikev2":
            # options within IOS-XE's reach: exactly the same parameters on both sides
            assert (cs_dh, cs_enc2, cs["pfs"]) == (ss_dh, ss_enc2, ss_dh2)


# ------------------------------------------------------------------------------- bad input


def test_unknown_device_type_names_the_field():
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(_plan("bgp_default_ikev2"), "vyos", {"outside_interface": "eth0"})
    assert e.value.field == "vpn_device_type" and "vyos" in str(e.value)
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(_plan("bgp_default_ikev2"), "strongswan", {"outside_interface": "eth0"})
    assert e.value.field == "vpn_device_type"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_dh_group_the_platform_cannot_do(platform):
    # batfish's sample: tunnel 2 allows only DH groups 22 and 23 in phase 1
    conn = json.loads((cases_mod.SAMPLES / "vpn-ba2e34a8.describe-vpn-connections.json").read_text())["VpnConnections"][0]
    plan = build_tunnel_plan(conn, cases_mod.SITE)
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(plan, platform, cases_mod.OPTIONS[platform])
    assert e.value.field == "tunnel2.phase1_dh_group_numbers"
    assert platform in e.value.message and "22, 23" in e.value.message


@pytest.mark.parametrize("platform", PLATFORMS)
def test_ikev1_with_only_gcm_is_refused(platform):
    conn, site = CASES["bgp_default_ikev2"]
    conn = copy.deepcopy(conn)
    conn["Options"]["TunnelOptions"][0].update({"IkeVersions": [{"Value": "ikev1"}],
                                                "Phase1EncryptionAlgorithms": [{"Value": "AES128-GCM-16"}]})
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(build_tunnel_plan(conn, site), platform, cases_mod.OPTIONS[platform])
    assert e.value.field == "tunnel1.phase1_encryption_algorithms"
    assert platform in e.value.message and "AES128-GCM-16" in e.value.message


def test_required_additional_key_exchange_is_refused():
    plan = _plan("bgp_default_ikev2")
    plan["tunnels"][0]["phase2"]["additional_key_exchanges"] = [{"round": 1, "requirement": "required", "methods": [36]}]
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(plan, "junos", cases_mod.OPTIONS["junos"])
    assert e.value.field == "tunnel1.phase2_additional_key_exchanges"


def test_replay_window_ios_cannot_do():
    plan = _plan("bgp_default_ikev2")
    plan["tunnels"][1]["replay_window_size"] = 2048
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(plan, "cisco_ios", cases_mod.OPTIONS["cisco_ios"])
    assert e.value.field == "tunnel2.replay_window_size" and "2048" in e.value.message


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("outside", [None, "", "  "])
def test_missing_outside_interface(platform, outside):
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(_plan("static_default_ikev2"), platform, {"outside_interface": outside})
    assert e.value.field == "outside_interface"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_missing_asn(platform):
    plan = _plan("bgp_default_ikev2")
    plan["local_asn"] = None
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(plan, platform, cases_mod.OPTIONS[platform])
    assert e.value.field == "local_asn"


def test_bgp_connection_without_asns_fails_in_the_plan():
    conn, site = CASES["bgp_default_ikev2"]
    conn = copy.deepcopy(conn)
    conn["CustomerGatewayConfiguration"] = re.sub(r"<bgp>.*?</bgp>", "", conn["CustomerGatewayConfiguration"], flags=re.S)
    with pytest.raises(TunnelPlanError) as e:
        build_tunnel_plan(conn, site)
    assert e.value.field == "connection" and "ASN" in e.value.message


def test_missing_psk_names_the_tunnel():
    plan = _plan("bgp_default_ikev2")
    plan["tunnels"][1]["pre_shared_key"] = None
    with pytest.raises(DeviceRenderError) as e:
        render_device_config(plan, "fortios", cases_mod.OPTIONS["fortios"])
    assert e.value.field == "tunnel2.pre_shared_key"


def test_filter_reports_the_field():
    with pytest.raises(AnsibleFilterError, match="outside_interface"):
        device_config(_plan("bgp_default_ikev2"), "junos", {})
    with pytest.raises(AnsibleFilterError, match="options must be a dict"):
        device_config(_plan("bgp_default_ikev2"), "junos", "ge-0/0/0.0")


# --------------------------------------------------------------------- platform translation


def test_translate_keeps_aws_order_and_drops_what_the_platform_lacks():
    plan = _plan("bgp_default_ikev2")
    tr = dr.translate_tunnel(plan["tunnels"][0], "cisco_ios")
    assert tr["phase1"]["dh_groups"] == [2, 14, 15, 16, 19, 20, 21, 24]  # AWS's default list minus 17, 18, 22, 23
    assert tr["phase1"]["classic_encryption"] == ["aes-cbc-128", "aes-cbc-256"]
    assert tr["phase1"]["aead_encryption"] == ["aes-gcm-128", "aes-gcm-256"]
    assert tr["phase2"]["pfs_group"] == 2
    fort = dr.translate_tunnel(plan["tunnels"][0], "fortios")
    assert fort["phase1"]["dh_groups"] == [2, 14, 15, 16, 17, 18, 19, 20, 21]
    assert fort["phase2"]["combos"][-1] == {"encryption": "aes256gcm16", "integrity": None}


def test_names_fit_fortios_limits():
    r = _render("bgp_default_ikev2", "fortios")
    assert all(len(p["name"]) <= 15 for p in r["phase1_interface"])
    assert all(len(p["proposal"]) <= 10 for p in r["phase1_interface"] + r["phase2_interface"])
