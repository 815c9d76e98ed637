#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: run_lock
short_description: Serialise runs for the same sites with a lock file on the control node
version_added: 0.1.0
description:
  - Takes (V(acquired)) or gives back (V(released)) a lock file on the control node, owned by the
    running C(ansible-playbook) process. While a live run owns it, another run waits up to O(timeout)
    seconds, then fails naming the owner (PID, user, host, since when, O(holder)).
  - A run that dies (killed, crashed, failed before the release) leaves the file behind; the next run
    finds its owner gone and takes it over, so a dead run never blocks. An owner on another host cannot
    be checked, so its lock is waited for, and the message says to remove the file if that run is gone.
  - It reports C(changed=false), since holding a lock changes nothing that is managed.
  - The role C(sitevpn.aws.aws_vpn) takes one per VPN gateway (name prefix, region and endpoint) around
    its AWS changes. It protects runs on one control node; on AWX, keep the job templates' concurrent
    jobs off (see C(docs/awx.md)).
  - An action plugin, it runs on the control node whatever the task's host.
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  path:
    description:
      - The lock file (C(~) is expanded). Its directory is created (mode 0700) when missing.
    type: path
    required: true
  state:
    description:
      - V(acquired) takes the lock (waiting for it), V(released) gives it back if this run owns it.
    type: str
    choices: [acquired, released]
    default: acquired
  timeout:
    description:
      - Seconds to wait for a live owner to release the lock.
    type: float
    default: 900
  holder:
    description:
      - A word about this run, shown to a run that waits (for instance the playbook and the sites).
    type: str
notes:
  - Supports check mode (the lock is taken in check mode too).
"""

EXAMPLES = r"""
- name: Wait for any other run for this VPN gateway
  sitevpn.aws.run_lock:
    path: ~/.ansible/sitevpn/sitevpn-us-east-1.lock
    timeout: 600
    holder: provision.yml
  run_once: true

- name: Let the next run go
  sitevpn.aws.run_lock:
    path: ~/.ansible/sitevpn/sitevpn-us-east-1.lock
    state: released
  run_once: true
"""

RETURN = r"""
path:
  description: The lock file, absolute.
  returned: always
  type: str
  sample: /home/user/.ansible/sitevpn/sitevpn-us-east-1.lock
acquired:
  description: Whether this run owns the lock after the task.
  returned: always
  type: bool
waited_seconds:
  description: How long the run waited for another run's lock.
  returned: when O(state=acquired)
  type: float
  sample: 12.0
taken_over:
  description: The dead owner whose lock this run took over, when there was one.
  returned: when O(state=acquired)
  type: str
released:
  description: Whether the lock was this run's and is now free.
  returned: when O(state=released)
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", default="acquired", choices=["acquired", "released"]),
            timeout=dict(type="float", default=900),
            holder=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    module.fail_json(msg="sitevpn.aws.run_lock is an action plugin: it runs on the control node, not as a module")


if __name__ == "__main__":
    main()
