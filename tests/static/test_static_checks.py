"""The offline static checks CI requires: ``ansible-test sanity`` (scripts/sanity.py) and ansible-lint
(production profile), exactly as ``make sanity`` and ``make lint`` run them.

They run as tests so that ``make test`` schedules them on the worker that is not running the data
plane (conftest.py: each is a unit of its own, the last ones handed out), instead of after every
test. Each failure shows the tool's whole output.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(argv: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_ansible_test_sanity():
    proc = run([str(BIN / "python"), str(ROOT / "scripts" / "sanity.py")])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ansible_lint_production_profile():
    proc = run([str(BIN / "ansible-lint"), "--offline", "--profile", "production"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
