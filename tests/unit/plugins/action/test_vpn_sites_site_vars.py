# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""sitevpn.aws.vpn_sites with site_vars: each host's inputs templated in the controller, in that host's
variables over the task's (issue 18: no task per host to gather them)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.template import trust_as_template

from ansible_collections.sitevpn.aws.plugins.action.vpn_sites import ActionModule


class _HostVars:
    """What the play's hostvars gives the action: each host's variables, untemplated."""

    def __init__(self, hosts):
        self._hosts = hosts
        self.read = []

    def raw_get(self, host):
        self.read.append(host)
        return self._hosts[host]


def _action(role=None):
    loader = DataLoader()
    task = MagicMock()
    task._role = role
    return ActionModule(task, MagicMock(), MagicMock(), loader, Templar(loader=loader), None)


def test_each_host_gets_its_own_inputs_with_the_tasks_role_vars():
    # the role's var (a template, as vars/main.yml holds it) and default, seen by the task's host only
    task_vars = {
        "inventory_hostname": "site1",
        "aws_vpn_name_prefix": "lab",
        "sitevpn_cgw_ip": "203.0.113.1",
        "sitevpn_static_routes_only": True,
        "aws_vpn_prefixes": trust_as_template("{{ sitevpn_prefixes | default(['10.0.0.0/24']) }}"),
        "aws_vpn__site_input": {
            "name": trust_as_template("{{ aws_vpn_name_prefix }}-{{ inventory_hostname }}"),
            "cgw_ip": trust_as_template("{{ sitevpn_cgw_ip }}"),
            "prefixes": trust_as_template("{{ aws_vpn_prefixes }}"),
            "static": trust_as_template("{{ sitevpn_static_routes_only | default(false) }}"),
        },
    }
    hostvars = _HostVars({
        "site1": {"inventory_hostname": "site1", "sitevpn_cgw_ip": "203.0.113.1", "sitevpn_static_routes_only": True},
        # site2's inventory overrides the role default's input, its own name is used, and site1's
        # own variables (static) do not leak to it
        "site2": {"inventory_hostname": "site2", "sitevpn_cgw_ip": "203.0.113.2", "sitevpn_prefixes": ["10.2.0.0/24"]},
    })
    task_vars["hostvars"] = hostvars
    inputs = _action()._site_inputs(["site1", "site2"], "aws_vpn__site_input", task_vars)
    assert inputs == {
        "site1": {"name": "lab-site1", "cgw_ip": "203.0.113.1", "prefixes": ["10.0.0.0/24"], "static": True},
        "site2": {"name": "lab-site2", "cgw_ip": "203.0.113.2", "prefixes": ["10.2.0.0/24"], "static": False},
    }
    assert hostvars.read == ["site1", "site1", "site2"]  # the task's host's own variables, then one read per host


def test_the_roles_vars_and_params_win_over_the_inventory_and_its_defaults_lose():
    role = MagicMock()
    role.get_default_vars.return_value = {"aws_vpn_bgp_asn": 65000, "aws_vpn_state": "present"}
    role.get_vars.return_value = {"aws_vpn_state": "absent", "site_input": trust_as_template("{{ aws_vpn_state }} {{ aws_vpn_bgp_asn }}")}
    hostvars = _HostVars({
        "site1": {"inventory_hostname": "site1", "aws_vpn_state": "present"},
        "site2": {"inventory_hostname": "site2", "aws_vpn_bgp_asn": 65002, "aws_vpn_state": "present"},
    })
    task_vars = {"hostvars": hostvars, "inventory_hostname": "site1", "aws_vpn_state": "absent", "aws_vpn_bgp_asn": 65000,
                 "site_input": role.get_vars.return_value["site_input"]}
    inputs = _action(role)._site_inputs(["site1", "site2"], "site_input", task_vars)
    assert inputs == {"site1": "absent 65000", "site2": "absent 65002"}


def test_a_host_without_the_variable_is_refused():
    task_vars = {"hostvars": _HostVars({"site1": {"inventory_hostname": "site1"}}), "inventory_hostname": "site1"}
    with pytest.raises(AnsibleActionFail, match="site1 has no variable aws_vpn__site_input"):
        _action()._site_inputs(["site1"], "aws_vpn__site_input", task_vars)


def test_each_template_is_compiled_once_for_every_host(monkeypatch):
    # ansible-core 2.19 compiles a template each time it renders it; the batch renders the same ones
    # for every site, so it compiles each once and renders it with each host's variables
    engine_type = type(getattr(Templar(loader=DataLoader()), "_engine", None))
    if not hasattr(engine_type, "_compile_template"):
        pytest.skip("this ansible-core has no engine to share compiled templates in")
    compiled = []
    original = engine_type._compile_template

    def counting(self, template, options):
        compiled.append(str(template))
        return original(self, template, options)

    monkeypatch.setattr(engine_type, "_compile_template", counting)
    task_vars = {
        "inventory_hostname": "site1",
        "aws_vpn__site_input": {"cgw_ip": trust_as_template("{{ sitevpn_cgw_ip }}"), "name": trust_as_template("x-{{ inventory_hostname }}")},
    }
    task_vars["hostvars"] = _HostVars({f"site{i}": {"inventory_hostname": f"site{i}", "sitevpn_cgw_ip": f"203.0.113.{i}"} for i in (1, 2, 3)})
    inputs = _action()._site_inputs(["site1", "site2", "site3"], "aws_vpn__site_input", task_vars)
    assert [inputs[h]["cgw_ip"] for h in ("site1", "site2", "site3")] == ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    assert [inputs[h]["name"] for h in ("site1", "site2", "site3")] == ["x-site1", "x-site2", "x-site3"]
    assert sorted(compiled) == ["x-{{ inventory_hostname }}", "{{ sitevpn_cgw_ip }}"]
