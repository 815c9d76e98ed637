"""The report pages (issue 20): the verdict first and in words, every section fed by realistic
reports (tests/unit/report_samples.py), nothing loaded from anywhere, no secret on any page."""

from __future__ import annotations

import html
import re

import pytest

from ansible_collections.sitevpn.aws.plugins.filter.verify_report import FilterModule
from ansible_collections.sitevpn.aws.plugins.module_utils import report_html
from ansible_collections.sitevpn.aws.plugins.module_utils.report_index import render_index
from ansible_collections.sitevpn.aws.plugins.module_utils.report_site import render_site_page
from ansible_collections.sitevpn.aws.plugins.module_utils.report_site import site_status

import report_samples as s  # pylint: disable=wrong-import-order


def text(page):
    """The page's visible text, roughly: no style, script or raw-data blocks, no tags."""
    page = re.sub(r"<(style|script|details)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def sections(page):
    return re.findall(r'<section id="([\w-]+)">', page)


def test_site_page_leads_with_the_verdict_in_words():
    page = render_site_page(s.verify(), s.failover(), s.events())
    main = page[page.index("<main>"):]
    assert main.index('id="verdict"') < main.index("<section")
    verdict = re.search(r'<div class="verdict ok" id="verdict">(.*?)</div>', page).group(1)
    assert html.unescape(re.sub(r"<[^>]+>", "", verdict)) == (
        "Healthy. site-bgp is healthy: both tunnels UP, BGP established on 2 of 2 sessions, pings cross to the VPC; "
        "the last failover test passed (graceful: 2 pings lost, traffic back after 0.2 s; "
        "silent: 533 pings lost, traffic back after 29.2 s).")
    assert sections(page) == ["tunnels", "bgp", "routes", "failover", "chain", "events", "raw"]
    visible = text(page)
    # words and units, not Python values or field names
    for raw in ("True", "False", "None", "hold_time", "moved_to_tunnel2", "device_dpd_action", "lan_to_vpc"):
        assert not re.search(rf"\b{raw}\b", visible), raw
    assert "Hold time 30 s" in visible and "timeout: 30 s; interval: 10 s; device DPD action: restart" in visible
    assert "Moved to tunnel 2 yes" in visible and "LAN \u2192 VPC device route to the VPC yes" in visible
    # the raw data is one click away: collapsed, and linked
    assert '<details><summary>Raw data: failover.json</summary> (<a href="failover.json">' in page


def test_site_page_says_why_it_is_not_healthy():
    state, sentence, reason = site_status(s.verify(broken=True), s.failover())
    assert state == "bad" and reason.startswith("tunnel 2 (198.51.100.12): IKE up, AWS status DOWN, BGP active")
    assert sentence == f"site-bgp is not healthy: {reason}."
    page = render_site_page(s.verify(broken=True), s.failover(ok=False))
    assert '<div class="verdict bad" id="verdict"><strong>Not healthy.</strong> site-bgp is not healthy: tunnel 2' in page
    assert "<title>site-bgp: NOT healthy</title>" in page
    state, sentence, reason = site_status(s.verify(), s.failover(ok=False))
    assert state == "warn" and "but its last failover test failed: silent: chain step 'Lambda reaction record' failed" in sentence
    assert site_status(None, s.failover())[0] == "none"


def test_events_day2_and_drift_sections_render_when_there_is_data():
    page = render_site_page(s.verify(), s.failover(), s.events(), [s.change()], s.drift())
    assert sections(page) == ["tunnels", "bgp", "routes", "failover", "chain", "events", "day2", "drift", "raw"]
    events = text(page[page.index('<section id="events">'):page.index('<section id="day2">')])
    assert events.count("backup preferred") == 2 and events.count("primary restored") == 2
    assert "tunnel DOWN" in events and "2.4 s" in events and "vpn_events" in events
    drift = text(page[page.index('<section id="drift">'):page.index('<section id="raw">')])
    assert "2 differences" in drift and "phase2 DH group numbers 14, 20 14, 20 14 device" in drift
    assert "DPD timeout 30 s 40 s 30 s AWS" in drift
    assert "<title>site-bgp: needs attention</title>" in page
    many = s.events() * 6
    assert "4 earlier events are in" in render_site_page(s.verify(), events=many)


def test_static_site_page():
    page = render_site_page(s.verify("site-static", "static", 1))
    assert sections(page) == ["tunnels", "routes", "failover", "raw"]
    assert "static routes in place" in page and "172.16.1.0/24" in text(page)


def test_no_page_shows_a_secret_or_loads_anything():
    site = render_site_page(s.verify(), s.failover(), s.events(), [s.change()], s.drift())
    index = render_index(*s.fleet(30))
    for page in (site, index):
        assert s.PLANTED_PSK not in page and s.PLANTED_PSK[:12] not in page
        assert "://" not in page and not re.search(r"\b(src|srcset)=|@import|url\(", page)
        assert f'content="{report_html.CSP}"' in page and "default-src 'none'" in report_html.CSP
        assert "@media print" in page and "prefers-color-scheme:dark" in page
    assert report_html.redact({"a": [{"PreSharedKey": "x", "psk": None}], "tunnel_options": {"pre_shared_key": "k"}}) == {
        "a": [{"PreSharedKey": "(hidden)", "psk": None}], "tunnel_options": {"pre_shared_key": "(hidden)"}}


def test_one_stylesheet_and_shell_for_every_page():
    site = render_site_page(s.verify())
    index = render_index([s.verify()])
    style = f"<style>{report_html.STYLESHEET}</style>"
    assert style in site and style in index
    assert "<script>" in index and "<script>" not in site      # the table script only where it is used


def test_index_counts_and_rows():
    verifies, failovers, drifts = s.fleet(3)
    page = render_index(verifies, failovers, drifts)
    counts = re.findall(r'<div class="n">([^<]*)</div><div class="l">([^<]*)</div>', page)
    assert counts == [("3", "sites: 2 healthy, 1 need attention, 0 not healthy"), ("6 / 0", "tunnels UP / DOWN"),
                      ("6 / 6", "BGP sessions established / read"), ("2 / 2", "failover tests passed / run"),
                      ("1", "sites with drift (of 1 checked)"), ("29.2 s", "slowest failover recovery")]
    rows = re.findall(r'<tr data-status="(\w+)"><td data-sort="([\w-]+)">', page)
    assert rows == [("warn", "site-000"), ("ok", "site-001"), ("ok", "site-002")]    # who needs a look first
    assert "1 of 3 sites need a look: site-000." in page


@pytest.mark.parametrize("n", [200])
def test_index_of_a_fleet(n):
    verifies, failovers, drifts = s.fleet(n)
    page = render_index(verifies, failovers, drifts)
    statuses = re.findall(r'<tr data-status="(\w+)">', page)
    assert len(statuses) == n and statuses == sorted(statuses, key=["bad", "warn", "none", "ok"].index)
    assert statuses.count("bad") == 9 and f'<div class="n">{n}</div>' in page
    assert len(page) < 1_000_000       # a page a browser opens at once


def test_filters_take_every_report():
    f = FilterModule().filters()
    page = f["verify_report_html"](s.verify(), failover=s.failover(), events=s.events(), changes=[s.change()], drift=s.drift())
    assert 'id="day2"' in page and 'id="events"' in page
    with pytest.raises(Exception, match="events must be the list"):
        f["verify_report_html"](s.verify(), events={"x": 1})
    assert "sites with drift (of 1 checked)" in f["verify_index_html"]([s.verify()], drifts=[s.drift()])
