# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: vpn_inventory_errors
author: sitevpn.aws contributors
version_added: "0.1.0"
short_description: Check every site's sitevpn_* variables together before any AWS call
description:
  - Reads the C(sitevpn_*) variables of every given host and checks them all at once - types
    (a number that is not one, C(flase), a dict where a list belongs), numbers written with a
    leading 0 (YAML reads them as octal), each site's values (as P(sitevpn.aws.vpn_site_errors#filter)),
    customer gateway addresses and tunnel inside CIDRs used by two sites, overlapping prefixes,
    shared settings (the one VPC and VPN gateway) that differ between hosts, and a BGP ASN equal
    to the Amazon side's.
  - Checks each site's hub (C(sitevpn_hub), docs/hubs.md) - its type, keys and values, that the
    sites of one hub set it alike, and that a VPN concentrator's sites use BGP with one prefix each.
  - Returns the messages, each naming the site and the C(sitevpn_*) variable, on one line each.
  - Variables starting with C(sitevpn_) that the collection never reads are reported as warnings
    (with the closest known name), or as errors with O(strict).
options:
  strict:
    description: Refuse unknown C(sitevpn_*) variables instead of warning about them.
    type: bool
    default: false
extends_documentation_fragment:
  - sitevpn.aws.site_hostvars
"""

EXAMPLES = r"""
- name: Check every site before the first AWS call
  ansible.builtin.assert:
    that: inventory_problems | length == 0
    fail_msg: "{{ inventory_problems | join('; ') }}"
  vars:
    inventory_problems: "{{ hostvars | sitevpn.aws.vpn_inventory_errors(ansible_play_hosts_all) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: One message per problem - the site, the variable, the rule.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.sitevpn.aws.plugins.module_utils.site_inputs import inventory_errors

try:
    from ansible.module_utils._internal._datatag import AnsibleTagHelper
except ImportError:  # ansible-core before data tagging: no source text, no octal check on YAML ints
    AnsibleTagHelper = None


def _source_reader():
    """_source_text over one read of each inventory file: a file holds every site, so reading it per
    value made the check quadratic in the sites (issue 18)."""
    files = {}

    def lines(path):
        if path not in files:
            try:
                with open(path, encoding="utf-8") as f:
                    files[path] = f.read().splitlines()
            except (OSError, UnicodeDecodeError):
                files[path] = None
        return files[path]

    def source_text(site, name, value):
        """The text the value was written as in the inventory file (data tagging's Origin), or None."""
        if AnsibleTagHelper is None or isinstance(value, str):
            return None
        for tag in AnsibleTagHelper.tags(value):
            path, line, col = getattr(tag, "path", None), getattr(tag, "line_num", None), getattr(tag, "col_num", None)
            if not (path and line and col):
                continue
            found = lines(path)
            if found is None or line > len(found):
                return None
            text = found[line - 1][col - 1:]
            return text.split("#", 1)[0].strip().split()[0] if text.strip() else None
        return None

    return source_text


def vpn_inventory_errors(hostvars, hosts, strict=False):
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError(f"vpn_inventory_errors: hosts must be a list of host names, got {type(hosts).__name__}")
    sites = {}
    for host in hosts:
        host_vars = hostvars[host]
        # Only our variables are read (and so templated): others may not be defined yet.
        sites[host] = {name: host_vars[name] for name in list(host_vars.keys()) if str(name).startswith("sitevpn_") and not str(name).startswith("sitevpn__")}
    errors, unknown = inventory_errors(sites, _source_reader())
    for site, name, close in unknown:
        message = f"{site}: {name}: the collection does not use this variable" + (f"; did you mean {close}?" if close else "")
        if strict:
            errors.append(message)
        else:
            Display().warning(message)
    return errors


class FilterModule:
    def filters(self):
        return {"vpn_inventory_errors": vpn_inventory_errors}
