"""How many sites the lab's data plane brings up on this machine, and its CPU and memory per site.

    sudo .venv/bin/python bench/lab_dataplane_scale.py [--steps 1 2 5 10 20 30 ...] [--budget 600] [--json]

One lab API (lab.api.server.LabServer, in this process) and one lab (state dir in a temp dir,
namespace prefix ``svls-``) grow step by step: for each step, the missing sites' BGP VPN
connections are created with boto3 (one VPC + VGW for all), the AWS edge is reconciled, each new
site gets its device namespace and configuration (the collection's playbooks/configure_devices.yml
through lab.dataplane.device.configure, as bench/lab_dataplane.py), and the step is done when the lab API's VgwTelemetry shows every tunnel
UP (CHILD_SA + BGP Established). Then, idle for ``--idle`` seconds, the lab's daemons (charon,
bgpd, zebra, staticd, mgmtd, the edge agent, and the devices' daemons the role started in the lab's
namespaces) are sampled from /proc: CPU seconds (utime+stime,
and the agent's reaped children: its swanctl/vtysh calls), RSS and PSS (smaps_rollup).

Stops at the first of: a step not UP within ``--up-timeout`` (+2 s per new site), MemAvailable
under 10 % of RAM, the idle daemons using more than ``--max-idle-cpu`` % of one core, the time
budget (a step whose projected time does not fit is not started), or the last step.
Machine load (1-min load average) is printed with each step: other labs on the machine inflate
the times, not the per-process CPU and memory. Cleans up by recorded PID and exact namespace name
(lab.dataplane.lab.down). Asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab.dataplane import addressing as A  # noqa: E402
from lab.dataplane import device, lab, state  # noqa: E402
from lab.dataplane.netns import ns_pids  # noqa: E402

PREFIX = "svls-"
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
KINDS = ("charon", "bgpd", "zebra", "staticd", "mgmtd", "agent")


def kind_of(key: str) -> str:
    """A state.pids key ('charon:NS', 'frr:NAME:bgpd', 'agent') -> the daemon's name."""
    if key == lab.AGENT_KEY:
        return "agent"
    parts = key.split(":")
    return parts[-1] if parts[0] == "frr" else parts[0]


def proc_sample(pid: int) -> dict | None:
    """CPU seconds (own + reaped children), RSS and PSS bytes of PID, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            f = fh.read().rsplit(")", 1)[1].split()
        pss = 0
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        return None
    return {"cpu": sum(int(x) for x in f[11:15]) / TICK, "rss": int(f[21]) * PAGE, "pss": pss}


def sample(sd: str) -> dict[str, dict]:
    st = state.read(sd)
    out = {}
    for key in st.pids:
        pid = st.pid_of(key)
        got = proc_sample(pid) if pid else None
        if got:
            out[key] = got
    # the devices' daemons: the strongswan role starts them in the lab's namespaces, the lab does not record them
    recorded = {st.pid_of(key) for key in st.pids}
    for ns in st.namespaces:
        for pid in ns_pids(ns):
            try:
                comm = Path(f"/proc/{pid}/comm").read_text(encoding="ascii").strip()
            except OSError:
                continue
            got = None if pid in recorded else proc_sample(pid)
            if got:
                out[f"{comm}:{ns}:{pid}"] = got
    return out


def mem_available_fraction() -> tuple[float, int]:
    info = {}
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            name, value = line.split(":", 1)
            info[name] = int(value.split()[0]) * 1024
    return info["MemAvailable"] / info["MemTotal"], info["MemTotal"]


def self_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class Lab:
    """One lab API + one growing lab."""

    def __init__(self, interval: float):
        from lab.api.testing import LabAPI

        os.environ[A.PREFIX_ENV] = PREFIX
        self.sd = tempfile.mkdtemp(prefix="svls-dpscale-")
        self.api = LabAPI.start()
        self.api.reset()
        self.ec2 = self.api.client("ec2")
        self.interval = interval
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.vgw = self.ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64512)["VpnGateway"]["VpnGatewayId"]
        self.ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=self.vgw)
        self.sites: dict[str, str] = {}  # name -> VPN connection ID
        self.started = False

    def grow(self, total: int, timeout: float) -> None:
        """Add sites until there are TOTAL, all UP within TIMEOUT seconds (LabError otherwise)."""
        new = {}
        for i in range(len(self.sites), total):
            ip = f"203.0.113.{10 + i}"
            cgw = self.ec2.create_customer_gateway(Type="ipsec.1", PublicIp=ip, BgpAsn=65000 + i)
            # the Name tag the collection finds a site's connection by
            vpn = self.ec2.create_vpn_connection(Type="ipsec.1", VpnGatewayId=self.vgw,
                                                 CustomerGatewayId=cgw["CustomerGateway"]["CustomerGatewayId"],
                                                 Options={"StaticRoutesOnly": False},
                                                 TagSpecifications=[{"ResourceType": "vpn-connection",
                                                                     "Tags": [{"Key": "Name", "Value": f"sitevpn-site{i + 1}"}]}])
            new[f"site{i + 1}"] = (vpn["VpnConnection"]["VpnConnectionId"], ip, f"172.16.{i}.0/24")
        deadline = time.monotonic() + timeout
        time.sleep(0.6)  # pending -> available in the lab API
        if not self.started:
            lab.up(self.sd, self.api.url, interval=self.interval)
            self.started = True
        else:
            lab.reconcile_once(self.sd, self.api.url)
        for name, (vpn, ip, lan) in new.items():
            # one site per lock: the edge agent keeps following the lab API meanwhile
            with state.locked(self.sd) as st:
                device.add_site(st, name, ip, lan)
            self.sites[name] = vpn
        device.configure(self.sd, self.api.url, new, timeout=max(1.0, deadline - time.monotonic()))
        while True:
            tele = [t for c in self.ec2.describe_vpn_connections()["VpnConnections"] if c["State"] == "available"
                    for t in c["VgwTelemetry"]]
            if len(tele) == 2 * total and all(t["Status"] == "UP" for t in tele):
                return
            if time.monotonic() > deadline:
                down = [f"{t['OutsideIpAddress']} {t.get('StatusMessage', '')}".strip() for t in tele if t["Status"] != "UP"]
                raise lab.LabError(f"{len(down)} of {2 * total} tunnels not UP after {timeout:.0f} s: {down[:6]}")
            time.sleep(0.2)

    def close(self) -> None:
        try:
            lab.down(self.sd)
        finally:
            self.api.stop()
            shutil.rmtree(self.sd, ignore_errors=True)


def measure(lb: Lab, n: int, step_s: float, cpu_before: dict, idle: float) -> dict:
    a = sample(lb.sd)
    time.sleep(idle)
    b = sample(lb.sd)
    by_kind = {k: {"procs": 0, "cpu_s": 0.0, "idle_pct": 0.0, "rss_mb": 0.0, "pss_mb": 0.0} for k in KINDS}
    for key, s in b.items():
        row = by_kind.setdefault(kind_of(key), {"procs": 0, "cpu_s": 0.0, "idle_pct": 0.0, "rss_mb": 0.0, "pss_mb": 0.0})
        row["procs"] += 1
        row["cpu_s"] += s["cpu"]
        row["idle_pct"] += (s["cpu"] - a[key]["cpu"]) / idle * 100 if key in a else 0.0
        row["rss_mb"] += s["rss"] / 2**20
        row["pss_mb"] += s["pss"] / 2**20
    total = {f: sum(r[f] for r in by_kind.values()) for f in ("procs", "cpu_s", "idle_pct", "rss_mb", "pss_mb")}
    # CPU the daemons spent bringing this step's sites up (processes that died meanwhile excluded)
    step_cpu = sum(s["cpu"] for s in a.values()) - sum(cpu_before.values())
    avail, _mem_total = mem_available_fraction()
    return {
        "sites": n, "tunnels": 2 * n, "step_s": round(step_s, 2),
        "procs": total["procs"], "cpu_s": round(total["cpu_s"], 2), "step_cpu_s": round(step_cpu, 2),
        "idle_cpu_pct": round(total["idle_pct"], 1), "idle_cpu_pct_site": round(total["idle_pct"] / n, 2),
        "rss_mb": round(total["rss_mb"], 1), "pss_mb": round(total["pss_mb"], 1),
        "pss_mb_site": round(total["pss_mb"] / n, 2),
        "agent_idle_cpu_pct": round(by_kind["agent"]["idle_pct"], 1),
        "by_kind": {k: {f: round(v, 2) for f, v in r.items()} for k, r in by_kind.items() if r["procs"]},
        "mem_available_pct": round(avail * 100, 1), "load1": round(os.getloadavg()[0], 2),
    }


def run(steps: list[int], budget: float, idle: float, up_timeout: float, max_idle_cpu: float, interval: float) -> dict:
    t0 = time.monotonic()
    lb = Lab(interval)
    rows, stop = [], "last step done"
    api_cpu0 = self_cpu()
    try:
        done = 0
        per_site_s = None
        for n in steps:
            new = n - done
            elapsed = time.monotonic() - t0
            if per_site_s is not None and elapsed + per_site_s * new + idle > budget:
                stop = f"time budget: {n} sites would not fit in {budget:.0f} s"
                break
            before = {k: s["cpu"] for k, s in sample(lb.sd).items()}
            start = time.monotonic()
            try:
                lb.grow(n, up_timeout + 2 * new)
            except lab.LabError as exc:
                stop = f"{n} sites: {exc}"
                rows.append({"sites": n, "failed": str(exc), "load1": round(os.getloadavg()[0], 2)})
                break
            step_s = time.monotonic() - start
            per_site_s = max(step_s / new, per_site_s or 0)
            row = measure(lb, n, step_s, before, idle)
            row["step_cpu_s_site"] = round(row["step_cpu_s"] / new, 2)
            rows.append(row)
            done = n
            sys.stderr.write(f"{n} sites UP in {step_s:.1f} s (load {row['load1']})\n")
            if row["mem_available_pct"] < 10:
                stop = f"memory: {row['mem_available_pct']} % available at {n} sites"
                break
            if row["idle_cpu_pct"] > max_idle_cpu:
                stop = f"CPU: idle daemons use {row['idle_cpu_pct']} % of one core at {n} sites"
                break
    finally:
        lb.close()
    ok = [r for r in rows if "failed" not in r]
    return {
        "max_sites_up": ok[-1]["sites"] if ok else 0, "stop": stop, "cores": os.cpu_count(),
        "mem_total_mb": round(mem_available_fraction()[1] / 2**20), "wall_s": round(time.monotonic() - t0, 1),
        "bench_and_api_cpu_s": round(self_cpu() - api_cpu0, 1), "steps": rows,
    }


def table(res: dict) -> str:
    hdr = (f"{'sites':>5s} {'step s':>7s} {'load':>5s} {'procs':>5s} {'CPU-s up':>8s} {'/site':>6s} "
           f"{'idle %':>7s} {'%/site':>6s} {'agent%':>6s} {'RSS MB':>7s} {'PSS MB':>7s} {'PSS/site':>8s} {'avail%':>6s}")
    lines = [f"lab data plane scale ({res['cores']} cores, {res['mem_total_mb']} MB RAM; CPU-s up: daemon CPU "
             "seconds of the step's bring-up; idle %: of one core, daemons idle, all UP)", hdr]
    for r in res["steps"]:
        if "failed" in r:
            lines.append(f"{r['sites']:5d}  FAILED (load {r['load1']}): {r['failed']}")
            continue
        lines.append(f"{r['sites']:5d} {r['step_s']:7.1f} {r['load1']:5.1f} {r['procs']:5d} {r['step_cpu_s']:8.1f} "
                     f"{r['step_cpu_s_site']:6.2f} {r['idle_cpu_pct']:7.1f} {r['idle_cpu_pct_site']:6.2f} "
                     f"{r['agent_idle_cpu_pct']:6.1f} {r['rss_mb']:7.0f} {r['pss_mb']:7.0f} {r['pss_mb_site']:8.2f} "
                     f"{r['mem_available_pct']:6.1f}")
    last = next((r for r in reversed(res["steps"]) if "failed" not in r), None)
    if last:
        lines.append("per daemon at %d sites: " % last["sites"] + ", ".join(
            f"{k} x{v['procs']} {v['pss_mb']:.0f} MB PSS {v['idle_pct']:.1f} %" for k, v in last["by_kind"].items()))
    lines.append(f"max sites UP: {res['max_sites_up']} (stopped: {res['stop']}); wall {res['wall_s']} s, "
                 f"this process (bench + lab API) {res['bench_and_api_cpu_s']} CPU-s")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    p.add_argument("--steps", type=int, nargs="+", default=[1, 2, 5, 10, 20, 30, 40, 50, 60, 80, 100])
    p.add_argument("--budget", type=float, default=600, help="seconds for the whole run (default 600)")
    p.add_argument("--idle", type=float, default=5.0, help="seconds of idle sampling per step")
    p.add_argument("--up-timeout", type=float, default=180.0,
                   help="seconds for a step to be UP, its configure_devices.yml run included (+2 s per new site)")
    p.add_argument("--max-idle-cpu", type=float, default=150.0, help="stop when the idle daemons use more (% of one core)")
    p.add_argument("--interval", type=float, default=1.0, help="the edge agent's poll interval (s)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = p.parse_args()
    if sorted(set(args.steps)) != args.steps or args.steps[0] < 1 or args.steps[-1] > 120:
        p.error("--steps: increasing, 1..120 (the lab's edge pool holds 2 tunnels x 120 sites)")
    why = lab.missing_tools()
    if why:
        print(json.dumps({"skipped": why}) if args.json else f"skipped: {why}")
        return 0
    # a TERM (timeout, CI) still cleans up: finally blocks run on SystemExit
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    res = run(args.steps, args.budget, args.idle, args.up_timeout, args.max_idle_cpu, args.interval)
    print(json.dumps(res) if args.json else table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
