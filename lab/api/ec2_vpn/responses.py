"""Thin EC2 response methods for the VPN slice: parse the request, call models, serialise.

urls.py lists them; lab/api/patches.py sets each on moto's EC2Response under its snake_case action
name, and moto's dispatch turns ``Action=ModifyVpnTunnelOptions`` into ``modify_vpn_tunnel_options``.
"""

from __future__ import annotations

import copy
import functools

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.utils import add_tag_specification

from lab.api.ec2_vpn import device_config, gateways, models


def _answers_connection(action):
    """A response method that refuses a dry run and answers with the connection ``action`` returns."""
    @functools.wraps(action)
    def respond(self) -> ActionResult:
        self.error_on_dryrun()
        return ActionResult({"VpnConnection": action(self)})

    return respond


@_answers_connection
def create_vpn_connection(self):
    params = {key: self._get_param(key) for key in ("Type", "CustomerGatewayId", "VpnGatewayId", "TransitGatewayId",
                                                    "VpnConcentratorId", "PreSharedKeyStorage")}
    params["Options"] = self._get_param("Options") or {}
    params["_tags"] = add_tag_specification(self._get_param("TagSpecifications", []))
    return models.create_vpn_connection(self.ec2_backend, params, self.current_account, self.region)


@_answers_connection
def modify_vpn_tunnel_options(self):
    return models.modify_tunnel_options(
        self.ec2_backend, self._get_param("VpnConnectionId"), self._get_param("VpnTunnelOutsideIpAddress"),
        self._get_param("TunnelOptions") or {}, self._get_param("PreSharedKeyStorage"), self._get_param("SkipTunnelReplacement", False),
    )


@_answers_connection
def modify_vpn_connection_options(self):
    changes = {key: self._get_param(key) for key in models.CONNECTION_CIDR_OPTIONS}
    return models.modify_connection_options(self.ec2_backend, self._get_param("VpnConnectionId"), changes)


@_answers_connection
def modify_vpn_connection(self):
    return models.modify_connection(
        self.ec2_backend, self._get_param("VpnConnectionId"),
        cgw_id=self._get_param("CustomerGatewayId"), vgw_id=self._get_param("VpnGatewayId"), tgw_id=self._get_param("TransitGatewayId"),
    )


def create_vpn_connection_route(self) -> ActionResult:
    models.create_connection_route(
        self.ec2_backend, self._get_param("VpnConnectionId"), self._get_param("DestinationCidrBlock")
    )
    return EmptyResult()


def delete_vpn_connection_route(self) -> ActionResult:
    models.delete_connection_route(
        self.ec2_backend, self._get_param("VpnConnectionId"), self._get_param("DestinationCidrBlock")
    )
    return EmptyResult()


def enable_vgw_route_propagation(self) -> ActionResult:
    self.error_on_dryrun()
    models.enable_vgw_route_propagation(self.ec2_backend, self._get_param("GatewayId"), self._get_param("RouteTableId"))
    return EmptyResult()


def disable_vgw_route_propagation(self) -> ActionResult:
    self.error_on_dryrun()
    models.disable_vgw_route_propagation(
        self.ec2_backend, self._get_param("GatewayId"), self._get_param("RouteTableId")
    )
    return EmptyResult()


def get_vpn_connection_device_types(self) -> ActionResult:
    self.error_on_dryrun()
    return ActionResult({"VpnConnectionDeviceTypes": copy.deepcopy(device_config.DEVICE_TYPES)})


def get_vpn_connection_device_sample_configuration(self) -> ActionResult:
    self.error_on_dryrun()
    conn = models.get_connection(self.ec2_backend, self._get_param("VpnConnectionId"))
    text = device_config.sample_configuration(
        conn, self._get_param("VpnConnectionDeviceTypeId"), self._get_param("InternetKeyExchangeVersion") or "ikev1"
    )
    return ActionResult({"VpnConnectionDeviceSampleConfiguration": text})


def create_customer_gateway(self) -> ActionResult:
    self.error_on_dryrun()
    cgw = gateways.create_customer_gateway(
        self.ec2_backend,
        gateway_type=self._get_param("Type"),
        ip_address=self._get_param("IpAddress") or self._get_param("PublicIp"),
        bgp_asn=self._get_param("BgpAsn"),
        bgp_asn_ext=self._get_param("BgpAsnExtended"),
        certificate_arn=self._get_param("CertificateArn"),
        device_name=self._get_param("DeviceName"),
        tags=self._parse_tag_specification().get("customer-gateway", {}),
    )
    return ActionResult({"CustomerGateway": cgw})
