"""A VPN connection as the lab API's GET /_lab/vpn-connections serves it, for the data plane's unit tests."""
from __future__ import annotations


def connection(vpn_id: str, cgw_ip: str, outside: tuple[str, str], inside: tuple[str, str],
               *, psk: str = "labsecret", static: bool = False, routes=(), asn: int = 65000,
               vgw: str = "vgw-lab1", options: dict | None = None) -> dict:
    tunnels = []
    for o, i in zip(outside, inside):
        tunnels.append({"outside_ip": o, "inside_cidr": i, "psk": f"{psk}{o.rsplit('.', 1)[1]}",
                        "options": dict(options or {})})
    return {"vpn_connection_id": vpn_id, "state": "available", "vpn_gateway_id": vgw,
            "amazon_side_asn": 64512, "customer_gateway": {"ip_address": cgw_ip, "bgp_asn": asn},
            "static_routes_only": static, "routes": list(routes), "vpc_cidrs": ["10.0.0.0/16"],
            "tunnels": tunnels}
