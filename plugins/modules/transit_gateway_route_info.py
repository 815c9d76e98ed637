#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: transit_gateway_route_info
short_description: The routes of a Site-to-Site VPN connection in a transit gateway route table
version_added: 0.1.0
description:
  - Finds the transit gateway attachment a VPN connection's routes go through (the connection's own, or
    its VPN Concentrator's) and searches a transit gateway route table for the routes through it
    (SearchTransitGatewayRoutes), that is the prefixes the site's BGP sessions propagated and the static
    routes to the site.
  - Makes three calls, DescribeVpnConnections, DescribeTransitGatewayAttachments and SearchTransitGatewayRoutes.
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  vpn_connection_id:
    description:
      - The VPN connection, on a transit gateway.
    type: str
    required: true
  transit_gateway_route_table_id:
    description:
      - The route table to search. Default, the one the attachment is associated with.
    type: str
  filters:
    description:
      - More SearchTransitGatewayRoutes filters, as a dict of filter name to value(s), for example
        C(type) (C(propagated) or C(static)). Default, the C(active) and C(blackhole) routes.
      - See U(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SearchTransitGatewayRoutes.html).
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The prefixes a transit gateway site propagated
  sitevpn.aws.transit_gateway_route_info:
    vpn_connection_id: vpn-0123456789abcdef0
    filters:
      type: propagated
  register: found

- name: As a list
  ansible.builtin.debug:
    msg: "{{ found.routes | map(attribute='destination_cidr_block') }}"
"""

RETURN = r"""
transit_gateway_attachment_id:
  description: The attachment the connection's routes go through.
  returned: always
  type: str
  sample: tgw-attach-0123456789abcdef0
transit_gateway_route_table_id:
  description: The route table searched.
  returned: always
  type: str
  sample: tgw-rtb-0123456789abcdef0
routes:
  description: The routes through the attachment, keys in snake_case.
  returned: always
  type: list
  elements: dict
  contains:
    destination_cidr_block:
      description: The destination.
      type: str
      sample: 172.16.0.0/16
    type:
      description: C(propagated) or C(static).
      type: str
    state:
      description: C(active) or C(blackhole).
      type: str
    transit_gateway_attachments:
      description: The attachments the route goes through.
      type: list
      elements: dict
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_module import failing_on_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import describe_vpn_connections
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_hubs import connection_routes


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            vpn_connection_id=dict(type="str", required=True),
            transit_gateway_route_table_id=dict(type="str"),
            filters=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    client = module.client("ec2")
    vpn_id = module.params["vpn_connection_id"]
    with failing_on_errors(module):
        found = describe_vpn_connections(client, VpnConnectionIds=[vpn_id])
        if not found:
            module.fail_json(msg=f"VPN connection {vpn_id} does not exist", vpn_connection_id=vpn_id)
        result = connection_routes(client, found[0], module.params["transit_gateway_route_table_id"], module.params["filters"])
    module.exit_json(changed=False, transit_gateway_attachment_id=result["transit_gateway_attachment_id"],
                     transit_gateway_route_table_id=result["transit_gateway_route_table_id"],
                     routes=[camel_dict_to_snake_dict(r) for r in result["routes"]])


if __name__ == "__main__":
    main()
