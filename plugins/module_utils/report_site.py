# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A site's page, ``reports/<site>/verify.html``: the verdict first, then the evidence.

Order: the verdict (healthy or not, and why, in one sentence), tunnels, BGP, routes, the failover
test with its timeline plots, the monitoring chain, the on-prem reaction to tunnel events, day-2
changes, drift; each report's raw JSON one click away.  Inputs are the reports as written:

- ``report``: ``verify.json`` (``verify_report.build_report``);
- ``failover``: ``failover.json`` (``failover_report.failover_report`` plus the role's context:
  ``tunnels``, ``probes``, ``device_left_as_found``, ``timers``);
- ``events``: ``events.json``, the tunnel-event rulebook's records ``[{time, state,
  tunnel_outside_ip, both_down, source, action, ok, seconds_after_event}]``;
- ``changes``: day-2 change reports ``[{change, time, ok, steps: [{step, tunnel, ok, seconds,
  detail}], lost: {direction: pings}, messages}]``;
- ``drift``: ``{site, time, ok, differences: [{tunnel, field, desired, aws, device, wrong}], messages}``.

Sections without data are left out, except the failover test, which says it has not run.
"""

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import badge
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import esc
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import kv_table
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import label
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import page
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import problems
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import raw_details
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import redact
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import seconds
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import table
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import when
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import words
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import words_table
from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import yes_no_badge
from ansible_collections.sitevpn.aws.plugins.module_utils.report_plot import timeline_svg

# the newest events are shown; the rest stay in events.json
EVENTS_SHOWN = 20


def _plural(n, one, many=None):
    return f"{n} {one if n == 1 else (many or one + 's')}"


def tunnel_counts(report):
    """(up, down) tunnels: AWS's status, or the device's IPsec state where AWS was not read."""
    up = down = 0
    for t in (report or {}).get("tunnels") or []:
        state = t.get("aws_status") or ({"up": "UP", "down": "DOWN"}.get(t.get("ipsec_state")))
        if state == "UP":
            up += 1
        elif state is not None:
            down += 1
    return up, down


def bgp_counts(report):
    """(established, sessions) over the tunnels whose BGP state was read."""
    states = [t.get("bgp_state") for t in (report or {}).get("tunnels") or [] if t.get("bgp_state") is not None]
    return sum(1 for s in states if s == "established"), len(states)


def route_count(report):
    """The routes that matter for the site: propagated into the VPC (BGP), static, or in its transit
    gateway route table (a transit gateway site), or None."""
    report = report or {}
    if report.get("routing") == "static" and report.get("static_routes") is not None:
        return sum(1 for r in report["static_routes"] if r.get("state") == "available")
    tgw = report.get("transit_gateway_routes")
    if tgw is not None:
        return sum(1 for r in tgw.get("routes") or [] if r.get("state") == "active")
    routes = report.get("propagated_routes")
    return None if routes is None else len(routes)


def drift_count(drift):
    """Differences found by the last drift check, or None when there was none."""
    if not drift:
        return None
    found = drift.get("differences")
    if found is None:
        return 0 if drift.get("ok", True) else len(drift.get("messages") or []) or 1
    return len(found)


def mode_summary(mode):
    """'graceful: 2 pings lost, traffic back after 0.3 s'."""
    rec = mode.get("recovery_seconds")
    back = "traffic did not come back" if rec is None else f"traffic back after {seconds(rec)}"
    return f"{mode.get('mode')}: {_plural(mode.get('pings_lost') or 0, 'ping')} lost, {back}"


def site_status(report, failover=None, drift=None):
    """(state, sentence, reason): state 'ok' (healthy), 'warn' (carries traffic, but the failover
    test failed or drift was found), 'bad' (verify failed) or 'none' (not verified); the sentence
    answers "is it healthy, and why"; reason is its short form for a table ('' when healthy)."""
    site = (report or failover or {}).get("site") or "this site"
    if not report:
        return "none", f"{site} has not been verified yet.", "not verified yet"
    if not report.get("ok"):
        msgs = report.get("messages") or ["the verification failed"]
        more = f" (and {_plural(len(msgs) - 1, 'more problem')})" if len(msgs) > 1 else ""
        return "bad", f"{site} is not healthy: {msgs[0]}{more}.", f"{msgs[0]}{more}"
    up, down = tunnel_counts(report)
    facts = ["both tunnels UP" if (up, down) == (2, 0) else f"{up} of {up + down} tunnels UP"]
    est, sessions = bgp_counts(report)
    if sessions:
        facts.append(f"BGP established on {est} of {_plural(sessions, 'session')}")
    elif report.get("routing") == "static":
        facts.append("static routes in place")
    if report.get("ping_ok"):
        facts.append("pings cross to the VPC")
    found = drift_count(drift)
    if failover and not failover.get("ok"):
        why = (failover.get("messages") or ["see below"])[0]
        return ("warn", f"{site} carries traffic ({', '.join(facts)}), but its last failover test failed: {why}.",
                f"failover test failed: {why}")
    if found:
        return ("warn", f"{site} carries traffic ({', '.join(facts)}), but drift was found: {_plural(found, 'difference')}.",
                f"drift: {_plural(found, 'difference')}")
    sentence = f"{site} is healthy: {', '.join(facts)}"
    if failover:
        sentence += "; the last failover test passed (" + "; ".join(mode_summary(m) for m in failover.get("modes") or []) + ")"
    return "ok", sentence + ".", ""


def _state_badge(value, good):
    if value is None:
        return badge("none", "not checked")
    return badge("ok" if str(value).lower() == good else "bad", value)


def _tunnels(report):
    rows = [[esc(t.get("index")), esc(t.get("outside_ip")), _state_badge(t.get("aws_status"), "up"),
             _state_badge(t.get("ike_state"), "up"), _state_badge(t.get("ipsec_state"), "up"),
             _state_badge(t.get("bgp_state"), "established") if report.get("routing") == "bgp" else "static",
             esc(words(t.get("accepted_route_count")))]
            for t in report.get("tunnels") or []]
    if not rows:
        return ""
    head = ["Tunnel", "AWS outside IP", "AWS status", "IKE", "IPsec", "Routing", ("Routes AWS accepted", "num")]
    return '<section id="tunnels"><h2>Tunnels</h2>' + table(head, rows) + "</section>"


def _bgp(report, failover):
    if report.get("routing") != "bgp":
        return ""
    est, sessions = bgp_counts(report)
    rows = [[esc(t.get("index")), esc(t.get("bgp_peer_ip")), _state_badge(t.get("bgp_state"), "established"),
             esc(words(t.get("prefixes_received"))), esc(words(t.get("prefixes_advertised")))]
            for t in report.get("tunnels") or [] if t.get("bgp_state") is not None]
    parts = ['<section id="bgp"><h2>BGP</h2>',
             f"<p>{est} of {esc(_plural(sessions, 'session'))} established.</p>" if sessions else
             '<p class="muted">BGP was not read on the device.</p>']
    if rows:
        parts.append(table(["Tunnel", "AWS peer", "State", ("Prefixes received", "num"), ("Prefixes advertised", "num")], rows))
    timers = ((failover or {}).get("timers") or {}).get("bgp")
    if isinstance(timers, dict):
        parts.append("<p>Timers in use (from the last failover test):</p>" + words_table(timers))
    return "\n".join(parts) + "</section>"


def _routes(report):
    parts = ['<section id="routes"><h2>Routes and traffic</h2>']
    facts = []
    if report.get("propagated_routes") is not None:
        facts.append(("Propagated into the VPC route tables", esc(words(report["propagated_routes"]))))
    tgw = report.get("transit_gateway_routes")
    if tgw is not None:
        routes = [f"{r.get('destination_cidr_block')} ({r.get('type')}, {r.get('state')})" for r in tgw.get("routes") or []]
        facts.append((f"In transit gateway route table {tgw.get('route_table_id')}", esc(words(routes))))
    if report.get("best_path_ok") is not None:
        facts.append(("Best path to the VPC uses the primary tunnel", yes_no_badge(report["best_path_ok"])))
    for target, ok in sorted((report.get("ping") or {}).items()):
        facts.append((f"Ping to {target}", yes_no_badge(ok, "reply", "no reply")))
    if facts:
        parts.append(kv_table(facts))
    if report.get("static_routes") is not None:
        rows = [[esc(r.get("destination_cidr_block")), _state_badge(r.get("state"), "available")] for r in report["static_routes"]]
        parts.append("<p>Static routes of the VPN connection:</p>" + (table(["Destination", "State"], rows) if rows else "<p>none</p>"))
    if len(parts) == 1:
        return ""
    return "\n".join(parts) + "</section>"


def _mode_facts(mode):
    down = mode.get("down_at")
    dirs = mode.get("directions") or {}
    lost = f"{mode.get('pings_lost')}"
    if len(dirs) > 1:
        lost += " (" + ", ".join(f"{label(d)} {v.get('lost')}" for d, v in dirs.items()) + ")"
    bound = []
    if mode.get("max_lost") is not None:
        bound.append(f"at most {mode['max_lost']} lost per direction")
    if mode.get("max_recovery_seconds") is not None:
        reason = f" ({mode['max_recovery_reason']})" if mode.get("max_recovery_reason") else ""
        bound.append(f"traffic back within {seconds(mode['max_recovery_seconds'])}{reason}")

    def rel(at):
        return "\u2014" if at is None or down is None else f"{at - down:+.1f} s after tunnel 1 went down"
    pairs = [("Result", badge("ok", "passed") if mode.get("ok") else badge("bad", "failed")),
             ("Pings sent", esc(mode.get("pings_sent"))), ("Pings lost", esc(lost)),
             ("Traffic back after", esc(seconds(mode.get("recovery_seconds"), 2))),
             ("Moved to tunnel 2", yes_no_badge(mode.get("moved_to_tunnel2"))),
             ("Tunnel 1 primary again", yes_no_badge(mode.get("restored_primary"))),
             ("Tunnel 1 went down", esc(when(down))),
             ("Traffic moved", esc(rel(mode.get("moved_at")))), ("Tunnel 1 restored", esc(rel(mode.get("restored_at")))),
             ("Pings lost after the restore", esc(mode.get("pings_lost_after_restore"))),
             ("Bounds", esc("; ".join(bound) or "none"))]
    return kv_table(pairs)


def _mode(mode):
    name = esc(mode.get("mode"))
    parts = [f'<h3 id="failover-{name}">{name.capitalize()} failover</h3>', timeline_svg(mode), _mode_facts(mode),
             problems(mode.get("messages"))]
    if mode.get("path"):
        parts.append("<p>Proof that the traffic moved to tunnel 2:</p>"
                     + kv_table((label(k), yes_no_badge(v)) for k, v in mode["path"].items()))
    return "\n".join(p for p in parts if p)


def _failover(failover):
    parts = ['<section id="failover"><h2>Failover test</h2>']
    if not failover:
        return parts[0] + '<p class="muted">No failover test has run on this site yet '\
            '(<code>playbooks/failover_test.yml</code>).</p></section>'
    verdict = badge("ok", "passed") if failover.get("ok") else badge("bad", "failed")
    parts.append(f"<p>{verdict} at {esc(when(failover.get('time')))}.</p>")
    context = []
    for role, text in (("primary", "Tunnel taken down"), ("backup", "Tunnel taking over")):
        tunnel = (failover.get("tunnels") or {}).get(role)
        if isinstance(tunnel, dict):
            context.append((text, esc(f"tunnel {tunnel.get('index')} ({tunnel.get('peer_outside_ip')})")))
    for direction, probe in (failover.get("probes") or {}).items():
        context.append((f"Pings {label(direction)}", esc(probe)))
    if failover.get("device_left_as_found") is not None:
        context.append(("Device left as found", yes_no_badge(failover["device_left_as_found"])))
    dpd = (failover.get("timers") or {}).get("dpd")
    if isinstance(dpd, dict):
        context.append(("Dead peer detection", esc(words(redact(dpd)))))
    if context:
        parts.append(kv_table(context))
    modes = failover.get("modes") or []
    if modes:
        rows = [[esc(m.get("mode")), badge("ok", "passed") if m.get("ok") else badge("bad", "failed"),
                 esc(m.get("pings_sent")), esc(m.get("pings_lost")), esc(seconds(m.get("recovery_seconds"), 2)),
                 yes_no_badge(m.get("moved_to_tunnel2")), yes_no_badge(m.get("restored_primary"))] for m in modes]
        parts.append(table(["Mode", "Result", ("Pings sent", "num"), ("Pings lost", "num"), "Traffic back after",
                            "Moved to tunnel 2", "Tunnel 1 primary again"], rows))
    per_mode = {msg for m in modes for msg in m.get("messages") or []}
    parts.append(problems([m for m in failover.get("messages") or [] if m not in per_mode]))
    parts.extend(_mode(m) for m in modes)
    return "\n".join(p for p in parts if p) + "</section>"


def _chain(failover):
    modes = [m for m in (failover or {}).get("modes") or [] if m.get("chain")]
    if not modes:
        return ""
    parts = ['<section id="chain"><h2>Monitoring chain</h2>',
             "<p>Each step after the tunnel change: CloudWatch alarm, SNS notification, the failover Lambda, "
             "the on-prem reaction. Seconds count from the moment tunnel 1 went down (or was restored).</p>"]
    for m in modes:
        rows = [[esc(c.get("step")), yes_no_badge(c.get("ok"), "done", "failed"), esc(seconds(c.get("seconds"))), esc(c.get("detail"))]
                for c in m["chain"]]
        parts.append(f"<h3>{esc(m.get('mode'))} failover</h3>" + table(["Step", "Result", "After", "Detail"], rows))
    return "\n".join(parts) + "</section>"


def _events(events):
    if not events:
        return ""
    shown = events[-EVENTS_SHOWN:]
    rows = [[esc(when(e.get("time"))), esc(e.get("tunnel_outside_ip")),
             esc("both tunnels down" if e.get("both_down") else f"tunnel {str(e.get('state') or '?').upper()}"),
             esc(e.get("action")), yes_no_badge(e.get("ok"), "done", "failed"),
             esc(seconds(e.get("seconds_after_event"))), esc(e.get("source"))] for e in shown]
    older = len(events) - len(shown)
    note = f'<p class="muted">{older} earlier events are in <a href="events.json">events.json</a>.</p>' if older else ""
    return ('<section id="events"><h2>On-prem reaction to tunnel events</h2>'
            "<p>What the tunnel-event rulebook did on the device after each tunnel change.</p>"
            + table(["Event time", "Tunnel", "Change", "On-prem action", "Result", "Reacted after", "Event source"], rows)
            + note + "</section>")


def _table_and_problems(parts, head, rows, messages):
    """Append the table (only when there are rows) and then the problems of one section part."""
    if rows:
        parts.append(table(head, rows))
    parts.append(problems(messages))


def _changes(changes):
    if not changes:
        return ""
    parts = ['<section id="day2"><h2>Day-2 changes</h2>']
    for c in changes:
        verdict = badge("ok", "done") if c.get("ok") else badge("bad", "failed")
        lost = c.get("lost") or {}
        loss = ", ".join(f"{label(d)} {n}" for d, n in lost.items()) if isinstance(lost, dict) else words(lost)
        parts.append(f"<h3>{esc(label(c.get('change') or 'change'))}</h3><p>{verdict} at {esc(when(c.get('time')))}; "
                     f"pings lost: {esc(loss or 'none')}.</p>")
        rows = [[esc(i), esc(s.get("step")), esc(s.get("tunnel")), yes_no_badge(s.get("ok"), "done", "failed"),
                 esc(seconds(s.get("seconds"))), esc(s.get("detail"))] for i, s in enumerate(c.get("steps") or [], 1)]
        _table_and_problems(parts, ["#", "Step", "Tunnel", "Result", "Took", "Detail"], rows, c.get("messages"))
    return "\n".join(p for p in parts if p) + "</section>"


def _drift(drift):
    if not drift:
        return ""
    found = drift_count(drift)
    parts = ['<section id="drift"><h2>Drift</h2>',
             f"<p>{badge('bad' if found else 'ok', _plural(found, 'difference') if found else 'no drift')} "
             f"between the inventory, AWS and the device at {esc(when(drift.get('time')))}.</p>"]
    rows = [[esc(d.get("tunnel")), esc(label(d.get("field")))] + [esc(words(d.get(side), d.get("field") or "")) for side in
                                                                  ("desired", "aws", "device")] + [esc(d.get("wrong"))]
            for d in redact(drift.get("differences") or [])]
    _table_and_problems(parts, ["Tunnel", "Setting", "Inventory (desired)", "AWS", "Device", "Wrong side"], rows,
                        drift.get("messages"))
    return "\n".join(p for p in parts if p) + "</section>"


def _failover_fact(failover):
    if not failover:
        return esc("never")
    verdict = badge("ok", "passed") if failover.get("ok") else badge("bad", "failed")
    costs = "; ".join(mode_summary(m) for m in failover.get("modes") or [])
    return f"{verdict} {esc(when(failover.get('time')))}" + (f"<br>{esc(costs)}" if costs else "")


def render_site_page(report, failover=None, events=None, changes=None, drift=None):
    """The site's page (see the module docstring)."""
    report = report or {}
    site = report.get("site") or (failover or {}).get("site") or "site"
    state, sentence, dummy = site_status(report, failover, drift)
    title = {"ok": "healthy", "warn": "needs attention", "bad": "NOT healthy", "none": "not verified"}[state]
    facts = [("VPN connection", esc(report.get("vpn_connection_id"))), ("Hub", esc(report.get("hub"))),
             ("Routing", esc({"bgp": "BGP (dynamic)", "static": "static"}.get(report.get("routing"), report.get("routing")))),
             ("Last verified", esc(when(report.get("time")))),
             ("Last failover test", _failover_fact(failover))]
    links = [("verify.json", report), ("failover.json", failover), ("events.json", events), ("drift.json", drift)]
    raw = [raw_details(data, f"Raw data: {name}", name) for name, data in links if data]
    raw += [raw_details(c, f"Raw data: {c.get('change') or 'day-2 change'}") for c in changes or []]
    body = [f'<div class="verdict {state}" id="verdict"><strong>{esc(title.capitalize())}.</strong> {esc(sentence)}</div>',
            kv_table(facts), problems(report.get("messages")), _tunnels(report), _bgp(report, failover), _routes(report),
            _failover(failover), _chain(failover), _events(events), _changes(changes), _drift(drift),
            '<section id="raw"><h2>Raw data</h2>' + "\n".join(raw) + "</section>" if raw else ""]
    newest = max((str(d.get("time")) for d in (report, failover, drift) if d and d.get("time")), default=None)
    nav = f'<a href="../index.html">All sites</a> / {esc(site)}'
    return page(f"{site}: {title}", "\n".join(b for b in body if b), nav=nav, generated=newest)
