# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin of sitevpn.aws.vpn_sites: the AWS side of every site of a play in the controller,
one process and one boto3 client for all of them (the batch: plugin_utils/vpn_sites_batch.py; see the
module file for the documentation)."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites_spec import ARGUMENT_SPEC
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites_spec import CONSTRAINTS
from ansible_collections.sitevpn.aws.plugins.plugin_utils.host_vars import host_variables
from ansible_collections.sitevpn.aws.plugins.plugin_utils.host_vars import reusing_templar


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        # the options' types, choices and defaults, as the module file declares them
        dummy, args = self.validate_argument_spec(ARGUMENT_SPEC, **CONSTRAINTS)
        if args["result"] is not None:
            # one site's part of a batch, reported on its own host (changed, failed, diff, warnings)
            result.update(args["result"])
            return result
        sites = args.get("sites")
        if isinstance(sites, list) and args.get("site_vars"):
            sites = self._site_inputs(sites, args["site_vars"], task_vars or {})
        if not isinstance(sites, dict):
            raise AnsibleActionFail("sites: must be a dict of site -> inputs, or a list of hosts with site_vars (or give result)")
        # imported here, not at the top: the controller imports this plugin for every task that names
        # it, and the per-site report (result) needs neither boto3 nor the batch (plugin_utils)
        from ansible_collections.sitevpn.aws.plugins.plugin_utils.vpn_sites_batch import batch_result  # pylint: disable=import-outside-toplevel

        result.update(batch_result(args, sites, bool(self._task.check_mode)))
        return result

    def _site_inputs(self, hosts, name, task_vars):
        """Each host's site_vars, templated as a task on that host would see it (plugin_utils
        host_vars), one read per host in this process instead of a task (a worker process) per host."""
        variables_of = host_variables(self._task, task_vars)
        templar = reusing_templar(self._templar)
        inputs = {}
        for host in hosts:
            variables = variables_of(host)
            if name not in variables:
                raise AnsibleActionFail(f"site_vars: {host} has no variable {name}")
            templar.available_variables = variables
            inputs[host] = templar.template(variables[name])
        return inputs
