"""FRR per network namespace: ``-N NAME`` daemons, configuration pushed with vtysh.

Daemons start with an empty configuration file and get theirs through ``vtysh -N NAME -f``
(first time) or ``frr-reload.py --pathspace NAME`` (changes), so the same text works on FRR 8.4
(zebra/bgpd/staticd) and FRR 10 (mgmtd holds zebra's and staticd's configuration).
"""
from __future__ import annotations

import functools
import grp
import json
import os
import pwd
import re
import shutil
from pathlib import Path

from .netns import LabError, run, spawn, wait_for
from .state import State, kill_pid

FRR_LIB = Path("/usr/lib/frr")
VTYSH = shutil.which("vtysh") or "/usr/bin/vtysh"
FRR_RELOAD = FRR_LIB / "frr-reload.py"


def available() -> str | None:
    missing = [str(p) for p in (FRR_LIB / "zebra", FRR_LIB / "bgpd", FRR_LIB / "staticd", Path(VTYSH))
               if not p.exists()]
    return ", ".join(missing) + " missing" if missing else None


@functools.lru_cache(maxsize=1)
def version() -> tuple[int, ...]:
    out = run([str(FRR_LIB / "zebra"), "--version"], check=False).stdout
    m = re.search(r"version (\d+)\.(\d+)(?:\.(\d+))?", out)
    if not m:
        raise LabError(f"cannot tell the FRR version from {out!r}")
    return tuple(int(x or 0) for x in m.groups())


@functools.lru_cache(maxsize=None)
def takes_config_file(daemon: str) -> bool:
    """FRR 10 dropped ``-f`` from the daemons whose configuration mgmtd holds (mgmtd, staticd)."""
    out = run([str(FRR_LIB / daemon), "--help"], check=False)
    return "--config_file" in out.stdout + out.stderr


def daemons() -> list[str]:
    """Start order: mgmtd (FRR >= 10, detected by its binary) first, zebra before the rest."""
    names = ["mgmtd"] if (FRR_LIB / "mgmtd").exists() else []
    return names + ["zebra", "staticd", "bgpd"]


def run_dir(name: str) -> Path:
    return Path("/run/frr") / name


def start(state: State, ns: str, name: str, conf_dir: Path, config: str, timeout: float = 15) -> None:
    """Start FRR for router NAME in NS and load CONFIG (integrated frr.conf text)."""
    conf_dir.mkdir(parents=True, exist_ok=True)
    rdir = run_dir(name)
    rdir.mkdir(parents=True, exist_ok=True)
    state.add_path(rdir)
    uid, gid = pwd.getpwnam("frr").pw_uid, grp.getgrnam("frr").gr_gid
    os.chown(rdir, uid, gid)
    os.chown(conf_dir, uid, gid)
    for d in daemons():
        key = f"frr:{name}:{d}"
        if state.pid_of(key):
            continue
        argv = [str(FRR_LIB / d), "-N", name, "-P", "0", "-i", str(rdir / f"{d}.pid"), "--log", f"file:{conf_dir}/{d}.log"]
        if takes_config_file(d):
            empty = conf_dir / f"{d}.conf"
            empty.write_text("")
            os.chown(empty, uid, gid)
            argv += ["-f", str(empty)]
        if d == "bgpd":
            argv += ["-p", "179"]
        spawn(state, key, ns, argv, conf_dir / f"{d}.out")
        vty = rdir / f"{d}.vty"
        wait_for(lambda: vty.exists() or not state.pid_of(key), timeout, f"{d} of {name}")
        if not state.pid_of(key):
            raise LabError(f"{d} of {name} exited; see {conf_dir}/{d}.out")
    apply(name, conf_dir, config, first=True)


def _split(config: str) -> tuple[list[str], list[str]]:
    lines = config.splitlines()
    static = [ln for ln in lines if ln.startswith("ip route ")]
    return static, [ln for ln in lines if not ln.startswith("ip route ")]


def apply(name: str, conf_dir: Path, config: str, first: bool = False) -> bool:
    """Bring the running configuration to CONFIG; False if it was already applied.

    ``frr.conf`` is what was applied last: it is only replaced once vtysh/frr-reload succeeded.
    Static routes are changed line by line with vtysh (frr-reload on FRR 8.4 lost one of two
    routes to the same prefix with different distances); the rest goes through frr-reload."""
    f, new = conf_dir / "frr.conf", conf_dir / "frr.conf.new"
    old = f.read_text() if f.exists() else None
    if not first and old == config:
        return False
    new.write_text(config)
    if first or old is None:
        run([VTYSH, "-N", name, "-f", str(new)])
    else:
        (old_static, old_rest), (new_static, new_rest) = _split(old), _split(config)
        commands = [f"no {ln}" for ln in old_static if ln not in new_static]
        commands += [ln for ln in new_static if ln not in old_static]
        if commands:
            vtysh(name, "configure terminal", *commands)
        if old_rest != new_rest:
            # frr-reload computes and applies the difference (unrelated BGP peers keep their sessions)
            res = run(["python3", str(FRR_RELOAD), "--reload", "--stdout", "--pathspace", name,
                       "--confdir", str(conf_dir), "--rundir", str(conf_dir), str(new)], timeout=60, check=False)
            (conf_dir / "frr-reload.log").write_text(res.stdout + res.stderr)
            if res.returncode != 0:
                raise LabError(f"frr-reload for {name} failed; see {conf_dir}/frr-reload.log")
    new.replace(f)
    return True


def stop(state: State, name: str) -> None:
    for d in reversed(daemons()):
        rec = state.pids.pop(f"frr:{name}:{d}", None)
        if rec:
            kill_pid(rec["pid"], rec["start"])
    rdir = run_dir(name)
    if rdir.exists():
        shutil.rmtree(rdir, ignore_errors=True)


def vtysh(name: str, *commands: str, timeout: float = 10) -> str:
    argv = [VTYSH, "-N", name]
    for c in commands:
        argv += ["-c", c]
    return run(argv, timeout=timeout).stdout


def vtysh_json(name: str, command: str):
    out = vtysh(name, command + " json")
    try:
        return json.loads(out) if out.strip() else {}
    except json.JSONDecodeError as exc:
        raise LabError(f"vtysh -N {name} '{command} json' gave no JSON: {out[:200]!r}") from exc


def summary_peers(summary) -> dict:
    """{peer_ip: {"state": "Established"|..., "pfx_rcd": n}} of ``show bgp ipv4 unicast summary json``
    (its peers at the top or under ``ipv4Unicast``; anything but a dict has none)."""
    if not isinstance(summary, dict):
        return {}
    peers = (summary.get("ipv4Unicast") or summary).get("peers", {})
    return {ip: {"state": p.get("state"), "pfx_rcd": int(p.get("pfxRcd", p.get("prefixReceivedCount", 0)) or 0)}
            for ip, p in peers.items()}


def bgp_neighbors(name: str) -> dict:
    """{peer_ip: {"state": "Established"|..., "pfx_rcd": n}} from ``show bgp summary``."""
    return summary_peers(vtysh_json(name, "show bgp ipv4 unicast summary"))


def bgp_view(name: str) -> tuple[dict, dict]:
    """({peer_ip: {"state", "pfx_rcd"}}, {peer_ip: [prefixes received]}) from one vtysh run: the
    agent reads every gateway each second, and each vtysh is a process (and a bgpd session)."""
    out = vtysh(name, "show bgp ipv4 unicast summary json", "show bgp ipv4 unicast json")
    docs, decoder, at = [], json.JSONDecoder(), 0
    while len(docs) < 2:
        start = out.find("{", at)
        if start < 0:
            break
        try:
            doc, at = decoder.raw_decode(out, start)
        except json.JSONDecodeError as exc:
            raise LabError(f"vtysh -N {name}: no JSON from the BGP summary and table: {out[:200]!r}") from exc
        docs.append(doc if isinstance(doc, dict) else {})
    summary, table = (docs + [{}, {}])[:2]
    neighbors = summary_peers(summary)
    received: dict[str, set] = {}
    for prefix, paths in (table.get("routes") or {}).items():
        for path in paths if isinstance(paths, list) else []:
            if path.get("valid") and path.get("peerId") in neighbors:
                received.setdefault(path["peerId"], set()).add(prefix)
    return neighbors, {peer: sorted(prefixes) for peer, prefixes in received.items()}
