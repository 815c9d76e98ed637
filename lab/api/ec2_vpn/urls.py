"""The EC2 actions the lab's VPN slice answers (moto's ``urls.py`` role for a query-protocol slice).

EC2 is one endpoint: moto dispatches on ``Action``, so the slice's "routes" are the response
methods lab/api/patches.py puts on moto's EC2Response, by snake_case action name.
"""

from __future__ import annotations

from lab.api.ec2_vpn import hub_responses, maintenance, responses

ACTIONS = {
    name: getattr(responses, name)
    for name in (
        "create_vpn_connection",
        "modify_vpn_tunnel_options",
        "modify_vpn_connection_options",
        "modify_vpn_connection",
        "create_vpn_connection_route",
        "delete_vpn_connection_route",
        "enable_vgw_route_propagation",
        "disable_vgw_route_propagation",
        "get_vpn_connection_device_types",
        "get_vpn_connection_device_sample_configuration",
        "create_customer_gateway",
    )
}
# ReplaceVpnTunnel and GetVpnTunnelReplacementStatus: tunnel endpoint maintenance (maintenance.py)
ACTIONS.update(maintenance.ACTIONS)
ACTIONS.update(
    (name, getattr(hub_responses, name))
    for name in (
        "create_vpn_concentrator",
        "describe_vpn_concentrators",
        "delete_vpn_concentrator",
        "get_active_vpn_tunnel_status",
        "get_transit_gateway_attachment_propagations",
    )
)
