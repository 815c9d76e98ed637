"""The data plane against the real lab API (lab.api.server.LabServer): boto3 creates the VPN,
the edge agent builds AWS's side from GET /_lab/vpn-connections and reports back, so the VPN's
VgwTelemetry, the propagated routes and ModifyVpnTunnelOptions all go through the emulator.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan
from lab.dataplane import addressing as A
from lab.dataplane import bounds, device, lab, state, strongswan
from lab.dataplane.netns import existing_namespaces, run

WHY = lab.missing_tools()
pytestmark = pytest.mark.skipif(WHY is not None, reason=f"lab data plane needs root, strongSwan, FRR: {WHY}")


def wait(pred, timeout, what, interval=0.25, seen=None):
    return bounds.wait_until(pred, timeout, what, interval=interval, seen=seen)


@pytest.fixture(scope="module")
def aws_lab(tmp_path_factory):
    from lab.api.testing import LabAPI
    old = os.environ.get(A.PREFIX_ENV)
    os.environ[A.PREFIX_ENV] = f"svla{os.getpid() % 100}-"
    sd = str(tmp_path_factory.mktemp("svl-api-state"))
    api = LabAPI.start()
    try:
        api.reset()  # moto's backends are per process: start from none of other tests' VPNs
        ec2 = api.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        rt = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]["RouteTableId"]
        vgw = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64512)["VpnGateway"]["VpnGatewayId"]
        ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
        ec2.enable_vgw_route_propagation(GatewayId=vgw, RouteTableId=rt)
        cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.10", BgpAsn=65000)
        vpn = ec2.create_vpn_connection(Type="ipsec.1", VpnGatewayId=vgw,
                                        CustomerGatewayId=cgw["CustomerGateway"]["CustomerGatewayId"],
                                        Options={"StaticRoutesOnly": False})["VpnConnection"]["VpnConnectionId"]
        time.sleep(0.6)  # pending -> available
        lab.up(sd, api.url, interval=0.5)
        with state.locked(sd) as st:
            device.add_site(st, "site1", "203.0.113.10", "172.16.0.0/16")
        # the device from the collection's tunnel plan, as roles/strongswan will render it
        described = ec2.describe_vpn_connections(VpnConnectionIds=[vpn])["VpnConnections"][0]
        # tunnel 1 preferred on the site's side too, as inventories/lab asks (sitevpn_local_preference_primary)
        plan = build_tunnel_plan(described, {"name": "site1", "site_prefixes": ["172.16.0.0/16"],
                                             "vpc_prefixes": ["10.0.0.0/16"], "local_preference_primary": 200})
        device.configure_and_wait(sd, "site1", device.conn_from_plan(plan))
        yield {"api": api, "ec2": ec2, "vpn": vpn, "rt": rt, "sd": sd}
    finally:
        lab.down(sd)
        api.reset()
        api.stop()
        if old is None:
            os.environ.pop(A.PREFIX_ENV, None)
        else:
            os.environ[A.PREFIX_ENV] = old


def telemetry(lab_env):
    c = lab_env["ec2"].describe_vpn_connections(VpnConnectionIds=[lab_env["vpn"]])["VpnConnections"][0]
    return {t["OutsideIpAddress"]: t for t in c["VgwTelemetry"]}


def test_tunnels_up_and_routes_propagated_in_the_lab_api(aws_lab):
    tele = wait(lambda: (t := telemetry(aws_lab)) and all(
        x["Status"] == "UP" and x["StatusMessage"] == "1 BGP ROUTES" for x in t.values()) and t,
        30, "both tunnels UP with 1 BGP ROUTES in VgwTelemetry")
    assert len(tele) == 2 and all(x["AcceptedRouteCount"] == 1 for x in tele.values())

    def propagated():
        rt = aws_lab["ec2"].describe_route_tables(RouteTableIds=[aws_lab["rt"]])["RouteTables"][0]
        return [r for r in rt["Routes"] if r.get("DestinationCidrBlock") == "172.16.0.0/16"]
    routes = wait(propagated, bounds.BGP_ESTABLISHED, "172.16.0.0/16 propagated into the VPC route table")
    assert routes[0]["Origin"] == "EnableVgwRoutePropagation"
    site = state.read(aws_lab["sd"]).data["sites"]["site1"]
    ping = ["ip", "netns", "exec", site["lan_host"], "ping", "-c", "1", "-W", "1", "10.0.0.10"]
    wait(lambda: run(ping, check=False).returncode == 0, bounds.ROUTES_FOLLOW, "LAN host reaches the VPC host")
    # the plan's primary tunnel (tunnel 1) carries it
    assert " dev vti1 " in run(["ip", "-n", site["ns"], "-o", "route", "get", "10.0.0.10"]).stdout


def test_modify_vpn_tunnel_options_is_followed(aws_lab):
    ec2, st = aws_lab["ec2"], state.read(aws_lab["sd"])
    second = sorted(telemetry(aws_lab))[1]
    ec2.modify_vpn_tunnel_options(VpnConnectionId=aws_lab["vpn"], VpnTunnelOutsideIpAddress=second,
                                  TunnelOptions={"Phase1EncryptionAlgorithms": [{"Value": "AES256"}],
                                                 "Phase1IntegrityAlgorithms": [{"Value": "SHA2-384"}],
                                                 "Phase1DHGroupNumbers": [{"Value": 20}]})
    box = Path(st.data["edge"]["tunnels"][second]["dir"])

    def negotiated():
        return any(ike.get("state") == "ESTABLISHED" and ike.get("encr-keysize") == "256"
                   and ike.get("integ-alg") == "HMAC_SHA2_384_192" and ike.get("dh-group") == "ECP_384"
                   for ike in strongswan.list_sas(box).values())
    wait(negotiated, bounds.TUNNEL_NEGOTIATED, "AWS's end of tunnel 2 re-negotiated AES256/SHA2-384/group 20",
         seen=lambda: [{k: ike.get(k) for k in ("state", "encr-keysize", "integ-alg", "dh-group")}
                       for ike in strongswan.list_sas(box).values()])
    wait(lambda: telemetry(aws_lab)[second]["Status"] == "UP", bounds.TUNNEL_NEGOTIATED, "tunnel 2 UP again in VgwTelemetry")


def test_deleted_connection_is_torn_down(aws_lab):
    st = state.read(aws_lab["sd"])
    edge_ns = {t["ns"] for t in st.data["edge"]["tunnels"].values()}
    gw_ns = {g["ns"] for g in st.data["edge"]["gateways"].values()}
    assert len(edge_ns) == 2 and len(gw_ns) == 1
    aws_lab["ec2"].delete_vpn_connection(VpnConnectionId=aws_lab["vpn"])
    # the agent deletes the namespaces, then records it: wait for both
    wait(lambda: not (edge_ns | gw_ns) & existing_namespaces() and not state.read(aws_lab["sd"]).data["edge"]["tunnels"],
         bounds.TUNNEL_NEGOTIATED, "the AWS end of the deleted VPN gone (namespaces and the lab's record)",
         seen=lambda: sorted((edge_ns | gw_ns) & existing_namespaces()))


def test_lab_down(aws_lab):
    prefix = state.read(aws_lab["sd"]).data["prefix"]
    lab.down(aws_lab["sd"])
    assert not [ns for ns in existing_namespaces() if ns.startswith(prefix)]
