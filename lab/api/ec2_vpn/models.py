"""EC2's Site-to-Site VPN connections in the lab API: create, modify, routes, propagation.

Functions take the region's EC2 backend; the response layer (responses.py) only parses and
serialises; the request rules are rules.py's (AWS's documentation), the quotas quotas.py's.
"""

from __future__ import annotations

import copy
import ipaddress

from moto.ec2.exceptions import EC2ClientError, InvalidVpnConnectionIdError
from moto.ec2.models.vpn_connections import VPNConnection

from lab.api.ec2_vpn import concentrators, quotas, rules, transit_gateways
from lab.api.ec2_vpn.common import LOCK, now
from lab.api.ec2_vpn.rules import invalid
from lab.api.ec2_vpn.tunnels import (
    Tunnel,
    allocate_outside_ips,
    check_inside_cidr_free,
    gateway_key,
    random_inside_cidr,
    random_inside_ipv6_cidr,
    random_psk,
    split_tunnel_spec,
    store_psks_in_secret,
    used_inside_cidrs,
)


# --------------------------------------------------------------------------- backend operations


def _vgw_asn(backend, vpn_gateway_id, transit_gateway_id) -> int:
    if vpn_gateway_id:
        asn = backend.get_vpn_gateway(vpn_gateway_id).amazon_side_asn
    else:
        tgw = backend.transit_gateways[transit_gateway_id]
        asn = (getattr(tgw, "options", None) or {}).get("AmazonSideAsn")
    return int(asn or 64512)


def _cgw_asn(cgw) -> int:
    return int(getattr(cgw, "bgp_asn_extended", None) or cgw.bgp_asn or 65000)


def _parse_options(raw: dict | None) -> tuple[dict, list]:
    raw = copy.deepcopy(raw or {})
    tunnels = raw.pop("TunnelOptions", None) or []
    return raw, tunnels


def create_vpn_connection(backend, params: dict, account: str, region: str) -> VPNConnection:
    with LOCK:
        concentrator = concentrators.check_new_connection(backend, params)
        conn = _create_vpn_connection(backend, params, account, region)
        # a concentrator's sites share its attachment; any other transit gateway connection gets its own
        conn.vpn_concentrator_id = concentrator.id if concentrator else None
        if conn.transit_gateway_id and not concentrator:
            conn.lab_attachment_id = transit_gateways.attach(backend, conn.id, "vpn", conn.transit_gateway_id).id
    return conn


def _create_vpn_connection(backend, params: dict, account: str, region: str) -> VPNConnection:
    vpn_type = params.get("Type")
    if vpn_type != "ipsec.1":
        raise invalid(f"The VPN connection type '{vpn_type}' is not supported; use ipsec.1")
    cgw_id = params.get("CustomerGatewayId")
    vgw_id = params.get("VpnGatewayId")
    tgw_id = params.get("TransitGatewayId")
    if vgw_id and tgw_id:
        raise invalid("The request must not contain both parameter vpnGatewayId and transitGatewayId")
    if not vgw_id and not tgw_id:
        raise EC2ClientError("MissingParameter", "The request must contain the parameter vpnGatewayId or transitGatewayId")
    cgw = backend.get_customer_gateway(cgw_id)
    if cgw.state == "deleted":
        raise EC2ClientError("InvalidCustomerGatewayID.NotFound", f"The customerGateway ID '{cgw_id}' does not exist")
    if vgw_id:
        vgw = backend.get_vpn_gateway(vgw_id)
        if vgw.state == "deleted":
            raise EC2ClientError("InvalidVpnGatewayID.NotFound", f"The virtual private gateway ID '{vgw_id}' does not exist")
    else:
        transit_gateways.live_transit_gateway(backend, tgw_id)

    storage = params.get("PreSharedKeyStorage") or "Standard"
    if storage not in ("Standard", "SecretsManager"):
        raise invalid(f"Invalid value '{storage}' for PreSharedKeyStorage; valid values: Standard, SecretsManager")

    options, tunnel_specs = _parse_options(params.get("Options"))
    rules.check_connection_options(options, vgw_id, tgw_id)
    rules.check_tunnels(tunnel_specs)  # also: at most two entries, no inside CIDR given twice

    gateway_id = vgw_id or tgw_id
    used = used_inside_cidrs(backend, gateway_id)
    specs = list(tunnel_specs) + [{}] * (2 - len(tunnel_specs))
    identities = []
    for spec in specs:
        identity, opts = split_tunnel_spec(spec)
        if "TunnelInsideCidr" in identity:
            identity["TunnelInsideCidr"] = check_inside_cidr_free(identity["TunnelInsideCidr"], used)
            used.add(ipaddress.ip_network(identity["TunnelInsideCidr"]))
        identities.append((identity, opts))
    for identity, dummy in identities:
        if "TunnelInsideCidr" not in identity:
            identity["TunnelInsideCidr"] = random_inside_cidr(used)
            used.add(ipaddress.ip_network(identity["TunnelInsideCidr"]))
    if options.get("TunnelInsideIpVersion") == "ipv6":
        used6 = used_inside_cidrs(backend, gateway_id, ipv6=True)
        for identity, dummy in identities:
            cidr = identity.get("TunnelInsideIpv6Cidr")
            if cidr:
                identity["TunnelInsideIpv6Cidr"] = check_inside_cidr_free(cidr, used6, "TunnelInsideIpv6Cidr")
            else:
                identity["TunnelInsideIpv6Cidr"] = random_inside_ipv6_cidr(used6)
            used6.add(ipaddress.ip_network(identity["TunnelInsideIpv6Cidr"]))

    quotas.check_new_vpn_connection(backend, vgw_id)
    outside = allocate_outside_ips(2)
    tags = params.get("_tags") or {}
    conn = backend.create_vpn_connection(
        vpn_type, cgw_id, vpn_gateway_id=vgw_id, transit_gateway_id=tgw_id, tags=tags
    )
    conn.lab_account, conn.lab_region = account, region
    conn.lab_options = rules.describe_connection_options(options)
    conn.lab_cgw_ip = cgw.ip_address
    conn.lab_cgw_asn = _cgw_asn(cgw)
    conn.lab_vgw_asn = _vgw_asn(backend, vgw_id, tgw_id)
    conn.lab_routes = {}
    conn.lab_bgp_prefixes = []
    conn.category = "VPN"
    conn.gateway_association_state = "associated"
    conn.pre_shared_key_storage = storage
    conn.pre_shared_key_arn = None
    conn.lab_tunnels = [
        Tunnel(
            outside_ip=ip,
            inside_cidr=identity["TunnelInsideCidr"],
            psk=identity.get("PreSharedKey") or random_psk(),
            options=opts,
            inside_ipv6_cidr=identity.get("TunnelInsideIpv6Cidr"),
        )
        for ip, (identity, opts) in zip(outside, identities)
    ]
    conn.state = "pending"
    if storage == "SecretsManager":
        store_psks_in_secret(conn)
    return conn


def _get_conn(backend, vpn_connection_id: str) -> VPNConnection:
    conn = backend.vpn_connections.get(vpn_connection_id)
    if conn is None or getattr(conn, "lab_tunnels", None) is None:
        raise InvalidVpnConnectionIdError(vpn_connection_id)
    return conn


def _require_available(conn) -> None:
    state = conn.state
    if state != "available":
        raise EC2ClientError(
            "IncorrectState", f"The VPN connection {conn.id} is in state {state}; it must be available"
        )


def _get_tunnel(conn, outside_ip: str) -> Tunnel:
    for tun in conn.lab_tunnels:
        if tun.outside_ip == outside_ip:
            return tun
    raise invalid(f"The VPN tunnel outside IP address {outside_ip} does not belong to {conn.id}")


def _modify_tunnel(backend, conn, outside_ip: str, spec: dict, storage: str | None) -> None:
    _require_available(conn)
    tun = _get_tunnel(conn, outside_ip)
    identity, opts = split_tunnel_spec(spec or {})
    merged = copy.deepcopy(tun.options)
    merged.update(opts)
    check = dict(merged)
    check.update(identity)
    rules.check_tunnel(check)
    if "TunnelInsideCidr" in identity:
        used = used_inside_cidrs(backend, gateway_key(conn), exclude=tun)
        identity["TunnelInsideCidr"] = check_inside_cidr_free(identity["TunnelInsideCidr"], used)
    if "TunnelInsideIpv6Cidr" in identity:
        used6 = used_inside_cidrs(backend, gateway_key(conn), exclude=tun, ipv6=True)
        identity["TunnelInsideIpv6Cidr"] = check_inside_cidr_free(
            identity["TunnelInsideIpv6Cidr"], used6, "TunnelInsideIpv6Cidr"
        )
    if storage not in (None, "", "Standard", "SecretsManager"):
        raise invalid(f"Invalid value '{storage}' for PreSharedKeyStorage; valid values: Standard, SecretsManager")
    tun.options = merged
    if "TunnelInsideCidr" in identity:
        tun.inside_cidr = identity["TunnelInsideCidr"]
    if "TunnelInsideIpv6Cidr" in identity:
        tun.inside_ipv6_cidr = identity["TunnelInsideIpv6Cidr"]
    if "PreSharedKey" in identity:
        tun.psk = identity["PreSharedKey"]
    if storage:
        conn.pre_shared_key_storage = storage
    if conn.pre_shared_key_storage == "SecretsManager":
        store_psks_in_secret(conn)
    conn.state = "modifying"


def modify_tunnel_options(backend, vpn_connection_id, outside_ip, spec, storage, skip_replacement) -> VPNConnection:
    with LOCK:
        conn = _get_conn(backend, vpn_connection_id)
        _modify_tunnel(backend, conn, outside_ip, spec or {}, storage)
        conn.lab_skip_tunnel_replacement = bool(skip_replacement)
    return conn


CONNECTION_CIDR_OPTIONS = (
    "LocalIpv4NetworkCidr",
    "RemoteIpv4NetworkCidr",
    "LocalIpv6NetworkCidr",
    "RemoteIpv6NetworkCidr",
    "TunnelBandwidth",
)


def modify_connection_options(backend, vpn_connection_id: str, changes: dict) -> VPNConnection:
    with LOCK:
        conn = _get_conn(backend, vpn_connection_id)
        _require_available(conn)
        merged = dict(conn.lab_options)
        merged.update({k: v for k, v in changes.items() if k in CONNECTION_CIDR_OPTIONS and v})
        rules.check_connection_options(merged, conn.vpn_gateway_id, conn.transit_gateway_id)
        conn.lab_options = merged
        conn.state = "modifying"
    return conn


def modify_connection(backend, vpn_connection_id, cgw_id=None, vgw_id=None, tgw_id=None) -> VPNConnection:
    """ModifyVpnConnection: another customer gateway or target gateway; outside IPs and PSKs stay."""
    with LOCK:
        conn = _get_conn(backend, vpn_connection_id)
        _require_available(conn)
        if vgw_id and tgw_id:
            raise invalid("The request must not contain both parameter vpnGatewayId and transitGatewayId")
        if cgw_id:
            cgw = backend.get_customer_gateway(cgw_id)
            conn.customer_gateway_id = cgw_id
            conn.lab_cgw_ip, conn.lab_cgw_asn = cgw.ip_address, _cgw_asn(cgw)
        if vgw_id:
            backend.get_vpn_gateway(vgw_id)
        elif tgw_id:
            transit_gateways.live_transit_gateway(backend, tgw_id)
        if (vgw_id or tgw_id) and getattr(conn, "lab_attachment_id", None):
            # the old transit gateway's attachment goes (AWS deletes it with the move)
            transit_gateways.detach(backend, conn.lab_attachment_id)
            conn.lab_attachment_id = None
        if vgw_id:
            conn.vpn_gateway_id, conn.transit_gateway_id = vgw_id, None
            conn.lab_vgw_asn = _vgw_asn(backend, vgw_id, None)
        elif tgw_id:
            conn.vpn_gateway_id, conn.transit_gateway_id = None, tgw_id
            conn.lab_vgw_asn = _vgw_asn(backend, None, tgw_id)
            # AWS makes the connection's attachment on the new transit gateway, as CreateVpnConnection does
            conn.lab_attachment_id = transit_gateways.attach(backend, conn.id, "vpn", tgw_id).id
        conn.state = "modifying"
    return conn


def replace_tunnel(backend, vpn_connection_id: str, outside_ip: str) -> None:
    with LOCK:
        conn = _get_conn(backend, vpn_connection_id)
        _require_available(conn)
        tun = _get_tunnel(conn, outside_ip)
        tun.replacements += 1
        if tun.telemetry["Status"] != "DOWN":
            tun.telemetry.update(Status="DOWN", StatusMessage="", LastStatusChange=now())


def _route_cidr(cidr) -> str:
    try:
        return str(ipaddress.ip_network(cidr))
    except (ValueError, TypeError):
        raise invalid(
            f"Value ({cidr}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block."
        ) from None


def create_connection_route(backend, vpn_connection_id: str, cidr: str) -> None:
    with LOCK:
        conn = _get_conn(backend, vpn_connection_id)
        cidr = _route_cidr(cidr)
        if not conn.lab_options.get("StaticRoutesOnly"):
            raise invalid(f"The VPN connection {conn.id} does not use static routing (StaticRoutesOnly is false)")
        if conn.lab_routes.get(cidr) != "available":
            quotas.check_new_route(conn)
        conn.lab_routes[cidr] = "available"


def delete_connection_route(backend, vpn_connection_id: str, cidr: str) -> None:
    with LOCK:
        conn = _get_conn(backend, vpn_connection_id)
        cidr = _route_cidr(cidr)
        if conn.lab_routes.get(cidr) != "available":
            raise EC2ClientError("InvalidRoute.NotFound", f"The route {cidr} of {conn.id} does not exist")
        conn.lab_routes[cidr] = "deleted"


def enable_vgw_route_propagation(backend, vgw_id: str, route_table_id: str) -> None:
    with LOCK:
        vgw = backend.get_vpn_gateway(vgw_id)
        table = backend.get_route_table(route_table_id)
        attached = [a for a in vgw.attachments.values() if a.state == "attached"]
        if not any(a.vpc_id == table.vpc_id for a in attached):
            raise EC2ClientError("Gateway.NotAttached", f"resource {vgw.id} is not attached to network {table.vpc_id}")
        vgws = table.__dict__.setdefault("lab_propagating_vgws", [])
        if vgw.id not in vgws:
            vgws.append(vgw.id)


def disable_vgw_route_propagation(backend, vgw_id: str, route_table_id: str) -> None:
    with LOCK:
        vgw = backend.get_vpn_gateway(vgw_id)
        table = backend.get_route_table(route_table_id)
        vgws = table.__dict__.setdefault("lab_propagating_vgws", [])
        if vgw.id in vgws:
            vgws.remove(vgw.id)


def get_connection(backend, vpn_connection_id: str) -> VPNConnection:
    return _get_conn(backend, vpn_connection_id)
