#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpn_connection_info
short_description: Gather information about AWS Site-to-Site VPN connections
version_added: 0.1.0
description:
  - Lists VPN connections, by ID and/or filters, in one DescribeVpnConnections call, each with its
    C(tunnels) merged from the CustomerGatewayConfiguration, the tunnel options and the telemetry.
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  return_secrets:
    description:
      - Return the pre-shared keys and the C(customer_gateway_configuration) XML, which carries them.
        Off by default so that keys do not end up in logs; set C(no_log) on a task that turns it on.
    type: bool
    default: false
extends_documentation_fragment:
  - sitevpn.aws.info.vpn_connections
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The live connections of a customer gateway
  sitevpn.aws.vpn_connection_info:
    filters:
      customer-gateway-id: cgw-0123456789abcdef0
      state: [pending, available]
  register: found

- name: Their tunnel status
  ansible.builtin.debug:
    msg: "{{ found.vpn_connections | map(attribute='tunnels') | flatten | map(attribute='status') }}"
"""

RETURN = r"""
vpn_connections:
  description:
    - The connections, each in the form of RV(sitevpn.aws.vpn_connection#module:vpn_connection), which
      documents every key (snake_case, tags as a dict), with its C(tunnels) added and without
      C(transit_gateway_attachment_id) (one more call per connection).
    - Without O(return_secrets) the pre-shared keys and C(customer_gateway_configuration) are left out.
  returned: always
  type: list
  elements: dict
  contains:
    vpn_connection_id:
      description: The connection's ID, for O(vpn_connection_ids) and the modules' C(vpn_connection_id).
      type: str
      sample: vpn-0123456789abcdef0
    tunnels:
      description: The merged per-tunnel view, as RV(sitevpn.aws.vpn_connection#module:tunnels).
      type: list
      elements: dict
"""

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_module import run_info_module
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import describe_vpn_connections
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import vpn_connection_result


def _connection_result(connection, params):
    merged = vpn_connection_result(connection, params["return_secrets"])
    return dict(merged["vpn_connection"], tunnels=merged["tunnels"])


def main():
    run_info_module(
        "vpn_connection_ids",
        "VpnConnectionIds",
        describe_vpn_connections,
        "vpn_connections",
        _connection_result,
        return_secrets=dict(type="bool", default=False),
    )


if __name__ == "__main__":
    main()
