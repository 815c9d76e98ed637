"""The lab's on-prem consumer of tunnel events: ansible-rulebook with the collection's rulebook.

``make site`` (through ``playbooks/lab_eda.yml`` and ``roles/lab``) runs it in the background for the
failover test, so that the on-prem reaction to each tunnel change is proven and reported on every run;
the tests use the same code (``tests/integration/rulebook.py``).

It runs ``ansible-rulebook -r extensions/eda/rulebooks/tunnel_events.yml`` the way ``make eda`` does
(the collection's ``sitevpn.aws.vpn_events`` source), with the given inventory plus an overlay that
points the playbook at this lab (API URL, reports directory, a private tunnel_event state directory).
The queue is purged first (what earlier runs left there would be replayed), and start returns once the
source polls the queue. The process runs in its own session: stop signals that process group, by the
PID recorded in the lab's state directory, and nothing else.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

from lab.api.state import StateDir

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RULEBOOK = ROOT / "extensions" / "eda" / "rulebooks" / "tunnel_events.yml"
QUEUE = "sitevpn-vpn-events"
NAME = "rulebook"


def missing() -> str | None:
    """Why ansible-rulebook cannot run here (None when it can)."""
    if not (BIN / "ansible-rulebook").exists():
        return "ansible-rulebook is not installed in the venv"
    if not shutil.which("java"):
        return "ansible-rulebook needs a Java runtime (java on PATH)"
    return None


def receives(url: str) -> int:
    """How many sqs:ReceiveMessage calls the lab API has logged (-1 when it cannot tell)."""
    try:
        with urllib.request.urlopen(f"{url}/_lab/requests", timeout=10) as resp:
            return int(json.load(resp)["counts"].get("sqs:ReceiveMessage", 0))
    except (OSError, ValueError, KeyError):
        return -1


def purge(url: str, queue: str = QUEUE, region: str = "us-east-1") -> None:
    import boto3

    sqs = boto3.client("sqs", endpoint_url=url, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    try:
        sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName=queue)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist:
        pass  # the source waits for it


def prepare(workdir: Path, url: str, inventory: Path, *, reports_dir: str | None = None, host_vars: dict | None = None,
            queue: str = QUEUE, region: str = "us-east-1", state_dir: str | None = None) -> tuple[list[str], dict, Path]:
    """The command, environment and log file of a rulebook run against the lab at URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    overlay_vars = {
        "ansible_python_interpreter": sys.executable,
        "sitevpn_aws_endpoint_url": url,
        "tunnel_event_state_dir": str(workdir / "device-state"),
        **({"sitevpn_reports_dir": str(reports_dir)} if reports_dir else {}),
        **(host_vars or {}),
    }
    # ansible-rulebook takes one inventory (and copies it per run): the given one, plus the overlay as
    # group_vars of `sites`, which win over its group_vars/all (inventory host vars still win over it)
    combined = workdir / "inventory"
    shutil.rmtree(combined, ignore_errors=True)
    source = Path(inventory)
    if source.is_dir():
        shutil.copytree(source, combined)
    else:
        combined.mkdir()
        shutil.copy(source, combined / source.name)
        for sibling in ("group_vars", "host_vars"):
            if (source.parent / sibling).is_dir():
                shutil.copytree(source.parent / sibling, combined / sibling)
    overlay = combined / "group_vars" / "sites" / "zz-rulebook-overlay.yml"
    overlay.parent.mkdir(parents=True, exist_ok=True)
    overlay.write_text(json.dumps(overlay_vars))
    variables = workdir / "vars.yml"
    variables.write_text(json.dumps({
        "sitevpn_eda_queue_name": queue, "sitevpn_eda_region": region, "sitevpn_eda_endpoint_url": url,
        "sitevpn_eda_access_key": "testing", "sitevpn_eda_secret_key": "testing",
        "sitevpn_eda_escalation_playbook": "sitevpn.aws.on_tunnel_escalation",
    }))
    # the venv's site-packages holds ansible_collections/ (sitevpn.aws is linked there)
    # not the settings of the run that started it (verbosity, log path): it outlives that run
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_COLLECTIONS_PATH=sysconfig.get_paths()["purelib"], PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    if state_dir:
        env["SITEVPN_LAB_STATE_DIR"] = str(state_dir)
    cmd = [str(BIN / "ansible-rulebook"), "-r", str(RULEBOOK), "-i", str(combined), "--vars", str(variables), "--print-events"]
    return cmd, env, workdir / "rulebook.log"


def launch(cmd: list[str], env: dict, log: Path, cwd: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)


def wait_polling(url: str, before: int, alive, log: Path, timeout: float) -> None:
    """Until the source has polled the queue (one more ReceiveMessage than BEFORE)."""
    deadline = time.monotonic() + timeout
    while receives(url) <= max(before, 0) and before >= 0:
        if not alive():
            raise RuntimeError(f"ansible-rulebook exited:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"ansible-rulebook did not poll the queue within {timeout:.0f} s:\n{_tail(log)}")
        time.sleep(0.5)


def stop_group(pid: int, timeout: float = 15.0) -> None:
    """SIGTERM to the process group PID leads (ansible-rulebook, its playbook runs), then SIGKILL."""
    try:
        if os.getpgid(pid) != pid:
            return  # not the session we started: never signal someone else's group
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-4000:]
    except OSError:
        return ""


def start(state_dir: str, url: str, inventory: str, *, reports_dir: str | None = None, host_vars: dict | None = None,
          timeout: float = 120.0) -> dict:
    """Start the rulebook in the background for the lab at URL (idempotent: a running one stays)."""
    why = missing()
    if why:
        raise RuntimeError(why)
    sd = StateDir(state_dir)
    entry = sd.process(NAME)
    wanted = {"url": url, "inventory": str(inventory), "reports_dir": reports_dir, "host_vars": host_vars or {}}
    if entry and StateDir.is_alive(entry):
        if {k: entry.get(k) for k in wanted} == wanted:
            return {"changed": False, "pid": entry["pid"], "log": entry.get("log")}
        stop(state_dir)
    work = Path(state_dir) / "rulebook"
    cmd, env, log = prepare(work, url, Path(inventory), reports_dir=reports_dir, host_vars=host_vars, state_dir=state_dir)
    purge(url)
    before = receives(url)
    proc = launch(cmd, env, log, work)
    sd.record_process(NAME, proc.pid, group=True, log=str(log), **wanted)
    try:
        wait_polling(url, before, lambda: proc.poll() is None, log, timeout)
    except RuntimeError:
        stop(state_dir)
        raise
    return {"changed": True, "pid": proc.pid, "log": str(log)}


def stop(state_dir: str) -> dict:
    sd = StateDir(state_dir)
    entry = sd.process(NAME)
    if not entry:
        return {"changed": False}
    alive = StateDir.is_alive(entry)
    if alive:
        stop_group(entry["pid"])
    sd.forget_process(NAME, entry["pid"])
    return {"changed": alive}
