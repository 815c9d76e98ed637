"""Benchmark of the failover test: pings lost and recovery seconds, graceful and silent, on the lab's
BGP site and its static site, with AWS's timers and with shorter ones.

    sudo .venv/bin/python bench/failover.py [--timers aws short] [--json] [--keep-reports DIR]

Per timer set a fresh lab (BGP applies new timers only when a session is established, so a
running lab would keep the old ones): its own state directory (SITEVPN_LAB_STATE_DIR in a
temporary directory), namespace prefix ``svlb`` (SITEVPN_LAB_NS_PREFIX) and lab API on a free
port of 127.0.0.1; ``site.yml`` on inventories/lab with the set's variables (lab -> AWS side ->
monitoring -> data plane -> devices -> verify; the failover test left out), then
``playbooks/failover_test.yml`` with the same variables, which writes
``reports/<site>/failover.json`` (its numbers are defined in
plugins/module_utils/failover_report.py); then ``sitevpn-lab down`` removes every namespace and
process of that lab, also on failure or Ctrl-C.  Neither verify's nor the failover
test's verdict stops the benchmark (verify_fail / failover_test_fail false): the numbers are what
is measured, the verdict is printed with them.

Timer sets: ``aws`` is the default (AWS's BGP keepalive 10 s / hold 30 s; DPD timeout 30 s, from
the tunnel options); ``short`` sets ``sitevpn_bgp_timers`` (roles/strongswan) to keepalive 3 s /
hold 9 s: the hold time is negotiated down to the lower end, so the BGP site recovers sooner.  The
static site has no BGP and AWS's minimum DPD timeout is 30 s, so it should not change; AWS
Site-to-Site VPN offers no BFD.

Prints a table (timers x site x mode: pings sent, pings lost, recovery s, the bound, the verdict)
or, with --json, one object: {"timers": {"aws": {"vars": {...}, "site_s": ..., "failover_s":
..., "rc": ..., "sites": {"site-bgp": {"routing": "bgp", "timers": {...}, "ok": ...,
"modes": {"graceful": {"pings_sent", "pings_lost", "recovery_seconds", "max_lost",
"max_recovery_seconds", "ok", "messages"}, "silent": {...}}}}}, ...}}.
Run by ``make bench``; needs root and the lab's Debian packages (otherwise it says why and
skips).  Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lab.api.testing import free_port  # noqa: E402
from lab.dataplane import lab  # noqa: E402

BIN = Path(sys.executable).parent
INVENTORY = ROOT / "inventories" / "lab"
SITE = ROOT / "site.yml"
FAILOVER = ROOT / "playbooks" / "failover_test.yml"
ROLE_DEFAULTS = ROOT / "roles" / "failover_test" / "defaults" / "main.yml"
PREFIX = "svlb"
# The timer sets: extra vars given to site.yml and to the failover test (see the docstring).
TIMER_SETS = {
    "aws": {},
    "short": {"sitevpn_bgp_timers": {"keepalive": 3, "hold_time": 9}},
}
# The benchmark measures; the verdicts are reported, not fatal.
COMMON_VARS = {"verify_fail": False, "failover_test_fail": False}


MODE_KEYS = ("pings_sent", "pings_lost", "recovery_seconds", "max_lost", "max_recovery_seconds", "ok", "messages")


def not_ready() -> str | None:
    """Why the failover test cannot be benchmarked here, or None."""
    if os.geteuid() != 0:
        return "the lab data plane needs root"
    why = lab.missing_tools()
    if why:
        return why
    if not FAILOVER.is_file() or not ROLE_DEFAULTS.is_file():
        return (f"{FAILOVER.relative_to(ROOT)} or {ROLE_DEFAULTS.relative_to(ROOT)} does not exist yet: "
                "the failover test (roles/failover_test) is not in this checkout")
    return None


def reports_var() -> str:
    """The failover test's reports directory variable, as its role's defaults name it."""
    defaults = yaml.safe_load(ROLE_DEFAULTS.read_text()) or {}
    names = [k for k in defaults if k.endswith("reports_dir")]
    if not names:
        raise SystemExit(f"{ROLE_DEFAULTS.relative_to(ROOT)} has no *reports_dir variable")
    return names[0]


def playbook(path: Path, extra: dict, env: dict, timeout: float) -> tuple[int, str, float]:
    cmd = [str(BIN / "ansible-playbook"), str(path), "-i", str(INVENTORY), "-e", json.dumps(extra)]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start


def read_reports(reports: Path) -> dict:
    """{site: {routing, timers, ok, modes: {mode: numbers}}} from reports/<site>/failover.json."""
    sites = {}
    for path in sorted(reports.glob("*/failover.json")):
        report = json.loads(path.read_text())
        sites[report.get("site") or path.parent.name] = {
            "routing": report.get("routing"),
            "timers": report.get("timers"),
            "ok": report.get("ok"),
            "modes": {m["mode"]: {k: m.get(k) for k in MODE_KEYS} for m in report.get("modes") or []},
        }
    return sites


def one_set(name: str, keep: Path | None) -> dict:
    """A fresh lab, site.yml and the failover test with one timer set; the lab is gone afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="svlb-bench-failover-"))
    state_dir, reports = tmp / "lab", tmp / "reports"
    env = dict(os.environ, SITEVPN_LAB_STATE_DIR=str(state_dir), SITEVPN_LAB_NS_PREFIX=PREFIX,
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.pop("ANSIBLE_STDOUT_CALLBACK", None)
    extra = dict(COMMON_VARS, sitevpn_aws_endpoint_url=f"http://127.0.0.1:{free_port()}",
                 verify_reports_dir=str(reports))
    extra[reports_var()] = str(reports)
    extra.update(TIMER_SETS[name])
    out = {"vars": TIMER_SETS[name], "rc": None, "site_s": None, "failover_s": None, "sites": {}}
    try:
        rc, log, wall = playbook(SITE, dict(extra, sitevpn_failover_test=False), env, timeout=1200)
        out["site_s"] = round(wall, 1)
        if rc != 0:
            out["error"] = "site.yml failed: " + log[-3000:]
            return out
        rc, log, wall = playbook(FAILOVER, dict(extra, sitevpn_failover_test=True), env, timeout=1800)
        out["rc"], out["failover_s"] = rc, round(wall, 1)
        out["sites"] = read_reports(reports)
        if not out["sites"]:
            out["error"] = "the failover test wrote no report: " + log[-3000:]
        if keep:
            shutil.copytree(reports, keep / name, dirs_exist_ok=True)
        return out
    finally:
        subprocess.run([str(BIN / "sitevpn-lab"), "--state-dir", str(state_dir), "down"],
                       capture_output=True, check=False, env=env, timeout=300)
        shutil.rmtree(tmp, ignore_errors=True)


def in_use(rep: dict) -> str:
    """The timer that bounds the silent failover, as the failover test read it from the device."""
    timers = rep.get("timers") or {}
    bgp, dpd = timers.get("bgp") or {}, timers.get("dpd") or {}
    if rep.get("routing") == "bgp" and bgp.get("hold_time") is not None:
        return f"hold {float(bgp['hold_time']):g} s"
    if dpd.get("timeout_seconds") is not None:
        return f"DPD {float(dpd['timeout_seconds']):g} s"
    return "-"


def table(results: dict) -> str:
    hdr = ("timers", "site", "routing", "in use", "mode", "sent", "lost", "recovery s", "bound", "ok")
    rows = [hdr]
    for name, res in results.items():
        if res.get("error"):
            rows.append((name, "-", "-", "-", "-", "-", "-", "-", "-", res["error"].splitlines()[0][:60]))
        for site, rep in res["sites"].items():
            for mode, m in rep["modes"].items():
                rec = m.get("recovery_seconds")
                bound = "-"
                if m.get("max_recovery_seconds") is not None:
                    bound = f"<= {m['max_recovery_seconds']:g} s"
                elif m.get("max_lost") is not None:
                    bound = f"<= {m['max_lost']} lost/dir"
                rows.append((name, site, str(rep.get("routing")), in_use(rep), mode, str(m.get("pings_sent")),
                             str(m.get("pings_lost")), "-" if rec is None else f"{rec:.1f}", bound,
                             "yes" if m.get("ok") else "NO"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(hdr))]
    return "\n".join(" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    p.add_argument("--timers", nargs="+", choices=sorted(TIMER_SETS), default=list(TIMER_SETS),
                   help="the timer sets to run (default: all)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument("--keep-reports", type=Path, help="copy each run's reports/ here (one directory per timer set)")
    args = p.parse_args()
    why = not_ready()
    if why:
        print(json.dumps({"skipped": why}) if args.json else f"skipped: {why}")
        return 0
    results = {name: one_set(name, args.keep_reports) for name in args.timers}
    print(json.dumps({"timers": results}, indent=2) if args.json else table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
