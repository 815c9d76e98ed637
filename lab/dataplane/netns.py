"""Network-namespace plumbing: namespaces, veths, addresses, sysctls, nftables, processes.

Every command names its namespace explicitly (``ip -n NS`` or ``ip netns exec NS``); nothing
is ever configured in the root namespace and no veth leads into it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from lab import polling

from . import addressing as A
from .state import State, proc_start_time

IP = shutil.which("ip") or "/usr/sbin/ip"
NFT = shutil.which("nft") or "/usr/sbin/nft"


class LabError(RuntimeError):
    pass


def run(argv: list[str], *, input: str | None = None, check: bool = True,
        timeout: float = 30) -> subprocess.CompletedProcess:
    res = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout,
                         check=False)
    if check and res.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed ({res.returncode}): {res.stderr.strip() or res.stdout.strip()}")
    return res


def existing_namespaces() -> set[str]:
    res = run([IP, "netns", "list"], check=False)
    return {line.split()[0] for line in res.stdout.splitlines() if line.strip()}


def ours(name: str) -> bool:
    return name.startswith(A.PREFIX)


def create_ns(state: State, name: str) -> bool:
    """Create namespace NAME (recorded before creation, so a crash never leaks it).

    Returns False when it already existed (idempotent up)."""
    if not ours(name):
        raise LabError(f"refusing to manage namespace {name!r} without the {A.PREFIX!r} prefix")
    state.add_namespace(name)
    if name in existing_namespaces():
        return False
    run([IP, "netns", "add", name])
    ip_batch(name, ["link set lo up"])
    # proxy_delay 0: a crypto box answers ARP for the far inside address at once (default: up
    # to 0.8 s, enough to lose the first pings of a fresh static tunnel)
    sysctl(name, {"net.ipv4.conf.all.rp_filter": 0, "net.ipv4.conf.default.rp_filter": 0,
                  "net.ipv4.neigh.default.proxy_delay": 0,
                  "net.ipv6.conf.all.disable_ipv6": 1, "net.ipv6.conf.default.disable_ipv6": 1})
    return True


def delete_ns(name: str) -> None:
    if not ours(name):
        raise LabError(f"refusing to delete namespace {name!r}")
    if name in existing_namespaces():
        run([IP, "netns", "delete", name], check=False)


def ns_pids(name: str) -> list[int]:
    res = run([IP, "netns", "pids", name], check=False)
    return [int(p) for p in res.stdout.split() if p.isdigit()]


def ip_batch(ns: str, commands: list[str], *, force: bool = False) -> None:
    """Run ``ip`` commands in NS in one process (``ip -batch``)."""
    if not commands:
        return
    argv = [IP, "-n", ns] + (["-force"] if force else []) + ["-batch", "-"]
    run(argv, input="\n".join(commands) + "\n")


def link_exists(ns: str, dev: str) -> bool:
    return run([IP, "-n", ns, "link", "show", "dev", dev], check=False).returncode == 0


def veth(ns_a: str, dev_a: str, ns_b: str, dev_b: str) -> bool:
    """A veth pair created directly in its two namespaces (never in the root namespace)."""
    if link_exists(ns_a, dev_a):
        return False
    run([IP, "-n", ns_a, "link", "add", dev_a, "type", "veth", "peer", "name", dev_b, "netns", ns_b])
    return True


def sysctl(ns: str, values: dict[str, object]) -> None:
    script = "; ".join(f"sysctl -qw {k}={v}" for k, v in values.items())
    run([IP, "netns", "exec", ns, "sh", "-c", script])


def nft_apply(ns: str, table: str, ruleset: str) -> None:
    """Replace our table TABLE in NS atomically (add+delete+define in one transaction)."""
    text = f"table ip {table}\ndelete table ip {table}\n{ruleset}"
    run([IP, "netns", "exec", ns, NFT, "-f", "-"], input=text)


def spawn(state: State, key: str, ns: str | None, argv: list[str], log: Path,
          env: dict | None = None) -> int:
    """Start a long-running process in NS (own session: survives the caller), record its PID.

    ``ip netns exec`` and ``unshare`` exec the target, so the recorded PID is the daemon's."""
    full = ([IP, "netns", "exec", ns] if ns else []) + argv
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env={**os.environ, **(env or {})},
                                close_fds=True)
    state.add_pid(key, proc.pid, ns, full)
    for _attempt in range(20):
        if state.pids[key]["start"] is not None:
            break
        time.sleep(0.01)
        state.pids[key]["start"] = proc_start_time(proc.pid)
    return proc.pid


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    return polling.wait_for(predicate, timeout, interval, lambda: LabError(f"timed out after {timeout:.0f}s waiting for {what}"))
