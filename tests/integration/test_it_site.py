"""site.yml end to end on the lab inventory: the lab role starts its own lab API, the AWS side is
provisioned, the lab's data plane (AWS edge, device namespaces) is built where this machine can
run it and the devices are configured (every tunnel UP); a second run changes nothing; playbooks/lab_down.yml leaves nothing behind."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from lab.dataplane.lab import missing_tools
from lab.dataplane.netns import existing_namespaces
from sitevpn_playbook import BIN, ROOT, run_playbook

INVENTORY = ROOT / "inventories" / "lab"
PREFIX = "svlq"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_lab/health", timeout=1) as resp:
            return json.load(resp)["ok"] is True
    except OSError:
        return False


@pytest.fixture(name="lab_env")
def fixture_lab_env(tmp_path, monkeypatch):
    state_dir = tmp_path / "lab"
    monkeypatch.setenv("SITEVPN_LAB_STATE_DIR", str(state_dir))
    monkeypatch.setenv("SITEVPN_LAB_NS_PREFIX", PREFIX)
    url = f"http://127.0.0.1:{free_port()}"
    yield {"url": url, "state_dir": state_dir}
    # whatever happened above, nothing of ours stays
    subprocess.run([str(BIN / "sitevpn-lab"), "--state-dir", str(state_dir), "down"],
                   capture_output=True, check=False, env=os.environ)


def our_namespaces() -> list[str]:
    return sorted(ns for ns in existing_namespaces() if ns.startswith(PREFIX))


def test_site_on_the_lab_twice_then_down(lab_env):
    dataplane = missing_tools() is None
    extra = {"sitevpn_lab_dataplane": dataplane}
    url = lab_env["url"]

    first = run_playbook(ROOT / "site.yml", url, extra, inventory=INVENTORY, timeout=300)
    assert first.rc == 0, first.output
    assert first.changed["localhost"] > 0 and first.changed["site-bgp"] > 0
    assert healthy(url)

    ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    conns = [c for c in ec2.describe_vpn_connections()["VpnConnections"] if c["State"] != "deleted"]
    cgws = {g["CustomerGatewayId"]: g["IpAddress"] for g in ec2.describe_customer_gateways()["CustomerGateways"]}
    assert sorted(cgws[c["CustomerGatewayId"]] for c in conns) == ["203.0.113.10", "203.0.113.20"]

    if dataplane:
        status = json.loads(subprocess.run([str(BIN / "sitevpn-lab"), "--state-dir", str(lab_env["state_dir"]), "status"],
                                           capture_output=True, text=True, check=True).stdout)
        assert set(status["sites"]) == {"site-bgp", "site-static"}
        assert all(status["namespaces"].values()), status["namespaces"]
        assert status["processes"]["agent"] is True
        # two AWS edge boxes per connection
        assert len([ns for ns in status["namespaces"] if ns.startswith(PREFIX + "e")]) == 4
        # the devices were configured by roles/strongswan: every tunnel comes UP on the AWS side
        deadline = time.monotonic() + 90
        while True:
            tele = [t for c in ec2.describe_vpn_connections()["VpnConnections"] if c["State"] == "available"
                    for t in c["VgwTelemetry"]]
            if len(tele) == 4 and all(t["Status"] == "UP" for t in tele):
                break
            assert time.monotonic() < deadline, tele
            time.sleep(1)

    again = run_playbook(ROOT / "site.yml", url, extra, inventory=INVENTORY, timeout=300)
    assert again.rc == 0, again.output
    assert again.total_changed == 0, again.output

    down = run_playbook(ROOT / "playbooks" / "lab_down.yml", url, inventory=INVENTORY)
    assert down.rc == 0, down.output
    assert down.changed["localhost"] == 1
    assert not healthy(url)
    assert our_namespaces() == []
    leftovers = [str(d) for base in ("/etc/netns", "/etc/frr", "/run/frr") if Path(base).is_dir()
                 for d in Path(base).iterdir() if d.name.startswith(PREFIX)]
    assert leftovers == []
