# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Second run: the rendered configuration, as the device prints it back, is what the vendor
module compares the next rendering with; nothing may be left to change.

How the devices print (the test data, with sources):
- IOS-XE ``show running-config`` (Cisco IOS Security Command Reference, "crypto ipsec
  transform-set", "crypto isakmp policy", "set security-association lifetime", "crypto ikev2
  profile"; and published running configurations such as Cisco's "Configure IKEv2 IPv4 Site-to-Site
  VTI" document): the isakmp ``encryption`` keyword is printed ``encr``; a 128-bit AES key is the
  default and is not printed (``esp-aes``, ``esp-gcm``, ``encr aes``); defaults are not printed
  (isakmp ``hash sha`` and ``lifetime 86400``, IKEv2 profile ``lifetime 86400``, IPsec SA
  ``lifetime seconds 3600``, ``replay window-size 64``).  ``ios_config`` (match: line) reports a
  change for every candidate line not found, as written, under the same parents.

Junos needs no such model: ``junos_config`` loads the set lines and commits only when ``show |
compare`` is not empty, and loading statements the configuration already holds compares equal.
FortiOS: the BGP merge is checked for idempotence in test_device_rules.py.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import render_device_config
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

_SPEC = importlib.util.spec_from_file_location("device_cases", Path(__file__).resolve().parent / "device_cases.py")
cases_mod = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cases_mod)
CASES = cases_mod.cases()

_IOS_PRINT = [
    # (parent prefix, regex, replacement or None to drop the line)
    ("crypto isakmp policy", r"^encryption ", "encr "),
    ("crypto isakmp policy", r"^encr aes 128$", "encr aes"),
    ("crypto isakmp policy", r"^hash sha$", None),
    ("crypto isakmp policy", r"^lifetime 86400$", None),
    ("crypto ikev2 profile", r"^lifetime 86400$", None),
    ("crypto ipsec profile", r"^set security-association lifetime seconds 3600$", None),
    ("crypto ipsec profile", r"^set security-association replay window-size 64$", None),
]


def ios_prints(blocks):
    """The ios_config blocks as IOS-XE's running configuration shows them."""
    running = []
    for b in blocks:
        parents = [re.sub(r" (esp-(?:aes|gcm)) 128\b", r" \1", p) for p in b["parents"]]
        lines = []
        for line in b["lines"]:
            for prefix, pattern, repl in _IOS_PRINT:
                if parents[0].startswith(prefix) and line is not None and re.search(pattern, line):
                    line = None if repl is None else re.sub(pattern, repl, line)
            if line is not None:
                lines.append(line)
        running.append({"parents": parents, "lines": lines})
    return running


def ios_config_changes(candidate, running):
    """What ios_config (match: line) would send: candidate lines missing under the same parents."""
    have = {(tuple(b["parents"]), line) for b in running for line in b["lines"]}
    heads = {tuple(b["parents"]) for b in running}
    out = []
    for b in candidate:
        key = tuple(b["parents"])
        out += [f"{' / '.join(key)}: {line}" for line in b["lines"] if (key, line) not in have]
        if not b["lines"] and key not in heads:
            out.append(" / ".join(key))
    return out


@pytest.mark.parametrize("version", ["17.9.4", "17.12.1"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_cisco_second_run_changes_nothing(case, version):
    conn, site = CASES[case]
    r = render_device_config(build_tunnel_plan(conn, site), "cisco_ios", dict(cases_mod.OPTIONS["cisco_ios"], os_version=version))
    blocks = r["crypto"] + r["tunnel_interfaces"]
    assert ios_config_changes(blocks, ios_prints(blocks)) == []


def test_the_printing_model_finds_mains_forms():
    """The forms main rendered (esp-aes 128, encryption aes 128, lifetime seconds 3600) change every run."""
    main = [{"parents": ["crypto ipsec transform-set T esp-aes 128 esp-sha-hmac"], "lines": ["mode tunnel"]},
            {"parents": ["crypto isakmp policy 100"], "lines": ["encryption aes 128", "hash sha", "group 14"]},
            {"parents": ["crypto ipsec profile P"], "lines": ["set security-association lifetime seconds 3600"]}]
    assert len(ios_config_changes(main, ios_prints(main))) == 4
