# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin of sitevpn.aws.role_arguments: every host's role arguments checked against the
role's argument spec in one controller step (see the module file for the documentation)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.sitevpn.aws.plugins.plugin_utils.host_vars import host_variables
from ansible_collections.sitevpn.aws.plugins.plugin_utils.host_vars import reusing_templar


def role_spec(loader, role_path, entry_point):
    """The entry point's spec as ansible-core reads it: meta/argument_specs.yml, else meta/main.yml's
    argument_specs; None when the role has none for that entry point."""
    for name in ("argument_specs", "main"):
        for ext in (".yml", ".yaml"):
            path = os.path.join(role_path, "meta", name + ext)
            if os.path.exists(path):
                data = loader.load_from_file(path) or {}
                return ((data.get("argument_specs") or {}).get(entry_point)) if isinstance(data, dict) else None
    return None


def check_values(options, values, context):
    """ansible-core's validate_argument_spec on ``values``: None, or the failed result it returns
    (msg, argument_errors, validate_args_context)."""
    result = ArgumentSpecValidator(options).validate(values, validate_role_argument_spec=True)
    if not result.error_messages:
        return None
    errors = list(result.error_messages)
    return {"failed": True, "msg": "Validation of arguments failed:\n" + "\n".join(errors), "argument_errors": errors,
            "validate_args_context": context}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("hosts", "entry_point", "site_options"))
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self._task.args
        hosts, site_options = args.get("hosts"), args.get("site_options") or []
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            raise AnsibleActionFail("hosts: must be a list of host names (as ansible_play_batch)")
        if not isinstance(site_options, list):
            raise AnsibleActionFail("site_options: must be a list of option names")
        entry_point = args.get("entry_point") or "main"
        role_path = task_vars.get("role_path")
        if not role_path:
            raise AnsibleActionFail("sitevpn.aws.role_arguments runs in a role's task (it reads the role's argument spec)")
        spec = role_spec(self._loader, role_path, entry_point)
        if spec is None:
            raise AnsibleActionFail(f"{role_path}: no argument spec for the entry point {entry_point}")
        options = spec.get("options") or {}
        context = {"type": "role", "name": os.path.basename(role_path), "argument_spec_name": entry_point, "path": role_path}
        invalid, first = self._check(hosts, options, set(site_options), task_vars, context)
        shared = {name: opt for name, opt in options.items() if name not in site_options}
        result.update(changed=False, valid=[h for h in hosts if h not in invalid], invalid={h: invalid[h] for h in hosts if h in invalid})
        if first is not None and (first["errors"] or check_values(shared, {n: v for n, v in first["values"].items() if n in shared}, context)):
            # the steps run once read the task's host's values: a wrong shared one would be used for every site
            host = task_vars["inventory_hostname"]
            result.update(failed=True, msg=f"{host}: {invalid[host]['msg']}\n(every site's shared steps take their values from {host}, "
                                           "the play's first site: no site goes on)")
        elif hosts and not result["valid"]:
            # every host would fail its own check: nothing is left to run for
            result.update(failed=True, msg="\n".join(f"{h}: {invalid[h]['msg']}" for h in hosts))
        else:
            result["msg"] = f"{len(result['invalid'])} of {len(hosts)} host(s) with invalid role arguments"
        return result

    def _check(self, hosts, options, site_options, task_vars, context):
        """{host: failed result} of the hosts whose arguments are wrong, and for the task's own host,
        when it is one of them, its templated values and the template errors of its shared options."""
        variables_of = host_variables(self._task, task_vars)
        templar = reusing_templar(self._templar)
        me = task_vars.get("inventory_hostname")
        invalid, first = {}, None
        for host in hosts:
            variables = variables_of(host)
            templar.available_variables = variables
            values, errors = {}, {}
            for name in options:
                if name not in variables:
                    continue
                try:
                    values[name] = templar.template(variables[name])
                except AnsibleError as e:
                    # as the check ansible-core adds to a role reports a value it cannot template
                    errors[name] = f"Task failed: {getattr(e, 'message', None) or e}"
            failed = {"failed": True, "msg": "; ".join(errors.values()), "validate_args_context": context} if errors else None
            failed = failed or check_values(options, values, context)
            if failed:
                invalid[host] = failed
                if host == me:
                    first = {"values": values, "errors": [n for n in errors if n not in site_options]}
        return invalid, first
