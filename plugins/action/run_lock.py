# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin of sitevpn.aws.run_lock: a lock file on the control node, owned by the
ansible-playbook process (see the module file for the documentation)."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.sitevpn.aws.plugins.plugin_utils.run_lock import LockBusy
from ansible_collections.sitevpn.aws.plugins.plugin_utils.run_lock import RunLock
from ansible_collections.sitevpn.aws.plugins.plugin_utils.run_lock import playbook_process


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("path", "state", "timeout", "holder"))
    # Taking the lock changes nothing that is managed: check mode takes it too (a check run reads
    # while another run writes otherwise).
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        path = args.get("path")
        if not path:
            raise AnsibleActionFail("path: is required (the lock file on the control node)")
        state = args.get("state", "acquired")
        if state not in ("acquired", "released"):
            raise AnsibleActionFail(f"state: must be acquired or released, got {state!r}")
        try:
            timeout = float(args.get("timeout", 900))
        except (TypeError, ValueError):
            raise AnsibleActionFail(f"timeout: must be a number of seconds, got {args.get('timeout')!r}") from None
        lock = RunLock(path, owner=playbook_process(), holder=str(args.get("holder") or ""))
        try:
            if state == "acquired":
                info = lock.acquire(timeout)
            else:
                info = lock.release()
        except LockBusy as e:
            raise AnsibleActionFail(str(e)) from None
        except OSError as e:
            raise AnsibleActionFail(f"path: cannot use the lock file {lock.path}: {e}") from None
        # Holding a lock is no change to the sites: an idempotent run stays changed=0.
        result.update(changed=False, path=lock.path, **info)
        return result
