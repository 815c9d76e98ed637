#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: role_arguments
short_description: Check every host's role arguments against the role's argument spec in one step
version_added: 0.1.0
description:
  - Checks, for each host of O(hosts), the arguments of the role this task belongs to as ansible-core's
    own check does (M(ansible.builtin.validate_argument_spec), which ansible-core adds to a role that has
    an argument spec, as a task per host) - the same spec (the role's C(meta/argument_specs.yml), the
    O(entry_point)), the same values (each option's variable as a task of the role on that host sees it,
    role defaults, inventory, role vars and params, templated) and the same messages.
  - In one step on the control node, for a role that runs once for many hosts (C(run_once)), where the
    check per host was what a large play spent most on. Import the role with C(rolespec_validate=false)
    (as C(playbooks/provision.yml) does), or ansible-core checks each host again before it.
  - Reports the hosts whose arguments are wrong in RV(invalid) (what each host's check would have
    failed with) and the others in RV(valid); the role fails each wrong host in a task of its own.
  - The task itself fails when its own host (the play's first, whose values every C(run_once) step
    uses) has a wrong option other than O(site_options).
  - An action plugin, it runs on the control node whatever the task's host; use it with C(run_once).
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  hosts:
    description: The hosts to check (as C(ansible_play_batch)).
    type: list
    elements: str
    required: true
  entry_point:
    description: The role's entry point whose argument spec applies.
    type: str
    default: main
  site_options:
    description:
      - The options that concern only each host's own work. A wrong value of any other option on the
        task's own host fails every host, since the steps that run once take their values from it.
    type: list
    elements: str
    default: []
notes:
  - Supports check mode (it changes nothing).
"""

EXAMPLES = r"""
- name: Check every site's role arguments once
  sitevpn.aws.role_arguments:
    hosts: "{{ ansible_play_batch }}"
    site_options: [aws_vpn_cgw_ip, aws_vpn_prefixes]
  register: arguments
  run_once: true

- name: Fail each site whose arguments are wrong, with the check's message
  ansible.builtin.fail:
    msg: "{{ arguments.invalid[inventory_hostname].msg }}"
  when: inventory_hostname in arguments.invalid
"""

RETURN = r"""
valid:
  description: The hosts whose arguments are right, in the order of O(hosts).
  returned: always
  type: list
  elements: str
invalid:
  description:
    - Per host whose arguments are wrong, the result its own check fails with - C(failed), C(msg)
      (C(Validation of arguments failed:) and one line per error, or the template error of a value),
      C(argument_errors) and C(validate_args_context).
  returned: always
  type: dict
  sample: {"site-b": {"failed": true, "msg": "Validation of arguments failed:\nvalue of aws_vpn_wait must be bool"}}
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hosts=dict(type="list", elements="str", required=True),
            entry_point=dict(type="str", default="main"),
            site_options=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    module.fail_json(msg="sitevpn.aws.role_arguments is an action plugin: it runs on the control node, not as a module")


if __name__ == "__main__":
    main()
