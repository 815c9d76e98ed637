# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: vpn_quota_errors
author: sitevpn.aws contributors
version_added: "0.1.0"
short_description: Check a whole run's sites against AWS's Site-to-Site VPN quotas before any AWS write
description:
  - Counts what the run would make (one VPN connection and one customer gateway per site, each
    static site's routes) plus what the account already holds in the Region (read before, less the
    sites' own resources, found by their C(Name) tag or customer gateway address and ASN) and
    compares each count with AWS's quota - VPN connections per virtual private gateway (10),
    VPN connections per Region (50), customer gateways per Region (50), routes per VPN connection (100),
    VPN connections per VPN concentrator (100). Each site counts on its hub (C(sitevpn_hub)), so sites on
    a transit gateway hub do not count on the virtual private gateway.
  - Defaults are AWS's (the Site-to-Site VPN quotas page); C(sitevpn_quotas) overrides them after
    AWS raised one.
  - Returns one message per quota exceeded, naming the quota, the count and the way out.
options:
  hub:
    description: The virtual private gateway's ID, or the C(Name) the role will create it under (for the sites on it).
    type: str
    required: true
  region:
    description: The AWS Region.
    type: str
    required: true
  name_prefix:
    description: Prefix of the C(Name) tags the role sets (C(<prefix>-<site>)).
    type: str
    default: sitevpn
  quotas:
    description: 'Quota overrides (C(sitevpn_quotas)), for example C({"vpn_connections_per_vgw": 20}).'
    type: dict
    default: {}
  existing:
    description:
      - What the account holds, as the C(_info) modules return it - C(vpn_connections) (from
        M(sitevpn.aws.vpn_connection_info)) and C(customer_gateways) (from M(sitevpn.aws.customer_gateway_info)).
    type: dict
    default: {}
extends_documentation_fragment:
  - sitevpn.aws.site_hostvars
"""

EXAMPLES = r"""
- name: Check the run against AWS's quotas
  ansible.builtin.assert:
    that: quota_problems | length == 0
    fail_msg: "{{ quota_problems | join('; ') }}"
  vars:
    quota_problems: >-
      {{ hostvars | sitevpn.aws.vpn_quota_errors(ansible_play_hosts_all, hub='vgw-0123456789abcdef0', region='eu-west-1',
                                                  existing={'vpn_connections': conns.vpn_connections}) }}
  run_once: true
"""

RETURN = r"""
_value:
  description: One message per quota the run would exceed.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import group_by_hub
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import quota_plan_hubs
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_quotas import plan_quota_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_quotas import quota_values

_TRUE = ("true", "yes", "1")


def vpn_quota_errors(hostvars, hosts, hub, region, name_prefix="sitevpn", quotas=None, existing=None):
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError(f"vpn_quota_errors: hosts must be a list of host names, got {type(hosts).__name__}")
    limits, errors = quota_values(quotas)
    if errors:
        return errors
    sites = {}
    for host in hosts:
        values = hostvars[host]
        static = values.get("sitevpn_static_routes_only", False)
        sites[host] = {
            "name": f"{name_prefix}-{host}",
            "cgw_ip": values.get("sitevpn_cgw_ip"),
            "bgp_asn": values.get("sitevpn_bgp_asn", 65000),
            "static": static if isinstance(static, bool) else str(static).strip().lower() in _TRUE,
            "prefixes": values.get("sitevpn_prefixes") or [],
        }
    # each site counts on its own hub (sitevpn_hub): only a VPN gateway's and a concentrator's have a quota here
    groups = group_by_hub({host: {"hub": hostvars[host].get("sitevpn_hub")} for host in hosts}, name_prefix)
    return plan_quota_errors({"hubs": quota_plan_hubs(groups, hub), "region": region, "sites": sites}, limits, existing)


class FilterModule:
    def filters(self):
        return {"vpn_quota_errors": vpn_quota_errors}
