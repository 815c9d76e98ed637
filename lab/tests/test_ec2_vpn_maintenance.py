"""AWS tunnel endpoint maintenance in the lab API (API only): plain boto3 against a real server."""

from __future__ import annotations

import datetime

import pytest
from botocore.exceptions import ClientError

from lab.api.testing import LabAPIError


@pytest.fixture
def vpn(lab):
    lab.set_settings({"state_delay_s": 0.0})
    ec2 = lab.client("ec2", max_attempts=1)
    cgw = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.40", BgpAsn=65040)["CustomerGateway"]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]
    conn = ec2.create_vpn_connection(
        Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"]
    )["VpnConnection"]
    ips = sorted(t["OutsideIpAddress"] for t in conn["Options"]["TunnelOptions"])
    return ec2, conn["VpnConnectionId"], ips, vgw["VpnGatewayId"], cgw["CustomerGatewayId"]


def _status(ec2, vpn_id, ip):
    return ec2.get_vpn_tunnel_replacement_status(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip)


def _replacements(lab, vpn_id):
    conn = next(c for c in lab.vpn_connections() if c["vpn_connection_id"] == vpn_id)
    return {t["outside_ip"]: t["replacements"] for t in conn["tunnels"]}


def test_no_maintenance_by_default(vpn):
    ec2, vpn_id, ips, vgw_id, cgw_id = vpn
    out = _status(ec2, vpn_id, ips[0])
    assert out["VpnConnectionId"] == vpn_id and out["VpnTunnelOutsideIpAddress"] == ips[0]
    assert out["VpnGatewayId"] == vgw_id and out["CustomerGatewayId"] == cgw_id
    assert "TransitGatewayId" not in out
    assert out.get("MaintenanceDetails", {}) == {}


def test_announced_maintenance_is_reported_per_tunnel(lab, vpn):
    ec2, vpn_id, ips, dummy, dummy2 = vpn
    record = lab.maintenance(ips[1], vpn_connection_id=vpn_id, auto_applied_after="2031-05-01T02:00:00Z")
    assert record["pending_maintenance"] and record["maintenance_auto_applied_after"] == "2031-05-01T02:00:00+00:00"
    details = _status(ec2, vpn_id, ips[1])["MaintenanceDetails"]
    assert details["PendingMaintenance"] == record["pending_maintenance"]
    assert details["MaintenanceAutoAppliedAfter"] == datetime.datetime(2031, 5, 1, 2, tzinfo=datetime.timezone.utc)
    assert "LastMaintenanceApplied" not in details
    assert _status(ec2, vpn_id, ips[0]).get("MaintenanceDetails", {}) == {}
    # withdrawn again
    lab.maintenance(ips[1], pending=False)
    assert _status(ec2, vpn_id, ips[1]).get("MaintenanceDetails", {}) == {}


def test_default_auto_apply_date_is_in_the_future(lab, vpn):
    ec2, vpn_id, ips, dummy, dummy2 = vpn
    lab.maintenance(ips[0], pending="Software upgrade")
    details = _status(ec2, vpn_id, ips[0])["MaintenanceDetails"]
    assert details["PendingMaintenance"] == "Software upgrade"
    assert details["MaintenanceAutoAppliedAfter"] > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=13)


def test_replace_with_pending_maintenance_applies_it(lab, vpn):
    ec2, vpn_id, ips, dummy, dummy2 = vpn
    lab.maintenance(ips[0], vpn_connection_id=vpn_id)
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    out = ec2.replace_vpn_tunnel(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ips[0], ApplyPendingMaintenance=True)
    assert out["Return"] is True
    details = _status(ec2, vpn_id, ips[0])["MaintenanceDetails"]
    assert "PendingMaintenance" not in details and "MaintenanceAutoAppliedAfter" not in details
    assert details["LastMaintenanceApplied"] >= before
    # the data plane's cue: that tunnel's endpoint was replaced, the other one was not
    assert _replacements(lab, vpn_id) == {ips[0]: 1, ips[1]: 0}
    telemetry = {t["OutsideIpAddress"]: t["Status"] for t in ec2.describe_vpn_connections(VpnConnectionIds=[vpn_id])[
        "VpnConnections"][0]["VgwTelemetry"]}
    assert telemetry[ips[0]] == "DOWN"


def test_apply_without_pending_maintenance_is_refused(lab, vpn):
    ec2, vpn_id, ips, dummy, dummy2 = vpn
    with pytest.raises(ClientError) as exc:
        ec2.replace_vpn_tunnel(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ips[0], ApplyPendingMaintenance=True)
    assert exc.value.response["Error"]["Code"] == "IncorrectState"
    assert _replacements(lab, vpn_id) == {ips[0]: 0, ips[1]: 0}
    # a plain replacement needs no maintenance
    ec2.replace_vpn_tunnel(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ips[0])
    assert _replacements(lab, vpn_id) == {ips[0]: 1, ips[1]: 0}
    assert "LastMaintenanceApplied" not in _status(ec2, vpn_id, ips[0]).get("MaintenanceDetails", {})


def test_bad_ids(lab, vpn):
    ec2, vpn_id, ips, dummy, dummy2 = vpn
    for call in (
        lambda: _status(ec2, "vpn-0123456789abcdef0", ips[0]),
        lambda: ec2.replace_vpn_tunnel(VpnConnectionId="vpn-0123456789abcdef0", VpnTunnelOutsideIpAddress=ips[0]),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == "InvalidVpnConnectionID.NotFound"
    for call in (
        lambda: _status(ec2, vpn_id, "192.0.2.1"),
        lambda: ec2.replace_vpn_tunnel(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress="192.0.2.1",
                                       ApplyPendingMaintenance=True),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_control_route_checks_its_input(lab, vpn):
    dummy, vpn_id, ips, dummy2, dummy3 = vpn
    with pytest.raises(LabAPIError) as exc:
        lab.call("POST", "maintenance", {"vpn_connection_id": vpn_id})
    assert exc.value.status == 400
    with pytest.raises(LabAPIError) as exc:
        lab.maintenance("192.0.2.1")
    assert exc.value.status == 404
    with pytest.raises(LabAPIError) as exc:
        lab.maintenance(ips[0], auto_applied_after="next tuesday")
    assert exc.value.status == 400 and "ISO 8601" in exc.value.body["error"]


def test_reset_clears_maintenance(lab, vpn):
    ec2, vpn_id, ips, dummy, dummy2 = vpn
    lab.maintenance(ips[0])
    lab.reset()
    with pytest.raises(ClientError):
        _status(ec2, vpn_id, ips[0])
