# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``reports/index.html``: the dashboard over every site.

Counts first (sites by status, tunnels UP/DOWN, BGP sessions, failover tests passed, drift found),
then one row per site (status, hub, routing, tunnels, BGP, routes, the last failover test's loss
and recovery, the last run), sites that need a look first.  The table sorts on a click on its
header and filters by text and status with the page's own script (``report_html.TABLE_SCRIPT``):
nothing is loaded from anywhere, and it stays usable at a few hundred sites.
"""

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import badge
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import esc
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import page
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import seconds
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import when
from ansible_collections.sitevpn.aws.plugins.module_utils.report_site import bgp_counts
from ansible_collections.sitevpn.aws.plugins.module_utils.report_site import drift_count
from ansible_collections.sitevpn.aws.plugins.module_utils.report_site import mode_summary
from ansible_collections.sitevpn.aws.plugins.module_utils.report_site import route_count
from ansible_collections.sitevpn.aws.plugins.module_utils.report_site import site_status
from ansible_collections.sitevpn.aws.plugins.module_utils.report_site import tunnel_counts

STATUS_TEXT = {"bad": "not healthy", "warn": "needs attention", "none": "not verified", "ok": "healthy"}
# sites that need a look sort first
STATUS_ORDER = {"bad": 0, "warn": 1, "none": 2, "ok": 3}


def _by_site(items):
    if isinstance(items, dict):
        return {k: v for k, v in items.items() if v}
    return {i.get("site"): i for i in items or [] if isinstance(i, dict)}


def _card(value, text, state=""):
    return f'<div class="card {state}"><div class="n">{esc(value)}</div><div class="l">{esc(text)}</div></div>'


def _short_hub(hub):
    """'VGW vgw-0a1b' for the table; the cell's title keeps the words."""
    if not hub:
        return None
    return str(hub).replace("virtual private gateway", "VGW").replace("transit gateway", "TGW")


def _row(site, report, failover, drift):
    state, sentence, reason = site_status(report, failover, drift)
    report = report or {}
    up, down = tunnel_counts(report)
    tunnels = badge("ok" if up and not down else ("bad" if down else "none"), f"{up}/{up + down} UP" if up + down else "not read")
    est, sessions = bgp_counts(report)
    if report.get("routing") == "static":
        bgp = ("static", -1)
    elif sessions:
        bgp = (badge("ok" if est == sessions else "bad", f"{est}/{sessions} up"), est)
    else:
        bgp = ("\u2014", -1)
    routes = route_count(report)
    modes = (failover or {}).get("modes") or []
    if failover:
        recs = [m.get("recovery_seconds") for m in modes]
        detail = "; ".join(mode_summary(m) for m in modes) or "no mode ran"
        fo = (badge("ok" if failover.get("ok") else "bad", "passed" if failover.get("ok") else "failed"), int(bool(failover.get("ok"))))
        loss = (f'<span title="{esc(detail)}">{esc(" · ".join(str(m.get("pings_lost")) for m in modes) or "—")}</span>',
                sum(m.get("pings_lost") or 0 for m in modes))
        rec = (f'<span title="{esc(detail)}">{esc(" · ".join(seconds(r) for r in recs) or "—")}</span>',
               max((r if r is not None else 1e9) for r in recs) if recs else -1)
    else:
        fo, loss, rec = (badge("none", "not run"), -1), ("\u2014", -1), ("\u2014", -1)
    found = drift_count(drift)
    drift_cell = ('<span class="muted" title="not checked">\u2014</span>', -1) if found is None else (
        badge("bad", f"{found} found") if found else badge("ok", "none"), found)
    last = max((str(d.get("time")) for d in (report, failover, drift) if d and d.get("time")), default="")
    cells = [
        (f'<a href="{esc(site)}/verify.html">{esc(site)}</a>', site),
        (badge(state, STATUS_TEXT[state]), STATUS_ORDER[state]),
        (f'<span title="{esc(report.get("hub"))}">{esc(_short_hub(report.get("hub")))}</span>', report.get("hub") or ""),
        (esc(report.get("routing")), report.get("routing") or ""),
        (tunnels, up - 10 * down),
        bgp,
        (esc("\u2014" if routes is None else routes), -1 if routes is None else routes),
        fo,
        loss,
        rec,
        drift_cell,
        (esc(when(last)[:16] if last else "\u2014"), last),
        (f'<span class="why" title="{esc(sentence)}">{esc(reason)}</span>', reason),
    ]
    tds = "".join(f'<td data-sort="{esc(key)}">{text}</td>' for text, key in cells)
    return STATUS_ORDER[state], site, state, f'<tr data-status="{state}">{tds}</tr>'


def render_index(reports, failovers=None, drifts=None):
    """The dashboard over the reports of all sites (verify reports; failover and drift reports as
    lists or dicts keyed by site).  A site with only a failover report is listed too."""
    verify = _by_site(reports)
    failover = _by_site(failovers)
    drift = _by_site(drifts)
    sites = sorted(s for s in set(verify) | set(failover) | set(drift) if s)
    rows = sorted(_row(s, verify.get(s), failover.get(s), drift.get(s)) for s in sites)
    states = [r[2] for r in rows]
    up = down = est = sessions = 0
    for rep in verify.values():
        u, d = tunnel_counts(rep)
        e, n = bgp_counts(rep)
        up, down, est, sessions = up + u, down + d, est + e, sessions + n
    tested = [f for f in failover.values() if f.get("modes")]
    passed = sum(1 for f in tested if f.get("ok"))
    drifted = [drift_count(d) for d in drift.values()]
    worst = max((m.get("recovery_seconds") or 0 for f in tested for m in f.get("modes") or []), default=None)
    cards = [
        _card(len(sites), f"sites: {states.count('ok')} healthy, {states.count('warn')} need attention, "
              f"{states.count('bad')} not healthy" + (f", {states.count('none')} not verified" if states.count("none") else "")),
        _card(f"{up} / {down}", "tunnels UP / DOWN", "bad" if down else ""),
        _card(f"{est} / {sessions}", "BGP sessions established / read"),
        _card(f"{passed} / {len(tested)}", "failover tests passed / run", "bad" if passed < len(tested) else ""),
        _card(str(sum(1 for d in drifted if d)) if drifted else "\u2014",
              f"sites with drift (of {len(drifted)} checked)" if drifted else "drift: not checked"),
    ]
    if worst is not None:
        cards.append(_card(seconds(worst), "slowest failover recovery"))
    if states.count("ok") == len(sites) and sites:
        headline = ("ok", f"All {len(sites)} sites are healthy.")
    elif not sites:
        headline = ("none", "No site has been verified yet: run playbooks/verify.yml.")
    else:
        bad = [r[1] for r in rows if r[2] != "ok"]
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        headline = ("bad" if states.count("bad") else "warn",
                    f"{len(bad)} of {len(sites)} sites need a look: {shown}.")
    head = ["Site", "Status", "Hub", "Routing", "Tunnels", "BGP", "Routes", "Failover", "Pings lost", "Traffic back after",
            "Drift", "Last run (UTC)", "Why"]
    options = "".join(f'<option value="{k}">{esc(v)}</option>' for k, v in STATUS_TEXT.items())
    body = [
        f'<div class="verdict {headline[0]}" id="verdict">{esc(headline[1])}</div>',
        '<div class="cards" id="counts">' + "".join(cards) + "</div>",
        '<div class="toolbar" id="site-filter"><input type="search" placeholder="Filter: site, hub, problem\u2026" '
        f'aria-label="Filter sites"><select aria-label="Status"><option value="">every status</option>{options}</select>'
        "<output></output></div>",
        '<table class="sites sortable" id="sites" data-filter="site-filter"><thead><tr>'
        + "".join(f'<th class="sortable" scope="col">{esc(h)}</th>' for h in head) + "</tr></thead><tbody>\n"
        + "\n".join(r[3] for r in rows) + "\n</tbody></table>",
        '<p class="muted noprint">Pings lost and traffic back after: per failover mode of the last test (graceful '
        "\u00b7 silent; hover for the details). Click a column header to sort; each site links to its page.</p>",
    ]
    newest = max((str(d.get("time")) for group in (verify, failover, drift) for d in group.values() if d.get("time")),
                 default=None)
    return page("Site-to-Site VPN: all sites", "\n".join(body), script=True, generated=newest)
