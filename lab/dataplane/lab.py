"""Lab lifecycle: ``up`` (internet + AWS edge + edge agent), ``down``, ``status``."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from . import boxes, connections, edge, frr, strongswan
from .netns import LabError, delete_ns, existing_namespaces, ns_pids, spawn, wait_for
from .state import kill_pid, locked, pid_alive, proc_start_time, read

AGENT_KEY = "agent"
# Per-namespace directories: ip-netns's private /etc, FRR's pathspaces, the device role's state.
NS_DIRS = ("/etc/netns", "/etc/frr", "/run/frr", "/var/lib/sitevpn-strongswan")


def missing_tools() -> str | None:
    """Why the data plane cannot run here, or None."""
    import os
    problems = [p for p in (strongswan.available(), frr.available()) if p]
    if os.geteuid() != 0:
        problems.insert(0, "not root")
    if not shutil.which("nft") or not shutil.which("ip"):
        problems.append("nft/ip missing")
    return "; ".join(problems) or None


def reconcile_once(state_dir: str, api: str) -> dict:
    conns = connections.active(connections.fetch(api))
    with locked(state_dir) as state:
        boxes.ensure_internet(state)
        state.data["api"] = api
        return edge.reconcile(state, conns)


def up(state_dir: str, api: str, *, interval: float = 1.0, agent: bool = True) -> dict:
    """Build the AWS edge for every connection the lab API has, then start the edge agent."""
    why = missing_tools()
    if why:
        raise LabError(f"the lab data plane cannot run here: {why}")
    summary = reconcile_once(state_dir, api)
    if agent:
        with locked(state_dir) as state:
            if not state.pid_of(AGENT_KEY):
                argv = [sys.executable, "-m", "lab.dataplane.agent", "--api", api,
                        "--state-dir", str(state.root), "--interval", str(interval)]
                spawn(state, AGENT_KEY, None, argv, state.root / "agent.log")
                summary["agent"] = state.pids[AGENT_KEY]["pid"]
            else:
                summary["agent"] = state.pid_of(AGENT_KEY)
    return summary


def down(state_dir: str) -> dict:
    """Kill every recorded process, delete every recorded namespace, remove generated files.

    Works from the record alone, so it also cleans up after a dead agent; idempotent."""
    root = Path(state_dir)
    if not (root / "state.json").exists():
        return {"killed": [], "namespaces": []}
    killed, deleted = [], []
    with locked(state_dir) as state:
        # the agent first, so nothing rebuilds behind our back
        order = sorted(state.pids, key=lambda k: k != AGENT_KEY)
        for key in order:
            rec = state.pids[key]
            if kill_pid(rec["pid"], rec["start"]):
                killed.append(rec["pid"])
        present = existing_namespaces()
        for ns in reversed(state.namespaces):
            if ns in present and ns.startswith(state.data["prefix"]):
                # anything else still inside one of OUR namespaces (a test's ping, a shell)
                for pid in ns_pids(ns):
                    if kill_pid(pid, proc_start_time(pid), timeout=1):
                        killed.append(pid)
                delete_ns(ns)
                deleted.append(ns)
            if ns.startswith(state.data["prefix"]):
                # what ip-netns and the device role keep per namespace of ours
                for base in NS_DIRS:
                    shutil.rmtree(Path(base) / ns, ignore_errors=True)
        for p in state.data["paths"]:
            shutil.rmtree(p, ignore_errors=True)
        for sub in ("edge", "sites"):
            shutil.rmtree(root / sub, ignore_errors=True)
        prefix = state.data["prefix"]
        state.data.clear()
        state.__init__(state.root, {"prefix": prefix})
    return {"killed": killed, "namespaces": deleted}


def status(state_dir: str) -> dict:
    state = read(state_dir)
    present = existing_namespaces()
    tele, routes = edge.telemetry(state) if state.data["edge"].get("tunnels") else ([], [])
    return {
        "state_dir": str(state.root),
        "api": state.data.get("api"),
        "agent": state.pid_of(AGENT_KEY),
        "namespaces": {ns: ns in present for ns in state.namespaces},
        "processes": {k: pid_alive(r["pid"], r["start"]) for k, r in state.pids.items()},
        "tunnels": tele,
        "tunnel_errors": {ip: r["error"] for ip, r in state.data["edge"].get("tunnels", {}).items() if r.get("error")},
        "bgp_routes": routes,
        "sites": {n: {"cgw_ip": s["cgw_ip"], "lan": s["lan"], "device": s["ns"],
                      "lan_host": s["lan_host"], "lan_host_ip": s.get("lan_host_ip"),
                      "vpn_connection_id": s.get("vpn_connection_id"), **_vpc_host(state, s)}
                  for n, s in state.data["sites"].items()},
    }


def _vpc_host(state, site: dict) -> dict:
    """The VPC host namespace behind the site's VPN gateway (the failover test's VPC probe):
    the gateway of the edge tunnels whose customer gateway is the site's, else the only one."""
    gateways = state.data["edge"].get("gateways", {})
    tunnels = state.data["edge"].get("tunnels", {}).values()
    gws = {t["gw"] for t in tunnels if t.get("cgw_ip") == site["cgw_ip"]}
    if not gws and len(gateways) == 1:
        gws = set(gateways)
    rec = gateways.get(min(gws)) if gws else None
    return {"vpc_host": rec.get("vpc_host") if rec else None, "vpc_host_ip": rec.get("vpc_host_ip") if rec else None}


def wait_edge_up(state_dir: str, timeout: float = 30, vpn_ids: list[str] | None = None) -> list[dict]:
    """Wait until every edge tunnel (of VPN_IDS) reports UP; returns the telemetry."""
    def check():
        state = read(state_dir)
        tele = edge.telemetry(state)[0]
        tunnels = state.data["edge"].get("tunnels", {})
        mine = [t for t in tele if vpn_ids is None or tunnels[t["outside_ip"]]["vpn"] in vpn_ids]
        return mine if mine and all(t["status"] == "UP" for t in mine) else None
    return wait_for(check, timeout, "every tunnel UP", interval=0.2)
