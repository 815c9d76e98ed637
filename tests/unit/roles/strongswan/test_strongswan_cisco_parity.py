# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One plan, two devices: the strongswan role's swanctl.conf and the IOS-XE rendering carry the same
parameters (peer, key, IKE version, lifetimes, DPD, algorithms wherever IOS-XE can do them).

The role renders through ansible-playbook (render.yml, nothing applied); the Cisco side is
render_device_config of the same connection's plan.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.devices import common as dr
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import render_device_config
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
BIN = Path(sys.executable).parent

_SPEC = importlib.util.spec_from_file_location("device_cases", ROOT / "tests/unit/plugins/module_utils/device_cases.py")
cases_mod = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cases_mod)

CASES = ("bgp_nondefault_ikev1_ikev2", "bgp_default_ikev2")

# strongSwan's proposal keywords (its IKEv2 cipher suites page) in AWS's names
_SS_ENC = {"aes128": "AES128", "aes256": "AES256", "aes128gcm16": "AES128-GCM-16", "aes256gcm16": "AES256-GCM-16"}
_SS_INTEG = {"sha1": "SHA1", "sha256": "SHA2-256", "sha384": "SHA2-384", "sha512": "SHA2-512"}
_SS_DH = {"modp1024": 2, "modp1536": 5, "modp2048": 14, "modp3072": 15, "modp4096": 16, "modp6144": 17,
          "modp8192": 18, "ecp256": 19, "ecp384": 20, "ecp521": 21, "modp1024s160": 22, "modp2048s224": 23,
          "modp2048s256": 24}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """{case: (swanctl.conf, secrets.conf)} as the strongswan role renders each case's connection."""
    tmp = tmp_path_factory.mktemp("parity")
    (tmp / "plugins").mkdir()
    cases = []
    for name in CASES:
        path = tmp / f"{name}.json"
        path.write_text(json.dumps(cases_mod.cases()[name][0]))
        cases.append({"name": name, "connection": str(path), "dataplane": "xfrm"})
    extra = {"out": str(tmp / "out"), "plugin_dir": str(tmp / "plugins"), "cases": cases, "ansible_python_interpreter": sys.executable}
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(HERE / "render.yml"), "-e", json.dumps(extra)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = tmp / "out"
    return {name: ((out / name / "strongswan" / "swanctl.conf").read_text(), (out / name / "strongswan" / "secrets.conf").read_text())
            for name in CASES}


def _block(text, name, indent):
    """The body of ``name { ... }`` opened at ``indent`` spaces."""
    start = re.search(rf"(?m)^{' ' * indent}{re.escape(name)} {{$", text)
    end = re.search(rf"(?m)^{' ' * indent}}}$", text[start.end():])
    return text[start.end():start.end() + end.start()]


def _proposals(line):
    enc, integ, dh = set(), set(), set()
    for proposal in line.split(","):
        for tok in proposal.strip().split("-"):
            if tok in _SS_ENC:
                enc.add(_SS_ENC[tok])
            elif tok in _SS_INTEG:
                integ.add(_SS_INTEG[tok])
            elif tok.startswith("prf") and tok[3:] in _SS_INTEG:
                integ.add(_SS_INTEG[tok[3:]])
            elif tok in _SS_DH:
                dh.add(_SS_DH[tok])
    return enc, integ, dh


def _strongswan_params(swanctl, secrets, name):
    """AWS-named parameters of tunnel ``name`` back from the role's swanctl.conf and secrets.conf."""
    conn = _block(_block(swanctl, "connections", 0), name, 2)
    child = _block(conn, "children", 4)

    def value(text, key):
        return re.search(rf"(?m)^\s+{key} = (.*)$", text).group(1)

    return {
        "ike_version": "ikev2" if value(conn, "version") == "2" else "ikev1",
        "peer": value(conn, "remote_addrs"),
        "psk": value(_block(_block(secrets, "secrets", 0), f"ike-{name}", 2), "secret").strip('"'),
        "phase1": _proposals(value(conn, "proposals")),
        "phase2": _proposals(value(child, "esp_proposals")),
        "phase2_lifetime": int(value(child, "life_time").rstrip("s")),
        "dpd_interval": int(value(conn, "dpd_delay").rstrip("s")),
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
            words = head.split()[4:]
            size = 2 if len(words) > 1 and words[1].isdigit() else 1  # "esp-aes 256" / "esp-aes"
            enc2.add(inv[" ".join(words[:size])])
            if len(words) > size:
                integ2.add(inv_integ[words[size]])
        elif head.startswith("crypto ipsec profile") and name in head:
            # IOS does not print its default SA lifetime (3600 s)
            life = [x for x in lines if "lifetime seconds" in x]
            out["phase2_lifetime"] = int(life[0].split()[-1]) if life else 3600
            pfs = [x for x in lines if x.startswith("set pfs")]
            out["pfs"] = {int(pfs[0].split("group")[1])} if pfs else set()
    out["phase1"] = (enc1, integ1, dh1)
    out["phase2"] = (enc2, integ2)
    return out


@pytest.mark.parametrize("case", CASES)
def test_strongswan_and_cisco_carry_the_plans_parameters(rendered, case):
    conn, site = cases_mod.cases()[case]
    plan = build_tunnel_plan(conn, site)
    # a release before FN72510's restriction: the platform's full group list
    cisco = render_device_config(plan, "cisco_ios", dict(cases_mod.OPTIONS["cisco_ios"], os_version="17.9.4"))
    swanctl, secrets = rendered[case]
    checked = 0
    for pt in plan["tunnels"]:
        if pt["ike_version"] != "ikev2":
            continue
        checked += 1
        ss = _strongswan_params(swanctl, secrets, pt["name"])
        cs = _cisco_params(cisco, pt["index"])
        for key in ("ike_version", "peer", "psk", "phase2_lifetime", "dpd_interval"):
            assert ss[key] == cs[key], key
        assert ss["ike_version"] == pt["ike_version"] and ss["peer"] == pt["peer_outside_ip"]
        cisco_groups = set(dr.CAPABILITIES["cisco_ios"]["ike_groups"])
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
    assert checked >= 1
