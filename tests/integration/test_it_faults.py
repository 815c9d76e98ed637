"""playbooks/provision.yml under faults (issue 9): throttling and 5xx, an unreachable API, SIGKILL.

- Throttling (RequestLimitExceeded on 30 % of calls) and 503 on 10 %: both lab sites converge, a
  re-run under the same faults reports changed=0, retries stay bounded (requests counted in the lab's
  log), 0 duplicate resources (counted by the collection's tags).
- The lab API unreachable (a closed port): a clear error naming the endpoint, nothing written.
- SIGKILL to the ansible-playbook process group at 10 points of a first run of one site (after each
  of its write calls, plus two points between writes, counted in /_lab/requests); each re-run
  converges with 0 duplicates and 0 orphans (resources tagged by the collection but not in use).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from lab.api.testing import free_port
from lab_counts import assert_converged, everything
from sitevpn_playbook import BIN, LAB_VGW_SITES, ROOT, run_playbook, writes

PLAYBOOK = ROOT / "playbooks" / "provision.yml"
INVENTORY = LAB_VGW_SITES
SITE = "site-bgp"
READS = ("Describe", "Get", "List")


def provision(lab, limit=None, timeout=240):
    return run_playbook(PLAYBOOK, lab.url, inventory=INVENTORY, limit=limit, timeout=timeout)


# ---------------------------------------------------------------------------------------------
# Throttling and 5xx
# ---------------------------------------------------------------------------------------------
def test_throttling_and_5xx_converge(lab):
    lab.set_faults({"throttle_rate": 0.3, "error_rate": 0.1, "seed": 9})
    try:
        lab.clear_requests()
        first = provision(lab)
        assert first.rc == 0, first.failures + first.output
        log = lab.requests()["requests"]
        again = provision(lab)
        assert again.rc == 0, again.failures + again.output
        assert again.total_changed == 0, again.output
    finally:
        lab.clear_faults()
    failed = [r for r in log if r["status"] != 200]
    ok = len(log) - len(failed)
    codes = {r["error_code"] for r in failed}
    assert failed and codes <= {"RequestLimitExceeded", "ServiceUnavailable"}, codes
    # Bounded: with 37 % of calls failing ~1.6 attempts per call are expected; 3x means runaway retries.
    assert len(log) <= 3 * ok, f"{len(log)} requests for {ok} successful ones"
    # No call retried without end: the longest run of failures in a row stays short.
    streak = longest = 0
    for r in log:
        streak = streak + 1 if r["status"] != 200 else 0
        longest = max(longest, streak)
    assert longest <= 10, f"{longest} failed requests in a row"
    assert_converged(lab, sites=2)


# ---------------------------------------------------------------------------------------------
# Unreachable
# ---------------------------------------------------------------------------------------------

def test_unreachable_api_names_the_endpoint(lab):
    port = free_port()   # nothing listens on it
    endpoint = f"http://127.0.0.1:{port}"
    lab.clear_requests()
    run = run_playbook(PLAYBOOK, endpoint, inventory=INVENTORY, timeout=120)
    assert run.rc != 0
    assert f"127.0.0.1:{port}" in run.output and "Could not connect" in run.output, run.output[-3000:]
    assert lab.requests()["requests"] == []
    assert {kind: len(items) for kind, items in everything(lab).items()} == {
        "vpcs": 0,
        "vpn_gateways": 0,
        "customer_gateways": 0,
        "vpn_connections": 0,
    }


# ---------------------------------------------------------------------------------------------
# SIGKILL at 10 points of a first run
# ---------------------------------------------------------------------------------------------
def _start_playbook(url):
    extra = {"sitevpn_aws_endpoint_url": url}
    cmd = [str(BIN / "ansible-playbook"), str(PLAYBOOK), "-i", str(INVENTORY), "--limit", SITE]
    cmd += ["-e", json.dumps(extra)]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_STDOUT_CALLBACK", None)
    return subprocess.Popen(  # pylint: disable=consider-using-with
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _children(pid):
    """PIDs whose parent is pid (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                # The command name (field 2) may hold spaces: the parent PID follows its ')'.
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(entry))
    return found


def kill_tree(pid):
    """SIGKILL ansible-playbook's process group and its workers.

    Ansible's workers call setsid(), so they (and the modules they run) are not in the playbook's
    process group: freeze the whole tree first (so nothing new starts, nothing gets reparented),
    then kill the group and every process of the tree by PID.
    """
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            os.kill(current, signal.SIGSTOP)
        except ProcessLookupError:
            continue
        tree.append(current)
        todo.extend(_children(current))
    os.killpg(pid, signal.SIGKILL)
    for member in tree:
        try:
            os.kill(member, signal.SIGKILL)
        except ProcessLookupError:
            pass


def kill_points(lab):
    """A clean first run's request log -> 10 request counts to kill at, spread over the run.

    After each write call, plus after the first request and in the middle of the longest stretch of
    reads between two writes.
    """
    lab.reset()
    lab.clear_requests()
    run = provision(lab, limit=SITE)
    assert run.rc == 0, run.failures + run.output
    log = lab.requests()["requests"]
    after_writes = [i + 1 for i, r in enumerate(log) if r["write"]]
    assert len(after_writes) >= 8, [r["action"] for r in log]
    gaps = [(b - a, a + (b - a) // 2) for a, b in zip(after_writes, after_writes[1:]) if b - a > 1]
    middle = max(gaps)[1] if gaps else after_writes[0] + 1
    points = sorted(set([1, middle] + after_writes))
    # Exactly 10, spread: drop from the crowded end if the run ever has more writes.
    while len(points) > 10:
        points.pop(len(points) // 2)
    return points, [r["action"] for r in log]


def test_sigkill_at_10_points_then_rerun_converges(lab):
    points, sequence = kill_points(lab)
    assert len(points) == 10, points
    report = []
    for point in points:
        lab.reset()
        lab.clear_requests()
        # Every call a little slower, so the poll below sees the point before the next call lands.
        lab.set_faults({"latency_ms": 80})
        proc = _start_playbook(lab.url)
        try:
            deadline = time.monotonic() + 120
            while len(lab.requests()["requests"]) < point:
                assert proc.poll() is None, f"the run ended before request {point}"
                assert time.monotonic() < deadline, f"request {point} not reached"
                # Each poll costs the lab (in this process) CPU: not faster than the latency needs.
                time.sleep(0.04)
            kill_tree(proc.pid)
        finally:
            proc.wait(timeout=30)
            lab.clear_faults()
        time.sleep(0.2)  # a call in flight when the client died still lands
        done = writes(lab)
        rerun = provision(lab, limit=SITE)
        assert rerun.rc == 0, f"kill after request {point} ({done}): re-run failed\n{rerun.output}"
        assert_converged(lab, sites=1)
        report.append((point, sequence[point - 1], len(done)))
    # Spread over the run: before the first write, after the last, and at least 6 distinct places
    # (two writes of one module, CreateVpc + ModifyVpcAttribute, may land together).
    done_counts = {writes_done for dummy, dummy2, writes_done in report}
    assert min(done_counts) == 0 and max(done_counts) == len([a for a in sequence if not a.startswith(READS)])
    assert len(done_counts) >= 6, report
    print("\nSIGKILL points (request no., last call, writes done):", report)


@pytest.fixture(autouse=True)
def _no_faults_left(lab):
    yield
    lab.clear_faults()
