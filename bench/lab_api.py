"""Benchmark of the lab API: start time and DescribeVpnConnections latency (prints, never asserts).

    .venv/bin/python bench/lab_api.py [--calls 200] [--connections 2]

Starts ``sitevpn-lab-api`` as a user does (its own process, port 0, a temporary state dir),
measures the time from exec to its first answered /_lab/health, creates VPN connections,
then times DescribeVpnConnections with boto3. Targets: start < 3 s, describe < 20 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lab.api.testing import start_api_process, stop_api_process  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--connections", type=int, default=2)
    args = parser.parse_args()

    import boto3

    state = tempfile.mkdtemp(prefix="sitevpn-bench-")
    started = time.monotonic()
    proc, url, line = start_api_process(state, "--settings", '{"state_delay_s": 0}', cwd=ROOT)
    try:
        with urllib.request.urlopen(f"{url}/_lab/health", timeout=10) as response:
            json.load(response)
        start_s = time.monotonic() - started

        ec2 = boto3.session.Session(
            region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        ).client("ec2", endpoint_url=url)
        vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
        for index in range(args.connections):
            cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp=f"203.0.113.{10 + index}", BgpAsn=65000 + index)
            ec2.create_vpn_connection(
                Type="ipsec.1", CustomerGatewayId=cgw["CustomerGateway"]["CustomerGatewayId"], VpnGatewayId=vgw
            )
        first = time.perf_counter()
        ec2.describe_vpn_connections()
        first_ms = (time.perf_counter() - first) * 1000
        samples = []
        for _call in range(args.calls):
            t0 = time.perf_counter()
            ec2.describe_vpn_connections()
            samples.append((time.perf_counter() - t0) * 1000)
        samples.sort()
        p95 = samples[int(len(samples) * 0.95) - 1]
        print(f"lab API start (exec -> /_lab/health answered): {start_s:.2f} s   (target < 3 s)")
        print(f"{line.strip()}")
        print(
            f"DescribeVpnConnections, {args.connections} connections, {args.calls} calls: "
            f"first {first_ms:.1f} ms, median {statistics.median(samples):.1f} ms, "
            f"p95 {p95:.1f} ms, max {samples[-1]:.1f} ms   (target < 20 ms)"
        )
    finally:
        stop_api_process(proc)
        shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    sys.exit(main())
