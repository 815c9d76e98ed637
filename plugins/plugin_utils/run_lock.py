# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A lock file on the control node that serialises runs for the same sites.

Ansible runs each task in a short-lived worker process, so an flock held by a task ends with the
task. The lock file therefore names its owner, the ansible-playbook process (the workers' parent,
with its start time against PID reuse); flock guards only the read-check-write of that record.
A run that is killed leaves the record behind, and the next run takes it over once the owner is
gone: a dead run never blocks the next one.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
import time
from datetime import datetime
from datetime import timezone


class LockBusy(Exception):
    """Another live run holds the lock past the timeout."""


def process_start(pid):
    """The process's start time in clock ticks since boot (Linux), None where /proc has no such file."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            # The command name may hold spaces and parentheses: the fields follow its last ')'.
            return int(stat.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def playbook_process():
    """The owner record of this run: the parent of the worker that runs the task (ansible-playbook)."""
    pid = os.getppid()
    return {
        "pid": pid,
        "start": process_start(pid),
        "host": socket.gethostname(),
        "user": getpass.getuser(),
    }


def alive(owner):
    """Whether the owner of a record still runs; an owner on another host is taken as alive."""
    if owner.get("host") != socket.gethostname():
        return True
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's live process
    start = owner.get("start")
    return start is None or process_start(pid) in (None, start)


def describe(owner):
    since = owner.get("since", "?")
    holder = f", {owner['holder']}" if owner.get("holder") else ""
    return f"ansible-playbook PID {owner.get('pid')} of {owner.get('user')}@{owner.get('host')} since {since}{holder}"


class RunLock:
    """``acquire`` waits while another live run owns the file; ``release`` empties it if it is ours."""

    def __init__(self, path, owner, holder="", poll=1.0):
        self.path = os.path.abspath(os.path.expanduser(path))
        self.owner = dict(owner, holder=holder)
        self.poll = poll

    def _mine(self, record):
        keys = ("pid", "start", "host")
        return bool(record) and all(record.get(k) == self.owner.get(k) for k in keys)

    def _locked(self, action):
        """Run action(record, handle) under the flock of the lock file; returns what it returns."""
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                text = handle.read()
                try:
                    record = json.loads(text) if text.strip() else {}
                except ValueError:
                    record = {}  # a torn write of a killed run: nobody holds it
                return action(record if isinstance(record, dict) else {}, handle)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def _write(handle, record):
        handle.seek(0)
        handle.truncate()
        if record:
            handle.write(json.dumps(record, sort_keys=True))
        handle.flush()
        os.fsync(handle.fileno())

    def try_acquire(self):
        """(True, info) when this run owns the lock now, (False, the owner's record) when a live run does."""

        def take(record, handle):
            if self._mine(record):
                return True, {"acquired": True, "taken_over": None}
            if record and alive(record):
                return False, record
            mine = dict(self.owner, since=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
            self._write(handle, mine)
            return True, {"acquired": True, "taken_over": describe(record) if record else None}

        return self._locked(take)

    def acquire(self, timeout):
        deadline = time.monotonic() + timeout
        waited = 0.0
        started = time.monotonic()
        while True:
            ok, info = self.try_acquire()
            if ok:
                return dict(info, waited_seconds=round(time.monotonic() - started, 1))
            waited = time.monotonic() - started
            if time.monotonic() >= deadline:
                raise LockBusy(
                    f"another run for these sites holds {self.path}: {describe(info)}; waited {round(waited)} s. "
                    "Runs for the same sites must not overlap (they could create duplicates): wait for it to "
                    "finish, or remove the file if that run is gone (it is on another host)"
                )
            time.sleep(min(self.poll, max(0.0, deadline - time.monotonic())))

    def release(self):
        def drop(record, handle):
            if self._mine(record):
                self._write(handle, {})
                return {"acquired": False, "released": True}
            return {"acquired": False, "released": False}

        return self._locked(drop)
