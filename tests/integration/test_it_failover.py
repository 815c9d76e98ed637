"""playbooks/failover_test.yml outside the lab: it refuses to disrupt traffic unless asked for, and
refuses device types it cannot drive, before touching anything (no lab, no root needed). The
failover test itself runs on the lab in test_it_site.py."""

from __future__ import annotations

import os
import subprocess

import yaml

from sitevpn_playbook import BIN, ROOT, run_playbook

PLAYBOOK = ROOT / "playbooks" / "failover_test.yml"


def inventory(tmp_path, **host):
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"sites": {"hosts": {"branch-1": dict(
        {"ansible_connection": "local", "vpn_device_type": "strongswan"}, **host)}}}))
    return path


def test_refuses_unless_asked_for(tmp_path):
    run = run_playbook(PLAYBOOK, "http://127.0.0.1:9", inventory=inventory(tmp_path))
    assert run.rc != 0
    assert "runs only when asked for: -e sitevpn_failover_test=true" in run.output
    assert "Run the failover test" not in run.output


def test_asked_for_but_device_type_not_supported(tmp_path):
    run = run_playbook(PLAYBOOK, "http://127.0.0.1:9", {"sitevpn_failover_test": True},
                       inventory=inventory(tmp_path, vpn_device_type="cisco_ios"))
    assert run.rc != 0
    assert "vpn_device_type cisco_ios is not supported for the failover test yet" in run.output
    # refused before any AWS call or device command
    assert "Read the site's VPN connection" not in run.output


def test_site_yml_without_the_test_asked_for_skips_it(tmp_path):
    # what playbooks/site.yml does: import it with sitevpn_failover_test_skip_unasked
    site = tmp_path / "site.yml"
    site.write_text(yaml.safe_dump([{"name": "Test failover on every site, when asked for",
                                     "ansible.builtin.import_playbook": str(PLAYBOOK),
                                     "vars": {"sitevpn_failover_test_skip_unasked": True}}]))
    run = run_playbook(site, "http://127.0.0.1:9", inventory=inventory(tmp_path))
    assert run.rc == 0, run.failures + run.output
    assert "Skip what was not asked for" in run.output
    assert "runs only when asked for" not in run.output and "Run the failover test" not in run.output


def test_tag_asks_for_it_and_reaches_the_role(tmp_path):
    # --tags failover_test is the other way to ask; the role's own tasks run under the play's tag
    site = tmp_path / "site.yml"
    site.write_text(yaml.safe_dump([{"name": "Test failover on every site, when asked for",
                                     "ansible.builtin.import_playbook": str(PLAYBOOK),
                                     "vars": {"sitevpn_failover_test_skip_unasked": True}}]))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    run = subprocess.run([str(BIN / "ansible-playbook"), str(site), "-i", str(inventory(tmp_path, vpn_device_type="junos")),
                          "--tags", "failover_test"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode != 0
    assert "vpn_device_type junos is not supported for the failover test yet" in run.stdout
