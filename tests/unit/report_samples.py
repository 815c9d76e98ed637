"""Realistic report data for the page tests: verify reports built from the facts the verify role
gathers (swanctl, FRR's JSON, the connection as vpn_connection_info returns it), failover reports
from the lab's own ping captures (fixtures/ping/lab_*), the monitoring chain's steps, the
rulebook's events.json records, day-2 and drift reports; and a fleet of any size."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

from ansible_collections.sitevpn.aws.plugins.module_utils.failover_report import failover_mode_result
from ansible_collections.sitevpn.aws.plugins.module_utils.failover_report import failover_report
from ansible_collections.sitevpn.aws.plugins.module_utils.verify_report import build_report

PING = Path(__file__).parent / "fixtures" / "ping"
T0 = 1795615700.0
# planted in the reports' raw data: no page may show it
PLANTED_PSK = "Xq3_vT9.abcDEF0123456789ghiJKLmn"

SAS_UP = """tunnel{n}: #1, ESTABLISHED, IKEv2, 1a2b3c4d5e6f7a8b_i* 9a8b7c6d5e4f3a2b_r
  local  '203.0.113.10' @ 203.0.113.10[4500]
  remote '{ip}' @ {ip}[4500]
  tunnel{n}: #1, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-128/HMAC_SHA1_96
"""


def verify_facts(site, routing="bgp", n=0, when=T0):
    """The facts the verify role gathers for a healthy site number n."""
    octet = 11 + 2 * (n % 100)
    ips = [f"198.51.{100 + n // 100}.{octet}", f"198.51.{100 + n // 100}.{octet + 1}"]
    peers = [f"169.254.{10 + 2 * (n % 100)}.1", f"169.254.{11 + 2 * (n % 100)}.1"]
    prefix = f"172.{16 + n // 256}.{n % 256}.0/24"
    connection = {
        "vpn_connection_id": f"vpn-0{n:07x}abc", "state": "available", "vpn_gateway_id": "vgw-0a1b2c3d",
        "vgw_telemetry": [{"outside_ip_address": ip, "status": "UP", "accepted_route_count": 1 if routing == "bgp" else 0}
                          for ip in ips],
        "routes": [] if routing == "bgp" else [{"destination_cidr_block": prefix, "state": "available", "source": "static"}],
    }
    summary = {"ipv4Unicast": {"peers": {p: {"state": "Established", "pfxRcd": 1, "pfxSnt": 1} for p in peers}}}
    return {
        "site": site, "routing": routing, "primary_tunnel": 1, "site_prefixes": [prefix], "vpc_prefixes": ["10.0.0.0/16"],
        "connection": connection, "time": when,
        "plan_tunnels": [{"index": i + 1, "peer_outside_ip": ip, "bgp": {"peer_ip": peers[i]}} for i, ip in enumerate(ips)],
        "swanctl": [SAS_UP.format(n=i + 1, ip=ip) for i, ip in enumerate(ips)],
        "bgp_summary": json.dumps(summary) if routing == "bgp" else None,
        "route_get": "10.0.0.10 dev vti1 src 172.16.0.1 uid 0",
        "primary_dev": "vti1",
        "propagated_routes": [prefix, "10.0.0.0/16"] if routing == "bgp" else None,
        "ping": [{"item": "10.0.0.10", "rc": 0}],
    }


def verify(site="site-bgp", routing="bgp", n=0, broken=False, when=T0):
    """A verify report; broken: tunnel 2's BGP session is Active (IKE up), as the lab shows it."""
    facts = verify_facts(site, routing, n, when)
    if broken and routing == "bgp":
        summary = json.loads(facts["bgp_summary"])
        peer = facts["plan_tunnels"][1]["bgp"]["peer_ip"]
        summary["ipv4Unicast"]["peers"][peer] = {"state": "Active", "pfxRcd": 0, "pfxSnt": 0}
        facts["bgp_summary"] = json.dumps(summary)
        facts["connection"]["vgw_telemetry"][1]["status"] = "DOWN"
    elif broken:
        facts["ping"] = [{"item": "10.0.0.10", "rc": 1}]
    return build_report(facts)


def chain(phase_at, want="ALARM"):
    """The monitoring chain's steps of one phase, as roles/failover_test/tasks/chain.yml records them."""
    state = "DOWN" if want == "ALARM" else "UP"
    return [
        {"step": f"alarm {want}", "ok": True, "seconds": 61.2 + phase_at,
         "detail": f"sitevpn-site-bgp-tunnel1-state: {'OK' if want == 'ALARM' else 'ALARM'} -> {want} at 2026-11-25T14:10:02Z"},
        {"step": f"SNS notification ({want})", "ok": True, "seconds": 61.4 + phase_at,
         "detail": "Successfully executed action arn:aws:sns:us-east-1:123456789012:sitevpn-alarms"},
        {"step": "Lambda " + ("reaction" if want == "ALARM" else "recovery") + " record", "ok": True, "seconds": 62.9 + phase_at,
         "detail": "sitevpn-failover: handled, action: " + ("prefer tunnel 2" if want == "ALARM" else "none")},
        {"step": f"on-prem reaction ({state})", "ok": True, "seconds": 2.4 + phase_at,
         "detail": f"{state} event (vpn_events): " + ("backup preferred" if state == "DOWN" else "primary restored")},
    ]


@functools.lru_cache(maxsize=None)
def _lab_modes():
    times = json.loads((PING / "lab_times.json").read_text())
    modes = []
    for mode, bound in (("graceful", {"max_lost": 1}),
                        ("silent", {"max_recovery_seconds": 31.0, "max_recovery_reason": "negotiated BGP hold time 30 s + 1 s"})):
        data = {"mode": mode, "lan_to_vpc": (PING / f"lab_{mode}_lan_to_vpc.txt").read_text(),
                "vpc_to_lan": (PING / f"lab_{mode}_vpc_to_lan.txt").read_text(), "restored_primary": True,
                "moved_to_tunnel2": {"lan_to_vpc": {"device_route": True, "device_out": True, "device_bgp_best_path": True},
                                     "vpc_to_lan": {"device_in": True, "aws_side": True}},
                "chain": chain(0.0) + chain(0.0, "OK"), **times[mode], **bound}
        modes.append(failover_mode_result(data))
    return json.dumps(modes)


def failover(site="site-bgp", ok=True, when=T0 + 300):
    """site-bgp's failover report from the lab's captures, with the role's context."""
    modes = json.loads(_lab_modes())
    if not ok:
        step = modes[1]["chain"][2]
        step.update(ok=False, seconds=None, detail="no record of the ALARM handled in /aws/lambda/sitevpn-failover within 180 s")
        modes[1]["messages"] = [f"silent: chain step '{step['step']}' failed: {step['detail']}"]
        modes[1]["ok"] = False
    rep = failover_report({"site": site, "routing": "bgp", "modes": modes, "time": when,
                           "timers": {"bgp": {"hold_time": 30.0, "keepalive": 10.0, "configured_hold_time": 30.0,
                                              "configured_keepalive": 10.0, "source": "FRR show bgp neighbors"},
                                      "dpd": {"timeout_seconds": 30, "interval_seconds": 10, "device_dpd_action": "restart"}}})
    rep.update({"vpn_connection_id": "vpn-0abc", "device_left_as_found": True,
                "tunnels": {"primary": {"index": 1, "peer_outside_ip": "198.51.100.11"},
                            "backup": {"index": 2, "peer_outside_ip": "198.51.100.12"}},
                "probes": {"lan_to_vpc": f"{site}-lan -> 10.0.0.10", "vpc_to_lan": f"10.0.0.10 -> {site}-lan"},
                "snapshot": {"before": ["tunnel1 (198.51.100.11): IKE up, CHILD up"], "after": ["tunnel1 (198.51.100.11): IKE up, CHILD up"],
                             "pre_shared_key": PLANTED_PSK}})
    return rep


def events(site="site-bgp"):
    """The rulebook's records in events.json: tunnel 1 down and up, twice (graceful and silent)."""
    out = []
    for i, (state, action) in enumerate([("DOWN", "backup preferred"), ("UP", "primary restored")] * 2):
        out.append({"time": f"2026-11-25T14:1{i}:02Z", "state": state, "tunnel_outside_ip": "198.51.100.11", "both_down": False,
                    "source": "vpn_events", "action": action, "ok": True, "recorded_epoch": T0 + 60 * i,
                    "seconds_after_event": 2.4 + i / 10})
    return out


def change():
    return {"change": "rotate_keys", "time": "2026-11-25T15:00:00Z", "ok": True, "lost": {"lan_to_vpc": 0, "vpc_to_lan": 0},
            "steps": [{"step": "drain", "tunnel": 2, "ok": True, "seconds": 1.2, "detail": "tunnel 2 least preferred"},
                      {"step": "new key on AWS", "tunnel": 2, "ok": True, "seconds": 40.5, "detail": "ModifyVpnTunnelOptions",
                       "pre_shared_key": PLANTED_PSK}],
            "messages": []}


def drift(found=True, site="site-bgp"):
    diffs = [{"tunnel": 1, "field": "phase2_dh_group_numbers", "desired": [14, 20], "aws": [14, 20], "device": [14], "wrong": "device"},
             {"tunnel": 2, "field": "dpd_timeout_seconds", "desired": 30, "aws": 40, "device": 30, "wrong": "AWS"}]
    return {"site": site, "time": "2026-11-25T15:05:00Z", "ok": not found, "differences": diffs if found else [], "messages": []}


def fleet(n):
    """n sites: mostly healthy BGP sites, every 7th static, every 23rd broken, every 11th with a
    failed failover test, every 5th never failover-tested, every 13th with drift."""
    verifies, failovers, drifts = [], {}, {}
    for i in range(n):
        site = f"site-{i:03d}"
        routing = "static" if i % 7 == 3 else "bgp"
        rep = verify(site, routing, i, broken=i % 23 == 5, when=T0 + i)
        if i % 9 == 4:
            rep["hub"] = "transit gateway tgw-0fleet1"
        verifies.append(rep)
        if i % 5 != 2:
            fo = failover(site, ok=i % 11 != 6, when=T0 + 300 + i)
            failovers[site] = copy.deepcopy(fo)
        if i % 13 == 0:
            drifts[site] = drift(found=i % 26 == 0, site=site)
    return verifies, failovers, drifts
