"""EC2's Site-to-Site VPN slice for the lab API: moto 5.2.5 patched in place, not forked.

Laid out as moto lays out a service:

| module | what |
|---|---|
| rules.py | AWS's documented request rules (tunnel options, connection options, gateways) |
| quotas.py | AWS's Site-to-Site VPN quotas (lab settings ``quotas``) |
| common.py | the lock, settings and backends every module shares |
| tunnels.py | one tunnel: outside IPs, inside CIDRs, pre-shared keys (Secrets Manager too) |
| models.py | VPN connections: create, modify, routes, route propagation |
| gateways.py | customer gateways, virtual private gateways, route tables, filters |
| serialize.py | what DescribeVpnConnections / DescribeRouteTables show |
| transit_gateways.py | transit gateway VPN attachments: default tables, one association each, propagations |
| concentrators.py | Site-to-Site VPN Concentrators and the rules of a connection on one |
| active_tunnel_status.py | GetActiveVpnTunnelStatus |
| responses.py, hub_responses.py, urls.py | the thin EC2 response methods and the actions they answer |
| device_config.py, ../cgw_config.py | sample device configurations, the XML |
| view.py | the lab's interface: telemetry, BGP routes, the data plane's view |
| maintenance.py | tunnel endpoint maintenance: MaintenanceDetails, ReplaceVpnTunnel, GetVpnTunnelReplacementStatus |

lab/api/patches.py applies every patch to moto (this slice's included) once per process.
Lab VPN state lives on moto's objects, so moto's reset clears it.
"""

from __future__ import annotations

from lab.api.ec2_vpn.maintenance import set_pending as set_pending_maintenance
from lab.api.ec2_vpn.view import lab_view, set_bgp_routes, set_tunnel_telemetry

__all__ = ["lab_view", "reset", "set_bgp_routes", "set_pending_maintenance", "set_tunnel_telemetry"]


def reset() -> None:
    """Nothing beyond moto's reset: every piece of lab VPN state is an attribute of moto's objects."""
    return None
