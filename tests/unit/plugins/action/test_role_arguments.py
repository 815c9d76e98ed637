# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""sitevpn.aws.role_arguments: every host's role arguments checked against the role's own spec in
one step, with ansible-core's messages (issue 18: its own check is a task per host)."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import MagicMock

import pytest
import yaml

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.template import trust_as_template

from ansible_collections.sitevpn.aws.plugins.action.role_arguments import ActionModule
from ansible_collections.sitevpn.aws.plugins.action.role_arguments import role_spec

ROLE = Path(__file__).resolve().parents[4] / "roles" / "aws_vpn"
SPEC = {"options": {
    "demo_state": {"type": "str", "choices": ["present", "absent"], "default": "present", "description": "x"},
    "demo_wait": {"type": "bool", "description": "x"},
    "demo_ip": {"type": "str", "description": "x"},
    "demo_profile": {"type": "str", "choices": ["strong", "aws_defaults"], "description": "x"},
}}


class _HostVars:
    def __init__(self, hosts):
        self._hosts = hosts

    def raw_get(self, host):
        return self._hosts[host]


def _role(tmp_path):
    (tmp_path / "meta").mkdir(exist_ok=True)
    (tmp_path / "meta" / "argument_specs.yml").write_text(yaml.safe_dump({"argument_specs": {"main": SPEC}}))
    return str(tmp_path)


def _task(args):
    task = MagicMock()
    task._role = None
    task.async_val = 0
    task.check_mode = False
    task.action = "sitevpn.aws.role_arguments"
    task.args = args
    return task


def _run(tmp_path, hosts, site_options=("demo_ip", "demo_profile"), first=None):
    loader = DataLoader()
    task = _task({"hosts": list(hosts), "site_options": list(site_options)})
    first = first or next(iter(hosts))
    task_vars = {"hostvars": _HostVars(hosts), "inventory_hostname": first, "role_path": _role(tmp_path),
                 # the role's default, as the play's variables carry it
                 "demo_ip": trust_as_template("{{ site_ip }}")}
    return ActionModule(task, MagicMock(), MagicMock(), loader, Templar(loader=loader), None).run(task_vars=task_vars)


def _host(name, **values):
    return dict({"inventory_hostname": name, "site_ip": "203.0.113.1"}, **values)


def test_each_wrong_host_gets_the_message_ansible_cores_check_gives(tmp_path):
    hosts = {"a": _host("a"), "b": _host("b", demo_profile="weak"), "c": _host("c", demo_wait="maybe"), "d": _host("d")}
    result = _run(tmp_path, hosts)
    assert not result.get("failed"), result
    assert result["valid"] == ["a", "d"] and sorted(result["invalid"]) == ["b", "c"]
    expected = ArgumentSpecValidator(SPEC["options"]).validate({"demo_profile": "weak", "demo_ip": "203.0.113.1"},
                                                               validate_role_argument_spec=True).error_messages
    assert result["invalid"]["b"]["msg"] == "Validation of arguments failed:\n" + "\n".join(expected)
    assert result["invalid"]["b"]["argument_errors"] == expected and result["invalid"]["b"]["failed"] is True
    assert "demo_wait" in result["invalid"]["c"]["msg"]
    assert result["invalid"]["b"]["validate_args_context"]["argument_spec_name"] == "main"


def test_a_value_that_cannot_be_templated_fails_its_host(tmp_path):
    hosts = {"a": _host("a"), "b": {"inventory_hostname": "b"}}  # b has no site_ip: demo_ip is undefined
    result = _run(tmp_path, hosts)
    assert result["valid"] == ["a"]
    assert result["invalid"]["b"]["msg"].startswith("Task failed: ") and "site_ip" in result["invalid"]["b"]["msg"]


def test_a_wrong_shared_option_of_the_tasks_own_host_stops_every_host(tmp_path):
    # the run-once steps take the task's host's values: its demo_wait would be used for every host
    hosts = {"a": _host("a", demo_wait="maybe"), "b": _host("b")}
    result = _run(tmp_path, hosts)
    assert result["failed"] and result["msg"].startswith("a: Validation of arguments failed:") and "no site goes on" in result["msg"]
    # a site option of its own only fails itself
    hosts = {"a": _host("a", demo_profile="weak"), "b": _host("b")}
    result = _run(tmp_path, hosts)
    assert not result.get("failed") and result["valid"] == ["b"]


def test_no_right_host_fails_the_task_with_each_hosts_message(tmp_path):
    hosts = {"a": _host("a", demo_profile="weak"), "b": _host("b", demo_profile="bad")}
    result = _run(tmp_path, hosts)
    assert result["failed"] and result["valid"] == []
    assert result["msg"].startswith("a: Validation of arguments failed:") and "\nb: Validation of arguments failed:" in result["msg"]


def test_outside_a_role_or_without_hosts_it_refuses(tmp_path):
    loader = DataLoader()
    task = _task({"hosts": ["a"]})
    action = ActionModule(task, MagicMock(), MagicMock(), loader, Templar(loader=loader), None)
    with pytest.raises(AnsibleActionFail, match="runs in a role's task"):
        action.run(task_vars={"hostvars": _HostVars({"a": _host("a")}), "inventory_hostname": "a"})
    task.args = {"hosts": "a"}
    with pytest.raises(AnsibleActionFail, match="hosts: must be a list"):
        action.run(task_vars={"role_path": _role(tmp_path)})


def test_the_aws_vpn_roles_own_spec_is_read_and_its_site_options_are_its_options():
    spec = role_spec(DataLoader(), str(ROLE), "main")
    assert "aws_vpn_state" in spec["options"]
    site_options = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["aws_vpn__site_options"]
    assert set(site_options) <= set(spec["options"])
    assert role_spec(DataLoader(), str(ROLE), "nope") is None
