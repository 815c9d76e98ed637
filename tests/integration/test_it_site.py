"""site.yml end to end on the lab inventory: the lab role starts its own lab API, the AWS side is
provisioned, the lab's data plane (AWS edge, device namespaces) is built where this machine can
run it, the devices are configured (every tunnel UP), verified, and failover-tested on both sites
in parallel (graceful and silent, pings both ways, within the issue's bounds, device left as
found); a second run changes nothing and passes again; playbooks/lab_down.yml leaves nothing
behind."""

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
from secrets_scan import default_roots, find_leaks, lab_psks
from sitevpn_playbook import BIN, ROOT, run_playbook

INVENTORY = ROOT / "inventories" / "lab"
# per run (fixed width, so no prefix is another run's prefix): two runs at once must not share namespaces
PREFIX = f"svlq{os.getpid() % 10000:04d}"


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


def check_no_psk_leak(url, output, state_dir, extra_roots, since, dataplane):
    """No pre-shared key in the -vvv output, the log or any file written since SINCE, except the
    devices' key files (mode 0600); and the scan is not blind: it does find those."""
    assert "ESTABLISH LOCAL CONNECTION" in output and "invocation" in output, output[-2000:]
    assert extra_roots[0].stat().st_size > 0  # the log is written, and searched
    psks = lab_psks(url)
    assert len(psks) == 4, "two sites, two tunnels each"
    leaks = find_leaks(psks, {"ansible-playbook -vvv": output}, default_roots(ROOT, state_dir, *extra_roots), since)
    assert leaks == [], "\n".join(map(str, leaks))
    if dataplane:
        everything = find_leaks(psks, {}, default_roots(ROOT, state_dir), since, allowed=lambda path, st: False)
        assert {f.psk for f in everything} == {psk[:3] + "\u2026" for psk in psks}, everything
        assert {f.where.split(" ")[0].rsplit("/", 1)[1] for f in everything} <= {"secrets.conf", "swanctl.conf"}


def changed_tasks(output: str) -> list[str]:
    """Names of the tasks that reported a change (from the default callback's output)."""
    names, task = [], None
    for line in output.splitlines():
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            task = line[line.index("[") + 1:line.rindex("]")]
        elif line.startswith("changed:") and task not in names:
            names.append(task)
    return names


def check_failover(reports: Path) -> dict:
    """Both lab sites, both modes, within the bounds; returns {site: report}."""
    out = {}
    for site, routing in (("site-bgp", "bgp"), ("site-static", "static")):
        rep = json.loads((reports / site / "failover.json").read_text())
        assert rep["ok"] is True and rep["messages"] == [], rep["messages"]
        assert rep["routing"] == routing and rep["device_left_as_found"] is True
        assert rep["snapshot"]["before"] == rep["snapshot"]["after"]
        assert rep["timers"]["dpd"]["timeout_seconds"] == 30
        if routing == "bgp":
            # AWS's timers by default, read back from FRR
            assert (rep["timers"]["bgp"]["hold_time"], rep["timers"]["bgp"]["keepalive"]) == (30, 10)
        modes = {m["mode"]: m for m in rep["modes"]}
        assert sorted(modes) == ["graceful", "silent"]
        for m in modes.values():
            for key in ("pings_sent", "pings_lost", "recovery_seconds", "down_at", "moved_at", "restored_at", "timeline"):
                assert key in m, (site, m["mode"], key)
            assert m["moved_to_tunnel2"] is True and m["restored_primary"] is True, (site, m)
            assert m["down_at"] < m["moved_at"] < m["restored_at"]
            # both directions pinged (LAN host -> VPC host and back), each moved to tunnel 2
            assert set(m["directions"]) == {"lan_to_vpc", "vpc_to_lan"}
            assert all(d["recovery_seconds"] is not None for d in m["directions"].values())
            assert m["path"]["device_out"] and m["path"]["device_in"] and m["path"]["aws_side"]
        # at most 1 ping lost per 10/s stream (both streams lose it at the same moment)
        assert all(d["lost"] <= 1 for d in modes["graceful"]["directions"].values()), modes["graceful"]
        bound = (30 if routing == "bgp" else 30) + 1   # negotiated hold time / DPD timeout + 1 s
        assert modes["silent"]["max_recovery_seconds"] == bound
        assert modes["silent"]["recovery_seconds"] <= bound, modes["silent"]
        assert (reports / site / "verify.html").read_text().count("<svg") >= 2
        out[site] = rep
    return out


def our_namespaces() -> list[str]:
    return sorted(ns for ns in existing_namespaces() if ns.startswith(PREFIX))


def test_site_on_the_lab_twice_then_down(lab_env, tmp_path, monkeypatch):
    dataplane = missing_tools() is None
    # the first run is also issue 9's secrets proof: -vvv, a log, its own TMPDIR, all searched
    log, scratch = tmp_path / "ansible.log", tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("ANSIBLE_VERBOSITY", "3")
    monkeypatch.setenv("ANSIBLE_LOG_PATH", str(log))
    monkeypatch.setenv("TMPDIR", str(scratch))
    since = time.time() - 1
    reports = lab_env["state_dir"].parent / "reports"
    # the monitoring chain of the failover test is proven by its own test
    extra = {"sitevpn_lab_dataplane": dataplane, "verify_reports_dir": str(reports),
             "failover_test_reports_dir": str(reports), "failover_test_chain": False}
    url = lab_env["url"]

    first = run_playbook(ROOT / "site.yml", url, extra, inventory=INVENTORY, timeout=900)
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
        first_reports = check_failover(reports)
    check_no_psk_leak(url, first.output, lab_env["state_dir"], [log, scratch], since, dataplane)

    for name in ("ANSIBLE_VERBOSITY", "ANSIBLE_LOG_PATH"):
        monkeypatch.delenv(name)
    again = run_playbook(ROOT / "site.yml", url, extra, inventory=INVENTORY, timeout=900)
    assert again.rc == 0, again.output
    assert again.total_changed == 0, changed_tasks(again.output)
    if dataplane:
        second = check_failover(reports)
        assert all(second[s]["time"] != first_reports[s]["time"] for s in second)   # it ran again

    down = run_playbook(ROOT / "playbooks" / "lab_down.yml", url, inventory=INVENTORY)
    assert down.rc == 0, down.output
    assert down.changed["localhost"] == 1
    assert not healthy(url)
    assert our_namespaces() == []
    leftovers = [str(d) for base in ("/etc/netns", "/etc/frr", "/run/frr") if Path(base).is_dir()
                 for d in Path(base).iterdir() if d.name.startswith(PREFIX)]
    assert leftovers == []
