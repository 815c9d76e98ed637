"""playbooks/verify.yml on the lab: after site.yml every check passes and both sites' reports are
written; with tunnel 2 of site-bgp broken on purpose it fails naming tunnel 2 and its outside IP;
playbooks/lab_down.yml (and `sitevpn-lab down`) leave nothing behind."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from lab.dataplane.lab import missing_tools
from lab.dataplane.netns import existing_namespaces
from sitevpn_playbook import BIN, ROOT, run_playbook

INVENTORY = ROOT / "inventories" / "lab"
PREFIX = "svlv"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(name="lab_env")
def fixture_lab_env(tmp_path, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("the lab data plane needs root")
    missing = missing_tools()
    if missing is not None:
        pytest.skip(f"the lab data plane cannot run here: {missing}")
    state_dir = tmp_path / "lab"
    monkeypatch.setenv("SITEVPN_LAB_STATE_DIR", str(state_dir))
    monkeypatch.setenv("SITEVPN_LAB_NS_PREFIX", PREFIX)
    url = f"http://127.0.0.1:{free_port()}"
    yield {"url": url, "state_dir": state_dir, "reports": tmp_path / "reports"}
    subprocess.run([str(BIN / "sitevpn-lab"), "--state-dir", str(state_dir), "down"],
                   capture_output=True, check=False, env=os.environ)


def verify(url, reports):
    # no settling: the test waits itself where it must, and judges broken tunnels at once
    return run_playbook(ROOT / "playbooks" / "verify.yml", url, {"verify_reports_dir": str(reports), "verify_settle_seconds": 0},
                        inventory=INVENTORY, timeout=120)


def test_verify_passes_then_names_the_broken_tunnel(lab_env):
    url, reports = lab_env["url"], lab_env["reports"]
    # the failover test has its own proof (test_it_site); here only verify matters
    site = run_playbook(ROOT / "site.yml", url, {"sitevpn_failover_test": False, "verify_reports_dir": str(reports)},
                        inventory=INVENTORY, timeout=600)
    assert site.rc == 0, site.output

    # BGP and the AWS telemetry settle a few seconds after the tunnels come up
    deadline = time.monotonic() + 60
    while True:
        good = verify(url, reports)
        if good.rc == 0 or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert good.rc == 0, good.output

    bgp = json.loads((reports / "site-bgp" / "verify.json").read_text())
    static = json.loads((reports / "site-static" / "verify.json").read_text())
    assert bgp["ok"] is True and static["ok"] is True
    assert len(bgp["tunnels"]) == 2
    for tunnel in bgp["tunnels"]:
        assert tunnel["aws_status"] == "UP" and tunnel["ike_state"] == "up" and tunnel["bgp_state"] == "established"
        assert tunnel["prefixes_received"] >= 1 and tunnel["prefixes_advertised"] >= 1
    assert "172.16.0.0/16" in bgp["propagated_routes"]
    assert bgp["ping_ok"] is True and static["ping_ok"] is True and bgp["best_path_ok"] is True
    assert static["static_routes"] == [{"destination_cidr_block": "172.17.0.0/16", "state": "available"}]
    assert (reports / "site-bgp" / "verify.html").read_text().startswith("<!DOCTYPE html>")
    index = (reports / "index.html").read_text()
    assert "site-bgp/verify.html" in index and "site-static/verify.html" in index

    # break tunnel 2 of site-bgp: cut its crypto box off the device, then drop its SAs
    status = json.loads(subprocess.run([str(BIN / "sitevpn-lab"), "--state-dir", str(lab_env["state_dir"]), "status"],
                                       capture_output=True, text=True, check=True).stdout)
    box = status["sites"]["site-bgp"]["device"] + "t2"
    subprocess.run(["ip", "-n", box, "link", "set", "out0", "down"], check=True)
    subprocess.run(["ip", "netns", "exec", status["sites"]["site-bgp"]["device"], "swanctl", "--terminate", "--ike", "tunnel2", "--force",
                    "--uri", f"unix:///var/lib/sitevpn-strongswan/{box}/charon.vici"], capture_output=True, check=False)
    tunnel2_ip = bgp["tunnels"][1]["outside_ip"]

    bad = verify(url, reports)
    assert bad.rc != 0
    assert f"tunnel 2 ({tunnel2_ip}): " in bad.output, bad.output
    broken = json.loads((reports / "site-bgp" / "verify.json").read_text())
    assert broken["ok"] is False
    assert any(m.startswith(f"tunnel 2 ({tunnel2_ip}): ") for m in broken["messages"]), broken["messages"]
    assert broken["tunnels"][1]["ike_state"] == "down"
    assert not any(m.startswith("tunnel 1 ") for m in broken["messages"]), broken["messages"]
    assert json.loads((reports / "site-static" / "verify.json").read_text())["ok"] is True

    # stop advertising the site's prefix on site-bgp: verify names the tunnel and the missing route
    device = status["sites"]["site-bgp"]["device"]
    subprocess.run(["ip", "netns", "exec", device, "vtysh", "-N", device, "-c", "configure terminal", "-c", "router bgp 65000",
                    "-c", "address-family ipv4 unicast", "-c", "no network 172.16.0.0/16"], capture_output=True, check=True)
    tunnel1_ip = bgp["tunnels"][0]["outside_ip"]
    deadline = time.monotonic() + 30
    while True:
        unadvertised = verify(url, reports)
        messages = json.loads((reports / "site-bgp" / "verify.json").read_text())["messages"]
        if "site-bgp: site prefix 172.16.0.0/16 is not propagated into the VPC route tables" in messages \
                or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert unadvertised.rc != 0
    # the AWS side names it: no route accepted over tunnel 1, the prefix missing from the VPC
    assert "site-bgp: site prefix 172.16.0.0/16 is not propagated into the VPC route tables" in messages, messages
    assert any(m.startswith(f"tunnel 1 ({tunnel1_ip}): IKE up") and "AWS accepted no routes" in m for m in messages), messages

    down = run_playbook(ROOT / "playbooks" / "lab_down.yml", url, inventory=INVENTORY)
    assert down.rc == 0, down.output
    assert [ns for ns in existing_namespaces() if ns.startswith(PREFIX)] == []
    leftovers = [str(d) for base in ("/etc/netns", "/etc/frr", "/run/frr") if Path(base).is_dir()
                 for d in Path(base).iterdir() if d.name.startswith(PREFIX)]
    assert leftovers == []
