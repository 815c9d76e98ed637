"""``sitevpn-lab-api``: run the lab API server in the foreground.

    sitevpn-lab-api --host 127.0.0.1 --port 4599 [--state-dir DIR] [--settings JSON] [--verbose]

Prints one line ``sitevpn-lab-api listening on http://127.0.0.1:4599`` once it serves,
records its pid in the state directory (``api.pid`` and ``processes/api.json``), and stops
cleanly on SIGTERM or SIGINT (removing its record). ``--settings`` takes a JSON object, or
``@FILE`` to read one from a file.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

DEFAULT_PORT = 4599


def parse_settings(value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    if value.startswith("@"):
        with open(value[1:], encoding="utf-8") as fh:
            value = fh.read()
    data = json.loads(value)
    if not isinstance(data, dict):
        raise ValueError("--settings must be a JSON object")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sitevpn-lab-api", description="The sitevpn lab's AWS API emulator (moto + lab extensions)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--state-dir", help="lab state directory for the pid file (default: $SITEVPN_LAB_STATE_DIR or ~/.local/state/sitevpn-lab)")
    parser.add_argument("--settings", help='initial lab settings as JSON, e.g. \'{"time_factor": 60}\', or @FILE')
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request to stderr")
    args = parser.parse_args(argv)

    from .server import LabServer
    from .state import StateDir

    try:
        server = LabServer(
            host=args.host,
            port=args.port,
            settings=parse_settings(args.settings),
            state_dir=str(StateDir(args.state_dir).path),
            verbose=args.verbose,
        )
    except (ValueError, OSError) as exc:
        print(f"sitevpn-lab-api: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def _on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        server.start()
    except OSError as exc:
        print(f"sitevpn-lab-api: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"sitevpn-lab-api listening on {server.url} (started in {server.started_in_s:.2f} s)", flush=True)
    server.serve_forever(stop)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
