#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpn_sites
short_description: The AWS side of many sites of one VPN gateway in one step on the control node
version_added: 0.1.0
description:
  - Does what M(sitevpn.aws.customer_gateway), M(sitevpn.aws.vpn_gateway) and M(sitevpn.aws.vpn_connection)
    do for every site of a play at once, in the controller, with one boto3 client - the lab VPC (found by
    its route table's C(Name) tag C(<prefix>-rt), else created), the VPN gateway C(<prefix>-vgw) attached
    and propagating, and per site the customer gateway and the VPN connection C(<prefix>-<site>).
  - Sites are grouped by hub (C(hub) of each site) - the VPC's VPN gateway C(<prefix>-vgw), a transit
    gateway (found by ID or C(Name), else created, attached to the VPC, the site prefixes or the hub's
    summaries routed to it from the VPC's route tables) or a VPN concentrator on a transit gateway.
    Per hub, after every connection - each site's transit gateway attachment (a concentrator's once)
    associated with and propagating into the hub's route table, a static site's prefixes as static
    routes there. A concentrator's sites are BGP only, each with its one prefix as its CIDR; a static
    site on one is refused before any AWS call.
  - Each resource kind is described once (VPN connections, customer gateways, the VPN gateway by name,
    the route tables by name), whatever the number of sites; the modules' own planners then find,
    create and change each site's resources from those reads, with the same idempotence, validation,
    duplicate handling and AWS quota check (O(quotas)) before any write.
  - One site's failure is kept in its result (RV(sites)); the other sites go on. Give each site's part to
    this action again with O(result), on the site's own host, to report it there (changed, failed, diff).
  - An action plugin, it runs on the control node whatever the task's host; use it with C(run_once).
    Role C(sitevpn.aws.aws_vpn) uses it; the three modules stay for one resource at a time.
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  sites:
    description:
      - Site name -> inputs, with keys C(name) (the C(Name) tag), C(cgw_ip), C(bgp_asn), C(static_routes_only),
        C(prefixes), C(tunnel_options) (as M(sitevpn.aws.vpn_connection) takes them), C(pre_shared_key_storage), C(tags),
        C(hub) (the site's C(sitevpn_hub), docs/hubs.md; unset or C({}) for the VPN gateway).
      - Or the hosts of the sites (a list, as C(ansible_play_batch)), with O(site_vars).
      - Mutually exclusive with O(result).
    type: raw
  site_vars:
    description:
      - With a list of hosts in O(sites), the name of the variable that holds each host's inputs (as a
        dict of O(sites) has them). The action templates it for each host in the controller, in that
        host's variables over the task's (so a role's defaults and vars, which C(hostvars) does not
        hold, apply), so no task per host is needed to gather them.
    type: str
  result:
    description:
      - One part of one site's entry in RV(sites) (C(customer_gateway) or C(vpn_connection)), returned as this task's result.
    type: dict
  region:
    description: The AWS Region.
    type: str
  endpoint_url:
    description: The EC2 endpoint (the lab API).
    type: str
  access_key:
    description: AWS access key; without it boto3's usual sources.
    type: str
  secret_key:
    description: AWS secret key.
    type: str
  session_token:
    description: AWS session token.
    type: str
  profile:
    description: A named profile of the AWS configuration.
    type: str
  name_prefix:
    description: Prefix of the C(Name) tags.
    type: str
    default: sitevpn
  tags:
    description: Tags of every resource (the collection's own).
    type: dict
  vpc_id:
    description: An existing VPC; without it the lab VPC is found or created.
    type: str
  vpc_cidr:
    description:
      - The CIDR of the VPC it creates when there is no O(vpc_id); required then (there is no default).
    type: str
  route_table_ids:
    description: Route tables the VPN gateway propagates into, with O(vpc_id).
    type: list
    elements: str
  amazon_side_asn:
    description: The VPN gateway's ASN.
    type: int
    default: 64512
  quotas:
    description: Overrides of AWS's Site-to-Site VPN quotas (as C(sitevpn_quotas)).
    type: dict
  on_error:
    description:
      - What an error shared by every site does (the quota check, the VPC, the VPN gateway, AWS refusing the reads).
      - V(fail) fails the task; V(report) returns it in RV(error) and no site, for a caller that hides this
        task's result (it holds the pre-shared keys) and fails on RV(error) in a task of its own.
      - A single site's error never fails the task; it is in that site's entry of RV(sites).
    type: str
    choices: [fail, report]
    default: fail
  wait:
    description: Wait for new connections to be available.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for each state change.
    type: int
    default: 900
notes:
  - Supports check mode (no write call is made) and diff mode (per site with O(result)).
  - "API calls of an idempotent run: 4 reads with the lab VPC (3 with O(vpc_id)) plus 1 for the route
    propagation, for any number of sites (plus one GetSecretValue per site whose keys are in Secrets Manager);
    a transit gateway hub adds 5 or 6 (transit gateway, VPC attachment, VPC route tables, attachments,
    route table propagations, static routes when a site is static), a concentrator one more."
"""

EXAMPLES = r"""
- name: Provision every site of the play in one step
  sitevpn.aws.vpn_sites:
    region: eu-west-1
    tags: {Project: sitevpn}
    # each host's inputs in its variable site_input (a role var or an inventory var), read by the action
    sites: "{{ ansible_play_batch }}"
    site_vars: site_input
  register: batch
  run_once: true
  no_log: true

- name: Report each site on its own host
  sitevpn.aws.vpn_sites:
    result: "{{ batch.sites[inventory_hostname].vpn_connection }}"
  register: vpn
  no_log: true
"""

RETURN = r"""
error:
  description: Why no site was provisioned, with O(on_error=report).
  returned: on such an error with O(on_error=report)
  type: str
vpc_id:
  description: The VPC of the VPN gateway (empty in check mode before creation).
  returned: with O(sites)
  type: str
route_table_ids:
  description: The route tables that receive the VPN routes.
  returned: with O(sites)
  type: list
  elements: str
vpc_created:
  description: Whether the lab VPC was created by this run.
  returned: with O(sites)
  type: bool
vpc_candidates:
  description: IDs of the VPCs whose route tables carry the collection's name (more than one when runs overlapped).
  returned: with O(sites)
  type: list
  elements: str
vpn_gateway_id:
  description: The VPN gateway (null in check mode before creation).
  returned: with O(sites)
  type: str
vpn_gateway:
  description: The VPN gateway as M(sitevpn.aws.vpn_gateway) returns it (empty without a vpn_gateway hub).
  returned: with O(sites)
  type: dict
hubs:
  description:
    - Per hub (C(<type>:<name or ID>)) - C(hub_type), C(changed) and the IDs - C(vpn_gateway_id), or
      C(transit_gateway_id), C(transit_gateway_route_table_id), C(amazon_side_asn) and C(vpn_concentrator_id).
  returned: with O(sites)
  type: dict
sites:
  description:
    - Per site, C(customer_gateway) and C(vpn_connection), each what M(sitevpn.aws.customer_gateway) and
      M(sitevpn.aws.vpn_connection) return (the connection with its keys, as with its return_secrets option), or C(failed)
      and C(msg), or C(skipped); C(routing) (its attachment in the hub's route table) on a transit gateway;
      C(hub), what the later stages keep of the hub (C(amazon_side_asn), and on a transit gateway C(hub_type),
      C(transit_gateway_id), C(transit_gateway_route_table_id)); C(input), the site's inputs as the action
      read them (O(sites) or O(site_vars)).
  returned: with O(sites)
  type: dict
kept:
  description:
    - Per site with a connection whose report did not fail, what later stages keep of it - C(site); C(connection),
      the connection of RV(sites) (with its keys) with its C(tunnels), C(site), C(vpc_id), C(route_table_ids),
      C(site_prefixes), C(vpc_prefixes) and the hub's keys (as role C(sitevpn.aws.aws_vpn) sets C(aws_vpn_connection));
      C(site_model), P(sitevpn.aws.site_model#filter) of it for the site's input C(model), when the inputs have one and
      the connection its configuration (check mode's new connections have neither).
    - A site whose model cannot be built fails in its report instead.
  returned: with O(sites)
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites_spec import ARGUMENT_SPEC
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites_spec import CONSTRAINTS


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **CONSTRAINTS)
    module.fail_json(msg="sitevpn.aws.vpn_sites is an action plugin: it runs on the control node, not as a module")


if __name__ == "__main__":
    main()
