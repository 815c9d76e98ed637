"""Lab state directory: every namespace, process and file the data plane created.

``down`` works from this record alone (exact namespace names, PIDs checked against their
start time so a recycled PID is never killed), so it also cleans up after a dead agent.
Mutations go through :func:`locked`, because the CLI and the edge agent both write it.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import time
from pathlib import Path

DEFAULT_STATE_DIR = "/var/lib/sitevpn-lab"
STATE_ENV = "SITEVPN_LAB_STATE_DIR"


def default_state_dir() -> str:
    """The lab-wide state dir (shared with the lab API's records), never under /run."""
    if os.environ.get(STATE_ENV):
        return os.environ[STATE_ENV]
    try:
        from lab.api.state import default_state_dir as api_default
        return str(api_default())
    except ImportError:
        return DEFAULT_STATE_DIR


def check_state_dir(path: str | os.PathLike) -> Path:
    """Resolve the state dir; refuse one under /run.

    Each charon runs with a private tmpfs over /run (its pid file is /run/charon.pid), which
    would hide its own configuration and VICI socket if they lived under /run.
    """
    p = Path(path).resolve()
    if p == Path("/run") or Path("/run") in p.parents or Path("/var/run") in p.parents:
        raise ValueError(f"state dir {p} is under /run, which each charon hides behind its private tmpfs")
    return p


def proc_start_time(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            data = fh.read()
    except OSError:
        return None
    # comm may contain spaces and parentheses: fields after the last ')'
    fields = data[data.rindex(")") + 2:].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


def pid_alive(pid: int, start_time: int | None = None) -> bool:
    st = proc_start_time(pid)
    if st is None:
        return False
    return start_time is None or st == start_time


class State:
    """The JSON record in ``STATE_DIR/state.json``."""

    def __init__(self, root: Path, data: dict):
        self.root = root
        self.data = data
        for key, default in (("namespaces", []), ("pids", {}), ("index", {}), ("sites", {}),
                             ("edge", {}), ("paths", [])):
            self.data.setdefault(key, default)

    # namespaces -----------------------------------------------------------------------
    @property
    def namespaces(self) -> list[str]:
        return self.data["namespaces"]

    def add_namespace(self, name: str) -> None:
        if name not in self.namespaces:
            self.namespaces.append(name)

    def remove_namespace(self, name: str) -> None:
        if name in self.namespaces:
            self.namespaces.remove(name)

    # processes ------------------------------------------------------------------------
    @property
    def pids(self) -> dict:
        return self.data["pids"]

    def add_pid(self, key: str, pid: int, ns: str | None, argv: list[str]) -> None:
        self.pids[key] = {"pid": pid, "start": proc_start_time(pid), "ns": ns, "argv": argv[:6]}

    def pid_of(self, key: str) -> int | None:
        rec = self.pids.get(key)
        if rec and pid_alive(rec["pid"], rec["start"]):
            return rec["pid"]
        return None

    # stable small indexes for names and address blocks ---------------------------------
    def index(self, kind: str, key: str) -> int:
        table = self.data["index"].setdefault(kind, {})
        if key not in table:
            used = set(table.values())
            table[key] = next(i for i in range(1, 10000) if i not in used)
        return table[key]

    def release_index(self, kind: str, key: str) -> None:
        self.data["index"].get(kind, {}).pop(key, None)

    def add_path(self, path: str | os.PathLike) -> None:
        if str(path) not in self.data["paths"]:
            self.data["paths"].append(str(path))


def _load(root: Path) -> State:
    from . import addressing
    f = root / "state.json"
    data = json.loads(f.read_text()) if f.exists() else {}
    # a state dir keeps the namespace prefix it was created with
    data.setdefault("prefix", os.environ.get(addressing.PREFIX_ENV) or "svl-")
    addressing.set_prefix(data["prefix"])
    return State(root, data)


def _save(state: State) -> None:
    tmp = state.root / "state.json.tmp"
    tmp.write_text(json.dumps(state.data, indent=1, sort_keys=True))
    os.replace(tmp, state.root / "state.json")


@contextlib.contextmanager
def locked(state_dir: str | os.PathLike):
    """Yield the State under an exclusive lock and save it on exit (also on error)."""
    root = check_state_dir(state_dir)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "state.lock", "a+", encoding="ascii") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = _load(root)
        try:
            yield state
        finally:
            _save(state)


def read(state_dir: str | os.PathLike) -> State:
    """A snapshot without the lock (for status and polling)."""
    root = check_state_dir(state_dir)
    return _load(root)


def kill_pid(pid: int, start_time: int | None, timeout: float = 3.0) -> bool:
    """TERM, then KILL after ``timeout``; only if the PID is still the process we started."""
    if not pid_alive(pid, start_time):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid, start_time):
            _reap(pid)
            return True
        _reap(pid)
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    for _attempt in range(40):
        _reap(pid)
        if not pid_alive(pid, start_time):
            break
        time.sleep(0.05)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
