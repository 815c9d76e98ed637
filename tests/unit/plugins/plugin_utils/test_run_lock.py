"""sitevpn.aws.run_lock's lock file: one owner at a time, a dead owner's lock taken over, a live one
waited for and then named in the failure, only the owner releases."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from ansible_collections.sitevpn.aws.plugins.plugin_utils.run_lock import LockBusy
from ansible_collections.sitevpn.aws.plugins.plugin_utils.run_lock import RunLock
from ansible_collections.sitevpn.aws.plugins.plugin_utils.run_lock import alive
from ansible_collections.sitevpn.aws.plugins.plugin_utils.run_lock import process_start


def owner(pid):
    return {"pid": pid, "start": process_start(pid), "host": socket.gethostname(), "user": "tester"}


@pytest.fixture
def other_live_process():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # pylint: disable=consider-using-with
    yield proc.pid
    proc.kill()
    proc.wait()


def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])  # pylint: disable=consider-using-with
    proc.wait()
    return proc.pid


def test_acquire_then_release_by_the_owner(tmp_path):
    path = tmp_path / "d" / "hub.lock"
    lock = RunLock(str(path), owner(os.getpid()), holder="provision.yml")
    assert lock.acquire(timeout=0)["acquired"] is True
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["pid"] == os.getpid() and record["holder"] == "provision.yml" and record["since"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    # re-entrant for its owner (a second play of the same run)
    assert lock.acquire(timeout=0)["taken_over"] is None
    assert lock.release() == {"acquired": False, "released": True}
    assert path.read_text(encoding="utf-8") == ""


def test_a_live_owner_is_waited_for_then_named(tmp_path, other_live_process):
    path = str(tmp_path / "hub.lock")
    assert RunLock(path, owner(other_live_process), holder="site.yml (present, 2 site(s))").acquire(timeout=0)["acquired"]
    mine = RunLock(path, owner(os.getpid()), poll=0.05)
    with pytest.raises(LockBusy) as busy:
        mine.acquire(timeout=0.2)
    message = str(busy.value)
    assert f"PID {other_live_process}" in message and "site.yml (present, 2 site(s))" in message and path in message
    # not the owner: releasing leaves the other run's lock alone
    assert mine.release()["released"] is False
    assert json.loads(open(path, encoding="utf-8").read())["pid"] == other_live_process


def test_a_dead_owners_lock_is_taken_over(tmp_path):
    path = str(tmp_path / "hub.lock")
    gone = dead_pid()
    RunLock(path, owner(os.getpid())).try_acquire()  # written by "us", then rewritten as the dead run's
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(dict(owner(os.getpid()), pid=gone, start=1, since="2026-01-01T00:00:00Z"), handle)
    info = RunLock(path, owner(os.getpid())).acquire(timeout=0)
    assert info["acquired"] is True and f"PID {gone}" in info["taken_over"]
    assert json.loads(open(path, encoding="utf-8").read())["pid"] == os.getpid()


def test_a_torn_record_holds_nothing(tmp_path):
    path = tmp_path / "hub.lock"
    path.write_text('{"pid": 12', encoding="utf-8")
    assert RunLock(str(path), owner(os.getpid())).acquire(timeout=0)["taken_over"] is None


def test_liveness():
    me = owner(os.getpid())
    assert alive(me)
    assert not alive(dict(me, pid=dead_pid()))
    # a PID reused by another process: the start time differs
    assert not alive(dict(me, start=(me["start"] or 0) + 12345)) or me["start"] is None
    # another host cannot be checked: taken as alive (its lock is waited for)
    assert alive(dict(me, host="elsewhere.invalid", pid=dead_pid()))
