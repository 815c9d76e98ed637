#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: transit_gateway_vpn_attachment
short_description: Route a Site-to-Site VPN's transit gateway attachment - route table association and propagation
version_added: 0.1.0
description:
  - Sets the transit gateway route table a VPN connection's attachment (or a VPN concentrator's,
    which its sites share) is associated with, and the route tables it propagates its routes to.
  - AWS makes the attachment with the VPN connection; this module neither creates nor deletes it.
    community.aws's C(ec2_transit_gateway_vpc_attachment) covers VPC attachments only.
  - The attachment is found by O(transit_gateway_attachment_id), else by O(vpn_connection_id).
  - An attachment has at most one association; a different O(association_route_table_id) moves it
    (disassociate, wait, associate).
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  transit_gateway_attachment_id:
    description:
      - The attachment, of resource type C(vpn) or C(vpn-concentrator).
    type: str
  vpn_connection_id:
    description:
      - The VPN connection whose attachment to manage (a connection on a transit gateway, not on a concentrator).
    type: str
  association_route_table_id:
    description:
      - The transit gateway route table to associate the attachment with. An empty string
        disassociates it. Omitted, the association is left as it is.
    type: str
  propagation_route_table_ids:
    description:
      - The transit gateway route tables the attachment propagates its routes to. Omitted, left as they are.
    type: list
    elements: str
  purge_propagations:
    description:
      - Disable propagation to tables not in O(propagation_route_table_ids).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for an old association to go before the new one is made.
    type: int
    default: 300
extends_documentation_fragment:
  - sitevpn.aws.ensure
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Associate a site's VPN attachment with the sites table and propagate into the VPC table
  sitevpn.aws.transit_gateway_vpn_attachment:
    vpn_connection_id: vpn-0123456789abcdef0
    association_route_table_id: tgw-rtb-0123456789abcdef0
    propagation_route_table_ids:
      - tgw-rtb-0fedcba9876543210
"""

RETURN = r"""
transit_gateway_attachment_id:
  description: The attachment.
  returned: always
  type: str
  sample: tgw-attach-0123456789abcdef0
transit_gateway_id:
  description: Its transit gateway.
  returned: always
  type: str
  sample: tgw-0123456789abcdef0
resource_id:
  description: The VPN connection or VPN concentrator it attaches.
  returned: always
  type: str
  sample: vpn-0123456789abcdef0
resource_type:
  description: C(vpn) or C(vpn-concentrator).
  returned: always
  type: str
  sample: vpn
association_route_table_id:
  description: The associated route table, null when none.
  returned: always
  type: str
  sample: tgw-rtb-0123456789abcdef0
propagation_route_table_ids:
  description: The route tables it propagates to.
  returned: always
  type: list
  elements: str
  sample: [tgw-rtb-0fedcba9876543210]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_module import failing_on_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_attachments import ensure_attachment_routing
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_attachments import find_vpn_attachment
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_attachments import result_of


def main():
    argument_spec = dict(
        transit_gateway_attachment_id=dict(type="str"),
        vpn_connection_id=dict(type="str"),
        association_route_table_id=dict(type="str"),
        propagation_route_table_ids=dict(type="list", elements="str"),
        purge_propagations=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[("transit_gateway_attachment_id", "vpn_connection_id")],
        mutually_exclusive=[("transit_gateway_attachment_id", "vpn_connection_id")],
    )
    client = module.client("ec2")
    with failing_on_errors(module):
        attachment = find_vpn_attachment(
            client, attachment_id=module.params["transit_gateway_attachment_id"], vpn_connection_id=module.params["vpn_connection_id"]
        )
        changed, diff = ensure_attachment_routing(client, module, attachment)
    module.exit_json(changed=changed, diff=diff, **result_of(diff, attachment))


if __name__ == "__main__":
    main()
