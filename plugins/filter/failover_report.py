# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the filters lives in ping_timeline.yml, failover_mode_result.yml and
# failover_report.yml; the definitions in plugins/module_utils/failover_report.py.

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.module_utils import failover_report as fr


def _call(name, func, *args):
    try:
        return func(*args)
    except (ValueError, TypeError, KeyError) as e:
        raise AnsibleFilterError(f"{name}: {e}") from e


def ping_timeline(stdout, interval=0.1):
    """The timeline of one ``ping -D -O -n -i INTERVAL`` run from its output."""
    if not isinstance(stdout, (str, list)):
        raise AnsibleFilterError(f"ping_timeline expects ping's output (a string or its lines), got {type(stdout).__name__}")
    return _call("ping_timeline", fr.ping_timeline, stdout, interval)


def failover_mode_result(data):
    """One failover mode's result from its timelines and observations."""
    if not isinstance(data, dict):
        raise AnsibleFilterError(f"failover_mode_result expects a dict, got {type(data).__name__}")
    return _call("failover_mode_result", fr.failover_mode_result, data)


def failover_report(data):
    """The site's failover report from its mode results."""
    if not isinstance(data, dict):
        raise AnsibleFilterError(f"failover_report expects a dict, got {type(data).__name__}")
    return _call("failover_report", fr.failover_report, data)


class FilterModule:
    """The failover test's report filters."""

    def filters(self):
        return {
            "ping_timeline": ping_timeline,
            "failover_mode_result": failover_mode_result,
            "failover_report": failover_report,
        }
