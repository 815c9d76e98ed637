"""``sitevpn-lab``: the lab's data plane from the command line.

  sitevpn-lab up [--api URL] [--state-dir DIR]       AWS edge for every connection + edge agent
  sitevpn-lab down [--state-dir DIR]                 every recorded process and namespace gone,
                                                     the lab API included
  sitevpn-lab api start [--port N] [--settings JSON] the lab API in the background, once healthy
  sitevpn-lab api stop
  sitevpn-lab eda start --api URL --inventory DIR [--reports-dir DIR] [--host-vars JSON]
                                                     the tunnel-event rulebook in the background
  sitevpn-lab eda stop
  sitevpn-lab status [--state-dir DIR]               JSON: namespaces, processes, tunnels
  sitevpn-lab site add NAME --cgw-ip IP [--lan CIDR] device namespace, crypto boxes, LAN host
  sitevpn-lab site remove NAME
  sitevpn-lab site configure NAME [NAME ...] [--api URL] [--name-prefix P]
                                                     the devices configured by the collection's
                                                     playbooks/configure_devices.yml (its connection:
                                                     the one tagged Name=<P>-<NAME>)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from lab import eda
from lab.dataplane import addressing, device, lab
from lab.dataplane.netns import LabError
from lab.api.cli import parse_settings
from lab.api.state import API_NAME, StateDir
from lab.dataplane.state import default_state_dir, locked

DEFAULT_API = "http://127.0.0.1:4599"


def _start_stop(sub, name: str):
    """`NAME start` and `NAME stop` (dest NAME_cmd), both with --state-dir; returns the start parser."""
    group = sub.add_parser(name).add_subparsers(dest=f"{name}_cmd", required=True)
    start, stop = group.add_parser("start"), group.add_parser("stop")
    for sp in (start, stop):
        sp.add_argument("--state-dir", default=argparse.SUPPRESS)
    return start


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="sitevpn-lab", description="sitevpn.aws lab data plane")
    p.add_argument("--state-dir", default=default_state_dir(),
                   help="where the lab records what it created (default %(default)s)")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("up", "down", "status"):
        sp = sub.add_parser(name)
        sp.add_argument("--state-dir", default=argparse.SUPPRESS)
        if name == "up":
            sp.add_argument("--api", default=DEFAULT_API)
            sp.add_argument("--interval", type=float, default=1.0, help="agent poll interval (s)")
            sp.add_argument("--wait", type=float, default=0,
                            help="wait up to this many seconds for every tunnel to be UP")
    ap_start = _start_stop(sub, "api")
    ap_start.add_argument("--port", type=int, default=4599)
    ap_start.add_argument("--settings", default=None, help="initial lab settings, JSON or @FILE")
    ap_start.add_argument("--timeout", type=float, default=30.0)
    ep_start = _start_stop(sub, "eda")
    ep_start.add_argument("--api", default=DEFAULT_API)
    ep_start.add_argument("--inventory", required=True)
    ep_start.add_argument("--reports-dir", default=None)
    ep_start.add_argument("--host-vars", default="{}", help="more variables for the sites, JSON")
    ep_start.add_argument("--timeout", type=float, default=120.0)
    site = sub.add_parser("site").add_subparsers(dest="site_cmd", required=True)
    sa = site.add_parser("add")
    sa.add_argument("name")
    sa.add_argument("--cgw-ip", required=True)
    sa.add_argument("--lan", default=addressing.DEFAULT_LAN)
    sr = site.add_parser("remove")
    sr.add_argument("name")
    sc = site.add_parser("configure")
    sc.add_argument("names", nargs="+")
    sc.add_argument("--api", default=DEFAULT_API)
    sc.add_argument("--name-prefix", default="sitevpn")
    for sp in (sa, sr, sc):
        sp.add_argument("--state-dir", default=argparse.SUPPRESS)
    args = p.parse_args(argv)

    try:
        if args.cmd == "up":
            out = lab.up(args.state_dir, args.api, interval=args.interval)
            if args.wait:
                out["tunnels"] = lab.wait_edge_up(args.state_dir, args.wait)
        elif args.cmd == "down":
            out = lab.down(args.state_dir)
            out["api"] = StateDir(args.state_dir).down()
        elif args.cmd == "api" and args.api_cmd == "start":
            out = api_start(args.state_dir, args.port, args.settings, args.timeout)
        elif args.cmd == "api":
            out = api_stop(args.state_dir)
        elif args.cmd == "eda" and args.eda_cmd == "start":
            out = eda.start(str(args.state_dir), args.api, args.inventory, reports_dir=args.reports_dir,
                            host_vars=json.loads(args.host_vars), timeout=args.timeout)
        elif args.cmd == "eda":
            out = eda.stop(str(args.state_dir))
        elif args.cmd == "status":
            out = lab.status(args.state_dir)
        elif args.site_cmd == "add":
            why = lab.missing_tools()
            if why:
                raise LabError(f"the lab data plane cannot run here: {why}")
            with locked(args.state_dir) as state:
                out = device.add_site(state, args.name, args.cgw_ip, args.lan)
        elif args.site_cmd == "remove":
            with locked(args.state_dir) as state:
                device.remove_site(state, args.name)
            out = {"removed": args.name}
        else:
            device.configure(args.state_dir, args.api, args.names, name_prefix=args.name_prefix)
            out = {"configured": args.names}
    except (LabError, ValueError, OSError, RuntimeError) as exc:
        print(f"sitevpn-lab: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(out, indent=1, sort_keys=True))
    return 0


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_lab/health", timeout=1) as resp:
            return json.load(resp).get("ok") is True
    except (OSError, ValueError, urllib.error.URLError):
        return False


def _apply_settings(url: str, wanted: dict) -> bool:
    """PUT the settings of WANTED that the running lab API does not have; True if any."""
    with urllib.request.urlopen(f"{url}/_lab/settings", timeout=5) as resp:
        current = json.load(resp)
    differ = {k: v for k, v in wanted.items() if current.get(k) != v
              and not (isinstance(v, (int, float)) and isinstance(current.get(k), (int, float)) and float(v) == float(current[k]))}
    if not differ:
        return False
    req = urllib.request.Request(f"{url}/_lab/settings", data=json.dumps(differ).encode(), method="PUT",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        resp.read()
    return True


def api_start(state_dir: str, port: int, settings: str | None, timeout: float) -> dict:
    """Start the lab API detached from this process (its own session, log in the state dir).

    Idempotent: a lab API already answering on that port keeps running; it is only given the
    settings asked for that it does not have yet."""
    url = f"http://127.0.0.1:{port}"
    if _healthy(url):
        changed = _apply_settings(url, parse_settings(settings)) if settings else False
        return {"changed": changed, "url": url, "pid": (StateDir(state_dir).process(API_NAME) or {}).get("pid")}
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "lab.api.cli", "--host", "127.0.0.1", "--port", str(port), "--state-dir", str(state_dir)]
    if settings:
        cmd += ["--settings", settings]
    with open(Path(state_dir) / "api.log", "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,  # pylint: disable=consider-using-with
                                start_new_session=True, env=dict(os.environ))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LabError(f"the lab API exited with {proc.returncode}; see {Path(state_dir) / 'api.log'}")
        if _healthy(url):
            return {"changed": True, "url": url, "pid": proc.pid}
        time.sleep(0.1)
    proc.terminate()
    raise LabError(f"the lab API did not answer on {url} within {timeout:.0f} s")


def api_stop(state_dir: str) -> dict:
    entry = StateDir(state_dir).process(API_NAME)
    if not entry:
        return {"changed": False}
    result = StateDir.stop_process(entry)
    StateDir(state_dir).forget_process(API_NAME)
    return {"changed": result != "gone", "result": result}


if __name__ == "__main__":
    sys.exit(main())
