"""Benchmark of the lab data plane: ``up`` to every tunnel + BGP established, for 1, 2, 5 sites.

Each round starts a fresh lab API (lab.api.server.LabServer), creates one VPC + VGW and N BGP
VPN connections (one per site) with boto3, then times:
  edge    lab ``up``: every AWS end (charon per tunnel, VGW router, VPC host) + the edge agent
  sites   ``site add`` + device configuration for the N sites (the collection's
          playbooks/configure_devices.yml, one ansible-playbook run for all of them)
  all UP  until the lab API's VgwTelemetry shows every tunnel UP (CHILD_SA + BGP Established)
and then, idle for a few seconds, CPU (% of one core) and RSS of every process the lab started,
per site (the agent counted once; the devices' daemons are the strongswan role's, not counted here:
bench/lab_dataplane_scale.py counts them). Prints a table; asserts nothing about time.

Usage: sudo .venv/bin/python bench/lab_dataplane.py [--sites 1 2 5] [--idle 5]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab.dataplane import addressing as A  # noqa: E402
from lab.dataplane import device, edge, lab, state  # noqa: E402


def proc_cpu_rss(pid: int) -> tuple[float, int]:
    """(utime+stime seconds, RSS bytes) of PID."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        f = fh.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(f[11]) + int(f[12])) / tick, int(f[21]) * os.sysconf("SC_PAGE_SIZE")


def sample(st: state.State) -> dict[str, tuple[float, int]]:
    out = {}
    for key in st.pids:
        pid = st.pid_of(key)
        if pid:
            try:
                out[key] = proc_cpu_rss(pid)
            except OSError:
                pass
    return out


def one_round(n: int, idle: float) -> dict:
    from lab.api.testing import LabAPI
    os.environ[A.PREFIX_ENV] = "svlb-"
    sd = tempfile.mkdtemp(prefix="svl-bench-")
    api = LabAPI.start()
    try:
        api.reset()  # moto's backends are per process: drop the previous round's VPNs
        ec2 = api.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        vgw = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64512)["VpnGateway"]["VpnGatewayId"]
        ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
        vpns = {}
        for i in range(n):
            ip = f"203.0.113.{10 + i}"
            cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp=ip, BgpAsn=65000 + i)
            # the Name tag the collection finds a site's connection by
            vpn = ec2.create_vpn_connection(Type="ipsec.1", VpnGatewayId=vgw,
                                            CustomerGatewayId=cgw["CustomerGateway"]["CustomerGatewayId"],
                                            Options={"StaticRoutesOnly": False},
                                            TagSpecifications=[{"ResourceType": "vpn-connection",
                                                                "Tags": [{"Key": "Name", "Value": f"sitevpn-site{i + 1}"}]}])
            vpns[f"site{i + 1}"] = (vpn["VpnConnection"]["VpnConnectionId"], ip, f"172.{16 + i}.0.0/16")
        time.sleep(0.6)  # pending -> available in the lab API

        t0 = time.monotonic()
        lab.up(sd, api.url, interval=0.5)
        t_edge = time.monotonic() - t0
        with state.locked(sd) as st:
            for name, (_vpn, ip, lan) in vpns.items():
                device.add_site(st, name, ip, lan)
        device.configure(sd, api.url, vpns)
        t_sites = time.monotonic() - t0

        def all_up():
            tele = [t for c in ec2.describe_vpn_connections()["VpnConnections"] for t in c["VgwTelemetry"]]
            return len(tele) == 2 * n and all(t["Status"] == "UP" for t in tele)
        deadline = time.monotonic() + 90
        while not all_up():
            if time.monotonic() > deadline:
                tele = edge.telemetry(state.read(sd))[0]
                raise SystemExit(f"{n} sites: not every tunnel UP after 90 s: {tele}")
            time.sleep(0.1)
        t_up = time.monotonic() - t0

        st = state.read(sd)
        a = sample(st)
        time.sleep(idle)
        b = sample(st)
        cpu = sum(b[k][0] - a[k][0] for k in b if k in a) / idle * 100
        rss = sum(v[1] for v in b.values())
        agent_rss = b.get("agent", (0, 0))[1]
        charons = sum(1 for k in b if k.startswith("charon:"))
        return {"sites": n, "tunnels": 2 * n, "edge_s": t_edge, "sites_s": t_sites, "up_s": t_up,
                "cpu_pct": cpu, "cpu_pct_site": cpu / n, "rss_mb": rss / 2**20,
                "rss_mb_site": (rss - agent_rss) / n / 2**20, "agent_mb": agent_rss / 2**20,
                "processes": len(b), "charons": charons}
    finally:
        lab.down(sd)
        api.stop()
        shutil.rmtree(sd, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    p.add_argument("--sites", type=int, nargs="+", default=[1, 2, 5])
    p.add_argument("--idle", type=float, default=5.0, help="seconds of idle CPU sampling")
    args = p.parse_args()
    why = lab.missing_tools()
    if why:
        print(f"skipped: {why}")
        return 0
    rows = [one_round(n, args.idle) for n in args.sites]
    hdr = ("sites", "tunnels", "up->edge s", "->sites s", "->all UP s", "CPU % idle", "CPU %/site",
           "RSS MB", "RSS MB/site", "agent MB", "procs")
    print(" | ".join(hdr))
    for r in rows:
        print(" | ".join([f"{r['sites']:5d}", f"{r['tunnels']:7d}", f"{r['edge_s']:10.2f}", f"{r['sites_s']:9.2f}",
                          f"{r['up_s']:10.2f}", f"{r['cpu_pct']:10.2f}", f"{r['cpu_pct_site']:10.2f}",
                          f"{r['rss_mb']:6.0f}", f"{r['rss_mb_site']:11.1f}", f"{r['agent_mb']:8.1f}",
                          f"{r['processes']:5d}"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
