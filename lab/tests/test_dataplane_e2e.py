"""The lab data plane for real: strongSwan (kernel-libipsec) + FRR in network namespaces.

One module-scoped lab (its own namespace prefix and state dir, so it can run beside a lab that
is up): a BGP site and a static site, both AWS ends driven by the edge agent from a stand-in
of the lab API. Skips when not root or when strongSwan/FRR/nftables are missing.
"""
from __future__ import annotations

import copy
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lab.dataplane import addressing as A
from lab.dataplane import bounds, connections, device, frr, lab, state, strongswan
from lab.dataplane.netns import existing_namespaces, run
from lab.tests.dataplane_fakeapi import FakeLabApi, connection

WHY = lab.missing_tools()
pytestmark = pytest.mark.skipif(WHY is not None, reason=f"lab data plane needs root, strongSwan, FRR: {WHY}")

BGP = connection("vpn-bgp", "203.0.113.10", ("198.51.100.11", "198.51.100.12"),
                 ("169.254.10.0/30", "169.254.11.0/30"), psk="bgpsecret")
STATIC = connection("vpn-static", "203.0.113.20", ("198.51.100.21", "198.51.100.22"),
                    ("169.254.20.0/30", "169.254.21.0/30"), psk="staticsecret", static=True,
                    routes=["172.17.0.0/16"], asn=65001)


def wait(pred, timeout, what, interval=0.2, seen=None):
    return bounds.wait_until(pred, timeout, what, interval=interval, seen=seen)


def sa_summary(box):
    """What a crypto box negotiated: state and algorithms of each IKE SA and its CHILD SAs."""
    keys = ("state", "encr-alg", "encr-keysize", "integ-alg", "dh-group")
    return [{**{k: ike.get(k) for k in keys}, "children": [{k: c.get(k) for k in keys} for c in (ike.get("child-sas") or {}).values()]}
            for ike in strongswan.list_sas(box).values()]


def sh(ns, *argv, check=True):
    return run(["ip", "netns", "exec", ns, *argv], check=check, timeout=30)


def reach(ns, dst, timeout=5):
    """The first packets of a fresh path may wait for ARP: ping until one answer, then 3 of 3."""
    wait(lambda: sh(ns, "ping", "-c", "1", "-W", "1", dst, check=False).returncode == 0, timeout, f"{ns} -> {dst}")
    sh(ns, "ping", "-c", "3", "-i", "0.1", "-W", "1", dst)


def route_dev(ns, dst):
    out = run(["ip", "-n", ns, "-o", "route", "get", dst], check=False).stdout
    return out.split(" dev ")[1].split()[0] if " dev " in out else None


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    old = os.environ.get(A.PREFIX_ENV)
    os.environ[A.PREFIX_ENV] = f"svlt{os.getpid() % 100}-"
    sd = str(tmp_path_factory.mktemp("svl-state"))
    api = FakeLabApi().__enter__()
    api.connections = [copy.deepcopy(BGP), copy.deepcopy(STATIC)]
    try:
        t0 = time.monotonic()
        lab.up(sd, api.url, interval=0.5)
        with state.locked(sd) as st:
            device.add_site(st, "bgp", "203.0.113.10", "172.16.0.0/16")
            device.add_site(st, "static", "203.0.113.20", "172.17.0.0/16")
        for name, raw in (("bgp", BGP), ("static", STATIC)):
            device.configure_and_wait(sd, name, connections.normalize(raw))
        wait(lambda: len(api.telemetry) == 4 and all(t["status"] == "UP" for t in api.telemetry.values()),
             30, "all four tunnels UP in the lab API")
        print(f"lab up, 2 sites, all tunnels UP in {time.monotonic() - t0:.1f}s")
        yield {"sd": sd, "api": api, "st": lambda: state.read(sd)}
    finally:
        lab.down(sd)
        api.__exit__(None, None, None)
        if old is None:
            os.environ.pop(A.PREFIX_ENV, None)
        else:
            os.environ[A.PREFIX_ENV] = old


def site(env, name):
    return env["st"]().data["sites"][name]


def edge_box(env, outside_ip):
    return env["st"]().data["edge"]["tunnels"][outside_ip]


def fallback(ns):
    """The VGW router's fallback table (edge.follow_bgp), a route a line."""
    return run(["ip", "-n", ns, "-4", "route", "show", "table", str(A.VGW_FALLBACK_TABLE)]).stdout.splitlines()


def test_bgp_site_end_to_end(env):
    api, dev = env["api"], site(env, "bgp")
    # Established comes a moment before the first UPDATE: wait for the route count
    wait(lambda: all((api.telemetry[ip]["status"], api.telemetry[ip]["status_message"],
                      api.telemetry[ip]["accepted_route_count"]) == ("UP", "1 BGP ROUTES", 1)
                     for ip in ("198.51.100.11", "198.51.100.12")), 10, "1 BGP ROUTES on both tunnels")
    wait(lambda: api.bgp_routes.get("vpn-bgp") == ["172.16.0.0/16"], bounds.BGP_ESTABLISHED, "site prefix reported to the lab API")
    peers = frr.bgp_neighbors(dev["ns"])
    assert {p: v["state"] for p, v in peers.items()} == {"169.254.10.1": "Established", "169.254.11.1": "Established"}
    # VPC prefix learned over both tunnels, tunnel 1 best (local-preference 200); the VGW's
    # UPDATE towards the device may trail the device's UPDATE towards the VGW
    wait(lambda: frr.best_path_via(dev["ns"], "10.0.0.0/16") == "169.254.10.1", bounds.BGP_ESTABLISHED,
         "device's best path to the VPC via tunnel 1",
         seen=lambda: frr.vtysh_json(dev["ns"], "show bgp ipv4 unicast 10.0.0.0/16"))
    # bgpd's best path reaches the kernel through zebra a moment later
    wait(lambda: route_dev(dev["ns"], "10.0.0.10") == "vti1", bounds.FRR_APPLY, "the kernel's route to the VPC via vti1",
         seen=lambda: route_dev(dev["ns"], "10.0.0.10"))
    # and the VGW sends return traffic over tunnel 1 too (tunnel 2 is prepended)
    vgw = env["st"]().data["edge"]["gateways"]["vgw-lab1"]["ns"]
    wait(lambda: frr.best_path_via(vgw, "172.16.0.0/16") == "169.254.10.2", bounds.BGP_ESTABLISHED,
         "VGW's best path to the site via tunnel 1")
    reach(dev["lan_host"], "10.0.0.10")
    # real packets: ESP bytes grow on tunnel 1's AWS end only
    before = {ip: strongswan.tunnel_status(Path(edge_box(env, ip)["dir"]))
              for ip in ("198.51.100.11", "198.51.100.12")}
    sh(dev["lan_host"], "ping", "-c", "20", "-i", "0.05", "-W", "1", "-s", "1000", "10.0.0.10")
    after = {ip: strongswan.tunnel_status(Path(edge_box(env, ip)["dir"]))
             for ip in ("198.51.100.11", "198.51.100.12")}
    grew = {ip: after[ip]["bytes_in"] - before[ip]["bytes_in"] for ip in after}
    assert grew["198.51.100.11"] >= 20 * 1000 > grew["198.51.100.12"], grew


def test_static_site_end_to_end(env):
    api, dev = env["api"], site(env, "static")
    for ip in ("198.51.100.21", "198.51.100.22"):
        t = api.telemetry[ip]
        assert (t["status"], t["status_message"], t["accepted_route_count"]) == ("UP", "", 1)
    assert "vpn-static" not in api.bgp_routes
    assert route_dev(dev["ns"], "10.0.0.10") == "vti1"
    reach(dev["lan_host"], "10.0.0.10")


def test_static_route_added_is_followed(env):
    api = env["api"]
    vgw = env["st"]().data["edge"]["gateways"]["vgw-lab1"]["ns"]
    with api.lock:
        api.connections[1]["routes"].append("172.19.0.0/16")
    wait(lambda: "172.19.0.0/16 " in run(["ip", "-n", vgw, "route"]).stdout, bounds.ROUTES_FOLLOW, "new static route on the VGW")
    wait(lambda: api.telemetry["198.51.100.21"]["accepted_route_count"] == 2, bounds.ROUTES_FOLLOW, "2 static routes reported")
    # tunnel 1's route (metric 1) wins over tunnel 2's (metric 2) while both links are up
    t1 = A.vgw_tunnel_dev(edge_box(env, "198.51.100.21")["n"])
    wait(lambda: route_dev(vgw, "172.19.0.1") == route_dev(vgw, "172.17.0.1") == t1, bounds.ROUTES_FOLLOW,
         "the new route on the same (tunnel 1) path as the first")


def test_failover_follows_bgp_to_tunnel2_and_back(env):
    api, dev = env["api"], site(env, "bgp")
    box1 = Path(dev["boxes"]["1"]["dir"])
    pinger = subprocess.Popen(["ip", "netns", "exec", dev["lan_host"], "ping", "-i", "0.05", "-W", "1",
                               "10.0.0.10"], stdout=subprocess.PIPE, text=True)
    vgw_rec = env["st"]().data["edge"]["gateways"]["vgw-lab1"]
    t1, t2 = (A.vgw_tunnel_dev(edge_box(env, ip)["n"]) for ip in ("198.51.100.11", "198.51.100.12"))
    wait(lambda: {r.split(" dev ")[1].split()[0] for r in fallback(vgw_rec["ns"]) if r.startswith("172.16.0.0/16 ")} == {t1, t2},
         bounds.ROUTES_FOLLOW, "the site's prefix in the VGW's fallback table via both tunnels")
    try:
        time.sleep(0.5)
        assert strongswan.terminate(box1, "tunnel1")
        wait(lambda: route_dev(dev["ns"], "10.0.0.10") == "vti2", bounds.ROUTES_FOLLOW, "device route via tunnel 2")
        wait(lambda: api.telemetry["198.51.100.11"]["status"] == "DOWN", bounds.ROUTES_FOLLOW, "tunnel 1 DOWN in the lab API")
        vgw = env["st"]().data["edge"]["gateways"]["vgw-lab1"]["ns"]
        wait(lambda: frr.best_path_via(vgw, "172.16.0.0/16") == "169.254.11.2", bounds.ROUTES_FOLLOW, "VGW return path via tunnel 2")
        time.sleep(1)
        assert strongswan.initiate(box1, "tunnel1")
        wait(lambda: route_dev(dev["ns"], "10.0.0.10") == "vti1", bounds.BGP_ESTABLISHED, "tunnel 1 primary again")
        wait(lambda: api.telemetry["198.51.100.11"]["status"] == "UP", bounds.TUNNEL_NEGOTIATED, "tunnel 1 UP again")
    finally:
        pinger.send_signal(signal.SIGINT)
        out = pinger.communicate(timeout=5)[0]
    sent, received = [int(x.split()[0]) for x in out.splitlines()[-2].split(", ")[:2]]
    print(f"failover ping: {sent - received} of {sent} lost")
    assert sent > 50 and sent - received <= 5, out[-300:]


def test_tunnel_option_change_is_followed_by_the_edge(env):
    api, dev = env["api"], site(env, "bgp")
    rec = edge_box(env, "198.51.100.12")
    box = Path(rec["dir"])
    pid = env["st"]().pid_of(f"charon:{rec['ns']}")
    with api.lock:
        opts = api.connections[0]["tunnels"][1]["options"]
        opts.update({"phase1_encryption_algorithms": ["AES256"], "phase1_integrity_algorithms": ["SHA2-256"],
                     "phase1_dh_group_numbers": [14], "phase2_encryption_algorithms": ["AES256-GCM-16"],
                     "phase2_dh_group_numbers": [14]})

    def negotiated():
        for ike in strongswan.list_sas(box).values():
            if ike.get("state") != "ESTABLISHED" or ike.get("encr-keysize") != "256" or ike.get("dh-group") != "MODP_2048":
                continue
            for child in (ike.get("child-sas") or {}).values():
                if child.get("state") == "INSTALLED" and child.get("encr-alg") == "AES_GCM_16":
                    return True
        return False
    # the device still offers every algorithm: it re-negotiates what the edge now accepts
    wait(negotiated, bounds.TUNNEL_NEGOTIATED, "tunnel 2 re-negotiated with the new proposals", seen=lambda: sa_summary(box))
    assert env["st"]().pid_of(f"charon:{rec['ns']}") == pid, "proposal change reloads, not restarts"
    wait(lambda: api.telemetry["198.51.100.12"]["status"] == "UP", bounds.TUNNEL_NEGOTIATED, "tunnel 2 UP")

    # a new PSK: the edge takes it, the device (old PSK) cannot get in until it has it too
    with api.lock:
        api.connections[0]["tunnels"][1]["psk"] = "rotatedsecret12"
    wait(lambda: api.telemetry["198.51.100.12"]["status"] == "DOWN", bounds.TUNNEL_NEGOTIATED, "tunnel 2 DOWN after the PSK change")
    device.configure_and_wait(env["sd"], "bgp", connections.normalize(api.connections[0]))
    wait(lambda: api.telemetry["198.51.100.12"]["status"] == "UP", bounds.TUNNEL_NEGOTIATED, "tunnel 2 UP with the new PSK")
    assert "rotatedsecret12" in (box / "swanctl.conf").read_text()


def test_down_leaves_nothing_even_without_the_agent(env):
    st = env["st"]()
    prefix = st.data["prefix"]
    recorded = [(r["pid"], r["start"]) for r in st.pids.values()]
    assert len(recorded) >= 4 * 1 + 2 * 3 + 4 + 1
    os.kill(st.pid_of("agent"), signal.SIGKILL)       # the agent died: down must not need it
    out = lab.down(env["sd"])
    assert {ns for ns in existing_namespaces() if ns.startswith(prefix)} == set()
    assert set(out["namespaces"]) == set(st.namespaces)
    assert not [pid for pid, start in recorded if state.pid_alive(pid, start)]
    assert not any(os.path.exists(frr.run_dir(ns)) for ns in st.namespaces)
    assert lab.down(env["sd"]) == {"killed": [], "namespaces": []}     # idempotent
