# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""roles/tunnel_event and its filter: decisions, and the role on a Linux "device" (a network namespace)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.filter.tunnel_event import tunnel_event_decision
from ansible_collections.sitevpn.aws.plugins.filter.tunnel_event import tunnel_event_linux_changes

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent
VPN = "vpn-0123456789abcdef0"
T1, T2 = "198.51.100.11", "198.51.100.12"
PLAN = {
    "vpn_connection_id": VPN, "routing": "static", "primary_tunnel": 1, "vpc_prefixes": ["10.0.0.0/16", "10.1.0.0/16"],
    "tunnels": [
        {"index": 1, "name": "tunnel1", "peer_outside_ip": T1, "peer_inside_ip": "169.254.58.233", "local_inside_ip": "169.254.58.234"},
        {"index": 2, "name": "tunnel2", "peer_outside_ip": T2, "peer_inside_ip": "169.254.58.221", "local_inside_ip": "169.254.58.222"},
    ],
}


def event(state, ip=T1, second=0, both=False):
    stamp = 1795603920.0 + second
    return {"vpn_connection_id": VPN, "tunnel_outside_ip": ip, "state": state, "both_down": both, "site": "site-static",
            "time": f"2026-11-25T10:52:{second:02d}.000Z", "timestamp": stamp, "source": "cloudwatch_alarm",
            "event_id": f"{VPN}|{ip or '*'}|{state}|{int(both)}|{second}"}


# --------------------------------------------------------------------------- the decision


def test_primary_down_moves_to_backup_and_back():
    down = tunnel_event_decision(event("DOWN"), PLAN, {})
    assert (down["verdict"], down["active"]["name"], down["failover"]) == ("apply", "tunnel2", True)
    assert down["action"] == "VPC prefixes moved to tunnel2"
    again = tunnel_event_decision(event("DOWN"), PLAN, down["record"])
    assert (again["verdict"], again["failover"], again["record"]) == ("duplicate", True, down["record"])
    up = tunnel_event_decision(event("UP", second=30), PLAN, down["record"])
    assert (up["active"]["name"], up["failover"], up["action"]) == ("tunnel1", False, "VPC prefixes back on tunnel1")


def test_older_event_is_ignored():
    up = tunnel_event_decision(event("UP", second=30), PLAN, tunnel_event_decision(event("DOWN"), PLAN, {})["record"])
    late = tunnel_event_decision(event("DOWN", second=10), PLAN, up["record"])
    assert (late["verdict"], late["failover"], late["action"]) == ("stale", False, "ignored (stale)")
    assert late["record"]["tunnels"] == {T1: "UP", T2: "UP"}


def test_backup_down_changes_nothing_and_both_down():
    backup = tunnel_event_decision(event("DOWN", ip=T2), PLAN, {})
    assert (backup["active"]["name"], backup["failover"], backup["action"]) == ("tunnel1", False, "VPC prefixes stay on tunnel1")
    both = tunnel_event_decision(event("DOWN", ip=None, second=5, both=True), PLAN, backup["record"])
    assert (both["active"], both["failover"], both["action"]) == (None, False, "none: both tunnels down")
    back = tunnel_event_decision(event("UP", ip=T2, second=40), PLAN, both["record"])
    assert (back["active"]["name"], back["failover"]) == ("tunnel2", True)


def test_bgp_connection_never_moves_routes():
    result = tunnel_event_decision(event("DOWN"), dict(PLAN, routing="bgp"), {})
    assert result["failover"] is False and result["action"].startswith("none: BGP")


@pytest.mark.parametrize("bad", [dict(event("DOWN"), state="SIDEWAYS"), dict(event("DOWN"), tunnel_outside_ip="192.0.2.1")])
def test_bad_events_are_refused(bad):
    with pytest.raises(AnsibleFilterError):
        tunnel_event_decision(bad, PLAN, {})


ADDRS = [{"ifname": "lo", "addr_info": [{"local": "127.0.0.1"}]},
         {"ifname": "vti1", "addr_info": [{"local": "169.254.58.234"}]},
         {"ifname": "vti2", "addr_info": [{"local": "169.254.58.222"}]}]
NFT_VTI2 = [
    {"set": {"name": "vpc_prefixes", "elem": [{"prefix": {"addr": "10.0.0.0", "len": 16}}, {"prefix": {"addr": "10.1.0.0", "len": 16}}]}},
    {"set": {"name": "vpc_tunnel_interfaces", "elem": ["vti2"]}},
    {"rule": {"chain": "to_vpc", "expr": []}},
]


def test_linux_changes_on_failover_and_back():
    down = tunnel_event_decision(event("DOWN"), PLAN, {})
    changes = tunnel_event_linux_changes(down, PLAN, {"addrs": ADDRS, "routes": [], "nft": []}, {})
    assert changes["interface"] == "vti2" and changes["nft_changed"] is True
    assert changes["route_commands"] == [
        "route replace 10.0.0.0/16 via 169.254.58.221 dev vti2 proto 77 metric 5 onlink",
        "route replace 10.1.0.0/16 via 169.254.58.221 dev vti2 proto 77 metric 5 onlink",
    ]
    applied = [{"dst": p, "gateway": "169.254.58.221", "dev": "vti2", "metric": 5} for p in PLAN["vpc_prefixes"]]
    same = tunnel_event_linux_changes(down, PLAN, {"addrs": ADDRS, "routes": applied, "nft": NFT_VTI2}, {})
    assert same["route_commands"] == [] and same["nft_changed"] is False
    up = tunnel_event_decision(event("UP", second=9), PLAN, down["record"])
    back = tunnel_event_linux_changes(up, PLAN, {"addrs": ADDRS, "routes": applied, "nft": NFT_VTI2}, {})
    assert back["interface"] == "vti1" and back["nft_changed"] is True
    assert back["route_commands"] == ["route del 10.0.0.0/16 proto 77 metric 5", "route del 10.1.0.0/16 proto 77 metric 5"]


def test_linux_changes_need_the_surviving_interface():
    down = tunnel_event_decision(event("DOWN"), PLAN, {})
    with pytest.raises(AnsibleFilterError, match="tunnel_event_interfaces"):
        tunnel_event_linux_changes(down, PLAN, {"addrs": ADDRS[:2], "routes": [], "nft": []}, {})
    given = tunnel_event_linux_changes(down, PLAN, {"addrs": ADDRS[:2], "routes": [], "nft": []}, {"interfaces": {T2: "xfrm2"}})
    assert given["interface"] == "xfrm2" and "dev xfrm2" in given["route_commands"][0]


# --------------------------------------------------------------------------- the role on a namespace

NEEDS_ROOT = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("nft") or not shutil.which("ip"),
                                reason="needs root, ip and nft")


@pytest.fixture
def device(tunnel_device):
    """A network namespace with the two tunnel interfaces of PLAN, as a strongSwan device has them."""
    return tunnel_device(PLAN)


def _run(device_ns, tmp_path, ev, wait=True, rc=0, **options):
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: site-static\n  gather_facts: false\n  roles:\n"
        "    - role: sitevpn.aws.tunnel_event\n      tunnel_event_event: \"{{ ev }}\"\n      tunnel_event_plan: \"{{ plan }}\"\n")
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"ev": ev, "plan": PLAN, "tunnel_event_state_dir": str(tmp_path / "state"),
                                 "tunnel_event_report_dir": str(tmp_path / "reports"), **options}))
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(f"all:\n  hosts:\n    site-static:\n      ansible_connection: sitevpn.aws.netns\n"
                         f"      sitevpn_netns: {device_ns}\n      ansible_python_interpreter: {sys.executable}\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), str(playbook), "-e", f"@{extra}"]
    if not wait:
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path)
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False)
    assert proc.returncode == rc, proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc.stdout


def _routes(ns):
    out = subprocess.run(["ip", "-n", ns, "-j", "-4", "route", "show", "proto", "77"], capture_output=True, text=True, check=True).stdout
    return sorted((r["dst"], r.get("gateway"), r["dev"]) for r in json.loads(out or "[]"))


def _nft_set(ns, name):
    out = subprocess.run(["ip", "netns", "exec", ns, "nft", "-j", "list", "set", "inet", "sitevpn", name],
                         capture_output=True, text=True, check=True).stdout
    elems = [x for x in json.loads(out)["nftables"] if "set" in x][0]["set"].get("elem", [])
    return sorted(e["prefix"]["addr"] + "/" + str(e["prefix"]["len"]) if isinstance(e, dict) else e for e in elems)


@NEEDS_ROOT
def test_role_moves_routes_and_firewall_object(device, tmp_path):
    _run(device, tmp_path, event("DOWN"))
    assert _routes(device) == [("10.0.0.0/16", "169.254.58.221", "vti2"), ("10.1.0.0/16", "169.254.58.221", "vti2")]
    assert _nft_set(device, "vpc_tunnel_interfaces") == ["vti2"]
    assert _nft_set(device, "vpc_prefixes") == ["10.0.0.0/16", "10.1.0.0/16"]
    _run(device, tmp_path, event("DOWN"))  # duplicate
    _run(device, tmp_path, event("UP", second=5))  # an older recovery arriving late: no, 5 > 0 - a real recovery
    assert _routes(device) == []
    assert _nft_set(device, "vpc_tunnel_interfaces") == ["vti1"]
    _run(device, tmp_path, event("DOWN", second=3))  # older than the applied UP: ignored
    assert _routes(device) == [] and _nft_set(device, "vpc_tunnel_interfaces") == ["vti1"]
    records = json.loads((tmp_path / "reports" / "site-static" / "events.json").read_text())
    assert [(r["state"], r["action"], r["ok"]) for r in records] == [
        ("DOWN", "VPC prefixes moved to tunnel2", True),
        ("DOWN", "ignored (duplicate)", True),
        ("UP", "VPC prefixes back on tunnel1", True),
        ("DOWN", "ignored (stale)", True),
    ]
    assert all(r["tunnel_outside_ip"] == T1 and isinstance(r["seconds_after_event"], float) for r in records)
    chain = subprocess.run(["ip", "netns", "exec", device, "nft", "list", "chain", "inet", "sitevpn", "to_vpc"],
                           capture_output=True, text=True, check=True).stdout
    assert "ip daddr @vpc_prefixes oifname @vpc_tunnel_interfaces accept" in chain


@NEEDS_ROOT
def test_reactions_to_one_connection_take_turns(device, tmp_path):
    """The rulebook runs reactions in parallel: one to the same connection waits while another holds the
    connection's lock, then applies; a lock left by a killed run (older than 5 minutes) is taken over."""
    lock = tmp_path / "state" / f"{VPN}.lock"
    lock.mkdir(parents=True)   # another reaction is applying
    waiting = _run(device, tmp_path, event("DOWN"), wait=False)
    try:
        time.sleep(5)
        assert waiting.poll() is None, waiting.stdout.read()
        assert _routes(device) == [] and not (tmp_path / "reports" / "site-static" / "events.json").exists()
        released = time.time()
        lock.rmdir()   # its turn
        out = waiting.communicate(timeout=60)[0]
    finally:
        if waiting.poll() is None:
            waiting.kill()
    assert waiting.returncode == 0, out[-3000:]
    assert _routes(device) == [("10.0.0.0/16", "169.254.58.221", "vti2"), ("10.1.0.0/16", "169.254.58.221", "vti2")]
    assert not lock.exists()   # given back
    first = json.loads((tmp_path / "reports" / "site-static" / "events.json").read_text())
    assert first[0]["recorded_epoch"] >= released, (first, released)

    lock.mkdir()
    old = time.time() - 600
    os.utime(lock, (old, old))
    _run(device, tmp_path, event("UP", second=5))
    assert _routes(device) == [] and not lock.exists()
    records = json.loads((tmp_path / "reports" / "site-static" / "events.json").read_text())
    assert [(r["state"], r["action"]) for r in records] == [("DOWN", "VPC prefixes moved to tunnel2"), ("UP", "VPC prefixes back on tunnel1")]

    # a turn not given within tunnel_event_lock_timeout: the reaction fails, names the lock, changes nothing
    lock.mkdir()
    out = _run(device, tmp_path, event("DOWN", second=9), rc=2, tunnel_event_lock_timeout=2)
    assert f"another reaction to {VPN} held {lock}" in out, out[-3000:]
    assert _routes(device) == [] and lock.exists()
    last = json.loads((tmp_path / "reports" / "site-static" / "events.json").read_text())[-1]
    assert (last["state"], last["ok"]) == ("DOWN", False) and last["action"].startswith("failed: another reaction"), last


# --------------------------------------------------------------------------- vendor firewall objects (offline)


def test_firewall_objects_follow_the_surviving_tunnel():
    from ansible_collections.sitevpn.aws.plugins.filter.tunnel_event import tunnel_event_firewall_object

    down = tunnel_event_decision(event("DOWN"), PLAN, {})
    ios = tunnel_event_firewall_object(down, PLAN, "cisco_ios")
    assert ios == {"platform": "cisco_ios", "interface": "Tunnel2", "parents": ["object-group network SITEVPN-9ABCDEF0-VPC"],
                   "lines": [f"description {VPN} VPC prefixes via Tunnel2", "10.0.0.0 255.255.0.0", "10.1.0.0 255.255.0.0"]}
    junos = tunnel_event_firewall_object(down, PLAN, "junos", {"st0_unit_start": 10})
    assert junos["interface"] == "st0.11"
    assert "set security address-book global address SITEVPN-9ABCDEF0-VPC-10.0.0.0_16 10.0.0.0/16" in junos["set_lines"]
    assert "set security address-book global address-set SITEVPN-9ABCDEF0-VPC address SITEVPN-9ABCDEF0-VPC-10.1.0.0_16" in junos["set_lines"]
    forti = tunnel_event_firewall_object(down, PLAN, "fortios")
    assert forti["interface"] == "aws-9abcdef0-2"
    assert forti["firewall_addrgrp"]["member"] == [{"name": "SITEVPN-9ABCDEF0-VPC-10.0.0.0/16"}, {"name": "SITEVPN-9ABCDEF0-VPC-10.1.0.0/16"}]
    assert {a["subnet"] for a in forti["firewall_address"]} == {"10.0.0.0 255.255.0.0", "10.1.0.0 255.255.0.0"}
    up = tunnel_event_decision(event("UP", second=5), PLAN, down["record"])
    assert tunnel_event_firewall_object(up, PLAN, "cisco_ios")["interface"] == "Tunnel1"
    both = tunnel_event_decision(event("DOWN", ip=None, second=9, both=True), PLAN, up["record"])
    assert tunnel_event_firewall_object(both, PLAN, "junos")["interface"] is None
    with pytest.raises(AnsibleFilterError):
        tunnel_event_firewall_object(down, PLAN, "pan-os")
