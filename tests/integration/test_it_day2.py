"""The day-2 playbooks on the lab's data plane (roles/lockstep): playbooks/rotate_keys.yml and
playbooks/change_tunnel_options.yml on a BGP and a static site configured by configure_devices.yml.

Checks, per site: the change is made one tunnel at a time, the backup first (drain, AWS, device,
restore), every tunnel's key or options changed on AWS and on the device, pings both ways the whole
time with the loss within the issue's bounds (BGP: none; static: at most 1 s per direction), the
report and the site page written, no key in the output or the reports, and a configure_devices.yml
run afterwards changes nothing (both ends agree). Shares the set-up of test_it_strongswan (its
module-scoped lab fixture, own state dir and namespace prefix).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from sitevpn_playbook import ROOT, run_playbook
from test_it_strongswan import SITES, WHY, changed_tasks, configure, lab_cli, lab_env, netns, telemetry, wait  # noqa: F401  # pylint: disable=unused-import

import pytest

from lab.dataplane import bounds

pytestmark = pytest.mark.skipif(WHY is not None, reason=f"the lab data plane cannot run here: {WHY}")

STEPS = [f"{what} ({role})" for role in ("backup", "primary")
         for what in ("drain", "change AWS", "change device", "restore")]
# the options change: DH group 20 only, both phases, both tunnels (both ends can do it)
NEW_OPTIONS = [{"phase1_dh_group_numbers": [20], "phase2_dh_group_numbers": [20]}] * 2


def keys(url):
    return {t["outside_ip"]: t["psk"] for c in telemetry(url) for t in c["tunnels"]}


def day2(env, playbook, reports, extra=None):
    return run_playbook(ROOT / "playbooks" / playbook, env["url"], inventory=env["inventory"], timeout=900,
                        extra_vars={"sitevpn_lab_state_dir": str(env["state_dir"]), "lockstep_reports_dir": str(reports),
                                    **(extra or {})})


def tunnel_ips(env):
    """Each site's tunnels (AWS outside IPs) in tunnel order, from the device's configuration."""
    sites = lab_cli("status")["sites"]
    out = {}
    for name in SITES:
        dev = sites[name]["device"]
        out[name] = [re.search(r"remote_addrs = (\S+)", (Path("/etc/netns") / dev / "sitevpn-strongswan" / f"tunnel{i}"
                                                          / "swanctl.conf").read_text()).group(1) for i in (1, 2)]
    return out


def check_report(reports, site, name, ips, output, secrets):
    path = reports / site / name
    text = path.read_text()
    rep = json.loads(text)
    assert rep["ok"] is True, rep
    assert rep["order"] == [ips[1], ips[0]], rep["order"]
    assert [s["step"] for s in rep["steps"]] == STEPS, rep["steps"]
    assert all(s["ok"] for s in rep["steps"]), rep["steps"]
    assert set(rep["lost"]) == {"lan_to_vpc", "vpc_to_lan"}, rep["lost"]
    assert all(p["sent"] > 50 for p in rep["pings"].values()), rep["pings"]
    bound = 0 if site == "site-bgp" else 10  # 1 s of pings at 10 per second
    assert rep["bound_lost_per_direction"] == bound
    assert all(n <= bound for n in rep["lost"].values()), rep["lost"]
    page = (reports / site / "verify.html").read_text()
    assert "Day-2 changes" in page
    for secret in secrets:
        assert secret not in text and secret not in page and secret not in output
    return rep


def test_devices_up(lab_env):
    run = configure(lab_env)
    assert run.rc == 0, run.output

    def all_up():
        status = [t["status"] for c in telemetry(lab_env["url"]) for t in c["tunnels"]]
        return len(status) == 4 and all(s == "UP" for s in status)

    wait(all_up, bounds.LAB_CONVERGED, "four tunnels UP", seen=lambda: telemetry(lab_env["url"]))


def test_rotate_keys_in_lockstep(lab_env, tmp_path):
    env, reports = lab_env, tmp_path / "reports"
    before = keys(env["url"])
    ips = tunnel_ips(env)
    refused = day2(env, "rotate_keys.yml", reports, {"sitevpn_failover_test": False})
    assert refused.rc != 0 and "runs only when asked for" in refused.output, refused.output
    assert keys(env["url"]) == before

    run = day2(env, "rotate_keys.yml", reports)
    assert run.rc == 0, run.output
    after = keys(env["url"])
    assert set(after) == set(before) and all(after[ip] != before[ip] for ip in before), "every key changed"
    reps = {site: check_report(reports, site, "rotate_keys.json", ips[site], run.output, [*before.values(), *after.values()])
            for site in SITES}
    # the device holds the new keys: a configure run afterwards changes nothing
    again = configure(env)
    assert again.rc == 0 and again.total_changed == 0, changed_tasks(again.output)
    print("\nrotate_keys: " + "; ".join(f"{s} lost {r['lost']} in {r['ended'] - r['started']:.0f}s" for s, r in reps.items()))


def test_change_tunnel_options_in_lockstep(lab_env, tmp_path):
    env, reports = lab_env, tmp_path / "reports"
    ips = tunnel_ips(env)
    run = day2(env, "change_tunnel_options.yml", reports, {"sitevpn_tunnel_options": NEW_OPTIONS})
    assert run.rc == 0, run.output
    for c in telemetry(env["url"]):
        for t in c["tunnels"]:
            assert t.get("phase1_dh_group_numbers") == [20] and t.get("phase2_dh_group_numbers") == [20], t
    reps = {site: check_report(reports, site, "change_tunnel_options.json", ips[site], run.output, keys(env["url"]).values())
            for site in SITES}
    sites = lab_cli("status")["sites"]
    for name in SITES:
        for i in (1, 2):
            box = f"{sites[name]['device']}t{i}"
            sas = netns(box, "swanctl", "--list-sas", "--uri", f"unix:///var/lib/sitevpn-strongswan/{box}/charon.vici").stdout
            assert "ECP_384" in sas, sas
    print("\nchange_tunnel_options: " + "; ".join(f"{s} lost {r['lost']} in {r['ended'] - r['started']:.0f}s" for s, r in reps.items()))


def test_lab_down(lab_env):
    lab_cli("down")
