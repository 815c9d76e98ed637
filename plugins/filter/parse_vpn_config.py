# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: parse_vpn_config
author: sitevpn.aws contributors
version_added: "1.0.0"
short_description: Parse a VPN connection's CustomerGatewayConfiguration XML
description:
  - Turns the C(CustomerGatewayConfiguration) XML of an AWS Site-to-Site VPN connection into a
    dictionary with one entry per tunnel, in the XML's document order.
  - Integers are returned as integers; elements that are absent (a static connection has no
    C(bgp) block, a transit gateway connection has an empty C(vpn_gateway_id)) are returned as
    V(null).
  - The C(ike) and C(ipsec) blocks are what AWS wrote when the connection was created;
    C(ModifyVpnTunnelOptions) does not update them. For algorithms and timers use the
    P(sitevpn.aws.vpn_tunnels#filter) or P(sitevpn.aws.vpn_tunnel_plan#filter) filters, which
    take them from the connection's tunnel options.
  - XML with a DTD or entity declarations is refused.
options:
  _input:
    description: The C(CustomerGatewayConfiguration) XML string.
    type: str
    required: true
seealso:
  - plugin: sitevpn.aws.vpn_tunnels
    plugin_type: filter
  - plugin: sitevpn.aws.vpn_tunnel_plan
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Show the AWS outside IP of each tunnel
  ansible.builtin.debug:
    msg: "{{ (vpn.customer_gateway_configuration | sitevpn.aws.parse_vpn_config).tunnels | map(attribute='vgw_outside_ip') }}"

- name: Keep the BGP neighbors
  ansible.builtin.set_fact:
    bgp_neighbors: >-
      {{ (xml | sitevpn.aws.parse_vpn_config).tunnels
         | map(attribute='vgw_inside_ip') | list }}
"""

RETURN = r"""
_value:
  description: The parsed configuration.
  type: dict
  contains:
    vpn_connection_id:
      description: The connection's ID.
      type: str
      sample: vpn-0123456789abcdef0
    customer_gateway_id:
      description: The customer gateway's ID.
      type: str
    vpn_gateway_id:
      description: The virtual private gateway's ID; null for a transit gateway connection.
      type: str
    vpn_connection_type:
      description: The connection type.
      type: str
      sample: ipsec.1
    static_routes_only:
      description: Whether the XML marks the connection as static (C(NoBGPVPNConnection)).
      type: bool
    tunnels:
      description: The tunnels in document order.
      type: list
      elements: dict
      contains:
        vgw_outside_ip:
          description: The AWS side's outside address.
          type: str
        cgw_outside_ip:
          description: The customer gateway's outside address.
          type: str
        vgw_inside_ip:
          description: The AWS side's inside address.
          type: str
        cgw_inside_ip:
          description: The customer gateway's inside address.
          type: str
        inside_cidr:
          description: The inside network, for example V(169.254.10.0/30).
          type: str
        inside_prefix_length:
          description: The inside network's prefix length.
          type: int
        vgw_inside_ipv6:
          description: The AWS side's inside IPv6 address (IPv6 inside tunnels only).
          type: str
        cgw_inside_ipv6:
          description: The customer gateway's inside IPv6 address (IPv6 inside tunnels only).
          type: str
        inside_ipv6_cidr:
          description: The inside IPv6 network (IPv6 inside tunnels only).
          type: str
        pre_shared_key:
          description: The tunnel's pre-shared key; null when it is stored in Secrets Manager.
          type: str
        vgw_asn:
          description: The AWS side's BGP ASN; null for a static connection.
          type: int
        cgw_asn:
          description: The customer gateway's BGP ASN; null for a static connection.
          type: int
        hold_time:
          description: The BGP hold time; null for a static connection.
          type: int
        ike:
          description: >-
            The XML's IKE block (authentication_protocol, encryption_protocol, lifetime,
            perfect_forward_secrecy, mode), as created.
          type: dict
        ipsec:
          description: >-
            The XML's IPsec block (protocol, authentication_protocol, encryption_protocol,
            lifetime, perfect_forward_secrecy, mode, tcp_mss_adjustment, dpd_interval,
            dpd_retries), as created.
          type: dict
"""

from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_config import VpnConfigError
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_config import parse_customer_gateway_configuration
from ansible_collections.sitevpn.aws.plugins.plugin_utils.filter_calls import call
from ansible_collections.sitevpn.aws.plugins.plugin_utils.filter_calls import expect


def parse_vpn_config(xml):
    """Jinja wrapper: the parser's errors become AnsibleFilterError."""
    expect("parse_vpn_config", xml, (str, bytes), "the CustomerGatewayConfiguration XML string")
    return call("parse_vpn_config", parse_customer_gateway_configuration, xml, errors=VpnConfigError)


class FilterModule:
    def filters(self):
        return {"parse_vpn_config": parse_vpn_config}
