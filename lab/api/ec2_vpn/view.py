"""The lab's own interface to its EC2 VPN state (the ``/_lab`` routes the data plane uses).

- set_tunnel_telemetry(): the data plane reports a tunnel UP or DOWN (VgwTelemetry);
- set_bgp_routes(): the routes it learned over BGP (propagated to the VGW's route tables);
- lab_view(): every connection with what the data plane needs, tunnel options in snake_case
  with AWS's defaults.
"""

from __future__ import annotations

import ipaddress

from lab.api import cgw_config
from lab.api.ec2_vpn.common import LOCK, all_connections, ip_key, now


def set_tunnel_telemetry(outside_ip, status, status_message=None, accepted_route_count=None) -> dict | None:
    """Update VgwTelemetry of the tunnel with that outside IP (data plane report)."""
    status = str(status).upper()
    if status not in ("UP", "DOWN"):
        raise ValueError(f"status must be UP or DOWN, not {status!r}")
    with LOCK:
        for backend, conn in all_connections():
            if conn.state == "deleted":
                continue
            for tun in conn.lab_tunnels:
                if tun.outside_ip != outside_ip:
                    continue
                tel = tun.telemetry
                changed = tel["Status"] != status
                if changed:
                    tel["Status"] = status
                    tel["LastStatusChange"] = now()
                if accepted_route_count is not None:
                    tel["AcceptedRouteCount"] = int(accepted_route_count)
                if status_message is not None:
                    tel["StatusMessage"] = status_message
                elif changed or accepted_route_count is not None:
                    # what AWS shows for a BGP tunnel that is up: "<n> BGP ROUTES"
                    bgp = not conn.lab_options.get("StaticRoutesOnly", False)
                    count = tel["AcceptedRouteCount"]
                    tel["StatusMessage"] = f"{count} BGP ROUTES" if status == "UP" and bgp else ""
                return {
                    "vpn_connection_id": conn.id,
                    "outside_ip": outside_ip,
                    "status": tel["Status"],
                    "status_message": tel["StatusMessage"],
                    "accepted_route_count": tel["AcceptedRouteCount"],
                    "last_status_change": tel["LastStatusChange"].isoformat(),
                    "changed": changed,
                    "account_id": backend.account_id,
                    "region": backend.region_name,
                }
    return None


def set_bgp_routes(vpn_connection_id: str, prefixes) -> dict | None:
    """Routes learned over BGP on that connection (replaces the previous set)."""
    normalized = [str(ipaddress.ip_network(p, strict=False)) for p in prefixes or []]
    with LOCK:
        for backend, conn in all_connections():
            if conn.id != vpn_connection_id:
                continue
            conn.lab_bgp_prefixes = list(dict.fromkeys(normalized))
            tables = [
                t.id
                for t in backend.route_tables.values()
                if conn.vpn_gateway_id and conn.vpn_gateway_id in (t.__dict__.get("lab_propagating_vgws") or [])
            ]
            return {"vpn_connection_id": conn.id, "prefixes": conn.lab_bgp_prefixes, "route_tables": tables}
    return None


def _vpc_ids(backend, conn) -> list[str]:
    """The VPCs behind the connection's gateway (their CIDRs are what the AWS side advertises)."""
    if conn.vpn_gateway_id:
        vgw = backend.vpn_gateways.get(conn.vpn_gateway_id)
        return [a.vpc_id for a in (vgw.attachments.values() if vgw else ()) if a.state == "attached"]
    return [
        a.resource_id
        for a in backend.transit_gateway_attachments.values()
        if a.transit_gateway_id == conn.transit_gateway_id and a.resource_type == "vpc" and a.state == "available"
    ]


def _vpc_cidrs(backend, vpc_ids) -> list[str]:
    cidrs = []
    for vpc_id in vpc_ids:
        vpc = backend.vpcs.get(vpc_id)
        if vpc is not None:
            cidrs += [c["cidr_block"] for c in vpc.get_cidr_block_association_set() if c.get("cidr_block")]
    return list(dict.fromkeys(cidrs))


def lab_view() -> list[dict]:
    """Every connection with what the data plane needs (tunnels sorted by outside IP)."""
    out = []
    with LOCK:
        for backend, conn in all_connections():
            cgw = backend.customer_gateways.get(conn.customer_gateway_id)
            tunnels = []
            for tun in sorted(conn.lab_tunnels, key=ip_key):
                vgw_inside, cgw_inside = cgw_config.inside_addresses(tun.inside_cidr)
                entry = tun.describe_snake()
                entry.update(
                    {
                        "outside_ip": tun.outside_ip,
                        "inside_cidr": tun.inside_cidr,
                        "inside_ipv6_cidr": tun.inside_ipv6_cidr,
                        "vgw_inside_ip": vgw_inside,
                        "cgw_inside_ip": cgw_inside,
                        "psk": tun.psk,
                        "replacements": tun.replacements,
                        "status": tun.telemetry["Status"],
                    }
                )
                tunnels.append(entry)
            opts = conn.lab_options
            out.append(
                {
                    "vpn_connection_id": conn.id,
                    "account_id": backend.account_id,
                    "region": backend.region_name,
                    "state": conn.state,
                    "type": conn.type,
                    "customer_gateway_id": conn.customer_gateway_id,
                    "customer_gateway_ip": conn.lab_cgw_ip,
                    "customer_gateway_bgp_asn": conn.lab_cgw_asn,
                    "customer_gateway_device_name": getattr(cgw, "device_name", None),
                    "vpn_gateway_id": conn.vpn_gateway_id,
                    "transit_gateway_id": conn.transit_gateway_id,
                    "amazon_side_asn": conn.lab_vgw_asn,
                    "vpc_ids": _vpc_ids(backend, conn),
                    "vpc_cidrs": _vpc_cidrs(backend, _vpc_ids(backend, conn)),
                    "static_routes_only": bool(opts.get("StaticRoutesOnly", False)),
                    "static_routes": [c for c, s in conn.lab_routes.items() if s == "available"],
                    "bgp_prefixes": list(conn.lab_bgp_prefixes),
                    "pre_shared_key_storage": conn.pre_shared_key_storage,
                    "pre_shared_key_arn": conn.pre_shared_key_arn,
                    "options": {
                        "enable_acceleration": opts.get("EnableAcceleration", False),
                        "static_routes_only": opts.get("StaticRoutesOnly", False),
                        "local_ipv4_network_cidr": opts.get("LocalIpv4NetworkCidr"),
                        "remote_ipv4_network_cidr": opts.get("RemoteIpv4NetworkCidr"),
                        "local_ipv6_network_cidr": opts.get("LocalIpv6NetworkCidr"),
                        "remote_ipv6_network_cidr": opts.get("RemoteIpv6NetworkCidr"),
                        "outside_ip_address_type": opts.get("OutsideIpAddressType"),
                        "tunnel_inside_ip_version": opts.get("TunnelInsideIpVersion"),
                        "tunnel_bandwidth": opts.get("TunnelBandwidth"),
                    },
                    "tunnels": tunnels,
                }
            )
    return out
