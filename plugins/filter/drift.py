# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the filters lives in drift_report.yml, drift_line.yml, swanctl_negotiated.yml,
# swanctl_configured.yml, cisco_ios_negotiated.yml, cisco_ios_configured.yml, junos_negotiated.yml,
# junos_configured.yml and fortios_configured.yml; the comparison is module_utils/drift.py's, the device
# parsers module_utils/devices/cisco_ios_state.py's, junos_state.py's and fortios_state.py's.

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.module_utils.devices.cisco_ios_state import parse_ikev2_sa_detailed
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.cisco_ios_state import parse_running_crypto
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.fortios_state import parse_ipsec_interfaces
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.junos_state import parse_ike_sa_detail
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.junos_state import parse_security_set
from ansible_collections.sitevpn.aws.plugins.module_utils.drift import difference_text
from ansible_collections.sitevpn.aws.plugins.module_utils.drift import drift_report as build_drift_report
from ansible_collections.sitevpn.aws.plugins.module_utils.drift import parse_swanctl_conf
from ansible_collections.sitevpn.aws.plugins.module_utils.drift import parse_swanctl_negotiated
from ansible_collections.sitevpn.aws.plugins.plugin_utils.filter_calls import call
from ansible_collections.sitevpn.aws.plugins.plugin_utils.filter_calls import expect


def drift_report(facts):
    """The site's drift report from the facts the drift role gathered."""
    expect("drift_report", facts, dict, "a dict")
    return call(
        "drift_report", build_drift_report,
        facts.get("site"), facts.get("desired") or [], facts.get("connection"), facts.get("device"), facts.get("time"),
        facts.get("device_type"), facts.get("device_options"),
    )


def _text(name, text):
    return expect(name, text, (str, type(None)), "a string")


def swanctl_negotiated(text):
    """The negotiated algorithms in ``swanctl --list-sas`` output, in AWS's names."""
    return parse_swanctl_negotiated(_text("swanctl_negotiated", text))


def swanctl_configured(text, name=None, remote=None):
    """The configured algorithms of one connection (NAME, or the one whose remote_addrs is REMOTE) of
    ``swanctl.conf`` text, in AWS's names."""
    return parse_swanctl_conf(_text("swanctl_configured", text), name, remote)


# The show-command readers, one filter each: name -> (parser of (text, remote), remote required, the filter's doc)
_SHOW_READERS = {
    "cisco_ios_negotiated": (parse_ikev2_sa_detailed, False,
                             "What the IKEv2 SA with REMOTE (AWS's outside IP) negotiated, from ``show crypto ikev2 sa detailed``."),
    "cisco_ios_configured": (parse_running_crypto, True,
                             "What the tunnel to REMOTE (AWS's outside IP) is configured to offer, from IOS-XE's running configuration."),
    "junos_negotiated": (parse_ike_sa_detail, False,
                         "What the IKE SA with REMOTE (AWS's outside IP) negotiated, from ``show security ike security-associations detail``."),
    "junos_configured": (parse_security_set, True,
                         "What the tunnel to REMOTE (AWS's outside IP) is configured to offer, from "
                         "``show configuration security | display set``."),
}


def _show_reader(name):
    parser, needs_remote, doc = _SHOW_READERS[name]

    def read(text, remote=None):
        if needs_remote and not remote:
            raise AnsibleFilterError(f"{name} needs remote (the tunnel's AWS outside IP)")
        return parser(_text(name, text), remote)

    read.__doc__ = doc
    return read


def fortios_configured(phase1, phase2, remote):
    """What the tunnel to REMOTE (AWS's outside IP) is configured to offer, from FortiOS's phase1-interface
    (PHASE1) and phase2-interface (PHASE2) objects."""
    if not remote:
        raise AnsibleFilterError("fortios_configured needs remote (the tunnel's AWS outside IP)")
    for what, value in (("phase1", phase1), ("phase2", phase2)):
        if value is not None and not (isinstance(value, list) and all(isinstance(o, dict) for o in value)):
            raise AnsibleFilterError(f"fortios_configured expects {what} as a list of objects, got {type(value).__name__}")
    return parse_ipsec_interfaces(phase1, phase2, remote)


def drift_line(difference):
    """One difference of a drift report in words."""
    expect("drift_line", difference, dict, "a difference (dict)")
    try:
        return difference_text(difference)
    except KeyError as e:
        raise AnsibleFilterError(f"drift_line: the difference has no {e}") from e


class FilterModule:
    """The drift role's filters."""

    def filters(self):
        filters = {"drift_report": drift_report, "drift_line": drift_line, "swanctl_negotiated": swanctl_negotiated,
                   "swanctl_configured": swanctl_configured, "fortios_configured": fortios_configured}
        filters.update({name: _show_reader(name) for name in _SHOW_READERS})
        return filters
