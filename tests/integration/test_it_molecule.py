"""The molecule scenarios of extensions/molecule, run as a user runs them (`molecule test -s NAME`
from extensions/), offline: `api_only` (lab API only, no root) and `default` (the full lab: data
plane, devices, verify). Each passes (create, converge, idempotence, verify, destroy) and leaves no
lab API, namespace, process or state of its own behind."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

from lab.api.testing import free_port
from lab.dataplane.lab import missing_tools
from lab.dataplane.netns import existing_namespaces
from sitevpn_playbook import BIN, ROOT

# extensions/molecule/*/molecule.yml name their namespaces with this prefix (SITEVPN_LAB_NS_PREFIX)
PREFIX = "svlm"
STEPS = ("create", "converge", "idempotence", "verify", "destroy")


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def processes_mentioning(*needles: str) -> list[str]:
    """Command lines of the running processes that name one of the needles."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(needle in cmdline for needle in needles):
            found.append(f"{proc.name}: {cmdline}")
    return found


def our_namespaces() -> list[str]:
    return sorted(ns for ns in existing_namespaces() if ns.startswith(PREFIX))


@pytest.fixture(name="molecule")
def fixture_molecule(tmp_path):
    """Runs `molecule test -s NAME` with its own ephemeral directory and lab port; cleans up after."""
    runs = []

    def run(scenario: str):
        ephemeral = tmp_path / scenario
        port = free_port()
        env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                   MOLECULE_EPHEMERAL_DIRECTORY=str(ephemeral), SVLM_LAB_PORT=str(port),
                   NO_COLOR="1", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PY_COLORS="0")
        for name in ("ANSIBLE_CONFIG", "ANSIBLE_STDOUT_CALLBACK", "SITEVPN_LAB_STATE_DIR", "SITEVPN_LAB_NS_PREFIX"):
            env.pop(name, None)
        runs.append(ephemeral)
        proc = subprocess.run([str(BIN / "molecule"), "test", "-s", scenario], cwd=ROOT / "extensions", env=env,
                              capture_output=True, text=True, timeout=1800, check=False)
        return proc, ephemeral, port

    yield run
    # whatever happened above, nothing of ours stays
    for ephemeral in runs:
        subprocess.run([str(BIN / "sitevpn-lab"), "--state-dir", str(ephemeral / "lab"), "down"],
                       capture_output=True, check=False)


def assert_passed(proc, scenario: str) -> None:
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-20000:]
    for step in STEPS:
        assert re.search(rf"{scenario}\s+\S+\s+{step}\S*:\s+\S*Executed: Successful", output), (step, output[-20000:])
    assert re.search(rf"{scenario}\s+: actions=\d+\s+successful=\d+.*failed=0", output), output[-5000:]


def assert_nothing_left(ephemeral: Path, port: int, dataplane: bool = True) -> None:
    """No lab API on PORT, no process of EPHEMERAL's lab; with DATAPLANE, no namespace, FRR or
    strongSwan directory or process of the scenarios' prefix either (api_only starts none, and may
    run beside the default scenario: conftest.py BESIDE_DATAPLANE)."""
    assert not listening(port), f"the lab API still answers on {port}"
    assert processes_mentioning(str(ephemeral)) == []
    if not dataplane:
        return
    assert our_namespaces() == []
    leftovers = [str(d) for base in ("/etc/netns", "/etc/frr", "/run/frr") if Path(base).is_dir()
                 for d in Path(base).iterdir() if d.name.startswith(PREFIX)]
    assert leftovers == []
    assert processes_mentioning(str(ephemeral), f" {PREFIX}", f"/{PREFIX}") == []


def test_molecule_api_only(molecule):
    proc, ephemeral, port = molecule("api_only")
    assert_passed(proc, "api_only")
    output = proc.stdout + proc.stderr
    # verify really checked both sites' AWS side; destroy ran the teardown and found nothing left
    assert re.search(r"Check one connection with two tunnels.*?ok: \[site-bgp\].*?ok: \[site-static\]", output, re.S)
    assert "Remove the AWS side of each site's VPN" in output
    assert re.search(r"TASK \[Check that nothing is left\][^\n]*\n(?:.*\n){0,3}?.*ok: \[localhost\]", output)
    assert_nothing_left(ephemeral, port, dataplane=False)


@pytest.mark.skipif(missing_tools() is not None, reason=f"the lab's data plane cannot run here: {missing_tools()}")
def test_molecule_default(molecule):
    proc, ephemeral, port = molecule("default")
    assert_passed(proc, "default")
    output = proc.stdout + proc.stderr
    # verify.yml ran the verify role on both devices and wrote their reports
    assert re.search(r"TASK \[sitevpn.aws.verify : ", output), output[-5000:]
    # the scenario leaves the failover test to test_it_site (sitevpn_failover_test: false)
    assert "TASK [Skip what was not asked for]" in output
    assert "TASK [sitevpn.aws.failover_test : " not in output
    assert "Remove the AWS side of each site's VPN" in output
    assert_nothing_left(ephemeral, port)
