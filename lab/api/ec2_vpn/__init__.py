"""EC2's Site-to-Site VPN slice for the lab API: moto 5.2.5 patched in place, not forked.

Interface for the server (lab.api.server):
- install(): apply every patch (idempotent); call before the first request.
- set_tunnel_telemetry(outside_ip, status, status_message=None, accepted_route_count=None)
- set_bgp_routes(vpn_connection_id, prefixes)
- lab_view(): every connection with its data-plane view.
- reset(): lab VPN state lives on moto's objects, so moto's reset clears it.

models.py holds the state and logic, responses.py the thin EC2 response methods,
device_config.py the sample device configurations, ../cgw_config.py the XML.
"""

from __future__ import annotations

from moto.ec2.models.customer_gateways import CustomerGateway, CustomerGatewayBackend
from moto.ec2.models.route_tables import RouteTable
from moto.ec2.models.vpn_connections import VPNConnection
from moto.ec2.models.vpn_gateway import VpnGatewayBackend
from moto.ec2.responses import EC2Response

from lab.api.ec2_vpn import models, responses
from lab.api.ec2_vpn.models import LOCK, lab_view, set_bgp_routes, set_tunnel_telemetry

__all__ = ["install", "lab_view", "reset", "set_bgp_routes", "set_tunnel_telemetry"]

_installed = False


def install() -> None:
    """Apply every patch. Idempotent; call before the first request."""
    global _installed
    with LOCK:
        if _installed:
            return
        # What DescribeVpnConnections serialises, computed from the lab state on the object.
        VPNConnection.state = property(models._conn_state_get, models._conn_state_set)
        VPNConnection.options = property(models._conn_options_get, models._conn_options_set)
        VPNConnection.vgw_telemetry = property(models._conn_telemetry)
        VPNConnection.routes = property(models._conn_routes)
        VPNConnection.customer_gateway_configuration = property(models._conn_xml)
        VPNConnection.get_filter_value = models._wrap_filter_value(VPNConnection.get_filter_value, models._VPN_FILTERS)

        RouteTable.propagating_vgws = property(models._table_propagating_vgws)
        RouteTable.routes = property(models._table_routes)

        # moto's CustomerGateway lacks these; class defaults cover gateways made before install
        CustomerGateway.bgp_asn_extended = None
        CustomerGateway.certificate_arn = None
        CustomerGateway.device_name = None
        CustomerGateway.get_filter_value = models._wrap_filter_value(
            CustomerGateway.get_filter_value, models._CGW_FILTERS
        )
        CustomerGatewayBackend.delete_customer_gateway = models._wrap_delete_customer_gateway(
            CustomerGatewayBackend.delete_customer_gateway
        )
        CustomerGatewayBackend.describe_customer_gateways = models._wrap_describe_customer_gateways(
            CustomerGatewayBackend.describe_customer_gateways
        )
        VpnGatewayBackend.create_vpn_gateway = models._wrap_create_vpn_gateway(VpnGatewayBackend.create_vpn_gateway)
        VpnGatewayBackend.attach_vpn_gateway = models._wrap_attach_vpn_gateway(VpnGatewayBackend.attach_vpn_gateway)

        for name, func in responses.ACTIONS.items():
            setattr(EC2Response, name, func)
        _installed = True


def reset() -> None:
    """Nothing beyond moto's reset: every piece of lab VPN state is an attribute of moto's objects."""
    return None
