"""How the AWS side (playbooks/provision.yml) scales: 1, 10, 50 and 200 sites on the lab API.

    .venv/bin/python bench/aws_side_scale.py [--sites 1 10 50 200] [--anchor-max N] [--json]

For each count: a first run and an idempotent re-run of this collection and of the anchor, each on a
freshly reset lab (see bench/aws_side.py), side by side, then this collection's scale table.
Targets: 50 sites in at most 3x the wall time of one, 200 in at most 10x.

Wall time on a shared machine follows its load (printed: the 1-minute load average before each
count), so CPU seconds (ansible-playbook, its workers and the module processes) are printed too,
with the marginal CPU seconds per site and the wall time that CPU alone needs on this machine's
cores (the floor no Ansible setting can beat: every site runs two module processes, each paying
for Python, boto3 and the ec2 model; the batched role pays that once per play).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from aws_side import bench_counts
from aws_side import table_counts

TARGET = 3.0
TARGET_200 = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[1, 10, 50, 200])
    parser.add_argument("--anchor-max", type=int, default=None, help="largest count the anchor runs (default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    results = bench_counts(args.sites, args.anchor_max)
    base_sites, base_cpu = results[0]["sites"], results[0]["sitevpn"]["first"]["cpu_s"]
    cores = os.cpu_count() or 1
    for result in results[1:]:
        first = result["sitevpn"]["first"]
        first["cpu_s_per_extra_site"] = round((first["cpu_s"] - base_cpu) / (result["sites"] - base_sites), 3)
    for result in results:
        result["sitevpn"]["first"]["cpu_floor_wall_s"] = round(result["sitevpn"]["first"]["cpu_s"] / cores, 2)
    if args.json:
        sys.stdout.write(json.dumps({"target_ratio": TARGET, "target_ratio_200": TARGET_200, "results": results}) + "\n")
        return 0
    base = results[0]["sitevpn"]
    lines = [
        table_counts(results),
        "",
        "sitevpn.aws AWS side, scale (playbooks/provision.yml on the lab API)",
        f"{'sites':>5s} {'first s':>8s} {'CPU s':>6s} {'calls':>6s} {'rerun s':>8s} {'CPU s':>6s} {'calls':>6s} {'changed':>7s} "
        f"{'first/1':>8s} {'rerun/1':>8s} {'CPU first/1':>11s} {'CPU/site':>8s} {'floor s':>7s} {'load':>5s}",
    ]
    for result in results:
        ours = result["sitevpn"]
        first, rerun = ours["first"], ours["rerun"]
        per_site = f"{first['cpu_s_per_extra_site']:.2f}" if "cpu_s_per_extra_site" in first else "-"
        lines.append(
            f"{result['sites']:5d} {first['wall_s']:8.2f} {first['cpu_s']:6.1f} {first['api_calls']:6d} "
            f"{rerun['wall_s']:8.2f} {rerun['cpu_s']:6.1f} {rerun['api_calls']:6d} {rerun['changed']:7d} "
            f"{first['wall_s'] / base['first']['wall_s']:7.2f}x {rerun['wall_s'] / base['rerun']['wall_s']:7.2f}x "
            f"{first['cpu_s'] / base['first']['cpu_s']:10.2f}x "
            f"{per_site:>8s} {first['cpu_floor_wall_s']:7.1f} {result['load1']:5.1f}"
        )
    last = results[-1]
    target = TARGET_200 if last["sites"] >= 200 else TARGET
    ratio = last["sitevpn"]["first"]["wall_s"] / base["first"]["wall_s"]
    # a 1-site run is serial: on an idle machine its wall time is its CPU time
    floor = last["sitevpn"]["first"]["cpu_floor_wall_s"] / base["first"]["cpu_s"]
    lines.append(f"target: {last['sites']} sites within {target:.0f}x the wall time of {results[0]['sites']}: wall {ratio:.1f}x "
                 f"({'met' if ratio <= target else 'not met'}), CPU-bound {floor:.1f}x ({'met' if floor <= target else 'not met'}); "
                 f"a loaded machine (load column) inflates small runs' wall time most")
    lines.append(f"CPU/site: marginal CPU seconds per extra site; floor s: first run's CPU / {cores} cores; "
                 f"CPU-bound: floor s of {last['sites']} / CPU s of {results[0]['sites']}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
