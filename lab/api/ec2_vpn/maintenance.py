"""AWS tunnel endpoint maintenance in the lab: MaintenanceDetails, ReplaceVpnTunnel, GetVpnTunnelReplacementStatus.

AWS publishes, per tunnel, ``MaintenanceDetails`` (``PendingMaintenance``,
``MaintenanceAutoAppliedAfter``, ``LastMaintenanceApplied``); in the EC2 service model it is
answered by GetVpnTunnelReplacementStatus only (VgwTelemetry and TunnelOption do not carry it).
The lab has no real maintenance, so a test or a demo announces one through the control API
(``POST /_lab/maintenance``, :func:`set_pending`); ``ReplaceVpnTunnel`` with
``ApplyPendingMaintenance`` applies it: the pending entry goes, ``LastMaintenanceApplied`` is
set, and the tunnel's ``replacements`` counter (``GET /_lab/vpn-connections``) goes up, which the
data plane's edge agent follows by restarting that tunnel's endpoint (lab/dataplane/edge.py).

Error codes: a missing connection answers moto's ``InvalidVpnConnectionID.NotFound``, an outside
IP not of the connection ``InvalidParameterValue`` (models.py). AWS documents no error for
``ApplyPendingMaintenance`` without a pending maintenance; the lab refuses it with
``IncorrectState`` so that a caller that did not look first finds out (a lab choice).

State lives on the Tunnel objects (``lab_maintenance``), so moto's reset clears it.
"""

from __future__ import annotations

import datetime

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError

from lab.api.ec2_vpn import models
from lab.api.ec2_vpn.common import LOCK, all_connections, now
from lab.api.ec2_vpn.rules import invalid

# What a pending maintenance says when the caller gives no text (AWS's wording is not published).
DEFAULT_PENDING = "Tunnel endpoint maintenance is available"


def _details(tun) -> dict:
    return tun.__dict__.setdefault("lab_maintenance", {})


def _timestamp(value) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        stamp = value
    else:
        try:
            stamp = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"auto_applied_after must be an ISO 8601 time, not {value!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    return stamp.astimezone(datetime.timezone.utc)


def _find(vpn_connection_id: str | None, outside_ip: str):
    for backend, conn in all_connections():
        if conn.state == "deleted" or (vpn_connection_id and conn.id != vpn_connection_id):
            continue
        for tun in conn.lab_tunnels:
            if tun.outside_ip == outside_ip:
                return backend, conn, tun
    return None


def _record(conn, tun) -> dict:
    details = _details(tun)
    return {
        "vpn_connection_id": conn.id,
        "outside_ip": tun.outside_ip,
        "pending_maintenance": details.get("PendingMaintenance"),
        "maintenance_auto_applied_after": _iso(details.get("MaintenanceAutoAppliedAfter")),
        "last_maintenance_applied": _iso(details.get("LastMaintenanceApplied")),
        "replacements": tun.replacements,
    }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def set_pending(vpn_connection_id: str | None, outside_ip: str, pending=True, auto_applied_after=None) -> dict | None:
    """Announce (``pending`` true or a text) or withdraw (false) a tunnel's maintenance.

    None when no live connection has that tunnel. ``auto_applied_after`` defaults to 14 days
    from now when a maintenance is announced without one.
    """
    with LOCK:
        found = _find(vpn_connection_id, outside_ip)
        if found is None:
            return None
        dummy, conn, tun = found
        details = _details(tun)
        if pending:
            details["PendingMaintenance"] = pending if isinstance(pending, str) else DEFAULT_PENDING
            details["MaintenanceAutoAppliedAfter"] = _timestamp(auto_applied_after) or now() + datetime.timedelta(days=14)
        else:
            details.pop("PendingMaintenance", None)
            details.pop("MaintenanceAutoAppliedAfter", None)
        return _record(conn, tun)


def replace_tunnel(backend, vpn_connection_id: str, outside_ip: str, apply_pending: bool) -> None:
    """ReplaceVpnTunnel: the endpoint is replaced (models.replace_tunnel); with
    ``apply_pending`` the pending maintenance is applied by that replacement."""
    with LOCK:
        conn = models.get_connection(backend, vpn_connection_id)
        tun = next((t for t in conn.lab_tunnels if t.outside_ip == outside_ip), None)
        if apply_pending and tun is not None and not _details(tun).get("PendingMaintenance"):
            raise EC2ClientError(
                "IncorrectState", f"The VPN tunnel {outside_ip} of {vpn_connection_id} has no pending maintenance to apply"
            )
        models.replace_tunnel(backend, vpn_connection_id, outside_ip)  # checks state and the outside IP
        if apply_pending:
            details = _details(tun)
            details.pop("PendingMaintenance", None)
            details.pop("MaintenanceAutoAppliedAfter", None)
            details["LastMaintenanceApplied"] = now()


def replacement_status(backend, vpn_connection_id: str, outside_ip: str) -> dict:
    """GetVpnTunnelReplacementStatus's answer (request form, CamelCase)."""
    with LOCK:
        conn = models.get_connection(backend, vpn_connection_id)
        tun = next((t for t in conn.lab_tunnels if t.outside_ip == outside_ip), None)
        if tun is None:
            raise invalid(f"The VPN tunnel outside IP address {outside_ip} does not belong to {conn.id}")
        out = {
            "VpnConnectionId": conn.id,
            "CustomerGatewayId": conn.customer_gateway_id,
            "VpnTunnelOutsideIpAddress": tun.outside_ip,
            "MaintenanceDetails": {k: v for k, v in _details(tun).items() if v is not None},
        }
        if conn.vpn_gateway_id:
            out["VpnGatewayId"] = conn.vpn_gateway_id
        if conn.transit_gateway_id:
            out["TransitGatewayId"] = conn.transit_gateway_id
        return out


# --------------------------------------------------------------------------- EC2 responses


def replace_vpn_tunnel(self) -> ActionResult:
    self.error_on_dryrun()
    replace_tunnel(
        self.ec2_backend,
        self._get_param("VpnConnectionId"),
        self._get_param("VpnTunnelOutsideIpAddress"),
        bool(self._get_bool_param("ApplyPendingMaintenance", False)),
    )
    return ActionResult({"Return": True})


def get_vpn_tunnel_replacement_status(self) -> ActionResult:
    self.error_on_dryrun()
    return ActionResult(
        replacement_status(self.ec2_backend, self._get_param("VpnConnectionId"), self._get_param("VpnTunnelOutsideIpAddress"))
    )


ACTIONS = {
    "replace_vpn_tunnel": replace_vpn_tunnel,
    "get_vpn_tunnel_replacement_status": get_vpn_tunnel_replacement_status,
}
