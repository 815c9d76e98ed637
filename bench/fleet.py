"""N lab sites on one VPN concentrator, brought up by site.yml: wall time, CPU and memory per site.

    make fleet SITES=50          # = sudo .venv/bin/python bench/fleet.py --sites 50

The inventory is generated (lab/fleet.py: N BGP sites, one /24 each, hub `vpn_concentrator`) into
``build/fleet-N``; ``site.yml`` runs on it with a lab of its own (its own state dir, namespace
prefix ``svlf-`` and API port, so it never meets a `make site` lab): the lab API, the AWS side
(transit gateway, concentrator, N customer gateways and connections), monitoring, the lab's data
plane, every device, and verify, which fails the run unless every site has both tunnels UP, BGP
Established and its prefix propagated into the transit gateway route table. The failover test is
off. Then, from verify's reports and the lab API, the bench counts what came up and prints:
site.yml's wall time and CPU (ansible and its workers: reaped children), the lab's processes'
CPU and memory (RSS, PSS: each device's charon + FRR, each tunnel's AWS-side charon, the transit
gateway's router, the API), each divided by N, and the machine's load. ``--keep`` leaves the lab up
(`sitevpn-lab --state-dir build/fleet-N/lab down` stops it). Asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab import fleet  # noqa: E402
from lab.api.state import StateDir  # noqa: E402
from lab.api.testing import free_port  # noqa: E402
from lab.dataplane import state  # noqa: E402
from lab.dataplane.netns import existing_namespaces  # noqa: E402
from lab_dataplane_scale import kind_of, proc_sample  # noqa: E402

BIN = Path(sys.executable).parent
PREFIX = "svlf-"


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
    except OSError:
        return "?"


def lab_processes(state_dir: Path) -> dict[str, dict]:
    """CPU seconds, RSS and PSS of every process of the lab, by side and name: the AWS side's (edge
    boxes, the transit gateway's router: its namespaces ``svlf-e*``, ``svlf-g*``, ``svlf-h*``), the
    sites' (devices, their crypto boxes and LAN hosts: ``svlf-d*``, ``svlf-l*``; started by the
    product's strongswan role) and the lab's own (API, edge agent)."""
    found: dict[int, str] = {}
    for ns in existing_namespaces():
        if ns.startswith(PREFIX) and ns != PREFIX + "inet":
            side = "site" if ns[len(PREFIX)] in "dl" else "aws"
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, check=False).stdout.split()
            for pid in map(int, pids):
                found[pid] = f"{side} {comm(pid)}"
    recorded = state.read(str(state_dir))
    for key in recorded.pids:
        pid = recorded.pid_of(key)
        if pid and pid not in found:
            found[pid] = f"lab {kind_of(key)}"
    for rec in StateDir(state_dir).processes():
        found.setdefault(rec["pid"], f"lab {rec['name']}")
    out: dict[str, dict] = {}
    for pid, kind in found.items():
        got = proc_sample(pid)
        if got:
            agg = out.setdefault(kind, {"n": 0, "cpu": 0.0, "rss": 0, "pss": 0})
            agg["n"] += 1
            for f in ("cpu", "rss", "pss"):
                agg[f] += got[f]
    return out


def came_up(reports: Path, names: list[str]) -> dict:
    """From verify's reports: how many sites have every check passed, both tunnels UP with BGP
    Established, and their prefix active in the transit gateway route table."""
    counts = {"reports": 0, "ok": 0, "tunnels_up_bgp_established": 0, "prefix_in_tgw_table": 0}
    for name in names:
        path = reports / name / "verify.json"
        if not path.exists():
            continue
        rep = json.loads(path.read_text())
        counts["reports"] += 1
        counts["ok"] += rep["ok"] is True
        tunnels = rep.get("tunnels") or []
        counts["tunnels_up_bgp_established"] += len(tunnels) == 2 and all(
            t["aws_status"] == "UP" and t["bgp_state"] == "established" for t in tunnels)
        routes = (rep.get("transit_gateway_routes") or {}).get("routes") or []
        counts["prefix_in_tgw_table"] += any(r["type"] == "propagated" and r["state"] == "active" for r in routes)
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--sites", type=int, default=50)
    ap.add_argument("--keep", action="store_true", help="leave the lab up")
    ap.add_argument("--timeout", type=float, default=3600)
    args = ap.parse_args()

    work = ROOT / "build" / f"fleet-{args.sites}"
    inventory = fleet.write(work / "inventory", args.sites)
    state_dir, reports = work / "lab", work / "reports"
    url = f"http://127.0.0.1:{free_port()}"
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), SITEVPN_LAB_STATE_DIR=str(state_dir),
               SITEVPN_LAB_NS_PREFIX=PREFIX)
    extra = {"sitevpn_aws_endpoint_url": url, "verify_reports_dir": str(reports)}
    load_before = os.getloadavg()[0]
    cpu0, t0 = children_cpu(), time.monotonic()
    cmd = [str(BIN / "ansible-playbook"), str(ROOT / "site.yml"), "-i", str(inventory), "-e", json.dumps(extra)]
    print(f"{args.sites} sites on a VPN concentrator: {' '.join(cmd[:4])} ... (log: {work / 'site.log'})", flush=True)
    try:
        with open(work / "site.log", "w", encoding="utf-8") as log:
            rc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                timeout=args.timeout, check=False).returncode
        wall, cpu = time.monotonic() - t0, children_cpu() - cpu0
        up = came_up(reports, [fleet.site_name(i) for i in range(1, args.sites + 1)])
        procs = lab_processes(state_dir)
    finally:
        if not args.keep:
            subprocess.run([str(BIN / "sitevpn-lab"), "--state-dir", str(state_dir), "down"],
                           capture_output=True, check=False, env=env)
    n = args.sites
    print(f"site.yml rc {rc}, load {load_before:.2f} -> {os.getloadavg()[0]:.2f}")
    print(f"came up: {json.dumps(up)} of {n} sites")
    print(f"site.yml wall {wall:.1f} s ({wall / n:.2f} s per site), CPU of ansible and its workers "
          f"{cpu:.1f} s ({cpu / n:.2f} s per site)")
    print(f"{'process':16} {'count':>5} {'CPU s':>8} {'RSS MiB':>9} {'PSS MiB':>9}")
    total = {"cpu": 0.0, "rss": 0, "pss": 0}
    for kind, agg in sorted(procs.items()):
        print(f"{kind:16} {agg['n']:5d} {agg['cpu']:8.1f} {agg['rss'] / 2**20:9.1f} {agg['pss'] / 2**20:9.1f}")
        for f in total:
            total[f] += agg[f]
    print(f"{'lab total':16} {sum(a['n'] for a in procs.values()):5d} {total['cpu']:8.1f} "
          f"{total['rss'] / 2**20:9.1f} {total['pss'] / 2**20:9.1f}")
    for side in ("site", "aws", "lab"):
        part = [a for kind, a in procs.items() if kind.split(" ", 1)[0] == side]
        print(f"per site, {side} side: CPU {sum(a['cpu'] for a in part) / n:.2f} s, "
              f"PSS {sum(a['pss'] for a in part) / n / 2**20:.1f} MiB, RSS {sum(a['rss'] for a in part) / n / 2**20:.1f} MiB")
    print(f"per site, all: lab CPU {total['cpu'] / n:.2f} s, lab PSS {total['pss'] / n / 2**20:.1f} MiB, "
          f"RSS {total['rss'] / n / 2**20:.1f} MiB; with ansible's CPU {(total['cpu'] + cpu) / n:.2f} s")
    return rc


if __name__ == "__main__":
    sys.exit(main())
