#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpn_concentrator
short_description: Manage an AWS Site-to-Site VPN Concentrator on a transit gateway
version_added: 0.1.0
description:
  - Creates, tags and deletes a Site-to-Site VPN Concentrator - one transit gateway attachment
    shared by many low-bandwidth sites, each still its own customer gateway and BGP VPN connection
    (M(sitevpn.aws.vpn_connection)) with its own CIDR.
  - An existing concentrator is found by O(vpn_concentrator_id); else by its Name tag (O(name)) or
    all of O(tags), on any transit gateway. Two matches fail rather than guess.
  - The concentrator is tagged at creation, so a run interrupted right after the create finds it next time.
  - A concentrator cannot move to another transit gateway; a different O(transit_gateway_id) fails.
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  vpn_concentrator_id:
    description:
      - The ID of an existing concentrator to manage.
    type: str
  name:
    description:
      - Value of the C(Name) tag; identifies the concentrator and is merged into O(tags).
    type: str
  transit_gateway_id:
    description:
      - The transit gateway the concentrator attaches to. Needed to create one.
    type: str
  type:
    description:
      - The concentrator type.
    type: str
    choices: [ipsec.1]
    default: ipsec.1
  state:
    description:
      - Whether the concentrator should exist. AWS refuses to delete one that still has VPN connections.
  wait:
    description:
      - Wait until a new concentrator is C(available), or a deleted one C(deleted).
  wait_timeout:
    default: 600
extends_documentation_fragment:
  - sitevpn.aws.ensure
  - sitevpn.aws.ensure.resource
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - amazon.aws.tags
"""

EXAMPLES = r"""
- name: Ensure the VPN concentrator of the hub's transit gateway
  sitevpn.aws.vpn_concentrator:
    name: sitevpn-concentrator
    transit_gateway_id: tgw-0123456789abcdef0
    tags:
      Project: sitevpn
  register: concentrator

- name: Delete it once its VPN connections are gone
  sitevpn.aws.vpn_concentrator:
    name: sitevpn-concentrator
    state: absent
"""

RETURN = r"""
vpn_concentrator_id:
  description: The ID of the concentrator (null in check mode before creation, or when absent and none was found).
  returned: always
  type: str
  sample: vpn-concentrator-0123456789abcdef0
vpn_concentrator:
  description: The concentrator, keys in snake_case, tags as a dict.
  returned: when O(state=present)
  type: dict
  contains:
    vpn_concentrator_id:
      description: The ID.
      type: str
      sample: vpn-concentrator-0123456789abcdef0
    state:
      description: The state.
      type: str
      sample: available
    transit_gateway_id:
      description: The transit gateway.
      type: str
      sample: tgw-0123456789abcdef0
    transit_gateway_attachment_id:
      description: The transit gateway attachment the sites share.
      type: str
      sample: tgw-attach-0123456789abcdef0
    type:
      description: The type.
      type: str
      sample: ipsec.1
    tags:
      description: The tags.
      type: dict
      sample: {"Name": "sitevpn-concentrator"}
"""

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_module import resource_argument_spec
from ansible_collections.sitevpn.aws.plugins.module_utils.aws_module import run_resource_module
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_concentrators import ensure_vpn_concentrator
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_concentrators import find_vpn_concentrator
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_concentrators import remove_vpn_concentrator
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import resource_result


def run(module):
    """Find, create, tag or delete the concentrator; raises what main() turns into a failure."""
    p = module.params
    client = module.client("ec2")
    existing = find_vpn_concentrator(client, vpn_concentrator_id=p["vpn_concentrator_id"], name=p["name"], tags=p["tags"])
    if p["state"] == "absent":
        changed, diff = remove_vpn_concentrator(client, module, existing)
        module.exit_json(changed=changed, vpn_concentrator_id=existing["VpnConcentratorId"] if existing else None, diff=diff)
    if not existing and p["vpn_concentrator_id"]:
        module.fail_json(msg=f"vpn_concentrator_id: {p['vpn_concentrator_id']} does not exist", field="vpn_concentrator_id")
    changed, concentrator, diff = ensure_vpn_concentrator(client, module, existing)
    module.exit_json(**resource_result({}, changed, diff, "vpn_concentrator", concentrator))


def main():
    argument_spec = resource_argument_spec(
        600,
        vpn_concentrator_id=dict(type="str"),
        name=dict(type="str"),
        transit_gateway_id=dict(type="str"),
        type=dict(type="str", default="ipsec.1", choices=["ipsec.1"]),
    )
    run_resource_module(run, argument_spec, required_one_of=[("vpn_concentrator_id", "name", "tags")])


if __name__ == "__main__":
    main()
