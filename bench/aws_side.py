"""The AWS side of N sites two ways on one lab API: sitevpn.aws vs amazon.aws/community.aws.

    .venv/bin/python bench/aws_side.py [--sites 1 10 50 200] [--anchor-max N] [--json]

All counts run in one invocation on one lab API, each way on a freshly reset lab, and are printed
side by side (--anchor-max: the largest count the anchor runs, default all; the anchor's module
process per task per site makes 200 sites take long).

Starts a lab API (lab.api.server.LabServer on a free port of 127.0.0.1), generates an inventory of
N sites (BGP, one /24 each), and runs, each on a freshly reset lab: this collection
(playbooks/provision.yml) and the anchor (bench/anchor/provision.yml: ec2_vpc_net, ec2_vpc_vgw,
ec2_vpc_route_table, community.aws.ec2_customer_gateway, ec2_vpc_vpn), a first run and an
idempotent re-run each. Wall time, API calls (the lab's request log) and the re-run's changed count
are printed as a table (with the CPU seconds of ansible-playbook and its workers, which a busy
machine does not inflate), or with --json as one object (each run also carries "cpu_s"):
{"sites": N, "sitevpn": {"first": {"wall_s", "api_calls"}, "rerun": {"wall_s", "api_calls",
"changed"}}, "anchor": {...}}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PLAYBOOKS = {
    "sitevpn": ROOT / "playbooks" / "provision.yml",
    "anchor": ROOT / "bench" / "anchor" / "provision.yml",
}
# The lab enforces AWS's quotas and allocates tunnel outside IPs from a /24: room for 400 sites.
LAB_SETTINGS = {
    "quotas": {q: 1000 for q in ("vpn_connections_per_vgw", "vpn_connections_per_region", "customer_gateways_per_region")},
    "edge_pool": "100.64.0.0/16",
}
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def write_inventory(directory: Path, sites: int, url: str) -> Path:
    """N BGP sites: public IPs from 203.0.113.0/24 and 198.51.100.0/24, a 172.x.y.0/24 each."""
    if not 1 <= sites <= 400:
        raise SystemExit("--sites must be 1-400")
    hosts = {}
    for i in range(sites):
        net = "203.0.113" if i < 200 else "192.0.2"
        hosts[f"site-{i + 1:03d}"] = {
            "sitevpn_cgw_ip": f"{net}.{10 + i % 200}",
            "sitevpn_bgp_asn": 65000 + i,
            "sitevpn_static_routes_only": False,
            "sitevpn_prefixes": [f"172.{16 + i // 256}.{i % 256}.0/24"],
        }
    inventory = directory / "inventory"
    (inventory / "group_vars").mkdir(parents=True, exist_ok=True)
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"sites": {"hosts": hosts}}))
    group_vars = {
        "sitevpn_aws_endpoint_url": url,
        "sitevpn_aws_region": "us-east-1",
        "sitevpn_aws_access_key": "testing",
        "sitevpn_aws_secret_key": "testing",
        "sitevpn_aws_wait_timeout": 60,
        "sitevpn_vpc_cidr": "10.0.0.0/16",
    }
    if sites > 10:
        # the lab has no quotas; AWS's defaults (10 per VPN gateway, 50 per Region) would stop the run
        group_vars["sitevpn_quotas"] = {q: sites for q in ("vpn_connections_per_vgw", "vpn_connections_per_region", "customer_gateways_per_region")}
    (inventory / "group_vars" / "all.yml").write_text(yaml.safe_dump(group_vars))
    return inventory


def run(playbook: Path, inventory: Path, lab) -> dict:
    """One ansible-playbook run: wall time, API calls from the lab's log, changed count."""
    lab.clear_requests()
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_STDOUT_CALLBACK", None)
    cmd = [str(BIN / "ansible-playbook"), str(playbook), "-i", str(inventory)]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of ansible-playbook and its workers: unlike wall time, not inflated by a busy machine.
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    if proc.returncode:
        sys.stderr.write(proc.stdout[-6000:] + proc.stderr[-3000:])
        raise SystemExit(f"{playbook} failed (rc {proc.returncode})")
    log = lab.requests()
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "api_calls": sum(log["counts"].values()),
        "writes": log["writes"],
        "changed": sum(int(m.group(3)) for m in RECAP.finditer(proc.stdout)),
    }


def bench_one(name: str, inventory: Path, lab) -> dict:
    lab.reset()
    first = run(PLAYBOOKS[name], inventory, lab)
    rerun = run(PLAYBOOKS[name], inventory, lab)
    return {
        "first": {"wall_s": first["wall_s"], "api_calls": first["api_calls"], "cpu_s": first["cpu_s"]},
        "rerun": {
            "wall_s": rerun["wall_s"],
            "api_calls": rerun["api_calls"],
            "changed": rerun["changed"],
            "cpu_s": rerun["cpu_s"],
        },
    }


def bench(sites: int, ways=("sitevpn", "anchor"), lab=None) -> dict:
    """One count, each way on a freshly reset lab (started here unless given)."""
    from lab.api.testing import LabAPI

    own = lab is None
    lab = lab or LabAPI.start(settings=LAB_SETTINGS)
    try:
        with tempfile.TemporaryDirectory(prefix="sitevpn-bench-") as tmp:
            inventory = write_inventory(Path(tmp), sites, lab.url)
            result = {"sites": sites, "load1": round(os.getloadavg()[0], 2)}
            for name in ways:
                result[name] = bench_one(name, inventory, lab)
            return result
    finally:
        lab.reset()
        if own:
            lab.stop()


def bench_counts(counts, anchor_max=None) -> list:
    """Every count on one lab API: sitevpn, and the anchor up to anchor_max sites."""
    from lab.api.testing import LabAPI

    lab = LabAPI.start(settings=LAB_SETTINGS)
    results = []
    try:
        for n in counts:
            ways = ("sitevpn", "anchor") if anchor_max is None or n <= anchor_max else ("sitevpn",)
            try:
                results.append(bench(n, ways=ways, lab=lab))
            except SystemExit as e:
                # one count failing (its output went to stderr) still leaves the others' numbers
                sys.stderr.write(f"{n} sites: {e}\n")
                lab.reset()
        return results
    finally:
        lab.stop()


def table_counts(results: list) -> str:
    """One row per count, way and run; then the issue's ratios (targets in brackets)."""
    lines = [
        "AWS side on the lab API: sitevpn.aws (playbooks/provision.yml) vs anchor (amazon.aws/community.aws)",
        f"{'sites':>5s} {'way':8s} {'run':6s} {'wall s':>8s} {'CPU s':>7s} {'API calls':>10s} {'changed':>8s} {'load':>5s}",
    ]
    for result in results:
        for name in ("sitevpn", "anchor"):
            for phase in ("first", "rerun"):
                row = result.get(name, {}).get(phase)
                if row is None:
                    lines.append(f"{result['sites']:5d} {name:8s} {phase:6s} {'-':>8s} {'-':>7s} {'-':>10s} {'-':>8s}")
                    continue
                changed = str(row.get("changed", "")) if phase == "rerun" else ""
                lines.append(
                    f"{result['sites']:5d} {name:8s} {phase:6s} {row['wall_s']:8.2f} {row['cpu_s']:7.2f} "
                    f"{row['api_calls']:10d} {changed:>8s} {result['load1']:5.2f}"
                )
    by = {r["sites"]: r for r in results}
    if 1 in by and "anchor" in by[1]:
        ours, theirs = by[1]["sitevpn"]["rerun"], by[1]["anchor"]["rerun"]
        lines.append(f"re-run of 1 site: sitevpn/anchor wall {ours['wall_s'] / theirs['wall_s']:.2f}x [<= 0.5x], "
                     f"CPU {ours['cpu_s'] / theirs['cpu_s']:.2f}x")
    if 1 in by:
        base = by[1]["sitevpn"]
        for n, limit in ((10, None), (50, 3.0), (200, 10.0)):
            if n in by:
                ours = by[n]["sitevpn"]
                target = f" [<= {limit:.0f}x]" if limit else ""
                lines.append(f"{n} sites / 1 site (sitevpn): first {ours['first']['wall_s'] / base['first']['wall_s']:.2f}x, "
                             f"re-run {ours['rerun']['wall_s'] / base['rerun']['wall_s']:.2f}x{target}")
    if 50 in by:
        lines.append(f"re-run of 50 sites: {by[50]['sitevpn']['rerun']['api_calls']} API calls [<= 15]")
    return "\n".join(lines)


def table(result: dict) -> str:
    lines = [
        f"AWS side of {result['sites']} site(s) on the lab API",
        f"{'':9s} {'run':6s} {'wall s':>8s} {'CPU s':>7s} {'API calls':>10s} {'changed':>8s}",
    ]
    for name in ("sitevpn", "anchor"):
        if name not in result:
            continue
        for phase in ("first", "rerun"):
            row = result[name][phase]
            changed = str(row.get("changed", "")) if phase == "rerun" else ""
            lines.append(
                f"{name:9s} {phase:6s} {row['wall_s']:8.2f} {row['cpu_s']:7.2f} {row['api_calls']:10d} {changed:>8s}"
            )
    if "anchor" in result and "sitevpn" in result:
        for phase in ("first", "rerun"):
            ours, theirs = result["sitevpn"][phase], result["anchor"][phase]
            lines.append(
                f"ratio {phase:6s} sitevpn/anchor: wall {ours['wall_s'] / theirs['wall_s']:.2f}x, "
                f"CPU {ours['cpu_s'] / theirs['cpu_s']:.2f}x, "
                f"API calls {ours['api_calls'] / max(1, theirs['api_calls']):.2f}x"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[1, 10, 50, 200], help="site counts (default 1 10 50 200)")
    parser.add_argument("--anchor-max", type=int, default=None, help="largest count the anchor runs (default: all)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    results = bench_counts(args.sites, args.anchor_max)
    if args.json:
        sys.stdout.write(json.dumps(results[0] if len(results) == 1 else results) + "\n")
    else:
        sys.stdout.write("\n\n".join([table_counts(results)] + ([table(results[0])] if len(results) == 1 else [])) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
