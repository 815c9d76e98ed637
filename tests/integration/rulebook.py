"""ansible-rulebook against a running lab, for tests: the on-prem EDA consumer of the VPN events.

    from rulebook import rulebook

    with rulebook(url, state_dir=state_dir, reports_dir=reports) as eda:
        run = run_playbook(ROOT / "site.yml", url, {"failover_test_onprem_events": True}, inventory=INVENTORY)
        ...
    eda.output()  # ansible-rulebook's log, also after it stopped

Starts `ansible-rulebook -r extensions/eda/rulebooks/tunnel_events.yml --print-events` the way
`make eda` does (the collection's sitevpn.aws.vpn_events source through ANSIBLE_COLLECTIONS_PATH),
with the lab inventory plus a small overlay inventory that points the playbook at this lab: the
lab's API URL (the inventory's group_vars name port 4599), the reports directory and a private
tunnel_event state dir; the playbook finds the lab's device namespaces itself (SITEVPN_LAB_STATE_DIR).
The SQS queue is purged first (what earlier runs left there would be replayed), and the context is
entered once the source polls the queue. On exit the process group started here is stopped by its
PID (SIGTERM, then SIGKILL), whatever happened.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RULEBOOK = ROOT / "extensions" / "eda" / "rulebooks" / "tunnel_events.yml"
INVENTORY = ROOT / "inventories" / "lab"
QUEUE = "sitevpn-vpn-events"


def missing() -> str | None:
    """Why ansible-rulebook cannot run here (None when it can): for pytest.skip."""
    if not (BIN / "ansible-rulebook").exists():
        return "ansible-rulebook is not installed in the venv"
    if not shutil.which("java"):
        return "ansible-rulebook needs a Java runtime (java on PATH)"
    return None


@dataclass
class Rulebook:
    proc: subprocess.Popen
    log: Path
    workdir: Path
    inventory: Path

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None


def _lab_get(url: str, path: str):
    with urllib.request.urlopen(f"{url}/_lab/{path}", timeout=10) as resp:
        return json.load(resp)


def _receives(url: str) -> int:
    try:
        return int(_lab_get(url, "requests")["counts"].get("sqs:ReceiveMessage", 0))
    except (OSError, ValueError, KeyError):
        return -1


def _purge(url: str, queue: str, region: str) -> None:
    import boto3

    sqs = boto3.client("sqs", endpoint_url=url, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    try:
        sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName=queue)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist:
        pass  # the source waits for it


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    # our own process group (start_new_session): ansible-rulebook, its JVM and playbook runs
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def rulebook(url, *, state_dir=None, reports_dir=None, inventory=INVENTORY, workdir=None, queue=QUEUE,
             region="us-east-1", purge=True, ready_timeout=120.0, host_vars=None):
    """Run the tunnel_events rulebook against the lab at ``url`` until the block ends; yields a Rulebook.

    ``state_dir``: the lab's SITEVPN_LAB_STATE_DIR (default: the environment's); ``reports_dir``:
    where on_tunnel_event.yml writes reports/<site>/events.json (give the same as the playbooks'
    sitevpn_reports_dir); ``host_vars``: more variables for the sites (group vars of the overlay).
    """
    state_dir = state_dir or os.environ.get("SITEVPN_LAB_STATE_DIR")
    work = Path(workdir or tempfile.mkdtemp(prefix="sitevpn-rulebook-"))
    work.mkdir(parents=True, exist_ok=True)
    # what points the playbook at this lab (the inventory's group_vars name port 4599); the lab's
    # device namespaces it finds itself (roles/lab tasks_from device_netns, SITEVPN_LAB_STATE_DIR)
    overlay_vars = {
        "ansible_python_interpreter": sys.executable,
        "sitevpn_aws_endpoint_url": url,
        "tunnel_event_state_dir": str(work / "device-state"),
        **({"sitevpn_reports_dir": str(reports_dir)} if reports_dir else {}),
        **(host_vars or {}),
    }
    # ansible-rulebook takes one inventory (and copies it per run): the lab's, plus the overlay as
    # group_vars of `sites`, which win over the copied group_vars/all.yml (inventory host vars
    # still win over it)
    combined = work / "inventory"
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
    variables = work / "vars.yml"
    variables.write_text(json.dumps({
        "sitevpn_eda_queue_name": queue, "sitevpn_eda_region": region, "sitevpn_eda_endpoint_url": url,
        "sitevpn_eda_access_key": "testing", "sitevpn_eda_secret_key": "testing",
        "sitevpn_eda_escalation_playbook": "sitevpn.aws.on_tunnel_escalation",
    }))
    if purge:
        _purge(url, queue, region)
    # the venv's site-packages holds ansible_collections/ (sitevpn.aws is linked there)
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_COLLECTIONS_PATH=sysconfig.get_paths()["purelib"], PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    if state_dir:
        env["SITEVPN_LAB_STATE_DIR"] = str(state_dir)
    env.pop("ANSIBLE_STDOUT_CALLBACK", None)
    log = work / "rulebook.log"
    before = _receives(url)
    cmd = [str(BIN / "ansible-rulebook"), "-r", str(RULEBOOK), "-i", str(combined), "--vars", str(variables), "--print-events"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    handle = Rulebook(proc, log, work, combined)
    try:
        deadline = time.monotonic() + ready_timeout
        while _receives(url) <= max(before, 0) and before >= 0:
            if proc.poll() is not None:
                raise RuntimeError(f"ansible-rulebook exited with {proc.returncode}:\n{handle.output()[-4000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"ansible-rulebook did not poll the queue within {ready_timeout} s:\n{handle.output()[-4000:]}")
            time.sleep(0.5)
        yield handle
    finally:
        _stop(proc)
