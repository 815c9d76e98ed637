"""Customer gateways, virtual private gateways and route tables of the lab's EC2 VPN slice.

What moto lacks or answers unlike AWS: the customer gateway's extended fields and checks, one VPC
per VGW and one VGW per VPC, no delete of an attached VGW or of a customer gateway in use, routes
propagated from the VGW's connections, and the describe filters AWS documents. patches.py puts the
``_wrap_*`` functions and properties on moto's classes.
"""

from __future__ import annotations

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.utils import generic_filter

from lab.api.ec2_vpn import quotas, rules
from lab.api.ec2_vpn.common import LOCK


def _marked(wrapper, original):
    """wrapper, marked as the lab's patch over moto's original (the canary tests check the mark)."""
    wrapper.lab_patched = True
    wrapper.lab_original = original
    return wrapper


# --------------------------------------------------------------------------- customer gateways


def create_customer_gateway(
    backend, gateway_type, ip_address, bgp_asn, bgp_asn_ext, certificate_arn, device_name, tags
):
    """CreateCustomerGateway with BgpAsnExtended, CertificateArn and DeviceName (moto drops them)."""
    asn, ext = rules.check_customer_gateway(gateway_type, ip_address, bgp_asn, bgp_asn_ext, certificate_arn, device_name)
    with LOCK:
        for cgw in backend.customer_gateways.values():
            # AWS: an identical request returns the existing gateway instead of a duplicate
            if (cgw.state, cgw.ip_address, cgw.bgp_asn, cgw.bgp_asn_extended, cgw.device_name, cgw.certificate_arn) == (
                "available",
                ip_address,
                asn,
                ext,
                device_name,
                certificate_arn,
            ):
                return cgw
        quotas.check_new_customer_gateway(backend)
        cgw = backend.create_customer_gateway(gateway_type, ip_address=ip_address, bgp_asn=asn, tags=tags)
        cgw.bgp_asn_extended = ext
        cgw.certificate_arn = certificate_arn
        cgw.device_name = device_name
    return cgw


def _wrap_delete_customer_gateway(original):
    def delete_customer_gateway(self, customer_gateway_id: str) -> None:
        with LOCK:
            for conn in self.vpn_connections.values():
                if conn.customer_gateway_id == customer_gateway_id and conn.state not in ("deleted", "deleting"):
                    raise EC2ClientError(
                        "IncorrectState", f"The customer gateway {customer_gateway_id} is in use by {conn.id}"
                    )
            return original(self, customer_gateway_id)

    return _marked(delete_customer_gateway, original)


# Virtual private gateways: AmazonSideAsn default and range, one VPC at a time.


def _wrap_create_vpn_gateway(original):
    def create_vpn_gateway(self, gateway_type="ipsec.1", amazon_side_asn=None, availability_zone=None, tags=None):
        asn = rules.check_amazon_side_asn(amazon_side_asn)
        return original(self, gateway_type or "ipsec.1", asn, availability_zone, tags)

    return _marked(create_vpn_gateway, original)


def _attached_vpcs(vgw) -> list[str]:
    return [a.vpc_id for a in vgw.attachments.values() if a.state in ("attaching", "attached")]


def _wrap_attach_vpn_gateway(original):
    def attach_vpn_gateway(self, vpn_gateway_id: str, vpc_id: str):
        with LOCK:
            vgw = self.get_vpn_gateway(vpn_gateway_id)
            for other in _attached_vpcs(vgw):
                if other != vpc_id:
                    raise EC2ClientError(
                        "VpnGatewayAttachmentLimitExceeded",
                        f"The virtual private gateway {vpn_gateway_id} is already attached to {other}",
                    )
            self.get_vpc(vpc_id)
            for gw in self.vpn_gateways.values():
                # a VPC takes one virtual private gateway at a time
                if gw.id != vpn_gateway_id and gw.state != "deleted" and vpc_id in _attached_vpcs(gw):
                    raise EC2ClientError(
                        "InvalidVpcState", f"VPC {vpc_id} is currently attached to the Virtual Private Gateway {gw.id}."
                    )
            return original(self, vpn_gateway_id, vpc_id)

    return _marked(attach_vpn_gateway, original)


def _wrap_delete_vpn_gateway(original):
    def delete_vpn_gateway(self, vpn_gateway_id: str):
        with LOCK:
            vgw = self.get_vpn_gateway(vpn_gateway_id)
            attached = _attached_vpcs(vgw)
            if attached:
                raise EC2ClientError(
                    "IncorrectState",
                    f"The virtual private gateway {vpn_gateway_id} is attached to {attached[0]}; detach it first.",
                )
            return original(self, vpn_gateway_id)

    return _marked(delete_vpn_gateway, original)


# Route tables: PropagatingVgws and routes propagated from the VGW's connections.


class PropagatedRoute:
    def __init__(self, cidr: str, vgw_id: str):
        self.destination_cidr_block = cidr
        self.gateway_id = vgw_id
        self.origin = "EnableVgwRoutePropagation"
        self.state = "active"
        self.gateway = None


def _table_propagating_vgws(self) -> list:
    return [{"GatewayId": g} for g in self.__dict__.get("lab_propagating_vgws", [])]


def _propagated_routes(table) -> list:
    vgws = table.__dict__.get("lab_propagating_vgws") or []
    if not vgws:
        return []
    own = {r.destination_cidr_block for r in table._routes.values()}
    seen, out = set(), []
    for conn in table.ec2_backend.vpn_connections.values():
        if getattr(conn, "lab_tunnels", None) is None or conn.vpn_gateway_id not in vgws:
            continue
        if conn.state not in ("available", "modifying"):
            continue
        static = [c for c, s in conn.lab_routes.items() if s == "available"]
        for cidr in list(conn.lab_bgp_prefixes) + static:
            if cidr in own or (cidr, conn.vpn_gateway_id) in seen:
                continue
            seen.add((cidr, conn.vpn_gateway_id))
            out.append(PropagatedRoute(cidr, conn.vpn_gateway_id))
    return out


def _table_routes(self) -> list:
    return list(self._routes.values()) + _propagated_routes(self)


# Filters AWS documents that moto answers wrongly or not at all.

_VPN_FILTERS = {
    "vpn-connection-id": lambda c: c.id,
    "customer-gateway-id": lambda c: c.customer_gateway_id,
    "vpn-gateway-id": lambda c: c.vpn_gateway_id or "",
    "transit-gateway-id": lambda c: c.transit_gateway_id or "",
    "state": lambda c: c.state,
    "type": lambda c: c.type,
    "category": lambda c: "VPN",
    "customer-gateway-configuration": lambda c: c.customer_gateway_configuration,
    "option.static-routes-only": lambda c: bool(c.lab_options.get("StaticRoutesOnly", False)),
    "route.destination-cidr-block": lambda c: list(c.lab_routes),
    "bgp-asn": lambda c: str(c.lab_cgw_asn),
}

_CGW_FILTERS = {
    "customer-gateway-id": lambda g: g.id,
    "ip-address": lambda g: g.ip_address or "",
    "bgp-asn": lambda g: str(g.bgp_asn_extended or g.bgp_asn or ""),
    "state": lambda g: g.state,
    "type": lambda g: g.type,
    "device-name": lambda g: g.device_name or "",
}


def _wrap_filter_value(original, table):
    def get_filter_value(self, filter_name, method_name=None):
        getter = table.get(filter_name)
        if getter is not None and (table is not _VPN_FILTERS or getattr(self, "lab_tunnels", None) is not None):
            return getter(self)
        return original(self, filter_name, method_name)

    return _marked(get_filter_value, original)


def _wrap_describe_customer_gateways(original):
    def describe_customer_gateways(self, filters=None, customer_gateway_ids=None):
        found = original(self, None, customer_gateway_ids)
        missing = set(customer_gateway_ids or ()) - {g.id for g in found}
        if missing:
            raise EC2ClientError(
                "InvalidCustomerGatewayID.NotFound", f"The customerGateway ID '{sorted(missing)[0]}' does not exist"
            )
        return generic_filter(filters, found)

    return _marked(describe_customer_gateways, original)
