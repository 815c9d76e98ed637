# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The drift role's device readers through ansible-playbook, offline: ``cli_command``,
``junos_command`` and ``fortios_configuration_fact`` are stand-ins (fake_collections/) that answer
show commands (or selectors) with recorded outputs and refuse anything else."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
BIN = Path(sys.executable).parent
FIXTURES = ROOT / "tests" / "unit" / "fixtures" / "drift"

_SPEC = importlib.util.spec_from_file_location("device_cases", ROOT / "tests/unit/plugins/module_utils/device_cases.py")
cases_mod = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cases_mod)


def _run(tmp_path, extra):
    real = [p for p in sys.path if (Path(p) / "ansible_collections" / "sitevpn").exists()]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
               # the stand-in first: it shadows the real ansible.netcommon
               ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([str(HERE / "fake_collections")] + real))
    extra = dict(extra, test_out=str(tmp_path / "out.json"), ansible_python_interpreter=sys.executable)
    # -v: every result is shown, so a key read without no_log would be in the output
    cmd = [str(BIN / "ansible-playbook"), "-v", "-i", "localhost,", "-c", "local", str(HERE / "playbooks" / "drift_device.yml"),
           "-e", json.dumps(extra)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    out = tmp_path / "out.json"
    return proc.returncode, proc.stdout + proc.stderr, json.loads(out.read_text()) if out.exists() else None


# device type -> (recorded SAs, the SA command's file, the configuration command's file, the IKEv2 peer as recorded)
READERS = {
    "cisco_ios": ("ios_show_crypto_ikev2_sa_detailed.txt", "show_crypto_ikev2_sa_detailed", "show_running-config",
                  "198.51.100.2/"),
    "junos": ("junos_show_security_ike_sa_detail.txt", "show_security_ike_security-associations_detail",
              "show_configuration_security_display_set", "IKE peer 198.51.100.2,"),
}


@pytest.mark.parametrize("device_type", sorted(READERS))
def test_reader_keeps_each_tunnels_state_without_keys(tmp_path, device_type):
    from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import config_text
    from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import render_device_config
    from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

    recorded, sa_file, config_file, peer = READERS[device_type]
    conn, site = cases_mod.cases()["bgp_nondefault_ikev1_ikev2"]
    config = config_text(render_device_config(build_tunnel_plan(conn, site), device_type, cases_mod.OPTIONS[device_type]))
    ikev1, ikev2 = cases_mod.BGP_IPS
    # the recorded SAs are with documentation addresses: point one of them at the IKEv2 tunnel
    sas = (FIXTURES / recorded).read_text().replace(peer, peer.replace("198.51.100.2", ikev2))
    assert ikev2 in sas
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / f"{config_file}.txt").write_text(config)
    (outputs / f"{sa_file}.txt").write_text(sas)
    tunnels = [{"outside_ip": ip} for ip in (ikev1, ikev2, "192.0.2.77")]
    rc, output, device = _run(tmp_path, {"test_outputs_dir": str(outputs), "test_tunnels": tunnels,
                                         "test_device_type": device_type})
    assert rc == 0, output
    # the IKEv1 tunnel has no IKEv2 SA: configured only; a tunnel the device does not have is left out
    assert sorted(device) == sorted([ikev1, ikev2])
    assert set(device[ikev1]) == {"configured"}
    assert device[ikev1]["configured"]["phase1_encryption_algorithms"] == ["AES256"]
    assert device[ikev2]["negotiated"] == {"ike_versions": "ikev2", "phase1_encryption_algorithms": "AES256-GCM-16",
                                           "phase1_integrity_algorithms": "SHA2-384", "phase1_dh_group_numbers": 20}
    assert device[ikev2]["configured"]["phase2_lifetime_seconds"] == 3000
    for key in (t["PreSharedKey"] for t in conn["Options"]["TunnelOptions"]):
        assert key not in output and key not in json.dumps(device)


def test_fortios_reader_keeps_each_tunnels_configuration_without_keys(tmp_path):
    recorded = json.loads((FIXTURES / "fortios_vpn_ipsec_interfaces.json").read_text())
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    for kind in ("phase1-interface", "phase2-interface"):
        (outputs / f"vpn.ipsec_{kind}.json").write_text(json.dumps(recorded[kind]))
    tunnels = [{"outside_ip": ip} for ip in ("198.51.100.1", "198.51.100.2", "192.0.2.77")]
    rc, output, device = _run(tmp_path, {"test_outputs_dir": str(outputs), "test_tunnels": tunnels, "test_device_type": "fortios"})
    assert rc == 0, output
    assert sorted(device) == ["198.51.100.1", "198.51.100.2"]
    assert device["198.51.100.1"] == {"configured": {
        "phase1_encryption_algorithms": ["AES256"], "phase1_integrity_algorithms": ["SHA2-256"],
        "phase1_dh_group_numbers": [14], "phase1_lifetime_seconds": 28800,
        "phase2_encryption_algorithms": ["AES256"], "phase2_integrity_algorithms": ["SHA2-256"],
        "phase2_dh_group_numbers": [14], "phase2_lifetime_seconds": 3600}}
    assert device["198.51.100.2"]["configured"]["phase1_dh_group_numbers"] == [20, 14]
    for secret in (p["psksecret"] for p in recorded["phase1-interface"]):
        assert secret not in output and secret not in json.dumps(device)


def test_main_includes_a_reader_for_every_vendor_device_type():
    import yaml

    from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import PLATFORMS

    tasks = yaml.safe_load((ROOT / "roles" / "drift" / "tasks" / "main.yml").read_text())
    [include] = [t for t in tasks if "ansible.builtin.include_tasks" in t]
    assert include["ansible.builtin.include_tasks"] == "device_{{ drift_device_type }}.yml"
    # guarded by the one platform list (filter device_type_error reads PLATFORMS)
    assert "drift_device_type | sitevpn.aws.device_type_error(platforms_only=true) | length == 0" in include["when"]
    from ansible_collections.sitevpn.aws.plugins.filter.device_config import device_type_error
    assert [p for p in ("strongswan",) + tuple(PLATFORMS) if device_type_error(p, True) == ""] == list(PLATFORMS)
    for platform in PLATFORMS:
        assert (ROOT / "roles" / "drift" / "tasks" / f"device_{platform}.yml").is_file(), platform
