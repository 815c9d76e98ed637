# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the filters lives in verify_report.yml, verify_report_html.yml and
# verify_index_html.yml.

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.module_utils.verify_report import build_report
from ansible_collections.sitevpn.aws.plugins.module_utils.verify_report import render_html
from ansible_collections.sitevpn.aws.plugins.module_utils.verify_report import render_index


def verify_report(facts):
    """The site's verify report from the facts the verify role gathered."""
    if not isinstance(facts, dict):
        raise AnsibleFilterError(f"verify_report expects a dict, got {type(facts).__name__}")
    try:
        return build_report(facts)
    except (ValueError, TypeError, KeyError) as e:
        raise AnsibleFilterError(f"verify_report: {e}") from e


def verify_report_html(report, failover=None):
    """One site's report as a self-contained HTML page, with its failover test when given."""
    if not isinstance(report, dict):
        raise AnsibleFilterError(f"verify_report_html expects a dict, got {type(report).__name__}")
    if failover is not None and not isinstance(failover, dict):
        raise AnsibleFilterError(f"verify_report_html: failover must be a failover report (dict), got {type(failover).__name__}")
    return render_html(report, failover)


def verify_index_html(reports, failovers=None):
    """The index page over the reports of all sites, with their failover results when given."""
    if failovers is not None and not isinstance(failovers, (dict, list)):
        raise AnsibleFilterError(f"verify_index_html: failovers must be a list or a dict, got {type(failovers).__name__}")
    return render_index(list(reports), failovers)


class FilterModule:
    """The verify role's report filters."""

    def filters(self):
        return {
            "verify_report": verify_report,
            "verify_report_html": verify_report_html,
            "verify_index_html": verify_index_html,
        }
