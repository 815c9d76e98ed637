#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: customer_gateway_info
short_description: Gather information about AWS customer gateways
version_added: 0.1.0
description:
  - Lists customer gateways, by ID and/or filters, in one DescribeCustomerGateways call.
author:
  - sitevpn.aws maintainers (@sitevpn)
extends_documentation_fragment:
  - sitevpn.aws.info.customer_gateways
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The live customer gateways of one address
  sitevpn.aws.customer_gateway_info:
    filters:
      ip-address: 203.0.113.10
      state: available
  register: found
"""

RETURN = r"""
customer_gateways:
  description:
    - The customer gateways, each in the form of RV(sitevpn.aws.customer_gateway#module:customer_gateway),
      which documents every key (snake_case, tags as a dict).
  returned: always
  type: list
  elements: dict
  sample: [{"customer_gateway_id": "cgw-0123456789abcdef0", "ip_address": "203.0.113.10", "bgp_asn": "65000", "state": "available"}]
  contains:
    customer_gateway_id:
      description: The gateway's ID, for O(customer_gateway_ids) and the modules' C(customer_gateway_id).
      type: str
"""

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_module import run_info_module
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import describe_customer_gateways
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import snake_resource


def main():
    run_info_module(
        "customer_gateway_ids", "CustomerGatewayIds", describe_customer_gateways, "customer_gateways", lambda g, params: snake_resource(g)
    )


if __name__ == "__main__":
    main()
