"""vpn_connection / vpn_connection_info against the lab API: create with tunnel options, idempotence
(also with the tunnels returned in the other order), check mode, in-place tunnel changes one tunnel at
a time, a change AWS cannot make in place, static routes with purge, delete."""

from __future__ import annotations

from sitevpn_playbook import run_playbook, writes


def tunnels_by_cidr(lab, name):
    ec2 = lab.client("ec2")
    conn_id = ec2.describe_vpn_connections(Filters=[{"Name": "tag:Name", "Values": [name]}])["VpnConnections"][0][
        "VpnConnectionId"
    ]
    conn = next(c for c in lab.vpn_connections() if c["vpn_connection_id"] == conn_id)
    return {t["inside_cidr"]: t for t in conn["tunnels"]}


def test_vpn_connection_lifecycle(lab):
    ec2 = lab.client("ec2")
    cgw_bgp = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.10", BgpAsn=65000)["CustomerGateway"][
        "CustomerGatewayId"
    ]
    cgw_static = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.20", BgpAsn=65001)["CustomerGateway"][
        "CustomerGatewayId"
    ]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64512)["VpnGateway"]["VpnGatewayId"]
    args = {"cgw_bgp": cgw_bgp, "cgw_static": cgw_static, "vgw": vgw}

    def step(name, check=False, diff=False, rc=0):
        run = run_playbook("vpn_connection/main.yml", lab.url, dict(args, step=name), check=check, diff=diff)
        assert run.rc == rc, run.output
        return run

    lab.clear_requests()
    assert step("create").total_changed == 2
    assert writes(lab).count("CreateVpnConnection") == 2
    created = tunnels_by_cidr(lab, "vpn-bgp")
    assert set(created) == {"169.254.10.0/30", "169.254.11.0/30"}
    assert created["169.254.11.0/30"]["psk"] == "it_psk_tunnel_two"
    outside_ips = {cidr: t["outside_ip"] for cidr, t in created.items()}

    # Idempotent, whatever order the tunnels come back in.
    for order in ("reversed", "sorted"):
        lab.set_settings({"tunnel_order": order})
        lab.clear_requests()
        assert step("create").total_changed == 0
        assert writes(lab) == []
        # one per task: the two connections, the keys asked for with one given, the info module
        assert lab.requests()["counts"] == {"ec2:DescribeVpnConnections": 4}

    lab.clear_requests()
    run = step("modify", check=True, diff=True)
    assert run.total_changed == 2
    assert writes(lab) == []
    assert "+        dpd_timeout_seconds: 45" in run.output
    assert "it_psk_tunnel_two" not in run.output

    lab.clear_requests()
    assert step("modify").total_changed == 2
    done = writes(lab)
    assert done.count("ModifyVpnTunnelOptions") == 2
    assert sorted(a for a in done if a != "ModifyVpnTunnelOptions") == [
        "CreateVpnConnectionRoute",
        "DeleteVpnConnectionRoute",
    ]
    assert "DeleteVpnConnection" not in done and "CreateVpnConnection" not in done
    after = tunnels_by_cidr(lab, "vpn-bgp")
    # In place: same tunnels, same outside IPs, each got its own options.
    assert {cidr: t["outside_ip"] for cidr, t in after.items()} == outside_ips
    t10, t11 = after["169.254.10.0/30"], after["169.254.11.0/30"]
    assert (t10["dpd_timeout_seconds"], t10["phase2_lifetime_seconds"], t10["ike_versions"]) == (45, 1800, ["ikev2"])
    assert (t11["replay_window_size"], t11["dpd_timeout_seconds"]) == (512, 30)
    assert step("modify").total_changed == 0

    lab.clear_requests()
    run = step("fixed", rc=2)
    assert "static_routes_only" in run.output and "cannot modify this in place" in run.output
    assert writes(lab) == []

    lab.clear_requests()
    assert step("delete", check=True).total_changed == 2
    assert writes(lab) == []
    assert step("delete").total_changed == 2
    assert writes(lab) == ["DeleteVpnConnection", "DeleteVpnConnection"]
    assert step("delete").total_changed == 0


def test_vpn_connection_survives_throttling(lab):
    """A third of the calls throttled, some failing with 503: retried, and still one connection each."""
    ec2 = lab.client("ec2")
    args = {
        "cgw_bgp": ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.10", BgpAsn=65000)["CustomerGateway"][
            "CustomerGatewayId"
        ],
        "cgw_static": ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.20", BgpAsn=65001)[
            "CustomerGateway"
        ]["CustomerGatewayId"],
        "vgw": ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64512)["VpnGateway"]["VpnGatewayId"],
    }
    lab.set_faults({"throttle_rate": 0.3, "error_rate": 0.1})
    try:
        run = run_playbook("vpn_connection/main.yml", lab.url, dict(args, step="create"))
        statuses = {r["status"] for r in lab.requests()["requests"]}
    finally:
        lab.clear_faults()
    assert run.rc == 0, run.failures + run.output
    assert 400 in statuses  # throttled calls happened, and were retried
    live = [c for c in ec2.describe_vpn_connections()["VpnConnections"] if c["State"] != "deleted"]
    assert len(live) == 2
