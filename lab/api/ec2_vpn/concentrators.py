"""Site-to-Site VPN Concentrators: CreateVpnConcentrator, DescribeVpnConcentrators, DeleteVpnConcentrator,
and the rules a VPN connection on one follows. moto 5.2.5 has none of it.

From the EC2 API reference (CreateVpnConcentrator: Type ipsec.1, TransitGatewayId; VpnConcentrator:
VpnConcentratorId, State, TransitGatewayId, TransitGatewayAttachmentId, Type, Tags) and AWS's
description of the Concentrator: one transit gateway attachment (resource type
``vpn-concentrator``) shared by many sites, on a transit gateway only, BGP only, each site its own
customer gateway and VPN connection with a unique CIDR (its LocalIpv4NetworkCidr).
Concentrators live on the region's EC2 backend (``lab_vpn_concentrators``): moto's reset clears them.
"""

from __future__ import annotations

import ipaddress
import secrets
import time

from moto.ec2.exceptions import EC2ClientError

from lab.api.ec2_vpn import quotas, transit_gateways
from lab.api.ec2_vpn.common import LOCK, settings
from lab.api.ec2_vpn.rules import invalid

TYPES = ("ipsec.1",)
_FILTERS = {
    "vpn-concentrator-id": lambda c: [c.id],
    "transit-gateway-id": lambda c: [c.transit_gateway_id],
    "transit-gateway-attachment-id": lambda c: [c.attachment_id],
    "state": lambda c: [c.state],
    "type": lambda c: [c.type],
    "tag-key": lambda c: list(c.tags),
}


class VpnConcentrator:
    def __init__(self, backend, transit_gateway_id: str, attachment_id: str, tags: dict):
        self.backend = backend
        self.id = "vpn-concentrator-" + secrets.token_hex(9)[:17]
        self.type = "ipsec.1"
        self.transit_gateway_id = transit_gateway_id
        self.attachment_id = attachment_id
        self._state, self._since = "pending", time.monotonic()
        if tags:
            backend.create_tags([self.id], dict(tags))

    @property
    def tags(self) -> dict:
        # moto's tag store, so CreateTags / DeleteTags on the concentrator's ID work as on any resource
        return dict(self.backend.tags.get(self.id, {}))

    @property
    def state(self) -> str:
        # pending -> available and deleting -> deleted after the lab's state delay, as connections do
        nxt = {"pending": "available", "deleting": "deleted"}.get(self._state)
        if nxt and time.monotonic() - self._since >= float(settings()["state_delay_s"]):
            self._state = nxt
        return self._state

    @state.setter
    def state(self, value: str) -> None:
        self._state, self._since = value, time.monotonic()

    def describe(self) -> dict:
        return {
            "VpnConcentratorId": self.id,
            "State": self.state,
            "TransitGatewayId": self.transit_gateway_id,
            "TransitGatewayAttachmentId": self.attachment_id,
            "Type": self.type,
            "Tags": [{"Key": k, "Value": v} for k, v in self.tags.items()],
        }


def _store(backend) -> dict:
    if not hasattr(backend, "lab_vpn_concentrators"):
        backend.lab_vpn_concentrators = {}
    return backend.lab_vpn_concentrators


def _live(concentrator) -> bool:
    return concentrator.state not in ("deleting", "deleted")


def get(backend, concentrator_id: str) -> VpnConcentrator:
    concentrator = _store(backend).get(concentrator_id)
    if concentrator is None or concentrator.state == "deleted":
        raise EC2ClientError("InvalidVpnConcentratorID.NotFound", f"The VPN concentrator ID '{concentrator_id}' does not exist")
    return concentrator


def create(backend, concentrator_type, transit_gateway_id, tags) -> VpnConcentrator:
    with LOCK:
        if concentrator_type not in TYPES:
            raise invalid(f"Invalid value '{concentrator_type}' for Type; valid values: {', '.join(TYPES)}")
        if not transit_gateway_id:  # a concentrator is a transit gateway attachment, never on a VGW
            raise EC2ClientError("MissingParameter", "The request must contain the parameter TransitGatewayId")
        tgw = backend.transit_gateways.get(transit_gateway_id)
        if tgw is None or tgw.state in ("deleted", "deleting"):
            raise EC2ClientError("InvalidTransitGatewayID.NotFound", f"Transit gateway {transit_gateway_id} does not exist")
        concentrator = VpnConcentrator(backend, transit_gateway_id, "", tags)
        attachment = transit_gateways.attach(backend, concentrator.id, "vpn-concentrator", transit_gateway_id, tags)
        concentrator.attachment_id = attachment.id
        _store(backend)[concentrator.id] = concentrator
        return concentrator


def describe(backend, ids=None, filters=None) -> list[dict]:
    found = list(_store(backend).values())
    if ids:
        missing = sorted(set(ids) - {c.id for c in found})
        if missing:
            raise EC2ClientError("InvalidVpnConcentratorID.NotFound", f"The VPN concentrator ID '{missing[0]}' does not exist")
        found = [c for c in found if c.id in ids]
    for name, values in (filters or {}).items():
        if name.startswith("tag:"):
            found = [c for c in found if c.tags.get(name[4:]) in values]
        elif name in _FILTERS:
            found = [c for c in found if set(_FILTERS[name](c)) & set(values)]
        else:
            raise invalid(f"The filter '{name}' is invalid")
    return [c.describe() for c in found]


def connections_on(backend, concentrator_id: str) -> list:
    return [c for c in backend.vpn_connections.values()
            if getattr(c, "vpn_concentrator_id", None) == concentrator_id and c.state not in ("deleted", "deleting")]


def delete(backend, concentrator_id: str) -> None:
    with LOCK:
        concentrator = get(backend, concentrator_id)
        if not _live(concentrator):
            return
        if connections_on(backend, concentrator.id):
            raise EC2ClientError("IncorrectState",
                                 f"The VPN concentrator {concentrator.id} has VPN connections; delete them first")
        transit_gateways.detach(backend, concentrator.attachment_id)
        concentrator.state = "deleting"


def _local_cidr(options: dict) -> ipaddress.IPv4Network:
    try:
        return ipaddress.ip_network(options.get("LocalIpv4NetworkCidr") or "0.0.0.0/0")
    except ValueError as exc:
        raise invalid(f"Invalid LocalIpv4NetworkCidr: {exc}") from None


def check_new_connection(backend, params: dict) -> VpnConcentrator | None:
    """The concentrator a new connection goes on, after its rules; fills TransitGatewayId. None: no concentrator."""
    concentrator_id = params.get("VpnConcentratorId")
    if not concentrator_id:
        return None
    if params.get("VpnGatewayId"):
        raise EC2ClientError("InvalidParameterCombination",
                             "A VPN connection on a VPN concentrator is on its transit gateway, not on a virtual private gateway")
    concentrator = get(backend, concentrator_id)
    if concentrator.state != "available":
        raise EC2ClientError("IncorrectState", f"The VPN concentrator {concentrator.id} is in state {concentrator.state}; it must be available")
    tgw_id = params.get("TransitGatewayId")
    if tgw_id and tgw_id != concentrator.transit_gateway_id:
        raise invalid(f"The VPN concentrator {concentrator.id} is on transit gateway {concentrator.transit_gateway_id}, not {tgw_id}")
    params["TransitGatewayId"] = concentrator.transit_gateway_id
    options = params.get("Options") or {}
    if str(options.get("StaticRoutesOnly", "false")).lower() == "true":
        raise EC2ClientError("InvalidParameterCombination",
                             "Static routing is not supported for VPN connections on a VPN concentrator; use BGP")
    cidr = _local_cidr(options)
    on = connections_on(backend, concentrator.id)
    for other in on:
        theirs = _local_cidr(getattr(other, "lab_options", None) or {})
        if cidr.overlaps(theirs):
            raise invalid(f"LocalIpv4NetworkCidr {cidr} overlaps {theirs} of {other.id} on VPN concentrator {concentrator.id}; "
                          "each site needs its own CIDR")
    quota = quotas.limit("vpn_connections_per_concentrator")
    if len(on) >= quota:
        raise EC2ClientError("VpnConnectionLimitExceeded",
                             f"You have reached the limit of {quota} VPN connections per VPN concentrator ({concentrator.id})")
    return concentrator


def wrap_validate_resource_ids(original):
    """moto's CreateTags / DeleteTags check IDs against its own prefixes: let concentrators' through."""

    def validate_resource_ids(resource_ids):
        others = [r for r in resource_ids if not str(r).startswith("vpn-concentrator-")]
        return original(others) if others or not resource_ids else True

    return validate_resource_ids


def wrap_do_resources_exist(original):
    """moto reads ``vpn-concentrator-…`` as a VPN connection ID: check concentrators' IDs here."""

    def do_resources_exist(self, resource_ids):
        others = []
        for resource_id in resource_ids:
            if str(resource_id).startswith("vpn-concentrator-"):
                get(self, resource_id)
            else:
                others.append(resource_id)
        return original(self, others) if others else True

    return do_resources_exist
