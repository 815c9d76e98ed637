"""Thin EC2 response methods for the VPN hubs: VPN Concentrators, a transit gateway attachment's
propagations and GetActiveVpnTunnelStatus.

urls.py lists them beside responses.py's; patches.py puts them on moto's EC2Response.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.ec2.utils import add_tag_specification

from lab.api.ec2_vpn import active_tunnel_status, concentrators, transit_gateways


def create_vpn_concentrator(self) -> ActionResult:
    self.error_on_dryrun()
    tags = add_tag_specification(self._get_param("TagSpecifications", []))
    concentrator = concentrators.create(self.ec2_backend, self._get_param("Type"), self._get_param("TransitGatewayId"), tags)
    return ActionResult({"VpnConcentrator": concentrator.describe()})


def describe_vpn_concentrators(self) -> ActionResult:
    self.error_on_dryrun()
    found = concentrators.describe(
        self.ec2_backend, self._get_param("VpnConcentratorIds", []), self._filters_from_querystring()
    )
    return ActionResult({"VpnConcentrators": found})


def delete_vpn_concentrator(self) -> ActionResult:
    self.error_on_dryrun()
    concentrators.delete(self.ec2_backend, self._get_param("VpnConcentratorId"))
    return ActionResult({"Return": True})


def get_active_vpn_tunnel_status(self) -> ActionResult:
    self.error_on_dryrun()
    status = active_tunnel_status.active_status(
        self.ec2_backend, self._get_param("VpnConnectionId"), self._get_param("VpnTunnelOutsideIpAddress")
    )
    return ActionResult({"ActiveVpnTunnelStatus": status})


def get_transit_gateway_attachment_propagations(self) -> ActionResult:
    self.error_on_dryrun()
    found = transit_gateways.attachment_propagations(self.ec2_backend, self._get_param("TransitGatewayAttachmentId"))
    return ActionResult({"TransitGatewayAttachmentPropagations": found})
