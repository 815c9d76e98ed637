"""Run ansible-playbook against the lab API and read what it did (shared by the integration tests)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = Path(__file__).resolve().parent / "targets"
# the lab inventory's two virtual private gateway sites (site-bgp, site-static) without its transit
# gateway site (hubs.yml): the tests of one stage on a VGW; group_vars/ apply all the same
LAB_VGW_SITES = ROOT / "inventories" / "lab" / "hosts.yml"
BIN = Path(sys.executable).parent
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


@dataclass
class Run:
    rc: int
    output: str
    changed: dict
    failed: dict

    @property
    def total_changed(self) -> int:
        return sum(self.changed.values())

    @property
    def failures(self) -> str:
        """The failed tasks and their messages, first in an assertion's text: a long output is cut in
        the middle by CI's report, where the failure usually stands."""
        found, task = [], None
        for line in self.output.splitlines():
            if line.startswith(("TASK [", "RUNNING HANDLER [")):
                task = line.split("[", 1)[1].rsplit("]", 1)[0]
            elif line.startswith(("fatal: [", "failed: [")):
                found.append(f"{task}: {line[:3000]}")
        return "\n".join(["failed tasks:"] + found + ["", ""]) if found else ""


def run_playbook(playbook, url, extra_vars=None, check=False, diff=False, inventory=None, limit=None, timeout=120,
                 skip_tags=None):
    """ansible-playbook with the lab's endpoint; returns rc, output and the recap's changed counts."""
    path = Path(playbook)
    if not path.is_absolute():
        path = TARGETS / path
    extra = {"sitevpn_aws_endpoint_url": url}
    extra.update(extra_vars or {})
    cmd = [str(BIN / "ansible-playbook"), str(path), "-e", json.dumps(extra)]
    cmd += ["-i", str(inventory)] if inventory else ["-i", "localhost,"]
    if limit:
        cmd += ["--limit", limit]
    if skip_tags:
        cmd += ["--skip-tags", skip_tags]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.pop("ANSIBLE_STDOUT_CALLBACK", None)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    output = proc.stdout + proc.stderr
    changed = {m.group(1): int(m.group(3)) for m in RECAP.finditer(proc.stdout)}
    failed = {m.group(1): int(m.group(5)) for m in RECAP.finditer(proc.stdout)}
    return Run(proc.returncode, output, changed, failed)


def writes(lab):
    """The write calls the lab logged since the last clear, as a list of action names."""
    return [r["action"] for r in lab.requests()["requests"] if r["write"]]


def settled(lab, quiet=2.0, timeout=120.0):
    """Wait until no asynchronous Lambda invocation is running and none has come for quiet seconds
    (a slow invocation's writes would otherwise land in what the caller judges next)."""
    seen, since, deadline = len(lab.invocations()), time.monotonic(), time.monotonic() + timeout
    while time.monotonic() - since < quiet or lab.running_invocations():
        assert time.monotonic() < deadline, f"Lambda invocations still running after {timeout} s"
        time.sleep(0.2)
        if len(lab.invocations()) != seen:
            seen, since = len(lab.invocations()), time.monotonic()
