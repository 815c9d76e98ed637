"""ansible-rulebook against a running lab, for tests: the on-prem EDA consumer of the VPN events.

    from rulebook import rulebook

    with rulebook(url, state_dir=state_dir, reports_dir=reports) as eda:
        run = run_playbook(ROOT / "site.yml", url, {"failover_test_onprem_events": True}, inventory=INVENTORY)
        ...
    eda.output()  # ansible-rulebook's log, also after it stopped

The lab's own consumer (lab/eda.py, what `make site` runs in the background) in a context manager:
the same command, overlay inventory and readiness check; the context is entered once the source
polls the queue, and on exit the process group started here is stopped by its PID (SIGTERM, then
SIGKILL), whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lab import eda

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "inventories" / "lab"
QUEUE = eda.QUEUE
missing = eda.missing


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
    cmd, env, log = eda.prepare(work, url, Path(inventory), reports_dir=reports_dir, host_vars=host_vars,
                                queue=queue, region=region, state_dir=state_dir)
    if purge:
        eda.purge(url, queue, region)
    before = eda.receives(url)
    proc = eda.launch(cmd, env, log, work)
    handle = Rulebook(proc, log, work, work / "inventory")
    try:
        eda.wait_polling(url, before, handle.alive, log, ready_timeout)
        yield handle
    finally:
        eda.stop_group(proc.pid)
        proc.wait()
