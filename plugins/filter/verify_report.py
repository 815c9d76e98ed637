# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the filters lives in verify_report.yml, verify_report_html.yml and
# verify_index_html.yml; the pages are drawn by module_utils/report_site.py and report_index.py.

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.module_utils.report_index import render_index
from ansible_collections.sitevpn.aws.plugins.module_utils.report_site import render_site_page
from ansible_collections.sitevpn.aws.plugins.plugin_utils.filter_calls import call
from ansible_collections.sitevpn.aws.plugins.plugin_utils.filter_calls import expect
from ansible_collections.sitevpn.aws.plugins.module_utils.verify_report import build_report


def verify_report(facts):
    """The site's verify report from the facts the verify role gathered."""
    return call("verify_report", build_report, expect("verify_report", facts, dict, "a dict"))


def _check(name, value, kinds, what):
    if value is not None and not isinstance(value, kinds):
        raise AnsibleFilterError(f"{name}: {what}, got {type(value).__name__}")


def verify_report_html(report, failover=None, events=None, changes=None, drift=None):
    """One site's page: the verdict, then tunnels, BGP, routes, failover, chain, events, day-2, drift."""
    expect("verify_report_html", report, dict, "a dict")
    _check("verify_report_html", failover, dict, "failover must be a failover report (dict)")
    _check("verify_report_html", events, list, "events must be the list of events.json")
    _check("verify_report_html", changes, list, "changes must be a list of day-2 change reports")
    _check("verify_report_html", drift, dict, "drift must be a drift report (dict)")
    return render_site_page(report, failover or None, events or None, changes or None, drift or None)


def verify_index_html(reports, failovers=None, drifts=None):
    """The dashboard over the reports of all sites, with their failover and drift results when given."""
    _check("verify_index_html", failovers, (dict, list), "failovers must be a list or a dict")
    _check("verify_index_html", drifts, (dict, list), "drifts must be a list or a dict")
    return render_index(list(reports), failovers, drifts)


class FilterModule:
    """The verify role's report filters."""

    def filters(self):
        return {
            "verify_report": verify_report,
            "verify_report_html": verify_report_html,
            "verify_index_html": verify_index_html,
        }
