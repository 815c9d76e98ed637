"""The day-2 playbooks' checks on the lab's data plane (roles/lockstep), run by test_it_strongswan.py on
its two sites: playbooks/rotate_keys.yml and playbooks/change_tunnel_options.yml change one tunnel at
a time, the backup first (drain, AWS, device, restore), with pings both ways the whole time and the
loss within the issue's bounds (BGP: none; static: at most 1 s per direction), a report and the
site page written, and no key in the output or the reports; playbooks/tunnel_maintenance.yml the same
with a replacement of the tunnel's AWS endpoint (BGP: at most one ping per direction)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sitevpn_playbook import ROOT, run_playbook

STEPS = [f"{what} ({role})" for role in ("backup", "primary")
         for what in ("drain", "change AWS", "change device", "restore")]
# tunnel_maintenance.yml: what each tunnel had pending (tunnel 1 first), then each replacement
MAINTENANCE_STEPS = ["maintenance (primary)", "maintenance (backup)"] + [
    f"{what} ({role})" for role in ("backup", "primary") for what in ("drain", "replace on AWS", "tunnel up", "restore")]
# the options change: DH group 20 only, both phases, both tunnels (both ends can do it)
NEW_OPTIONS = [{"phase1_dh_group_numbers": [20], "phase2_dh_group_numbers": [20]}] * 2


def keys(tunnels):
    return {t["outside_ip"]: t["psk"] for c in tunnels for t in c["tunnels"]}


def day2(env, playbook, reports, extra=None):
    return run_playbook(ROOT / "playbooks" / playbook, env["url"], inventory=env["inventory"], timeout=900,
                        extra_vars={"sitevpn_lab_state_dir": str(env["state_dir"]), "lockstep_reports_dir": str(reports),
                                    **(extra or {})})


def tunnel_ips(devices):
    """Each site's tunnels (AWS outside IPs) in tunnel order, from its device's configuration."""
    def outside_ip(dev, i):
        conf = Path("/etc/netns") / dev / "sitevpn-strongswan" / f"tunnel{i}" / "swanctl.conf"
        return re.search(r"remote_addrs = (\S+)", conf.read_text()).group(1)

    return {name: [outside_ip(dev, i) for i in (1, 2)] for name, dev in devices.items()}


def check_report(reports, site, name, ips, output, secrets, steps=None, bgp_bound=0):
    path = reports / site / name
    text = path.read_text()
    rep = json.loads(text)
    assert rep["ok"] is True, rep
    assert rep["order"] == [ips[1], ips[0]], rep["order"]
    assert [s["step"] for s in rep["steps"]] == (steps or STEPS), rep["steps"]
    assert all(s["ok"] for s in rep["steps"]), rep["steps"]
    assert set(rep["lost"]) == {"lan_to_vpc", "vpc_to_lan"}, rep["lost"]
    assert all(p["sent"] > 50 for p in rep["pings"].values()), rep["pings"]
    bound = bgp_bound if site == "site-bgp" else 10  # 1 s of pings at 10 per second
    assert rep["bound_lost_per_direction"] == bound
    assert all(n <= bound for n in rep["lost"].values()), rep["lost"]
    page = (reports / site / "verify.html").read_text()
    assert "Day-2 changes" in page
    for secret in secrets:
        assert secret not in text and secret not in page and secret not in output
    return rep
