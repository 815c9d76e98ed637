"""The edge agent: follows the lab API (every ~1 s) and reports what the AWS edge sees.

Started by ``sitevpn-lab up`` as its own session (PID in the state dir). Each round it
reconciles the edge with GET /_lab/vpn-connections (so ModifyVpnTunnelOptions, new and deleted
connections are followed) and posts POST /_lab/telemetry per tunnel and POST /_lab/bgp-routes
per BGP connection when they change (and every ``--refresh`` seconds anyway, so the lab's
CloudWatch metrics keep getting data points).
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time

from . import connections, edge, lab
from .state import read

log = logging.getLogger("sitevpn-lab.agent")


def _key(tele: dict) -> tuple:
    return (tele["status"], tele["status_message"], tele["accepted_route_count"])


def _post(api: str, path: str, body: dict) -> bool:
    """POST one report; False when it failed (sent again next round). A busy API (many sites) must
    not keep the tunnels after this one from being reported, as one failure ending the round did."""
    try:
        connections.post(api, path, body)
        return True
    except OSError as exc:
        log.warning("%s %s not posted: %s", path, body.get("outside_ip") or body.get("vpn_connection_id"), exc)
        return False


def run(api: str, state_dir: str, interval: float = 1.0, refresh: float = 10.0,
        rounds: int | None = None) -> None:
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    last_sent: dict[str, tuple] = {}
    last_time: dict[str, float] = {}
    n = 0
    while not stop and (rounds is None or n < rounds):
        n += 1
        started = time.monotonic()
        try:
            changed = lab.reconcile_once(state_dir, api)
            if any(changed.values()):
                log.info("reconciled: %s", json.dumps(changed))
            st = read(state_dir)
            views = edge.bgp_views(st)
            edge.follow_bgp(st, views)
            tele, routes = edge.telemetry(st, views)
            now = time.monotonic()
            for t in tele:
                k = t["outside_ip"]
                if (last_sent.get(k) != _key(t) or now - last_time.get(k, 0) >= refresh) \
                        and _post(api, "/_lab/telemetry", t):
                    if last_sent.get(k, (None,))[0] != t["status"]:
                        log.info("tunnel %s %s %s", k, t["status"], t["status_message"])
                    last_sent[k], last_time[k] = _key(t), now
            for r in routes:
                k = "routes:" + r["vpn_connection_id"]
                if (last_sent.get(k) != tuple(r["prefixes"]) or now - last_time.get(k, 0) >= refresh) \
                        and _post(api, "/_lab/bgp-routes", r):
                    last_sent[k], last_time[k] = tuple(r["prefixes"]), now
        except Exception as exc:  # the API restarting, a daemon being replaced: next round
            log.warning("round failed: %s", exc)
        time.sleep(max(0.05, interval - (time.monotonic() - started)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="sitevpn-lab-agent")
    p.add_argument("--api", required=True)
    p.add_argument("--state-dir", required=True)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--refresh", type=float, default=10.0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    run(args.api, args.state_dir, args.interval, args.refresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
