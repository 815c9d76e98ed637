"""API calls of playbooks/provision.yml for one site: a first run and an idempotent re-run (prints, never asserts).

    .venv/bin/python bench/provision_api_calls.py [--site site-bgp]

Starts a lab API (lab.api.server.LabServer on a free port), runs the provisioning playbook on
inventories/lab limited to one site twice, and counts the EC2 calls of each run in the lab's
request log (/_lab/requests). Anchor: amazon.aws/community.aws modules on plain moto 5.2.5 made
30 calls on a first run and 14 on an idempotent re-run; the floor for a re-run is one describe per
resource kind (4).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from sitevpn_playbook import run_playbook  # noqa: E402  pylint: disable=wrong-import-position

ANCHOR = {"first run": 30, "re-run": 14}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="site-bgp")
    args = parser.parse_args()

    from lab.api.testing import LabAPI

    lab = LabAPI.start()
    try:
        for label in ("first run", "re-run"):
            lab.clear_requests()
            start = time.monotonic()
            run = run_playbook(
                ROOT / "playbooks" / "provision.yml", lab.url, inventory=ROOT / "inventories" / "lab", limit=args.site
            )
            elapsed = time.monotonic() - start
            if run.rc:
                print(run.output)
                return run.rc
            log = lab.requests()
            calls = sum(log["counts"].values())
            print(
                f"{label:9s}: {calls:3d} API calls ({log['writes']} writes), changed={run.total_changed}, "
                f"{elapsed:.1f} s; anchor {ANCHOR[label]}"
            )
            for action, count in sorted(log["counts"].items()):
                print(f"    {count:3d} {action}")
    finally:
        lab.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
