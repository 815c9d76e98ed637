"""module_utils/tunnel_maintenance: applying one tunnel's maintenance and waiting for it (fake EC2 client)."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_maintenance import apply_pending_maintenance
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_maintenance import outside_ips

CONN = {"VpnConnectionId": "vpn-1", "Options": {"TunnelOptions": [{"OutsideIpAddress": "10.0.0.9"}, {"OutsideIpAddress": "10.0.0.10"}]}}
T0 = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)


class FakeEC2:
    """Pending maintenance on every tunnel; applied after ``lag`` status reads following the replacement."""

    def __init__(self, lag=0):
        self.lag = lag
        self.replaced = []
        self.reads_after = 0

    def get_vpn_tunnel_replacement_status(self, VpnConnectionId, VpnTunnelOutsideIpAddress):
        details = {"PendingMaintenance": "upgrade", "MaintenanceAutoAppliedAfter": T0}
        if VpnTunnelOutsideIpAddress in self.replaced:
            self.reads_after += 1
            if self.reads_after > self.lag:
                details = {"LastMaintenanceApplied": T0}
        return {"VpnConnectionId": VpnConnectionId, "VpnTunnelOutsideIpAddress": VpnTunnelOutsideIpAddress,
                "MaintenanceDetails": details}

    def replace_vpn_tunnel(self, VpnConnectionId, VpnTunnelOutsideIpAddress, ApplyPendingMaintenance):
        assert ApplyPendingMaintenance is True
        self.replaced.append(VpnTunnelOutsideIpAddress)
        return {"Return": True}


def test_outside_ips_in_address_order():
    assert outside_ips(CONN) == ["10.0.0.9", "10.0.0.10"]


def test_apply_waits_until_applied():
    ec2, slept = FakeEC2(lag=2), []
    out = apply_pending_maintenance(ec2, CONN, "10.0.0.10", delay=1, sleep=slept.append, clock=lambda: 0.0)
    assert out["changed"] and ec2.replaced == ["10.0.0.10"] and len(slept) == 2
    assert out["before"]["maintenance_auto_applied_after"] == "2030-01-01T00:00:00+00:00"
    assert out["after"]["pending_maintenance"] is None and out["after"]["last_maintenance_applied"] == "2030-01-01T00:00:00+00:00"


def test_check_mode_calls_nothing():
    ec2 = FakeEC2()
    out = apply_pending_maintenance(ec2, CONN, "10.0.0.9", check_mode=True)
    assert out["changed"] and ec2.replaced == [] and out["after"]["pending_maintenance"] is None


def test_timeout_names_what_was_seen():
    ec2, now = FakeEC2(lag=100), [0.0]

    def sleep(seconds):
        now[0] += seconds

    with pytest.raises(VpnError) as exc:
        apply_pending_maintenance(ec2, CONN, "10.0.0.9", timeout=10, delay=3, sleep=sleep, clock=lambda: now[0])
    assert "not applied within 10 s" in exc.value.message and "'upgrade'" in exc.value.message
    assert exc.value.details == {"field": "wait_timeout"}


def test_unknown_tunnel_refused_before_any_call():
    ec2 = FakeEC2()
    with pytest.raises(VpnError) as exc:
        apply_pending_maintenance(ec2, CONN, "10.0.0.1")
    assert exc.value.details == {"field": "outside_ip"} and ec2.replaced == []


class IdleEC2(FakeEC2):
    """No maintenance pending anywhere; records each replacement's ApplyPendingMaintenance."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def get_vpn_tunnel_replacement_status(self, VpnConnectionId, VpnTunnelOutsideIpAddress):
        return {"VpnConnectionId": VpnConnectionId, "VpnTunnelOutsideIpAddress": VpnTunnelOutsideIpAddress,
                "MaintenanceDetails": {"LastMaintenanceApplied": T0}}

    def replace_vpn_tunnel(self, VpnConnectionId, VpnTunnelOutsideIpAddress, ApplyPendingMaintenance):
        self.calls.append((VpnTunnelOutsideIpAddress, ApplyPendingMaintenance))
        return {"Return": True}


def test_nothing_pending_is_left_alone():
    ec2 = IdleEC2()
    out = apply_pending_maintenance(ec2, CONN, "10.0.0.9")
    assert not out["changed"] and ec2.calls == []


def test_force_replaces_without_maintenance_and_check_mode_does_not():
    ec2 = IdleEC2()
    planned = apply_pending_maintenance(ec2, CONN, "10.0.0.9", force=True, check_mode=True)
    assert planned["changed"] and ec2.calls == []
    out = apply_pending_maintenance(ec2, CONN, "10.0.0.9", force=True)
    assert out["changed"] and ec2.calls == [("10.0.0.9", False)]
    assert out["after"]["last_maintenance_applied"] == "2030-01-01T00:00:00+00:00"
