"""The report pages in a real browser (issue 20): headless Chromium (Debian package chromium)
opens the index (3 sites and 200 sites) and a site page from files, over the DevTools protocol on
a pipe (no port, no network). The verdict and the counts are visible text, the page's script runs
without an error (sorting and filtering work), the page asks for nothing but itself, and each page
is kept as a PNG in tests/output/browser/ to look at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.report_index import render_index
from ansible_collections.sitevpn.aws.plugins.module_utils.report_site import render_site_page

import report_samples as s  # pylint: disable=wrong-import-order
from browser import Browser, find_chromium  # pylint: disable=wrong-import-order

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed (Debian package chromium: make debs)")

SHOTS = Path(__file__).resolve().parents[1] / "output" / "browser"
ROWS = "Array.from(document.querySelectorAll('#sites tbody tr'))"
VISIBLE = f"{ROWS}.filter(r => !r.hidden && r.offsetParent !== null)"


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    (root / "site-bgp").mkdir()
    written = {
        "index": render_index(*s.fleet(3)),
        "index200": render_index(*s.fleet(200)),
        "site-bgp/verify": render_site_page(s.verify(), s.failover(), s.events(), [s.change()], s.drift()),
        "site-bad": render_site_page(s.verify("site-bad", broken=True), s.failover("site-bad", ok=False)),
    }
    for name, page in written.items():
        (root / f"{name}.html").write_text(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return root


def load(browser, path, shot):
    browser.open(path)
    browser.screenshot(SHOTS / f"{shot}.png")
    assert (SHOTS / f"{shot}.png").stat().st_size > 10_000
    assert browser.errors() == []
    assert browser.requests() == [f"file://{path}"]      # the page loads nothing else
    return browser.eval("document.body.innerText")


def test_index_shows_the_verdict_and_counts(browser, pages):
    text = load(browser, pages / "index.html", "index")
    assert "1 of 3 sites need a look: site-000." in text
    cards = browser.eval("Array.from(document.querySelectorAll('#counts .card')).map(c => c.innerText.replace(/\\n/g, ' '))")
    assert cards[:5] == ["3 sites: 2 healthy, 1 need attention, 0 not healthy", "6 / 0 tunnels UP / DOWN",
                         "6 / 6 BGP sessions established / read", "2 / 2 failover tests passed / run",
                         "1 sites with drift (of 1 checked)"]
    assert browser.eval("document.querySelector('#site-filter output').textContent") == "showing 3 of 3"   # the script ran


def test_index_sorts_and_filters_in_the_page(browser, pages):
    load(browser, pages / "index200.html", "index200")
    sites = f"{VISIBLE}.map(r => r.cells[0].innerText)"
    first = browser.eval(sites)
    assert len(first) == 200 and first[0] == "site-005"          # not healthy first
    browser.eval("document.querySelectorAll('#sites thead th')[0].click()")
    assert browser.eval(sites) == sorted(first)
    browser.eval("document.querySelectorAll('#sites thead th')[0].click()")
    assert browser.eval(sites) == sorted(first, reverse=True)
    # numbers sort as numbers: pings lost, highest first after two clicks
    browser.eval("{ const h = document.querySelectorAll('#sites thead th')[8]; h.click(); h.click(); }")
    lost = browser.eval(f"{VISIBLE}.map(r => Number(r.cells[8].dataset.sort))")
    assert lost == sorted(lost, reverse=True) and lost[0] > 500
    browser.eval("{ const i = document.querySelector('#site-filter input'); i.value = 'tgw-0fleet1';"
                 "i.dispatchEvent(new Event('input')); }")
    on_tgw = sum(1 for i in range(200) if i % 9 == 4)       # report_samples.fleet's transit gateway sites
    assert browser.eval(f"{VISIBLE}.length") == on_tgw
    assert browser.eval("document.querySelector('#site-filter output').textContent") == f"showing {on_tgw} of 200"
    browser.eval("{ const i = document.querySelector('#site-filter input'); i.value = '';"
                 "i.dispatchEvent(new Event('input')); const m = document.querySelector('#site-filter select');"
                 "m.value = 'bad'; m.dispatchEvent(new Event('change')); }")
    assert browser.eval(f"{VISIBLE}.map(r => r.dataset.status)") == ["bad"] * 9
    assert browser.errors() == []


def test_site_page_answers_healthy_in_the_first_screen(browser, pages):
    text = load(browser, pages / "site-bgp" / "verify.html", "site-bgp")
    verdict = browser.eval("(() => { const v = document.getElementById('verdict'); const r = v.getBoundingClientRect();"
                           " return [v.innerText, r.top, r.bottom, window.innerHeight]; })()")
    assert verdict[0].startswith("Needs attention. site-bgp carries traffic (both tunnels UP")
    assert 0 < verdict[1] < verdict[2] < verdict[3] / 3          # in the top third of the first screen
    assert "Timers in use" in text and "Hold time\t30 s" in text and "True" not in text
    # the raw data is collapsed, one click away
    assert browser.eval("document.querySelectorAll('details:not([open])').length") == 5
    raw = browser.eval("(() => { const d = document.querySelector('details'); d.open = true;"
                       " return d.querySelector('pre').innerText; })()")
    assert json.loads(raw)["site"] == "site-bgp"
    browser.set_dark(True)
    try:
        load(browser, pages / "site-bgp" / "verify.html", "site-bgp-dark")
        bg = browser.eval("getComputedStyle(document.body).backgroundColor")
    finally:
        browser.set_dark(False)
    assert bg == "rgb(21, 24, 28)"


def test_unhealthy_site_page(browser, pages):
    text = load(browser, pages / "site-bad.html", "site-bad")
    assert text.splitlines()[:3] == ["All sites / site-bad", "site-bad: NOT healthy",
                                     "Not healthy. site-bad is not healthy: tunnel 2 (198.51.100.12): IKE up, AWS status DOWN, "
                                     "BGP active with 169.254.11.1."]
