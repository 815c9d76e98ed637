"""The day-2 playbooks' structure (roles/lockstep), offline: every playbook that changes live tunnels
goes through the shared opt-in gate (playbooks/tasks/disruptive.yml) before the role, and
tunnel_maintenance.yml reports first, read-only, for every site, without the gate."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
ROLE = ROOT / "roles" / "lockstep"
DISRUPTIVE = {"rotate_keys": "rotate_keys", "change_tunnel_options": "tunnel_options", "tunnel_maintenance": "tunnel_maintenance"}


def plays(name):
    return yaml.safe_load((PLAYBOOKS / f"{name}.yml").read_text())


def role_includes(play):
    return [t for t in play["tasks"] if (t.get("ansible.builtin.include_role") or {}).get("name") == "sitevpn.aws.lockstep"]


def gated(play):
    """The lockstep role comes after the opt-in gate in this play, which is tagged with the gate's tag."""
    names = [(t.get("ansible.builtin.include_tasks") or (t.get("ansible.builtin.include_role") or {}).get("name")) for t in play["tasks"]]
    return ("tasks/disruptive.yml" in names and "sitevpn.aws.lockstep" in names
            and names.index("tasks/disruptive.yml") < names.index("sitevpn.aws.lockstep")
            and play["vars"]["sitevpn__disruptive_tag"] in play["tags"])


@pytest.mark.parametrize("name", sorted(DISRUPTIVE))
def test_every_change_of_live_tunnels_is_behind_the_opt_in(name):
    changing = [p for p in plays(name) if any(not (t.get("vars") or {}).get("lockstep_report_only") for t in role_includes(p))]
    assert changing, name
    for play in changing:
        assert gated(play), f"{name}: {play['name']}"
        assert [t["vars"]["lockstep_change"] for t in role_includes(play)] == [DISRUPTIVE[name]]


def test_tunnel_maintenance_reports_first_read_only_then_applies_with_the_go():
    report, apply = plays("tunnel_maintenance")
    # the report: every site, without the gate, the role only reading
    assert not gated(report) and "vars" not in report
    assert [t["vars"] for t in role_includes(report)][0]["lockstep_report_only"] is True
    # the change: gated; not asked for is a skip (the report is the run), not a failure
    assert gated(apply) and apply["vars"]["sitevpn_failover_test_skip_unasked"] is True
    assert "lockstep_report_only" not in role_includes(apply)[0]["vars"]


def test_the_gate_refuses_unless_asked_and_ends_check_mode():
    tasks = yaml.safe_load((PLAYBOOKS / "tasks" / "disruptive.yml").read_text())
    refuse = next(t for t in tasks if "ansible.builtin.fail" in t)
    assert "not sitevpn__disruptive_asked | bool" in refuse["when"]
    ends = [t["when"] for t in tasks if t.get("ansible.builtin.meta") == "end_host"]
    assert "not sitevpn__disruptive_asked | bool" in ends and "ansible_check_mode" in ends


def test_each_change_has_its_report_and_is_a_role_choice():
    names = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["lockstep__report_names"]
    spec = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert sorted(names) == sorted(spec["lockstep_change"]["choices"]) == sorted(DISRUPTIVE.values())
    assert names["tunnel_maintenance"] == "tunnel_maintenance.json"
    pages = (ROOT / "roles" / "verify" / "tasks" / "pages.yml").read_text()
    assert all(report in pages for report in names.values()), "the site page reads every change's report"
    # a maintenance replaces the AWS endpoint instead of changing options and the device's configuration
    tunnel = (ROLE / "tasks" / "tunnel.yml").read_text()
    assert "'replace.yml' if lockstep_change == 'tunnel_maintenance' else 'aws.yml'" in tunnel
    assert "'up.yml' if lockstep_change == 'tunnel_maintenance' else 'device.yml'" in tunnel
