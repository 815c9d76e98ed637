# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: vpn_hub
author: sitevpn.aws contributors
version_added: "0.1.0"
short_description: A site's hub (sitevpn_hub) with every key and its default
description:
  - Fills in a C(sitevpn_hub) value (docs/hubs.md) as the role's AWS side reads it - C(type)
    (C(vpn_gateway) when unset), C(name) (C(<prefix>-vgw), C(<prefix>-tgw) or C(<prefix>-vpnc)),
    C(transit_gateway_name), C(key) (what names the hub among the play's hubs) and the transit
    gateway options' defaults.
  - Takes a value the inventory check (P(sitevpn.aws.vpn_inventory_errors#filter)) accepted.
options:
  _input:
    description: The C(sitevpn_hub) value; none or C({}) for the VPC's virtual private gateway.
    type: raw
    required: true
  name_prefix:
    description: Prefix of the C(Name) tags the role sets.
    type: str
    default: sitevpn
"""

EXAMPLES = r"""
- name: The transit gateway the site's hub is on
  ansible.builtin.debug:
    msg: "{{ (sitevpn_hub | default({}) | sitevpn.aws.vpn_hub('lab')).transit_gateway_name | default('none') }}"
"""

RETURN = r"""
_value:
  description: The hub with its defaults.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import hub_config
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import hub_errors


def vpn_hub(hub, name_prefix="sitevpn"):
    errors = hub_errors(hub)
    if errors:
        raise AnsibleFilterError("; ".join(errors))
    return hub_config(hub, name_prefix)


class FilterModule:
    def filters(self):
        return {"vpn_hub": vpn_hub}
