"""The lab's own record of what it started, kept on disk so cleanup works after a crash.

Layout of a state directory::

    api.pid                      pid of the lab API (plain text, for shell tools)
    processes/<name>.json        {"name", "pid", "start_ticks", "cmdline", ...extra}
    resources/<kind>/<name>.json anything else the lab created (e.g. kind "netns")

A process entry stores the kernel start time of the pid (``/proc/<pid>/stat`` field 22),
so ``down()`` never signals an unrelated process that reused the pid. ``down()`` stops
the recorded processes (newest first), hands every other resource to a handler for its
kind (a built-in one deletes ``netns`` entries by exact name), and removes the records.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ENV_VAR = "SITEVPN_LAB_STATE_DIR"
API_NAME = "api"


def default_state_dir() -> Path:
    """``$SITEVPN_LAB_STATE_DIR``, else ``$XDG_STATE_HOME/sitevpn-lab``, else ``~/.local/state/sitevpn-lab``."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "sitevpn-lab"


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) of a pid, None if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ")"
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0], int(fields[19])


def _start_ticks(pid: int) -> int | None:
    stat = _stat(pid)
    return stat[1] if stat else None


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return [part.decode("utf-8", "replace") for part in fh.read().split(b"\0") if part]
    except OSError:
        return []


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)


def _safe_name(name: str) -> str:
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"bad record name {name!r}")
    return name


class StateDir:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else default_state_dir()

    # ---- processes
    def record_process(self, name: str, pid: int, **extra: Any) -> dict[str, Any]:
        entry = {
            "name": _safe_name(name),
            "pid": int(pid),
            "start_ticks": _start_ticks(pid),
            "cmdline": _cmdline(pid),
            "recorded": time.time(),
        }
        entry.update(extra)
        _write_json(self.path / "processes" / f"{name}.json", entry)
        if name == API_NAME:
            (self.path / "api.pid").write_text(f"{pid}\n", encoding="ascii")
        return entry

    def processes(self) -> list[dict[str, Any]]:
        out = []
        for file in sorted((self.path / "processes").glob("*.json")):
            try:
                out.append(json.loads(file.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        return out

    def process(self, name: str) -> dict[str, Any] | None:
        file = self.path / "processes" / f"{_safe_name(name)}.json"
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def forget_process(self, name: str, pid: int | None = None) -> None:
        """Remove a process record (only if it still names ``pid``, when given)."""
        entry = self.process(name)
        if entry is None or (pid is not None and entry.get("pid") != pid):
            return
        (self.path / "processes" / f"{name}.json").unlink(missing_ok=True)
        if name == API_NAME:
            (self.path / "api.pid").unlink(missing_ok=True)

    @staticmethod
    def is_alive(entry: dict[str, Any]) -> bool:
        pid = entry.get("pid")
        if not isinstance(pid, int) or pid <= 0:
            return False
        stat = _stat(pid)
        if stat is None or stat[0] in ("Z", "X"):  # a zombie has exited already
            return False
        # a different start time means the pid now belongs to another process
        return entry.get("start_ticks") in (None, stat[1])

    @classmethod
    def stop_process(cls, entry: dict[str, Any], timeout: float = 5.0) -> str:
        if not cls.is_alive(entry):
            return "gone"
        pid = entry["pid"]
        # a process recorded with group: true leads a session we started (its children go with it)
        group = bool(entry.get("group")) and _pgid(pid) == pid
        send = (lambda sig: os.killpg(pid, sig)) if group else (lambda sig: os.kill(pid, sig))
        try:
            send(signal.SIGTERM)
        except ProcessLookupError:
            return "gone"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not cls.is_alive(entry):
                return "stopped"
            time.sleep(0.05)
        try:
            send(signal.SIGKILL)
        except ProcessLookupError:
            return "stopped"
        return "killed"

    # ---- other resources
    def record(self, kind: str, name: str, **data: Any) -> dict[str, Any]:
        entry = {"kind": _safe_name(kind), "name": _safe_name(name), "recorded": time.time()}
        entry.update(data)
        _write_json(self.path / "resources" / kind / f"{name}.json", entry)
        return entry

    def resources(self, kind: str | None = None) -> list[dict[str, Any]]:
        pattern = f"{_safe_name(kind)}/*.json" if kind else "*/*.json"
        out = []
        for file in sorted((self.path / "resources").glob(pattern)):
            try:
                out.append(json.loads(file.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        return out

    def forget(self, kind: str, name: str) -> None:
        (self.path / "resources" / _safe_name(kind) / f"{_safe_name(name)}.json").unlink(missing_ok=True)

    # ---- API helpers
    def api_url(self) -> str | None:
        """URL of the recorded lab API if its process is alive."""
        entry = self.process(API_NAME)
        if entry and self.is_alive(entry):
            return entry.get("url")
        return None

    def down(self, handlers: dict[str, Callable[[dict[str, Any]], str]] | None = None) -> list[dict[str, Any]]:
        """Stop and remove everything recorded; return what was done, one dict per record."""
        actions = {"netns": _delete_netns}
        actions.update(handlers or {})
        report = []
        for entry in sorted(self.processes(), key=lambda e: e.get("recorded", 0), reverse=True):
            result = self.stop_process(entry)
            self.forget_process(entry["name"])
            report.append({"kind": "process", "name": entry["name"], "pid": entry.get("pid"), "result": result})
        for entry in sorted(self.resources(), key=lambda e: e.get("recorded", 0), reverse=True):
            handler = actions.get(entry["kind"])
            if handler is None:
                result = "kept (no handler for this kind)"
            else:
                try:
                    result = handler(entry)
                except Exception as exc:  # keep going: cleanup must reach every record
                    result = f"failed: {exc}"
            if not result.startswith(("kept", "failed")):
                self.forget(entry["kind"], entry["name"])
            report.append({"kind": entry["kind"], "name": entry["name"], "result": result})
        return report


def _delete_netns(entry: dict[str, Any]) -> str:
    name = entry["name"]
    if not os.path.exists(f"/run/netns/{name}"):
        return "gone"
    done = subprocess.run(["ip", "netns", "delete", name], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return f"failed: {done.stderr.strip()}"
    return "deleted"
