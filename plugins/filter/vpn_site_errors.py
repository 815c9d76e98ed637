# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: vpn_site_errors
author: sitevpn.aws contributors
version_added: "0.1.0"
short_description: Check one site's VPN inputs before any AWS call
description:
  - Checks the inventory variables of one site together (customer gateway IP, BGP ASN, prefixes,
    tunnel options, the VPC CIDR and Amazon-side ASN when given) with the same rules the modules
    use, and the site's prefixes against the other sites' prefixes.
  - Returns a list of messages, each naming the variable at fault; an empty list when the site is good.
  - Messages never contain a pre-shared key.
options:
  _input:
    description: The site's variables (for example C(hostvars[inventory_hostname])).
    type: dict
    required: true
  other_sites:
    description: The other sites' names mapped to their C(sitevpn_prefixes).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Refuse bad input before anything is created
  ansible.builtin.assert:
    that: site_errors | length == 0
    fail_msg: "{{ site_errors | join('; ') }}"
  vars:
    site_errors: "{{ hostvars[inventory_hostname] | sitevpn.aws.vpn_site_errors }}"
"""

RETURN = r"""
_value:
  description: "One message per problem: the variable, then the rule it breaks."
  type: list
  elements: str
"""

from ansible_collections.sitevpn.aws.plugins.module_utils.site_inputs import site_errors
from ansible_collections.sitevpn.aws.plugins.plugin_utils.filter_calls import expect


def vpn_site_errors(site, other_sites=None):
    expect("vpn_site_errors", site, dict, "a dict of site variables")
    return site_errors(dict(site), dict(other_sites or {}))


class FilterModule:
    def filters(self):
        return {"vpn_site_errors": vpn_site_errors}
