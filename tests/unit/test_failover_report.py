"""The failover test's maths and pages: ping output -> timelines -> mode results -> report -> HTML.

The ping samples in fixtures/ping/ were captured with iputils 20221126 (Debian 12) in throw-away
network namespaces: ok (no loss), lossy (ICMP dropped by nftables for a second), src_lossy (-I src,
two drops), late_dup (a responder answering seqs 6-10 350 ms late and seqs 3, 4, 15 twice),
unanswered (-I src, nobody answers), hostunreach (-i 0.2, ARP fails: ICMP errors); and from the
lab (site-bgp, both directions, ping -c 200/600): lab_graceful_* (tunnel 1's IKE SA terminated on
the device) and lab_silent_* (tunnel 1's IKE/ESP dropped with nftables for 40 s), with the moments
of tunnel down and restore in lab_times.json.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.filter.failover_report import FilterModule
from ansible_collections.sitevpn.aws.plugins.filter.verify_report import FilterModule as VerifyFilters
from ansible_collections.sitevpn.aws.plugins.module_utils.failover_report import failover_mode_result
from ansible_collections.sitevpn.aws.plugins.module_utils.failover_report import failover_report
from ansible_collections.sitevpn.aws.plugins.module_utils.failover_report import ping_timeline
from ansible_collections.sitevpn.aws.plugins.module_utils.report_index import render_index
from ansible_collections.sitevpn.aws.plugins.module_utils.report_site import render_site_page as render_html

PING = Path(__file__).parent / "fixtures" / "ping"
T0 = 1795614000.0


def sample(name):
    return (PING / f"{name}.txt").read_text()


def by_seq(timeline):
    return {s["seq"]: s for s in timeline["seqs"]}


# --- ping_timeline on real output -----------------------------------------------------------

def test_no_loss_sample():
    tl = ping_timeline(sample("ok"))
    assert (tl["target"], tl["sent"], tl["received"], tl["lost"], tl["duplicates"]) == ("127.0.0.1", 10, 10, 0, 0)
    assert tl["unparsed"] == []      # every line of ping's normal output is understood
    seqs = by_seq(tl)
    # [1795614742.204787] ... icmp_seq=1 ... time=0.033 ms
    assert seqs[1]["sent_at"] == pytest.approx(1795614742.204787 - 0.000033, abs=1e-6)
    assert all(s["ok"] for s in tl["seqs"])
    assert tl["start"] == seqs[1]["sent_at"] and tl["end"] == pytest.approx(1795614743.153406, abs=1e-6)


def test_lossy_sample_matches_ping_summary_and_interpolates_lost_send_times():
    tl = ping_timeline(sample("lossy"))
    assert (tl["sent"], tl["received"], tl["lost"]) == (29, 19, 10)   # "29 packets transmitted, 19 received"
    seqs = by_seq(tl)
    assert [s for s in seqs if not seqs[s]["ok"]] == list(range(9, 19))
    times = [s["sent_at"] for s in tl["seqs"]]
    assert times == sorted(times)
    # "[1795614564.729284] no answer yet for icmp_seq=9" is printed when seq 10 goes out
    assert seqs[9]["sent_at"] == pytest.approx(1795614564.729284 - 0.1, abs=1e-6)
    # lost seqs sit between their answered neighbours, about one interval apart
    assert seqs[8]["sent_at"] < seqs[9]["sent_at"] < seqs[18]["sent_at"] < seqs[19]["sent_at"]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(0.09 < g < 0.12 for g in gaps), gaps


def test_src_sample_two_outages():
    tl = ping_timeline(sample("src_lossy"))
    assert tl["target"] == "10.9.0.1"
    lost = [s["seq"] for s in tl["seqs"] if not s["ok"]]
    assert lost == list(range(9, 16)) + list(range(21, 25))
    assert (tl["sent"], tl["received"]) == (29, 18)


def test_late_replies_and_duplicates():
    tl = ping_timeline(sample("late_dup"))
    # ping's own summary: 20 transmitted, 20 received, +3 duplicates
    assert (tl["sent"], tl["received"], tl["lost"], tl["duplicates"]) == (20, 20, 0, 3)
    seqs = by_seq(tl)
    # seq 6 answered 350 ms late, after "no answer yet for icmp_seq=6": its send time is the reply's
    assert seqs[6]["ok"] is True
    assert seqs[6]["sent_at"] == pytest.approx(1795614595.611937 - 0.350, abs=1e-3)
    times = [s["sent_at"] for s in tl["seqs"]]
    assert times == sorted(times)


def test_nothing_answered_with_source_address():
    tl = ping_timeline(sample("unanswered"))
    assert (tl["target"], tl["sent"], tl["received"], tl["lost"]) == ("192.0.2.99", 10, 0, 10)
    seqs = by_seq(tl)
    assert seqs[1]["sent_at"] == pytest.approx(1795614605.509389 - 0.1, abs=1e-6)
    # seq 10 has no line at all (the deadline came first): extrapolated by the measured spacing
    assert seqs[10]["sent_at"] - seqs[9]["sent_at"] == pytest.approx(0.104, abs=0.01)


def test_icmp_errors_are_not_replies():
    tl = ping_timeline(sample("hostunreach"), interval=0.2)
    assert (tl["sent"], tl["received"], tl["errors"]) == (12, 0, 12)
    # the first "no answer yet for icmp_seq=12" counts, not the three repeats
    assert by_seq(tl)[12]["sent_at"] == pytest.approx(1795614608.869362 - 0.2, abs=1e-6)


def test_lines_list_equals_text_and_killed_ping_without_summary():
    text = sample("lossy")
    assert ping_timeline(text.splitlines()) == ping_timeline(text)
    head = "\n".join(text.splitlines()[:20])   # killed before the summary, just after seq 19
    tl = ping_timeline(head)
    assert (tl["sent"], tl["received"]) == (19, 9)


def test_seq_wraps_at_65536():
    lines = [f"[{T0 + i * 0.1:.6f}] 64 bytes from 10.0.0.10: icmp_seq={(65534 + i) % 65536} ttl=62 time=1.00 ms"
             for i in range(4)]
    tl = ping_timeline(lines)
    assert [s["seq"] for s in tl["seqs"] if s["ok"]] == [65534, 65535, 65536, 65537]


@pytest.mark.parametrize("path", sorted(PING.glob("*.txt")), ids=lambda p: p.stem)
def test_every_line_of_the_samples_is_understood(path):
    assert ping_timeline(path.read_text())["unparsed"] == []


def test_bad_interval():
    with pytest.raises(ValueError):
        ping_timeline("", interval=0)


# --- mode results ---------------------------------------------------------------------------

def make_timeline(n, lost=(), start=T0, step=0.1):
    """n pings from start, step apart; seqs (1-based) in lost unanswered."""
    lost = set(lost)
    seqs = [{"seq": i, "sent_at": start + (i - 1) * step, "ok": i not in lost} for i in range(1, n + 1)]
    return {"target": "10.0.0.10", "interval": step, "start": start, "end": seqs[-1]["sent_at"],
            "sent": n, "received": n - len(lost), "lost": len(lost), "seqs": seqs}


def at(seq):
    return T0 + (seq - 1) * 0.1


def mode_data(**kw):
    data = {"mode": "graceful", "down_at": at(101), "restored_at": at(301), "lan_to_vpc": make_timeline(400),
            "vpc_to_lan": make_timeline(400), "moved_to_tunnel2": True, "restored_primary": True}
    data.update(kw)
    return data


def test_no_loss():
    r = failover_mode_result(mode_data(down_at=at(101) - 0.03, max_lost=1))
    assert r["ok"] is True, r["messages"]
    assert (r["pings_sent"], r["pings_lost"]) == (400, 0)
    assert r["recovery_seconds"] == pytest.approx(0.03)   # first answered ping after down_at
    assert r["moved_at"] == pytest.approx(at(101))
    assert r["messages"] == []


def test_loss_before_down_is_ignored_and_after_restore_reported_apart():
    r = failover_mode_result(mode_data(lan_to_vpc=make_timeline(400, lost=range(50, 60)),
                                       vpc_to_lan=make_timeline(400, lost=range(301, 304))))
    assert r["pings_lost"] == 0
    assert r["pings_lost_after_restore"] == 3
    assert r["recovery_seconds"] == pytest.approx(0.0)


def test_recovery_is_first_answer_after_last_loss_worst_direction():
    r = failover_mode_result(mode_data(mode="silent",
                                       lan_to_vpc=make_timeline(400, lost=range(101, 131)),
                                       vpc_to_lan=make_timeline(400, lost=list(range(101, 121)) + [140])))
    assert r["pings_sent"] == 400 and r["pings_lost"] == 30 + 21
    # vpc_to_lan's last loss is seq 140: recovery at seq 141, 4.0 s after down
    assert r["directions"]["lan_to_vpc"]["recovery_seconds"] == pytest.approx(3.0)
    assert r["recovery_seconds"] == pytest.approx(4.0)
    assert r["moved_at"] == pytest.approx(at(141))
    assert sum(r["timeline"]["sent"]) == 800 and sum(r["timeline"]["lost"]) == 51
    # 10/s each way, 100 ms buckets: exactly one ping per direction in every bucket
    assert r["timeline"]["sent"] == [2] * 400 and r["timeline"]["bucket_s"] == 0.1
    assert sum(r["timeline"]["lost_by_direction"]["vpc_to_lan"]) == 21


def test_loss_until_restore_never_recovered():
    r = failover_mode_result(mode_data(mode="silent", lan_to_vpc=make_timeline(400, lost=range(101, 305))))
    assert r["recovery_seconds"] is None and r["moved_at"] is None
    assert r["ok"] is False
    assert r["pings_lost"] == 200
    assert "silent: lan to vpc traffic did not flow again before the restore after 20.0 s" in r["messages"]


def test_bounds_messages():
    r = failover_mode_result(mode_data(mode="silent", restored_at=at(600),
                                       lan_to_vpc=make_timeline(700, lost=range(101, 513)), vpc_to_lan=None,
                                       max_recovery_seconds=31.0, max_recovery_reason="BGP hold 30 s + 1 s"))
    assert r["messages"] == ["silent: 412 pings lost, recovery 41.2 s > bound 31.0 s (BGP hold 30 s + 1 s)"]
    g = failover_mode_result(mode_data(lan_to_vpc=make_timeline(400, lost=[101, 102]), max_lost=1))
    assert g["messages"] == ["graceful: lan to vpc lost 2 pings > bound 1"]
    # the bound is per 10/s ping stream: one lost each way is within "at most 1 ping"
    one_each = failover_mode_result(mode_data(lan_to_vpc=make_timeline(400, lost=[101]),
                                              vpc_to_lan=make_timeline(400, lost=[102]), max_lost=1))
    assert one_each["ok"] is True and one_each["pings_lost"] == 2
    # a templated none ('') or a string number from Jinja
    loose = failover_mode_result(mode_data(lan_to_vpc=make_timeline(400, lost=[101, 102]), max_lost="1",
                                           max_recovery_seconds=""))
    assert loose["max_lost"] == 1 and loose["max_recovery_seconds"] is None and loose["ok"] is False


def test_ping_runs_must_cover_the_window():
    # a ping started late or stopped early (ping -w exits at the first ICMP error) measured nothing there
    r = failover_mode_result(mode_data(lan_to_vpc=make_timeline(150), vpc_to_lan=make_timeline(400, start=at(121))))
    assert r["ok"] is False
    assert r["messages"] == ["graceful: lan to vpc pings stopped 15.1 s before the restore",
                             "graceful: vpc to lan pings started 2.0 s after tunnel 1 went down"]


def test_path_restore_and_chain_checks():
    r = failover_mode_result(mode_data(
        moved_to_tunnel2={"lan_to_vpc": {"device": True, "aws": True}, "vpc_to_lan": {"device": True, "aws": False}},
        restored_primary=False,
        chain=[{"step": "alarm ALARM", "ok": True, "seconds": 12.5, "detail": "x"},
               {"step": "SNS message", "ok": False, "seconds": None, "detail": "none recorded"}],
        extra={"tunnel1": "198.51.100.11"}))
    assert r["moved_to_tunnel2"] is False
    assert r["path"] == {"lan_to_vpc.device": True, "lan_to_vpc.aws": True, "vpc_to_lan.device": True,
                         "vpc_to_lan.aws": False}
    assert r["messages"] == ["graceful: traffic not proven to move to tunnel 2 (vpc_to_lan.aws)",
                             "graceful: tunnel 1 is not primary again after the restore",
                             "graceful: chain step 'SNS message' failed: none recorded"]
    assert r["extra"] == {"tunnel1": "198.51.100.11"} and len(r["chain"]) == 2
    assert failover_mode_result(mode_data(moved_to_tunnel2=None))["ok"] is False


def test_times_as_iso_and_raw_ping_output():
    text = sample("lossy")
    r = failover_mode_result({"mode": "silent", "down_at": "2026-11-25T13:49:24.620Z", "restored_at": None,
                              "lan_to_vpc": text, "vpc_to_lan": None, "moved_to_tunnel2": True,
                              "restored_primary": True})
    # 2026-11-25T13:49:24.620Z = 1795614564.620: seq 9 onwards lost, seq 19 sent at 1795614565.665285
    assert r["pings_lost"] == 10 and r["pings_sent"] == 21
    assert r["recovery_seconds"] == pytest.approx(1795614565.665285 - 1795614564.620, abs=1e-3)
    with pytest.raises(ValueError):
        failover_mode_result({"mode": "x"})


def test_no_ping_data_fails():
    r = failover_mode_result(mode_data(lan_to_vpc=None, vpc_to_lan=None))
    assert r["ok"] is False and r["messages"] == ["graceful: no ping data"]
    empty = failover_mode_result(mode_data(lan_to_vpc="", vpc_to_lan=None))
    assert empty["messages"][0] == "graceful: lan to vpc ping output has no ping in it (it said: nothing)"
    refused = failover_mode_result(mode_data(lan_to_vpc="ping: connect: Network is unreachable\n", vpc_to_lan=None))
    assert refused["messages"][0] == ("graceful: lan to vpc ping output has no ping in it "
                                      "(it said: ping: connect: Network is unreachable)")
    assert empty["pings_sent"] == 0 and empty["recovery_seconds"] is None and empty["ok"] is False
    before = failover_mode_result(mode_data(lan_to_vpc=make_timeline(50), vpc_to_lan=None))
    assert "graceful: no ping was sent between tunnel down and restore" in before["messages"]


def test_report():
    modes = [mode_data(), mode_data(mode="silent", lan_to_vpc=make_timeline(400, lost=range(101, 305)))]
    rep = failover_report({"site": "site-bgp", "routing": "bgp", "timers": {"bgp_hold": 30}, "modes": modes,
                           "time": 1795614564.62})
    assert rep["time"] == "2026-11-25T13:49:24.620Z"
    assert [m["mode"] for m in rep["modes"]] == ["graceful", "silent"]
    assert rep["ok"] is False and rep["messages"] == rep["modes"][1]["messages"]
    again = failover_report(dict(rep))        # already computed modes are kept as they are
    assert again["modes"] == rep["modes"]
    assert failover_report({"site": "s", "modes": []})["messages"] == ["s: no failover mode ran"]


def lab_mode(mode, **kw):
    times = json.loads((PING / "lab_times.json").read_text())[mode]
    data = {"mode": mode, "lan_to_vpc": sample(f"lab_{mode}_lan_to_vpc"), "vpc_to_lan": sample(f"lab_{mode}_vpc_to_lan"),
            "moved_to_tunnel2": True, "restored_primary": True, **times}
    data.update(kw)
    return failover_mode_result(data)


def test_lab_graceful_sample():
    # site-bgp in the lab: tunnel 1's IKE SA terminated on the device, re-initiated 8 s later; the
    # device answered one ping each way "Destination Net Unreachable" while BGP switched paths
    r = lab_mode("graceful", max_lost=1)
    assert r["ok"] is True, r["messages"]
    assert {d: v["lost"] for d, v in r["directions"].items()} == {"lan_to_vpc": 1, "vpc_to_lan": 1}
    assert r["pings_lost"] == 2 and r["pings_lost_after_restore"] == 0
    assert 0 < r["recovery_seconds"] < 0.5
    assert 150 <= r["pings_sent"] <= 165     # 8.05 s x 10/s x 2 directions, ping's real spacing ~104 ms


def test_lab_silent_sample():
    # site-bgp: tunnel 1's IKE/ESP dropped for 40 s; BGP (hold 30 s) moved the traffic
    r = lab_mode("silent", max_recovery_seconds=31.0, max_recovery_reason="BGP hold 30 s + 1 s")
    assert r["ok"] is True, r["messages"]
    assert 20 < r["recovery_seconds"] < 31
    assert r["moved_at"] == pytest.approx(r["down_at"] + r["recovery_seconds"])
    assert r["pings_lost"] > 400
    short = lab_mode("silent", max_recovery_seconds=10.0, max_recovery_reason="BGP hold 9 s + 1 s")
    assert short["messages"] == [f"silent: {r['pings_lost']} pings lost, recovery {r['recovery_seconds']:.1f} s "
                                 "> bound 10.0 s (BGP hold 9 s + 1 s)"]


# --- pages ----------------------------------------------------------------------------------

def site_report(site="site-bgp"):
    return {"site": site, "ok": True, "messages": [], "routing": "bgp", "vpn_connection_id": "vpn-1",
            "tunnels": [], "propagated_routes": [], "ping": {}, "ping_ok": True}


def failover_fixture(site="site-bgp"):
    silent = mode_data(mode="silent", lan_to_vpc=make_timeline(400, lost=range(101, 131)),
                       chain=[{"step": "alarm <ALARM>", "ok": True, "seconds": 61.0, "detail": "a&b"},
                              {"step": "SNS message", "ok": False, "seconds": None, "detail": "<script>x</script>"}])
    return failover_report({"site": site, "routing": "bgp", "timers": {"bgp": {"hold_time": "30 <s>"}, "bfd": "none"},
                            "modes": [mode_data(), silent], "time": T0})


def marker_x(page, name):
    m = re.search(rf'<g class="marker-{name}"><line x1="([\d.]+)"', page)
    return float(m.group(1)) if m else None


def test_site_page_failover_section_and_plot():
    page = render_html(site_report(), failover_fixture())
    assert page.count("<svg") == 2 and "Failover test" in page
    assert "<script" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "alarm &lt;ALARM&gt;" in page and "a&amp;b" in page
    # timers in words: a label, not bgp.hold_time; units where the field is a time
    assert "<tr><th>Hold time</th><td>30 &lt;s&gt;</td></tr>" in page and "bgp.hold_time" not in page
    assert "://" not in page      # nothing external, not even the SVG namespace
    for name in ("down", "moved", "restored"):
        assert marker_x(page, name) is not None, name
    # the x axis is seconds since tunnel 1 went down: the down marker sits on the "0" tick,
    # the silent mode's moved marker 3.0 s later and its restore 20.0 s after down
    silent = page[page.index('id="failover-silent"'):]
    tick0 = float(re.search(r'<text x="([\d.]+)" y="\d+" text-anchor="middle">0</text>', silent).group(1))
    assert marker_x(silent, "down") == pytest.approx(tick0, abs=0.2)
    assert "traffic moved (+3.0 s)" in silent and "tunnel 1 restored (+20.0 s)" in silent
    assert marker_x(silent, "down") < marker_x(silent, "moved") < marker_x(silent, "restored")
    assert "<tr><th>Traffic back after</th><td>3 s</td></tr>" in silent     # recovery in the mode's facts
    # every 100 ms with a lost ping is marked under the axis: 30 lost pings, 100 ms apart
    assert silent.count('class="lost-rug"') == 30 and "800 pings sent, 30 lost (plotted)" in silent
    # listed once, with its mode; and the verdict names it
    assert page.count("<li>silent: chain step &#x27;SNS message&#x27; failed") == 1
    assert re.search(r'<div class="verdict warn".*last failover test failed: silent: chain step', page)
    empty = render_html(site_report(), failover_report({"site": "site-bgp", "modes": []}))
    assert "site-bgp: no failover mode ran" in empty and "<svg" not in empty


def test_site_page_shows_the_failover_tests_context():
    rep = failover_fixture()
    rep.update({"vpn_connection_id": "vpn-0abc", "device_left_as_found": False,
                "tunnels": {"primary": {"index": 1, "peer_outside_ip": "198.51.100.11"},
                            "backup": {"index": 2, "peer_outside_ip": "198.51.100.12"}},
                "probes": {"lan_to_vpc": "site-bgp-lan-probe -> 10.0.0.10"}})
    page = render_html(site_report(), rep)
    assert "<tr><th>Tunnel taken down</th><td>tunnel 1 (198.51.100.11)</td></tr>" in page
    assert "<tr><th>Tunnel taking over</th><td>tunnel 2 (198.51.100.12)</td></tr>" in page
    assert "<th>Pings LAN \u2192 VPC</th><td>site-bgp-lan-probe -&gt; 10.0.0.10</td>" in page
    assert '<tr><th>Device left as found</th><td><span class="badge bad">no</span></td></tr>' in page


def test_site_page_escapes_and_works_without_failover():
    page = render_html(site_report("<evil>"))
    assert "&lt;evil&gt;" in page and "<evil>" not in page and "<svg" not in page
    assert "No failover test has run on this site yet" in page


def test_index_failover_columns():
    reports = [site_report("site-bgp"), site_report("site-static")]
    page = render_index(reports, [failover_fixture("site-bgp")])
    row = re.search(r'<tr data-status="\w+"><td data-sort="site-bgp">.*?</tr>', page).group(0)
    assert "failed" in row and "0 \u00b7 30" in row and "0 s \u00b7 3 s" in row
    assert 'title="graceful: 0 pings lost, traffic back after 0 s; silent: 30 pings lost, traffic back after 3 s"' in row
    static_row = re.search(r'<tr data-status="\w+"><td data-sort="site-static">.*?</tr>', page).group(0)
    assert "not run" in static_row
    assert render_index(reports, {"site-bgp": failover_fixture()}) == page
    assert "<th class=\"sortable\" scope=\"col\">Pings lost</th>" in render_index(reports)


def test_filters():
    filters = FilterModule().filters()
    assert set(filters) == {"ping_timeline", "failover_mode_result", "failover_report"}
    assert filters["ping_timeline"](sample("ok"))["received"] == 10
    with pytest.raises(AnsibleFilterError, match="ping_timeline"):
        filters["ping_timeline"]({"stdout": "x"})
    with pytest.raises(AnsibleFilterError, match="down_at is required"):
        filters["failover_mode_result"]({"mode": "silent"})
    verify = VerifyFilters().filters()
    page = verify["verify_report_html"](site_report(), failover=failover_fixture())
    assert "<svg" in page
    assert "0 \u00b7 30" in verify["verify_index_html"]([site_report()], failovers=[failover_fixture()])
    with pytest.raises(AnsibleFilterError):
        verify["verify_report_html"](site_report(), failover="nope")
