#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpn_gateway
short_description: Manage an AWS virtual private gateway, its VPC attachment and route propagation
version_added: 0.1.0
description:
  - Creates, attaches, detaches and deletes an AWS virtual private gateway (VGW), and enables or
    disables the propagation of its routes into route tables of the VPC it is attached to.
  - An existing gateway is found by O(vpn_gateway_id); else by its Name tag (O(name)) or all of O(tags),
    and O(amazon_side_asn) when given; else by its attachment to O(vpc_id).
  - The gateway is tagged at creation, so a run interrupted right after the create finds it next time.
  - An idempotent run makes one DescribeVpnGateways call, plus one DescribeRouteTables call when
    O(route_table_ids) is given.
  - Of several live gateways named O(name) that are the collection's own (B(Duplicates.) in the
    notes), the module keeps the one live VPN connections use, else the one attached to O(vpc_id),
    else the lowest ID, and deletes the others that no live VPN connection uses (detached first).
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  vpn_gateway_id:
    description:
      - The ID of an existing gateway to manage.
    type: str
  name:
    description:
      - Value of the C(Name) tag; identifies the gateway and is merged into O(tags).
    type: str
  amazon_side_asn:
    description:
      - The private ASN of the Amazon side, 64512-65534 or 4200000000-4294967294. AWS picks 64512 when unset.
      - Fixed at creation; a different value for an existing gateway fails.
    type: int
  type:
    description:
      - The VPN type.
    type: str
    choices: [ipsec.1]
    default: ipsec.1
  vpc_id:
    description:
      - The VPC to attach the gateway to; a gateway attached elsewhere is detached first.
      - Checked before any change. A VPC that does not exist, or that has another VPN gateway attached
        (a VPC has at most one), fails before the gateway is created or detached from its current VPC.
      - An empty string detaches the gateway. Omitted, the attachment is left as it is.
    type: str
  route_table_ids:
    description:
      - Route tables of the attached VPC that receive the gateway's routes (route propagation).
      - Needs O(vpc_id) unless the gateway is already attached; the tables must be in that VPC (both
        checked before any change).
      - Omitted, propagation is left as it is.
    type: list
    elements: str
  purge_route_tables:
    description:
      - Disable propagation into route tables of the VPC that are not in O(route_table_ids).
    type: bool
    default: true
  state:
    description:
      - Whether the gateway should exist. V(absent) detaches it first.
      - A gateway with live VPN connections is not detached nor deleted; the module fails naming them.
  wait:
    description:
      - Wait for attachments and detachments to finish.
  wait_timeout:
    default: 320
extends_documentation_fragment:
  - sitevpn.aws.ensure
  - sitevpn.aws.ensure.resource
  - sitevpn.aws.ensure.duplicates
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - amazon.aws.tags
"""

EXAMPLES = r"""
- name: Ensure the VPN gateway of the VPC, with propagation into its private route table
  sitevpn.aws.vpn_gateway:
    name: sitevpn-vgw
    amazon_side_asn: 64512
    vpc_id: vpc-0123456789abcdef0
    route_table_ids:
      - rtb-0123456789abcdef0
    tags:
      Project: sitevpn
  register: vgw

- name: Detach it
  sitevpn.aws.vpn_gateway:
    name: sitevpn-vgw
    vpc_id: ""

- name: Delete it (detaches first)
  sitevpn.aws.vpn_gateway:
    name: sitevpn-vgw
    state: absent
"""

RETURN = r"""
duplicates_removed:
  description:
    - IDs of the collection's own duplicates deleted by this run (see the description); in check mode, those a run would delete.
  returned: when several gateways of the collection matched
  type: list
  elements: str
duplicates_kept:
  description: IDs of the collection's own duplicates left because something uses them (named in a warning too).
  returned: when several gateways of the collection matched
  type: list
  elements: str
vpn_gateway_id:
  description: The ID of the gateway (null in check mode before creation, or when absent).
  returned: always
  type: str
  sample: vgw-0123456789abcdef0
vpn_gateway:
  description: The gateway, keys in snake_case, tags as a dict.
  returned: when O(state=present)
  type: dict
  contains:
    vpn_gateway_id:
      description: The ID.
      type: str
      sample: vgw-0123456789abcdef0
    amazon_side_asn:
      description: The Amazon-side ASN.
      type: int
      sample: 64512
    state:
      description: The state.
      type: str
      sample: available
    type:
      description: The VPN type.
      type: str
      sample: ipsec.1
    vpc_attachments:
      description: The VPC attachments.
      type: list
      elements: dict
      sample: [{"vpc_id": "vpc-0123456789abcdef0", "state": "attached"}]
    tags:
      description: The tags.
      type: dict
      sample: {"Name": "sitevpn-vgw"}
vpc_id:
  description: The VPC the gateway is attached to, null when detached.
  returned: when O(state=present)
  type: str
  sample: vpc-0123456789abcdef0
route_table_ids:
  description: The route tables the gateway propagates into (only when O(route_table_ids) is given).
  returned: when O(route_table_ids) is given
  type: list
  elements: str
  sample: [rtb-0123456789abcdef0]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_module import resource_argument_spec
from ansible_collections.sitevpn.aws.plugins.module_utils.aws_module import run_resource_module
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import connections_using
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import converged_result
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import find_converged
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_gateways import converge_vpn_gateways
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_gateways import find_vpn_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_gateways import present_vpn_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_gateways import remove_vpn_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_amazon_side_asn


def validate(module: AnsibleAWSModule) -> None:
    """Check the input before any API call; fail naming the field."""
    p = module.params
    try:
        if p["amazon_side_asn"] is not None:
            p["amazon_side_asn"] = validate_amazon_side_asn(p["amazon_side_asn"])
    except ValidationError as e:
        module.fail_json(msg=str(e), field=e.field)
    if p["route_table_ids"] and p["vpc_id"] == "":
        module.fail_json(
            msg="route_table_ids: route propagation needs the gateway attached, but vpc_id is '' (detach)",
            field="route_table_ids",
        )


def run(module):
    """Find, create, attach, propagate or delete the gateway; raises what main() turns into a failure."""
    p = module.params
    client = module.client("ec2")

    existing, report = find_converged(
        find_vpn_gateway,
        lambda matches: converge_vpn_gateways(client, module, matches),
        client,
        vpn_gateway_id=p["vpn_gateway_id"],
        name=p["name"],
        tags=p["tags"],
        amazon_side_asn=p["amazon_side_asn"],
        vpc_id=p["vpc_id"],
    )
    if p["state"] == "absent":
        users = connections_using(client, {"vpn-gateway-id": existing["VpnGatewayId"]}) if existing else []
        message = f"{existing['VpnGatewayId']} has live VPN connection(s) {', '.join(users)}; delete them first" if users else ""
        if users and not module.check_mode:
            module.fail_json(msg=message, vpn_connection_ids=users)
        if users:
            # check mode cannot know whether an earlier task of the run deletes them (teardown does)
            module.warn(message + " (check mode: a real run fails here unless they are deleted before)")
        changed, diff = remove_vpn_gateway(client, module, existing)
        gw_id = existing["VpnGatewayId"] if existing else None
        module.exit_json(**converged_result(report, changed, diff, vpn_gateway_id=gw_id))

    if not existing and p["vpn_gateway_id"]:
        module.fail_json(msg=f"vpn_gateway_id: {p['vpn_gateway_id']} does not exist")
    result = present_vpn_gateway(client, module, existing, report)
    if p["route_table_ids"] is not None:
        result["route_table_ids"] = result["diff"]["after"].get("route_table_ids", [])
    module.exit_json(**result)


def main():
    argument_spec = resource_argument_spec(
        320,
        vpn_gateway_id=dict(type="str"),
        name=dict(type="str"),
        amazon_side_asn=dict(type="int"),
        type=dict(type="str", default="ipsec.1", choices=["ipsec.1"]),
        vpc_id=dict(type="str"),
        route_table_ids=dict(type="list", elements="str"),
        purge_route_tables=dict(type="bool", default=True),
    )
    run_resource_module(run, argument_spec, validate, required_one_of=[("vpn_gateway_id", "name", "tags", "vpc_id")])


if __name__ == "__main__":
    main()
