# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS tunnel endpoint maintenance: each tunnel's ``MaintenanceDetails`` and applying one.

AWS answers ``MaintenanceDetails`` through GetVpnTunnelReplacementStatus only (one call per
tunnel); ``ReplaceVpnTunnel`` with ``ApplyPendingMaintenance`` applies it, and the maintenance is
done when the pending entry is gone and ``LastMaintenanceApplied`` moved.  Errors are raised
(``VpnError`` for a request to refuse, ``AnsibleEC2Error`` from AWS); the module decides.
"""

from __future__ import annotations

import datetime
import ipaddress
import time
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import get_vpn_tunnel_replacement_status
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import replace_vpn_tunnel

ENTRY_KEYS = ("outside_ip", "status", "pending_maintenance", "maintenance_auto_applied_after", "last_maintenance_applied")


def _iso(value: Any) -> Optional[str]:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).isoformat()
    return str(value)


def outside_ips(connection: Dict[str, Any]) -> List[str]:
    """The connection's tunnel outside IPs in a stable order (AWS lists them in any order)."""
    tunnels = (connection.get("Options") or {}).get("TunnelOptions") or connection.get("VgwTelemetry") or []
    return sorted({t["OutsideIpAddress"] for t in tunnels if t.get("OutsideIpAddress")},
                  key=lambda ip: (ipaddress.ip_address(ip).version, ipaddress.ip_address(ip)))


def maintenance_entry(status: Dict[str, Any], telemetry_status: Optional[str] = None) -> Dict[str, Any]:
    """One tunnel's entry from a GetVpnTunnelReplacementStatus answer (pure)."""
    details = status.get("MaintenanceDetails") or {}
    return {
        "outside_ip": status.get("VpnTunnelOutsideIpAddress"),
        "status": telemetry_status,
        "pending_maintenance": details.get("PendingMaintenance") or None,
        "maintenance_auto_applied_after": _iso(details.get("MaintenanceAutoAppliedAfter")),
        "last_maintenance_applied": _iso(details.get("LastMaintenanceApplied")),
    }


def tunnel_maintenance(client, connection: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Every tunnel's maintenance entry, in outside-IP order."""
    telemetry = {t.get("OutsideIpAddress"): t.get("Status") for t in connection.get("VgwTelemetry") or []}
    return [
        maintenance_entry(get_vpn_tunnel_replacement_status(client, connection["VpnConnectionId"], ip), telemetry.get(ip))
        for ip in outside_ips(connection)
    ]


def _applied(entry: Dict[str, Any], before: Dict[str, Any]) -> bool:
    return not entry["pending_maintenance"] and entry["last_maintenance_applied"] not in (
        None,
        before["last_maintenance_applied"],
    )


def apply_pending_maintenance(
    client,
    connection: Dict[str, Any],
    outside_ip: str,
    check_mode: bool = False,
    force: bool = False,
    wait: bool = True,
    timeout: int = 600,
    delay: float = 5.0,
    sleep=time.sleep,
    clock=time.monotonic,
) -> Dict[str, Any]:
    """Apply the tunnel's pending maintenance (ReplaceVpnTunnel), waiting for it when asked.

    Returns ``{changed, before, after}``; nothing pending: unchanged, no call, unless ``force``:
    then the endpoint is replaced without maintenance (AWS publishes no status of such a
    replacement, so there is nothing to wait for here; the caller waits for the tunnel).
    """
    vpn_id = connection["VpnConnectionId"]
    if outside_ip not in outside_ips(connection):
        raise VpnError(
            f"{outside_ip} is not a tunnel outside IP of {vpn_id} (tunnels: {', '.join(outside_ips(connection))})",
            field="outside_ip",
        )
    before = maintenance_entry(get_vpn_tunnel_replacement_status(client, vpn_id, outside_ip))
    if not before["pending_maintenance"]:
        if force and not check_mode:
            replace_vpn_tunnel(client, vpn_id, outside_ip, apply_pending_maintenance=False)
        return {"changed": bool(force), "before": before, "after": before}
    if check_mode:
        planned = dict(before, pending_maintenance=None, maintenance_auto_applied_after=None)
        return {"changed": True, "before": before, "after": planned}
    replace_vpn_tunnel(client, vpn_id, outside_ip, apply_pending_maintenance=True)
    after = maintenance_entry(get_vpn_tunnel_replacement_status(client, vpn_id, outside_ip))
    deadline = clock() + int(timeout)
    while wait and not _applied(after, before):
        if clock() + delay > deadline:
            raise VpnError(
                f"the maintenance of tunnel {outside_ip} of {vpn_id} was not applied within {timeout} s "
                f"(pending: {after['pending_maintenance']!r}, last applied: {after['last_maintenance_applied']})",
                field="wait_timeout",
            )
        sleep(delay)
        after = maintenance_entry(get_vpn_tunnel_replacement_status(client, vpn_id, outside_ip))
    return {"changed": True, "before": before, "after": after}
