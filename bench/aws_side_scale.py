"""How the AWS side (playbooks/provision.yml) scales: 1, 10 and 50 sites on the lab API.

    .venv/bin/python bench/aws_side_scale.py [--sites 1 10 50] [--json]

For each count: a first run and an idempotent re-run of this collection on a freshly reset lab (see
bench/aws_side.py), wall time and API calls. Target: 50 sites in at most 3x the wall time of one.
"""

from __future__ import annotations

import argparse
import json
import sys

from aws_side import bench

TARGET = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    results = [bench(n, ways=("sitevpn",)) for n in args.sites]
    if args.json:
        sys.stdout.write(json.dumps({"target_ratio": TARGET, "results": results}) + "\n")
        return 0
    base = results[0]["sitevpn"]
    lines = [
        "sitevpn.aws AWS side, scale (playbooks/provision.yml on the lab API)",
        f"{'sites':>5s} {'first s':>8s} {'CPU s':>6s} {'calls':>6s} {'rerun s':>8s} {'CPU s':>6s} {'calls':>6s} {'changed':>7s} "
        f"{'first/1':>8s} {'rerun/1':>8s} {'CPU first/1':>11s}",
    ]
    for result in results:
        ours = result["sitevpn"]
        first, rerun = ours["first"], ours["rerun"]
        lines.append(
            f"{result['sites']:5d} {first['wall_s']:8.2f} {first['cpu_s']:6.1f} {first['api_calls']:6d} "
            f"{rerun['wall_s']:8.2f} {rerun['cpu_s']:6.1f} {rerun['api_calls']:6d} {rerun['changed']:7d} "
            f"{first['wall_s'] / base['first']['wall_s']:7.2f}x {rerun['wall_s'] / base['rerun']['wall_s']:7.2f}x "
            f"{first['cpu_s'] / base['first']['cpu_s']:10.2f}x"
        )
    lines.append(f"target: the largest count within {TARGET:.0f}x the wall time of the first")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
