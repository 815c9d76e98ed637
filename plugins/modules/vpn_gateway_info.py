#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpn_gateway_info
short_description: Gather information about AWS virtual private gateways
version_added: 0.1.0
description:
  - Lists virtual private gateways, by ID and/or filters, in one DescribeVpnGateways call.
author:
  - sitevpn.aws maintainers (@sitevpn)
extends_documentation_fragment:
  - sitevpn.aws.info.vpn_gateways
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The gateway attached to a VPC
  sitevpn.aws.vpn_gateway_info:
    filters:
      attachment.vpc-id: vpc-0123456789abcdef0
  register: found
"""

RETURN = r"""
vpn_gateways:
  description:
    - The gateways, each in the form of RV(sitevpn.aws.vpn_gateway#module:vpn_gateway), which documents
      every key (snake_case, tags as a dict).
  returned: always
  type: list
  elements: dict
  sample: [{"vpn_gateway_id": "vgw-0123456789abcdef0", "state": "available", "vpc_attachments": [{"vpc_id": "vpc-0123456789abcdef0", "state": "attached"}]}]
  contains:
    vpn_gateway_id:
      description: The gateway's ID, for O(vpn_gateway_ids) and the modules' C(vpn_gateway_id).
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import describe_vpn_gateways

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_module import run_info_module
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import snake_resource


def main():
    run_info_module("vpn_gateway_ids", "VpnGatewayIds", describe_vpn_gateways, "vpn_gateways", lambda g, params: snake_resource(g))


if __name__ == "__main__":
    main()
