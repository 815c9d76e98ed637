# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the filters lives in ping_timeline.yml, failover_mode_result.yml and
# failover_report.yml; the definitions in plugins/module_utils/failover_report.py.

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils import failover_report as fr
from ansible_collections.sitevpn.aws.plugins.plugin_utils.filter_calls import call
from ansible_collections.sitevpn.aws.plugins.plugin_utils.filter_calls import expect


def ping_timeline(stdout, interval=0.1):
    """The timeline of one ``ping -D -O -n -i INTERVAL`` run from its output."""
    expect("ping_timeline", stdout, (str, list), "ping's output (a string or its lines)")
    return call("ping_timeline", fr.ping_timeline, stdout, interval)


def failover_mode_result(data):
    """One failover mode's result from its timelines and observations."""
    return call("failover_mode_result", fr.failover_mode_result, expect("failover_mode_result", data, dict, "a dict"))


def failover_report(data):
    """The site's failover report from its mode results."""
    return call("failover_report", fr.failover_report, expect("failover_report", data, dict, "a dict"))


class FilterModule:
    """The failover test's report filters."""

    def filters(self):
        return {
            "ping_timeline": ping_timeline,
            "failover_mode_result": failover_mode_result,
            "failover_report": failover_report,
        }
