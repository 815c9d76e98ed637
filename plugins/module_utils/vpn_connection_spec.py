# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The options of sitevpn.aws.vpn_connection, in one place: the module validates with them, and the
AWS side of many sites (vpn_site_batch) starts each site's connection from their defaults, so that
a site of the batch gets the connection the module would make."""

from __future__ import annotations

from typing import Any
from typing import Dict

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_module import resource_argument_spec
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_args import tunnel_options_argument_spec

# seconds: creating a connection takes minutes on AWS
WAIT_TIMEOUT = 900


def argument_spec() -> Dict[str, Any]:
    """The module's argument spec, a new one each call (the module may change tunnel_options')."""
    return resource_argument_spec(
        WAIT_TIMEOUT,
        vpn_connection_id=dict(type="str"),
        name=dict(type="str"),
        customer_gateway_id=dict(type="str"),
        vpn_gateway_id=dict(type="str"),
        transit_gateway_id=dict(type="str"),
        connection_type=dict(type="str", default="ipsec.1", choices=["ipsec.1"]),
        static_routes_only=dict(type="bool"),
        routes=dict(type="list", elements="str"),
        purge_routes=dict(type="bool", default=True),
        local_ipv4_network_cidr=dict(type="str"),
        remote_ipv4_network_cidr=dict(type="str"),
        local_ipv6_network_cidr=dict(type="str"),
        remote_ipv6_network_cidr=dict(type="str"),
        tunnel_inside_ip_version=dict(type="str", choices=["ipv4", "ipv6"]),
        outside_ip_address_type=dict(type="str", choices=["PublicIpv4", "PrivateIpv4", "Ipv6"]),
        transport_transit_gateway_attachment_id=dict(type="str"),
        enable_acceleration=dict(type="bool"),
        tunnel_bandwidth=dict(type="str", choices=["standard", "large"]),
        pre_shared_key_storage=dict(type="str", choices=["Standard", "SecretsManager"]),
        tunnel_options=tunnel_options_argument_spec(),
        return_secrets=dict(type="bool", default=False),
        replace_connection=dict(type="bool", default=False),
    )


def defaults() -> Dict[str, Any]:
    """Each option's value when a task leaves it out (None where the spec has no default)."""
    return {name: option.get("default") for name, option in argument_spec().items()}
