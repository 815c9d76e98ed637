"""Every patch the lab applies to moto 5.2.5, in one place, once per process.

The lab extends moto in place instead of forking it: each service's models/responses modules
hold the functions, and this module puts them on moto's classes. These are moto internals (class
attributes, method signatures, dispatch by snake_case action name); moto is pinned exactly and
lab/tests/vpn_contract/ and lab/tests/test_alarms.py are the canaries when it moves.
"""

from __future__ import annotations

import threading

from moto.awslambda.models import LambdaFunction
from moto.cloudwatch.models import CloudWatchBackend
from moto.cloudwatch.responses import CloudWatchResponse
from moto.ec2.models import EC2Backend
from moto.ec2.models.customer_gateways import CustomerGateway, CustomerGatewayBackend
from moto.ec2.models.route_tables import RouteTable
from moto.ec2.models.transit_gateway import TransitGatewayBackend
from moto.ec2.models.transit_gateway_attachments import TransitGatewayAttachment
from moto.ec2.models.transit_gateway_route_tables import TransitGatewayRouteTableBackend
from moto.ec2.models.vpn_connections import VPNConnection, VPNConnectionBackend
from moto.ec2.models.vpn_gateway import VpnGatewayBackend
from moto.ec2.responses import EC2Response
from moto.ec2.responses import tags as ec2_tag_responses
from moto.events.models import Rule
from moto.sns.models import Subscription, Topic

from lab.api.cloudwatch import models as cloudwatch_models
from lab.api.cloudwatch import urls as cloudwatch_urls
from lab.api.ec2_vpn import concentrators, gateways, serialize, transit_gateways, urls
from lab.api.notify import models as notify_models

_lock = threading.Lock()
_installed = False


def _wrap(cls, name: str, wrapper) -> None:
    """Replace cls.name by wrapper(original): every lab patch keeps moto's method underneath."""
    setattr(cls, name, wrapper(getattr(cls, name)))


def _add_actions(response_cls, actions: dict) -> None:
    # moto dispatches a request to the response method named after its action in snake_case
    for name, func in actions.items():
        setattr(response_cls, name, func)


def _install_ec2_vpn() -> None:
    # What DescribeVpnConnections serialises, computed from the lab state on the object.
    VPNConnection.state = property(serialize.conn_state_get, serialize.conn_state_set)
    VPNConnection.options = property(serialize.conn_options_get, serialize.conn_options_set)
    VPNConnection.vgw_telemetry = property(serialize.conn_telemetry)
    VPNConnection.routes = property(serialize.conn_routes)
    VPNConnection.customer_gateway_configuration = property(serialize.conn_xml)
    VPNConnection.get_filter_value = gateways._wrap_filter_value(VPNConnection.get_filter_value, gateways._VPN_FILTERS)

    RouteTable.propagating_vgws = property(gateways._table_propagating_vgws)
    RouteTable.routes = property(gateways._table_routes)

    # moto's CustomerGateway lacks these; class defaults cover gateways made before install
    CustomerGateway.bgp_asn_extended = None
    CustomerGateway.certificate_arn = None
    CustomerGateway.device_name = None
    CustomerGateway.get_filter_value = gateways._wrap_filter_value(CustomerGateway.get_filter_value, gateways._CGW_FILTERS)
    _wrap(CustomerGatewayBackend, "delete_customer_gateway", gateways._wrap_delete_customer_gateway)
    _wrap(CustomerGatewayBackend, "describe_customer_gateways", gateways._wrap_describe_customer_gateways)
    _wrap(VpnGatewayBackend, "create_vpn_gateway", gateways._wrap_create_vpn_gateway)
    _wrap(VpnGatewayBackend, "attach_vpn_gateway", gateways._wrap_attach_vpn_gateway)
    _wrap(VpnGatewayBackend, "delete_vpn_gateway", gateways._wrap_delete_vpn_gateway)

    # transit gateway VPN attachments in their route tables, one association each (transit_gateways.py)
    TransitGatewayAttachment.association = property(transit_gateways.attachment_association)
    TGWTables = TransitGatewayRouteTableBackend
    _wrap(TGWTables, "associate_transit_gateway_route_table", transit_gateways.wrap_associate)
    _wrap(TGWTables, "disassociate_transit_gateway_route_table", transit_gateways.wrap_disassociate)
    _wrap(TGWTables, "enable_transit_gateway_route_table_propagation", transit_gateways.wrap_enable_propagation)
    _wrap(TGWTables, "disable_transit_gateway_route_table_propagation", transit_gateways.wrap_disable_propagation)
    _wrap(TGWTables, "get_all_transit_gateway_route_tables", transit_gateways.wrap_describe_route_tables)
    _wrap(TGWTables, "search_transit_gateway_routes", transit_gateways.wrap_search_routes)
    _wrap(VPNConnectionBackend, "delete_vpn_connection", transit_gateways.wrap_delete_vpn_connection)
    _wrap(TransitGatewayBackend, "delete_transit_gateway", transit_gateways.wrap_delete_transit_gateway)
    # tags on concentrators: moto's CreateTags/DeleteTags know their IDs neither by prefix nor by backend
    _wrap(ec2_tag_responses, "validate_resource_ids", concentrators.wrap_validate_resource_ids)
    _wrap(EC2Backend, "do_resources_exist", concentrators.wrap_do_resources_exist)

    _add_actions(EC2Response, urls.ACTIONS)


def _install_cloudwatch() -> None:
    # alarms that evaluate and keep history (lab/api/cloudwatch/models.py says what changes)
    _wrap(CloudWatchBackend, "put_metric_alarm", cloudwatch_models.wrap_put_metric_alarm)
    _wrap(CloudWatchBackend, "put_metric_data", cloudwatch_models.wrap_put_metric_data)
    _wrap(CloudWatchBackend, "set_alarm_state", cloudwatch_models.wrap_set_alarm_state)

    _add_actions(CloudWatchResponse, cloudwatch_urls.ACTIONS)


def _install_notify() -> None:
    # deliveries the lab records, and Lambda functions run in-process (lab/api/notify/models.py)
    _wrap(Topic, "publish", notify_models.wrap_topic_publish)
    _wrap(Subscription, "publish", notify_models.wrap_subscription_publish)
    _wrap(Rule, "send_to_targets", notify_models.wrap_rule_send_to_targets)
    LambdaFunction.invoke = notify_models.invoke
    LambdaFunction._invoke_lambda = notify_models.invoke_lambda


def install() -> None:
    """Apply every patch. Idempotent; call before the first request."""
    global _installed
    with _lock:
        if _installed:
            return
        _install_ec2_vpn()
        _install_cloudwatch()
        _install_notify()
        _installed = True
