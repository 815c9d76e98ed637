#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: customer_gateway
short_description: Manage an AWS customer gateway for Site-to-Site VPN
version_added: 0.1.0
description:
  - Creates or deletes an AWS customer gateway, the AWS-side record of the on-premises VPN device.
  - An existing gateway is found by O(ip_address) (or O(certificate_arn)), O(bgp_asn) and O(device_name),
    the same identity AWS itself uses, so a second run never creates a duplicate. The Name tag
    (O(name)) only tells apart gateways that share all three.
  - The gateway is tagged at creation, so a run interrupted right after the create finds it next time.
  - A customer gateway cannot be modified in place except for its tags; a different O(certificate_arn) fails.
  - Of several live gateways with this identity that are the collection's own (B(Duplicates.) in the
    notes), the module keeps the one a live VPN connection uses, else an C(available) one, else the
    lowest ID, and deletes the others that no live VPN connection uses.
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  customer_gateway_id:
    description:
      - An existing gateway to manage, found by its ID (C(cgw-...)), as a VPN connection names it.
      - The gateway must exist; O(ip_address), O(bgp_asn), O(certificate_arn) and O(device_name), when
        given, must be its own (a gateway cannot be modified in place except for its tags).
        With O(state=absent) it is deleted unless a VPN connection uses it.
    type: str
  ip_address:
    description:
      - The address of the device's outside interface, IPv4 or IPv6 (for connections with
        C(outside_ip_address_type=Ipv6)). Private IPv4 addresses (RFC 1918, RFC 6598) are accepted for
        C(outside_ip_address_type=PrivateIpv4).
      - Addresses no device can have (0.0.0.0/8, loopback, link-local, 198.18.0.0/15, multicast,
        reserved, broadcast) are refused before any call.
      - Required unless O(certificate_arn) or O(customer_gateway_id) is given. A gateway's address cannot change; see O(replace).
    type: str
  bgp_asn:
    description:
      - The device's BGP ASN, 1 to 4294967294. ASNs above 2147483647 are sent as C(BgpAsnExtended).
      - ASNs AWS reserves are refused (7224 everywhere; 9059 in eu-west-1, 10124 in ap-northeast-1,
        17943 in ap-southeast-1).
      - For static routing any private ASN will do; AWS requires one. V(65000) when not given, except
        with O(customer_gateway_id), where a given ASN must be the gateway's.
    type: int
  certificate_arn:
    description:
      - ARN of a private certificate (AWS Private CA, in ACM) for certificate-based authentication,
        V(arn:aws:acm:REGION:ACCOUNT:certificate/ID).
    type: str
  device_name:
    description:
      - A name for the device. Lets two gateways share O(ip_address) and O(bgp_asn).
    type: str
  name:
    description:
      - Value of the C(Name) tag. Merged into O(tags).
      - When no gateway has this O(ip_address), O(bgp_asn) and O(device_name) but a live one carries
        this name, the module fails rather than leave that one behind with a new namesake (the
        address or ASN of a gateway cannot change); see O(replace).
    type: str
  replace:
    description:
      - With O(name), create the new gateway even though a gateway with this name and another address,
        ASN or device name exists, then delete that old gateway unless a VPN connection still uses it
        (it is then kept and named in a warning; move the connection with
        M(sitevpn.aws.vpn_connection) and O(sitevpn.aws.vpn_connection#module:vpn_connection_id), then delete it).
    type: bool
    default: false
  state:
    description:
      - Whether the gateway should exist. A gateway still used by a VPN connection is not deleted;
        the module fails at once naming the connections.
  wait:
    description:
      - Wait for a new gateway to become C(available).
  wait_timeout:
    default: 300
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
- name: Ensure the customer gateway of site A exists
  sitevpn.aws.customer_gateway:
    ip_address: 203.0.113.10
    bgp_asn: 65000
    name: site-a
    tags:
      Project: sitevpn
  register: cgw

- name: A 4-byte ASN (sent as BgpAsnExtended)
  sitevpn.aws.customer_gateway:
    ip_address: 203.0.113.11
    bgp_asn: 4200000001
    device_name: edge-2

- name: Tag the gateway a VPN connection uses, found by its ID
  sitevpn.aws.customer_gateway:
    customer_gateway_id: "{{ vpn.vpn_connection.customer_gateway_id }}"
    tags:
      Owner: network-team
    purge_tags: false

- name: Remove it
  sitevpn.aws.customer_gateway:
    ip_address: 203.0.113.10
    bgp_asn: 65000
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
replaced_customer_gateway_id:
  description: With O(replace), the gateway the new one replaces (deleted unless still in use).
  returned: when a gateway was replaced
  type: str
  sample: cgw-0fedcba9876543210
customer_gateway_id:
  description: The ID of the customer gateway (null when absent or in check mode before creation).
  returned: always
  type: str
  sample: cgw-0123456789abcdef0
customer_gateway:
  description: The customer gateway, keys in snake_case, tags as a dict.
  returned: when O(state=present)
  type: dict
  contains:
    customer_gateway_id:
      description: The ID.
      type: str
      sample: cgw-0123456789abcdef0
    ip_address:
      description: The outside IP address.
      type: str
      sample: 203.0.113.10
    bgp_asn:
      description: The ASN (a string, as AWS returns it).
      type: str
      sample: "65000"
    bgp_asn_extended:
      description: The 4-byte ASN, when created with one.
      type: str
      returned: when set
    certificate_arn:
      description: The certificate ARN.
      type: str
      returned: when set
    device_name:
      description: The device name.
      type: str
      returned: when set
    state:
      description: C(pending), C(available), C(deleting) or C(deleted).
      type: str
      sample: available
    type:
      description: The VPN type.
      type: str
      sample: ipsec.1
    tags:
      description: The tags.
      type: dict
      sample: {"Name": "site-a"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_module import resource_argument_spec
from ansible_collections.sitevpn.aws.plugins.module_utils.aws_module import run_resource_module
from ansible_collections.sitevpn.aws.plugins.module_utils.customer_gateways import converge_customer_gateways
from ansible_collections.sitevpn.aws.plugins.module_utils.customer_gateways import customer_gateway_by_id
from ansible_collections.sitevpn.aws.plugins.module_utils.customer_gateways import ensure_customer_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.customer_gateways import find_customer_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.customer_gateways import find_customer_gateway_namesake
from ansible_collections.sitevpn.aws.plugins.module_utils.customer_gateways import identity_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.customer_gateways import remove_customer_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import connections_using
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_certificate_arn
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_customer_gateway_asn
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_outside_address
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import converged_result
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import find_converged
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import resource_result


def validate(module: AnsibleAWSModule) -> None:
    """Check the input before any API call; fail naming the field."""
    p = module.params
    try:
        if p["ip_address"] is not None:
            p["ip_address"] = validate_outside_address(p["ip_address"], "ip_address")
        if p["certificate_arn"] is not None:
            p["certificate_arn"] = validate_certificate_arn(p["certificate_arn"], "certificate_arn")
        if p["bgp_asn"] is None and not p["customer_gateway_id"]:
            p["bgp_asn"] = 65000
        if p["bgp_asn"] is not None:
            p["bgp_asn"] = validate_customer_gateway_asn(p["bgp_asn"], "bgp_asn", region=module.region)
    except ValidationError as e:
        module.fail_json(msg=str(e), field=e.field)
    if p["replace"] and p["customer_gateway_id"]:
        module.fail_json(msg="replace: does not go with customer_gateway_id, which names one gateway", field="replace")
    if p["replace"] and not p["name"]:
        module.fail_json(msg="replace: needs name, which tells which gateway is replaced", field="replace")


def namesake_to_replace(client, module):
    """The live gateway that has this name but another identity; fails unless replace is set."""
    p = module.params
    others = find_customer_gateway_namesake(client, p["name"])
    if not others:
        return None
    if len(others) > 1:
        ids = ", ".join(sorted(g["CustomerGatewayId"] for g in others))
        module.fail_json(msg=f"name: several customer gateways are named {p['name']!r} ({ids}); give a distinct name", field="name")
    old = others[0]
    if not p["replace"]:
        module.fail_json(
            msg=(
                f"name: customer gateway {old['CustomerGatewayId']} is named {p['name']!r} with ip_address "
                f"{old.get('IpAddress')} and bgp_asn {old.get('BgpAsnExtended') or old.get('BgpAsn')}; a gateway cannot "
                "change its address or ASN: set replace=true to create a new one and delete the old one, or use another name"
            ),
            field="name",
            customer_gateway_id=old["CustomerGatewayId"],
        )
    return old


def run(module):
    """Find, create, tag, replace or delete the gateway; raises what main() turns into a failure."""
    p = module.params
    client = module.client("ec2")

    if p["customer_gateway_id"]:
        existing = customer_gateway_by_id(client, p["customer_gateway_id"])
        if existing is None and p["state"] == "present":
            module.fail_json(msg=f"customer_gateway_id: {p['customer_gateway_id']} does not exist", field="customer_gateway_id")
        for field, message in identity_errors(p, existing):
            module.fail_json(msg=f"{field}: {message}", field=field, customer_gateway_id=p["customer_gateway_id"])
        return finish(client, module, existing, {}, None)
    # with state=absent the keeper of duplicates goes below (one in use is kept first, and fails as usual)
    existing, report = find_converged(
        find_customer_gateway,
        lambda matches: converge_customer_gateways(client, module, matches),
        client,
        p["ip_address"],
        p["bgp_asn"],
        device_name=p["device_name"],
        name=p["name"],
        certificate_arn=p["certificate_arn"],
        tags=p["tags"],
    )
    old = namesake_to_replace(client, module) if not existing and p["name"] and p["state"] == "present" else None
    return finish(client, module, existing, report, old)


def finish(client, module, existing, report, old):
    """Delete, or create/tag (replacing ``old``), the gateway found; exits."""
    p = module.params
    if p["state"] == "absent":
        changed, diff = remove_customer_gateway(client, module, existing)
        gw_id = existing["CustomerGatewayId"] if existing else None
        module.exit_json(**converged_result(report, changed, diff, customer_gateway_id=gw_id))

    changed, gateway, diff = ensure_customer_gateway(client, module, existing)
    replaced = {}
    if old:
        replaced["replaced_customer_gateway_id"] = old["CustomerGatewayId"]
        users = connections_using(client, {"customer-gateway-id": old["CustomerGatewayId"]})
        if users:
            module.warn(
                f"{old['CustomerGatewayId']} (the gateway replaced) is kept: VPN connection(s) {', '.join(users)} still use it"
            )
        else:
            remove_customer_gateway(client, module, old)
    module.exit_json(**resource_result(report, changed, diff, "customer_gateway", gateway, **replaced))


def main():
    argument_spec = resource_argument_spec(
        300,
        ip_address=dict(type="str"),
        customer_gateway_id=dict(type="str"),
        bgp_asn=dict(type="int"),
        certificate_arn=dict(type="str"),
        device_name=dict(type="str"),
        name=dict(type="str"),
        replace=dict(type="bool", default=False),
    )
    run_resource_module(run, argument_spec, validate, required_one_of=[("ip_address", "certificate_arn", "customer_gateway_id")])


if __name__ == "__main__":
    main()
