# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Each host's variables as a task of the running role on that host would see them, read in one
controller step (actions vpn_sites and role_arguments) instead of a task, a worker process, per host.

``hostvars`` holds a host's own variables (inventory, facts, extra vars) but not the play's nor the
role's: those come from the task's variables without the task's host's own ones (which must not
leak to the other hosts), with the role's defaults below the host's and the role's vars and params
above them.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail


def host_variables(task, task_vars):
    """A function host -> that host's variables (untemplated), for the hosts of ``task_vars["hostvars"]``."""
    hostvars = task_vars.get("hostvars")
    if hostvars is None:
        raise AnsibleActionFail("reading each host's variables needs the play's hostvars")
    own = hostvars.raw_get(task_vars["inventory_hostname"]) if "inventory_hostname" in task_vars else {}
    shared = {k: v for k, v in task_vars.items() if k not in own}
    role = getattr(task, "_role", None)
    defaults = role.get_default_vars() if role else {}
    above = role.get_vars() if role else {}

    def of(host):
        return {**defaults, **shared, **hostvars.raw_get(host), **above}

    return of


def reusing_templar(templar):
    """A copy of ``templar`` (set its ``available_variables`` per host) that compiles each template
    string once. ansible-core 2.19 compiles a template each time it renders it, and the hosts' inputs
    are the same templates for every host (a role's defaults and vars): compiling them per host was
    most of the batch's time with 200 sites (issue 18). A compiled template is rendered with the
    variables given at each call, so sharing it is safe; this worker process only. Without that
    engine (another ansible-core) the copy compiles as before."""
    templar = templar.copy_with_new_env(available_variables={})
    engine = getattr(templar, "_engine", None)
    compile_template = getattr(engine, "_compile_template", None)
    if compile_template is None:
        return templar
    compiled = {}

    def compile_cached(template, options):
        key = (str(template), options)
        if key not in compiled:
            compiled[key] = compile_template(template, options)
        return compiled[key]

    engine._compile_template = compile_cached
    return templar
