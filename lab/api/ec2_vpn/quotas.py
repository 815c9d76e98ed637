"""AWS's Site-to-Site VPN quotas, enforced by the lab with AWS's error codes.

Defaults are AWS's (Site-to-Site VPN quotas page); the lab settings' ``quotas`` override them,
as a quota increase would. Deleted and deleting resources do not count.
"""

from __future__ import annotations

from moto.ec2.exceptions import EC2ClientError

from lab.api.ec2_vpn.common import settings


def limit(name: str) -> int:
    return int(settings()["quotas"][name])


def _live(items) -> list:
    return [i for i in items if i.state not in ("deleted", "deleting")]


def check_new_vpn_connection(backend, vgw_id: str | None) -> None:
    conns = _live(c for c in backend.vpn_connections.values())
    if len(conns) >= limit("vpn_connections_per_region"):
        raise EC2ClientError("VpnConnectionLimitExceeded",
                             f"You have reached the limit of {limit('vpn_connections_per_region')} VPN connections "
                             "per Region")
    if vgw_id:
        on_vgw = [c for c in conns if c.vpn_gateway_id == vgw_id]
        if len(on_vgw) >= limit("vpn_connections_per_vgw"):
            raise EC2ClientError("VpnConnectionLimitExceeded",
                                 f"You have reached the limit of {limit('vpn_connections_per_vgw')} VPN connections "
                                 f"per virtual private gateway ({vgw_id})")


def check_new_customer_gateway(backend) -> None:
    if len(_live(backend.customer_gateways.values())) >= limit("customer_gateways_per_region"):
        raise EC2ClientError("CustomerGatewayLimitExceeded",
                             f"You have reached the limit of {limit('customer_gateways_per_region')} customer "
                             "gateways per Region")


def check_new_route(conn) -> None:
    live = [c for c, state in conn.lab_routes.items() if state == "available"]
    if len(live) >= limit("routes_per_vpn_connection"):
        raise EC2ClientError("RouteLimitExceeded",
                             f"You have reached the limit of {limit('routes_per_vpn_connection')} static routes "
                             f"per VPN connection ({conn.id})")
