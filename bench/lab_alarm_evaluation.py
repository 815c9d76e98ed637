"""Benchmark of the lab API's alarm evaluation: its CPU use as a lab's metric series grow (prints, never asserts).

    .venv/bin/python bench/lab_alarm_evaluation.py [--connections 3] [--seconds 180] [--every 30]

Starts ``sitevpn-lab-api`` as site.yml's lab does (its own process, time_factor 120: a lab minute
is half a second), makes CONNECTIONS VPN connections with the monitoring role's three TunnelState
alarms each, reports every tunnel UP once a second (as the data plane's agent does), and prints
the API process's CPU use (user + system, from /proc) in each EVERY-second interval. The lab
publishes AWS/VPN datapoints every lab minute, so the series an evaluation reads grows all the
time; the CPU use per interval should stay flat, not grow with the series. Target: under 10 %
of one core for 3 connections.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lab.api.testing import start_api_process, stop_api_process  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def lab_call(url: str, path: str, body: dict) -> None:
    request = urllib.request.Request(f"{url}/_lab/{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--every", type=float, default=30)
    args = parser.parse_args()

    import boto3

    state = tempfile.mkdtemp(prefix="sitevpn-bench-")
    proc, url, _line = start_api_process(state, "--settings", '{"state_delay_s": 0, "time_factor": 120}', cwd=ROOT)
    try:
        session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        ec2, cloudwatch = session.client("ec2", endpoint_url=url), session.client("cloudwatch", endpoint_url=url)
        vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
        tunnels = []
        for index in range(args.connections):
            cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp=f"203.0.113.{10 + index}", BgpAsn=65000 + index)
            conn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw["CustomerGateway"]["CustomerGatewayId"],
                                             VpnGatewayId=vgw)["VpnConnection"]
            vpn_id = conn["VpnConnectionId"]
            ips = [t["OutsideIpAddress"] for t in conn["VgwTelemetry"]]
            tunnels += ips
            alarms = [(f"bench-{index}-tunnel{n}-down", [{"Name": "VpnId", "Value": vpn_id}, {"Name": "TunnelIpAddress", "Value": ip}])
                      for n, ip in enumerate(ips, 1)] + [(f"bench-{index}-both-down", [{"Name": "VpnId", "Value": vpn_id}])]
            for name, dimensions in alarms:
                cloudwatch.put_metric_alarm(AlarmName=name, Namespace="AWS/VPN", MetricName="TunnelState", Dimensions=dimensions,
                                            Statistic="Maximum", Period=60, EvaluationPeriods=3, Threshold=0,
                                            ComparisonOperator="LessThanOrEqualToThreshold", TreatMissingData="breaching")
        print(f"lab API at {url}: {args.connections} connections, {3 * args.connections} alarms, time_factor 120")
        started = time.monotonic()
        mark, cpu_mark = started, cpu_seconds(proc.pid)
        while time.monotonic() - started < args.seconds:
            for ip in tunnels:
                lab_call(url, "telemetry", {"outside_ip": ip, "status": "UP"})
            time.sleep(1.0)
            now = time.monotonic()
            if now - mark >= args.every:
                cpu = cpu_seconds(proc.pid)
                print(f"  {now - started:6.0f} s: lab API CPU {100 * (cpu - cpu_mark) / (now - mark):5.1f} % of one core")
                mark, cpu_mark = now, cpu
        return 0
    finally:
        stop_api_process(proc, timeout=10)
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
