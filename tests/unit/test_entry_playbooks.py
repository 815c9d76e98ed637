"""The entry playbooks resolve as ``sitevpn.aws.<name>`` from the installed collection (the venv's
linked copy), from a directory outside the checkout, and pass ``ansible-playbook --syntax-check``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# The playbooks a user (or an AWX job template) runs; lab_*.yml and on_tunnel_escalation.yml are
# helpers of site.yml, lab_down and the rulebook.
ENTRY_PLAYBOOKS = ["site", "provision", "configure_devices", "monitoring", "verify", "failover_test", "teardown",
                   "on_tunnel_event", "drift", "rotate_keys", "change_tunnel_options", "tunnel_maintenance"]


def test_every_entry_playbook_is_there():
    missing = [name for name in ENTRY_PLAYBOOKS if not (ROOT / "playbooks" / f"{name}.yml").is_file()]
    assert missing == [], f"entry playbooks missing from playbooks/: {missing}"


def test_entry_playbooks_resolve_by_fqcn_and_pass_syntax_check(tmp_path):
    names = ENTRY_PLAYBOOKS
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_NOCOLOR="1", HOME=os.environ.get("HOME", str(tmp_path)))
    # outside the checkout, with no ansible.cfg: only the installed collection can answer
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,"] + [f"sitevpn.aws.{n}" for n in names],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    resolved = re.findall(r"^playbook: (\S+)$", proc.stdout, re.M)
    assert [Path(p).name for p in resolved] == [f"{n}.yml" for n in names], proc.stdout
    for path in resolved:
        # ansible_collections/sitevpn/aws/playbooks/<name>.yml, the same file as in the checkout
        assert Path(path).parts[-5:-2] == ("ansible_collections", "sitevpn", "aws"), path
        assert Path(path).resolve() == (ROOT / "playbooks" / Path(path).name).resolve(), path


def test_an_unknown_name_does_not_resolve(tmp_path):
    # guards against a check that would pass whatever the name: an FQCN that is no playbook fails
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,", "sitevpn.aws.no_such_playbook"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode != 0
