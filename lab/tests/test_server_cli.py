"""The ``sitevpn-lab-api`` console script and the lab state directory (pid files, cleanup)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from lab.api.state import StateDir
from lab.api.testing import api_command, start_api_process


def _start(state_dir: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    proc, url, _line = start_api_process(state_dir, *extra, stderr=subprocess.PIPE)
    return proc, url


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def test_cli_serves_records_pid_and_stops_on_sigterm(tmp_path):
    proc, url = _start(tmp_path, "--settings", '{"time_factor": 30}')
    try:
        assert url.startswith("http://127.0.0.1:")
        assert _get(f"{url}/_lab/health")["ok"] is True
        assert _get(f"{url}/_lab/settings")["time_factor"] == 30.0
        assert (tmp_path / "api.pid").read_text().strip() == str(proc.pid)
        record = json.loads((tmp_path / "processes" / "api.json").read_text())
        assert record["pid"] == proc.pid and record["url"] == url
        assert StateDir(tmp_path).api_url() == url
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not (tmp_path / "api.pid").exists()
    assert StateDir(tmp_path).processes() == []


def test_cli_refuses_a_non_loopback_host(tmp_path):
    done = subprocess.run(
        [*api_command(), "--host", "0.0.0.0", "--port", "0", "--state-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 2
    assert "loopback" in done.stderr


def test_down_cleans_up_after_the_api_died(tmp_path):
    proc, url = _start(tmp_path)
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        state = StateDir(tmp_path)
        state.record_process("helper", helper.pid, role="test helper")
        state.record("netns", "sitevpn-test-absent-ns")
        state.record("widget", "kept-one")
        proc.kill()  # the API dies without cleaning up
        proc.wait()
        assert (tmp_path / "api.pid").exists()
        assert state.api_url() is None  # a dead pid is not a running API

        report = state.down()
        results = {(r["kind"], r["name"]): r["result"] for r in report}
        assert results[("process", "api")] == "gone"
        assert results[("process", "helper")] == "stopped"
        assert results[("netns", "sitevpn-test-absent-ns")] == "gone"
        assert results[("widget", "kept-one")].startswith("kept")
        assert helper.wait(timeout=10) == -signal.SIGTERM
        assert state.processes() == []
        assert not (tmp_path / "api.pid").exists()
        assert [r["name"] for r in state.resources()] == ["kept-one"]
    finally:
        for p in (proc, helper):
            if p.poll() is None:
                p.kill()
                p.wait()


def test_down_never_signals_a_reused_pid(tmp_path):
    state = StateDir(tmp_path)
    entry = state.record_process("stale", os.getpid())
    entry["start_ticks"] = (entry["start_ticks"] or 0) + 12345  # another process's start time
    (tmp_path / "processes" / "stale.json").write_text(json.dumps(entry))
    assert state.down() == [{"kind": "process", "name": "stale", "pid": os.getpid(), "result": "gone"}]


def test_state_names_cannot_escape_the_directory(tmp_path):
    with pytest.raises(ValueError):
        StateDir(tmp_path).record("netns", "../etc")


def test_api_start_gives_a_running_lab_the_settings_it_lacks(tmp_path):
    from lab.api import settings as lab_settings
    from lab.api.server import LabServer
    from lab.cli import api_start

    try:
        with LabServer(host="127.0.0.1", port=0) as server:
            first = api_start(str(tmp_path), server.port, '{"time_factor": 120}', 5)
            assert first["changed"] is True and first["url"] == server.url
            assert _get(f"{server.url}/_lab/settings")["time_factor"] == 120.0
            # the same settings again (120 == 120.0), or none: nothing to do
            assert api_start(str(tmp_path), server.port, '{"time_factor": 120.0}', 5)["changed"] is False
            assert api_start(str(tmp_path), server.port, None, 5)["changed"] is False
            assert _get(f"{server.url}/_lab/settings")["time_factor"] == 120.0
    finally:
        lab_settings.reset()  # the settings are the process's: leave them as found for the next test
