#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpn_connection
short_description: Manage an AWS Site-to-Site VPN connection with every tunnel option
version_added: 0.1.0
description:
  - Creates, modifies and deletes an AWS Site-to-Site VPN connection between a customer gateway and a
    virtual private gateway or a transit gateway, with every tunnel option of the EC2 API.
  - An existing connection is found by O(vpn_connection_id), else by O(customer_gateway_id) and
    O(vpn_gateway_id) or O(transit_gateway_id) (the Name tag O(name) breaks ties); a second run never
    creates a duplicate. The connection is tagged at creation, so a run interrupted right after the
    create finds it next time.
  - Tunnel options of an existing connection are changed in place with ModifyVpnTunnelOptions, one
    tunnel at a time, waiting for the connection to be C(available) in between, so that the other
    tunnel keeps carrying traffic. A difference AWS cannot apply in place (O(static_routes_only),
    O(tunnel_inside_ip_version), O(outside_ip_address_type), O(enable_acceleration)) fails with a
    message saying so; the module never deletes and recreates a connection, which would give it new
    outside IPs and pre-shared keys.
  - Found by O(vpn_connection_id), a connection given another O(customer_gateway_id), O(vpn_gateway_id)
    or O(transit_gateway_id) is moved to it in place with ModifyVpnConnection.
  - Options are compared with AWS's documented defaults filled in, so an option given with its
    default value is not a change.
  - An idempotent run makes a single DescribeVpnConnections call (plus DescribeTransitGatewayAttachments
    for a connection on a transit gateway, and GetSecretValue for keys in Secrets Manager with
    O(return_secrets)).
  - Of several live connections between these gateways that are the collection's own (B(Duplicates.)
    in the notes), the module keeps one with a tunnel C(UP) (most tunnels UP first), else an
    C(available) one, else the lowest ID, and deletes the others that have no tunnel UP.
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  vpn_connection_id:
    description:
      - The ID of an existing connection to manage.
    type: str
  name:
    description:
      - Value of the C(Name) tag. Merged into O(tags).
    type: str
  customer_gateway_id:
    description:
      - The customer gateway. Required to create a connection.
    type: str
  vpn_gateway_id:
    description:
      - The virtual private gateway. Mutually exclusive with O(transit_gateway_id).
    type: str
  transit_gateway_id:
    description:
      - The transit gateway. Mutually exclusive with O(vpn_gateway_id).
    type: str
  connection_type:
    description:
      - The VPN type.
    type: str
    choices: [ipsec.1]
    default: ipsec.1
  static_routes_only:
    description:
      - Static routing (no BGP). AWS's default is V(false). Fixed at creation.
    type: bool
  routes:
    description:
      - Static routes (CIDRs of the on-premises network) of a VGW connection with O(static_routes_only=true).
      - Omitted, the routes are left as they are.
    type: list
    elements: str
  purge_routes:
    description:
      - Delete static routes not in O(routes).
    type: bool
    default: true
  local_ipv4_network_cidr:
    description:
      - The IPv4 CIDR on the customer gateway side allowed through the tunnels (traffic selector). AWS's default is C(0.0.0.0/0).
    type: str
  remote_ipv4_network_cidr:
    description:
      - The IPv4 CIDR on the AWS side allowed through the tunnels. AWS's default is C(0.0.0.0/0).
    type: str
  local_ipv6_network_cidr:
    description:
      - The IPv6 CIDR on the customer gateway side (IPv6 connections). AWS's default is C(::/0).
    type: str
  remote_ipv6_network_cidr:
    description:
      - The IPv6 CIDR on the AWS side (IPv6 connections). AWS's default is C(::/0).
    type: str
  tunnel_inside_ip_version:
    description:
      - IP version of the traffic inside the tunnels. Fixed at creation.
    type: str
    choices: [ipv4, ipv6]
  outside_ip_address_type:
    description:
      - Type of the tunnels' outside addresses. Fixed at creation.
    type: str
    choices: [PublicIpv4, PrivateIpv4, Ipv6]
  transport_transit_gateway_attachment_id:
    description:
      - The Direct Connect transit gateway attachment for O(outside_ip_address_type=PrivateIpv4). Fixed at creation.
    type: str
  enable_acceleration:
    description:
      - Use AWS Global Accelerator (transit gateway connections only). Fixed at creation.
    type: bool
  tunnel_bandwidth:
    description:
      - The tunnels' bandwidth class.
    type: str
    choices: [standard, large]
  pre_shared_key_storage:
    description:
      - Where AWS keeps the pre-shared keys. With V(SecretsManager) the connection carries
        C(pre_shared_key_arn) instead of the keys, and downstream roles read them from Secrets Manager.
      - Changing it on an existing connection moves the keys with ModifyVpnTunnelOptions, tunnel by tunnel.
    type: str
    choices: [Standard, SecretsManager]
  replace_connection:
    description:
      - When an option AWS cannot change in place differs from the existing connection (O(static_routes_only),
        O(tunnel_inside_ip_version), O(outside_ip_address_type), O(enable_acceleration), a tunnel's inside CIDR
        ...), replace the connection - create a new one with every option wanted, then delete the old one - and
        return RV(replaced_vpn_connection_id). Off by default, such a difference fails and nothing is written.
      - The new connection has new outside IPs and pre-shared keys; both tunnels are down until the devices are
        configured for it (C(playbooks/configure_devices.yml)). The module warns when it replaces.
    type: bool
    default: false
  return_secrets:
    description:
      - Return the pre-shared keys (in RV(tunnels) and RV(vpn_connection)) and the
        C(customer_gateway_configuration) XML, which carries them.
      - Off by default so that keys do not end up in logs, registered variables or facts caches;
        turn it on where a device role needs the keys (and set C(no_log) on that task). With it, keys
        given in O(tunnel_options) come back as they are, not masked.
      - Keys kept in Secrets Manager (O(pre_shared_key_storage=SecretsManager)) are read back from the
        connection's secret (GetSecretValue, one call) and returned where Standard storage has them;
        without O(return_secrets) the secret is not read.
    type: bool
    default: false
  state:
    description:
      - Whether the connection should exist.
  wait:
    description:
      - Wait for a new connection to be C(available) (and a deleted one to be C(deleted)).
        Tunnel modifications always wait between tunnels.
  wait_timeout:
    description:
      - Seconds to wait for each state change.
    default: 900
notes:
  - Diff mode never shows pre-shared keys.
  - All input is validated before any API call; errors name the field and the rule.
extends_documentation_fragment:
  - sitevpn.aws.ensure
  - sitevpn.aws.ensure.resource
  - sitevpn.aws.ensure.duplicates
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - amazon.aws.tags
  - sitevpn.aws.tunnel_options
"""

EXAMPLES = r"""
- name: A BGP VPN connection with IKEv2-only, AES-GCM tunnels
  sitevpn.aws.vpn_connection:
    name: site-a
    customer_gateway_id: "{{ cgw.customer_gateway_id }}"
    vpn_gateway_id: "{{ vgw.vpn_gateway_id }}"
    # both tunnels the same (a YAML alias); AWS picks their inside CIDRs
    tunnel_options:
      - &ikev2_gcm
        ike_versions: [ikev2]
        phase1_encryption_algorithms: [AES256-GCM-16]
        phase2_encryption_algorithms: [AES256-GCM-16]
        phase1_dh_group_numbers: [20]
        phase2_dh_group_numbers: [20]
      - *ikev2_gcm
  register: vpn

- name: A static connection with its routes
  sitevpn.aws.vpn_connection:
    name: site-b
    customer_gateway_id: cgw-0123456789abcdef0
    vpn_gateway_id: vgw-0123456789abcdef0
    static_routes_only: true
    routes: [172.17.0.0/16]

- name: Hybrid post-quantum key exchange (ML-KEM-768) on one tunnel, applied in place
  sitevpn.aws.vpn_connection:
    name: site-a
    customer_gateway_id: "{{ cgw.customer_gateway_id }}"
    vpn_gateway_id: "{{ vgw.vpn_gateway_id }}"
    tunnel_options:
      - outside_ip_address: "{{ vpn.tunnels[0].outside_ip }}"
        ike_versions: [ikev2]
        phase1_additional_key_exchanges:
          - {round: 1, requirement: required, methods: [36]}

- name: Read the keys for a device role
  sitevpn.aws.vpn_connection:
    name: site-a
    customer_gateway_id: "{{ cgw.customer_gateway_id }}"
    vpn_gateway_id: "{{ vgw.vpn_gateway_id }}"
    return_secrets: true
  no_log: true
  register: vpn_with_keys

- name: Delete it
  sitevpn.aws.vpn_connection:
    customer_gateway_id: "{{ cgw.customer_gateway_id }}"
    vpn_gateway_id: "{{ vgw.vpn_gateway_id }}"
    state: absent
"""

RETURN = r"""
replaced_vpn_connection_id:
  description: The connection deleted after its replacement was created (O(replace_connection)).
  returned: when the connection was replaced
  type: str
  sample: vpn-0123456789abcdef0
duplicates_removed:
  description:
    - IDs of the collection's own duplicates deleted by this run (see the description); in check mode, those a run would delete.
  returned: when several connections of the collection matched
  type: list
  elements: str
duplicates_kept:
  description: IDs of the collection's own duplicates left because something uses them (named in a warning too).
  returned: when several connections of the collection matched
  type: list
  elements: str
vpn_connection_id:
  description: The ID of the connection (null in check mode before creation, or when absent).
  returned: always
  type: str
  sample: vpn-0123456789abcdef0
vpn_connection:
  description:
    - The connection as DescribeVpnConnections returns it, keys in snake_case, tags as a dict.
    - Without O(return_secrets) the pre-shared keys and C(customer_gateway_configuration) are left out.
  returned: when O(state=present)
  type: dict
  contains:
    vpn_connection_id:
      description: The ID.
      type: str
      sample: vpn-0123456789abcdef0
    state:
      description: The state.
      type: str
      sample: available
    customer_gateway_id:
      description: The customer gateway.
      type: str
    vpn_gateway_id:
      description: The virtual private gateway.
      type: str
    transit_gateway_id:
      description: The transit gateway.
      type: str
    options:
      description: The connection options, with C(tunnel_options) as AWS returns them.
      type: dict
    routes:
      description: The static routes.
      type: list
      elements: dict
    vgw_telemetry:
      description: Per-tunnel status.
      type: list
      elements: dict
    pre_shared_key_arn:
      description: The Secrets Manager secret with the keys, with O(pre_shared_key_storage=SecretsManager).
      type: str
    transit_gateway_attachment_id:
      description:
        - The transit gateway attachment of a connection on a transit gateway (DescribeTransitGatewayAttachments,
          resource type C(vpn)), for its route table associations and propagations.
      type: str
      returned: when the connection is on a transit gateway
      sample: tgw-attach-0123456789abcdef0
    tags:
      description: The tags.
      type: dict
tunnels:
  description:
    - One entry per tunnel merging the CustomerGatewayConfiguration (addresses, ASNs), the tunnel
      options (with AWS's defaults filled in) and the telemetry, matched by outside IP, in the XML's order.
    - The options come from TunnelOptions, not from the XML, which ModifyVpnTunnelOptions does not update.
    - C(pre_shared_key) only with O(return_secrets).
  returned: when O(state=present) and the connection exists
  type: list
  elements: dict
  sample:
    - index: 1
      outside_ip: 198.51.100.11
      cgw_outside_ip: 203.0.113.10
      inside_cidr: 169.254.10.0/30
      vgw_inside_ip: 169.254.10.1
      cgw_inside_ip: 169.254.10.2
      vgw_asn: 64512
      cgw_asn: 65000
      hold_time: 30
      options: {ike_versions: [ikev2], phase1_lifetime_seconds: 28800}
      status: DOWN
"""

from ansible.module_utils import basic

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_module import run_resource_module
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_args import tunnel_option_argument_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connection_checks import existing_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connection_checks import validation_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import vpn_connection_changes
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import vpn_view
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connection_spec import argument_spec as vpn_connection_argument_spec
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import converge_vpn_connections
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import ensure_vpn_connection
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import find_vpn_connection
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import remove_vpn_connection
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import transit_gateway_attachment_id
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import vpn_connection_result
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import with_secret_keys
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import converged_result
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import find_converged


def fail_on(module: AnsibleAWSModule, errors) -> None:
    """Fail naming every (field, message) found, before any write; the first field in ``field``."""
    if errors:
        module.fail_json(msg="; ".join(f"{f}: {m}" for f, m in errors), field=errors[0][0])


def validate(module: AnsibleAWSModule, entry_errors=()) -> None:
    """Fail on the tunnel_options entries Ansible could not check (``entry_errors``, see main), then
    on the rules of the input alone; with return_secrets, let the keys given come back unmasked."""
    fail_on(module, entry_errors)
    fail_on(module, validation_errors(module.params))
    if module.params["return_secrets"]:
        # Ansible masks every no_log value it was given wherever it appears in the result: the keys
        # the task asked to have returned would come back as '********' (and reach the devices so)
        for entry in module.params["tunnel_options"] or []:
            if isinstance(entry, dict) and entry.get("pre_shared_key"):
                module.no_log_values.discard(entry["pre_shared_key"])


def validate_against(module: AnsibleAWSModule, existing) -> None:
    """Fail on the rules that involve the existing connection, before any write."""
    fail_on(module, existing_errors(module.params, existing))


def replace_vpn_connection(client, module, old):
    """A new connection with every option wanted, then the old one deleted (asked for: replace_connection)."""
    p = module.params
    for opt, key in (("customer_gateway_id", "CustomerGatewayId"), ("vpn_gateway_id", "VpnGatewayId"),
                     ("transit_gateway_id", "TransitGatewayId")):
        if not p[opt] and not (opt != "customer_gateway_id" and (p["vpn_gateway_id"] or p["transit_gateway_id"])):
            p[opt] = old.get(key)
    if p["tags"] is None and p["name"] is None:
        p["tags"] = boto3_tag_list_to_ansible_dict(old.get("Tags") or [])
    validate_against(module, None)
    dummy, connection, diff = ensure_vpn_connection(client, module, None)
    remove_vpn_connection(client, module, old)
    module.warn(
        f"{'would replace' if module.check_mode else 'replaced'} {old['VpnConnectionId']} with "
        f"{connection.get('VpnConnectionId') or 'a new connection'}: an option AWS cannot change in place differs; the new "
        "connection has new outside IPs and pre-shared keys - configure the devices for it"
    )
    return True, connection, {"before": vpn_view(old), "after": diff["after"]}


def run(module):
    """Find, create, change or delete the connection; raises what main() turns into a failure."""
    p = module.params
    client = module.client("ec2")

    def converge_matches(matches):
        if p["state"] == "absent":
            for connection in matches:
                remove_vpn_connection(client, module, connection)
            module.exit_json(changed=True, vpn_connection_id=None, duplicates_removed=[c["VpnConnectionId"] for c in matches])
        return converge_vpn_connections(client, module, matches)

    existing, report = find_converged(
        find_vpn_connection,
        converge_matches,
        client,
        vpn_connection_id=p["vpn_connection_id"],
        customer_gateway_id=p["customer_gateway_id"],
        vpn_gateway_id=p["vpn_gateway_id"],
        transit_gateway_id=p["transit_gateway_id"],
        name=p["name"],
        tags=p["tags"],
    )
    if p["state"] == "absent":
        changed, diff = remove_vpn_connection(client, module, existing)
        conn_id = existing["VpnConnectionId"] if existing else None
        module.exit_json(changed=changed, vpn_connection_id=conn_id, diff=diff)

    if not existing:
        if p["vpn_connection_id"]:
            module.fail_json(msg=f"vpn_connection_id: {p['vpn_connection_id']} does not exist")
        if not (p["vpn_gateway_id"] or p["transit_gateway_id"]):
            module.fail_json(
                msg="vpn_gateway_id or transit_gateway_id is required to create a VPN connection",
                field="vpn_gateway_id",
            )
    if existing and p["replace_connection"] and vpn_connection_changes(p, existing)["errors"]:
        changed, connection, diff = replace_vpn_connection(client, module, existing)
        report["replaced_vpn_connection_id"] = existing["VpnConnectionId"]
    else:
        validate_against(module, existing)
        changed, connection, diff = ensure_vpn_connection(client, module, existing)
    if p["return_secrets"] and connection.get("PreSharedKeyArn"):
        connection, warning = with_secret_keys(module.client("secretsmanager"), connection)
        if warning:
            module.warn(warning)
    attachment_id = transit_gateway_attachment_id(client, connection)
    result = vpn_connection_result(connection, p["return_secrets"], attachment_id)
    module.exit_json(**converged_result(report, changed, diff, vpn_connection_id=connection.get("VpnConnectionId"), **result))


def main():
    argument_spec = vpn_connection_argument_spec()
    # Ansible's messages say "found in tunnel_options" without the entry: check the entries first,
    # and on an error take the list as is (hidden, it may hold keys) to fail with the entry named.
    entry_errors = tunnel_option_argument_errors((basic._load_params() or {}).get("tunnel_options"))
    if entry_errors:
        argument_spec["tunnel_options"] = dict(type="list", elements="raw", no_log=True)
    run_resource_module(
        run,
        argument_spec,
        lambda module: validate(module, entry_errors),
        mutually_exclusive=[("vpn_gateway_id", "transit_gateway_id")],
        required_one_of=[("vpn_connection_id", "customer_gateway_id")],
    )


if __name__ == "__main__":
    main()
