# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The verify role's report: facts gathered on both sides of a site's VPN -> one report + messages.

``build_report(facts)`` takes::

    {
      "site": "site-bgp",
      "routing": "bgp" | "static",
      "primary_tunnel": 1,
      "site_prefixes": ["172.16.0.0/16"],
      "vpc_prefixes": ["10.0.0.0/16"],
      "connection": {...} | None,    # vpn_connection_info entry (snake_case): state, vgw_telemetry, routes
      "plan_tunnels": [...],          # tunnel_plan tunnels: index, peer_outside_ip, bgp.peer_ip or bgp_peer_ip
      "swanctl": ["...", "..."] | None,   # `swanctl --list-sas` output per tunnel (plan order)
      "bgp_summary": "{json}" | {} | None,   # FRR `show bgp summary json`
      "route_get": "..." | None,      # `ip route get <vpc host>` output
      "primary_dev": "vti1" | None,   # the interface the best path must use
      "propagated_routes": [...] | None,  # destination CIDRs propagated into the VPC route tables
      "ping": {"10.0.0.10": true} | [{"item": "10.0.0.10", "rc": 0}] | None,   # the latter: loop results
    }

and returns ``{"site", "ok", "messages", "tunnels": [{index, outside_ip, aws_status,
accepted_route_count, ike_state, ipsec_state, bgp_state, prefixes_received, prefixes_advertised}],
"propagated_routes", "static_routes", "ping", "ping_ok", "best_path_ok"}``.  Messages name the
tunnel and its outside IP, e.g. ``tunnel 2 (198.51.100.12): IKE up, BGP active``.
A fact given as None is not checked.
"""

from __future__ import annotations

import html
import json
import math
import re

from ansible_collections.sitevpn.aws.plugins.module_utils.failover_report import iso_utc


def parse_swanctl_sas(text):
    """(ike_state, ipsec_state) from ``swanctl --list-sas`` output: "up"/"down"."""
    text = text or ""
    ike = "up" if re.search(r":\s*#\d+,\s*ESTABLISHED", text) or " ESTABLISHED" in text else "down"
    ipsec = "up" if "INSTALLED" in text else "down"
    return ike, ipsec


def parse_frr_bgp_summary(data):
    """{peer IP: {"state", "pfx_rcd", "pfx_snt"}} from FRR's ``show bgp summary json``."""
    if isinstance(data, str):
        data = json.loads(data) if data.strip() else {}
    peers = {}
    for family in (data or {}).values():
        if not isinstance(family, dict):
            continue
        for ip, peer in (family.get("peers") or {}).items():
            peers[ip] = {
                "state": str(peer.get("state", "")).lower() or None,
                "pfx_rcd": peer.get("pfxRcd"),
                "pfx_snt": peer.get("pfxSnt"),
            }
    return peers


def _route_dev(text):
    m = re.search(r"\bdev\s+(\S+)", text or "")
    return m.group(1) if m else None


def _telemetry(connection):
    return {t.get("outside_ip_address"): t for t in (connection or {}).get("vgw_telemetry") or []}


def build_report(facts):
    """The report of one site (see the module docstring)."""
    messages = []
    site = facts.get("site")
    bgp = facts.get("routing", "bgp") == "bgp"
    connection = facts.get("connection")
    telemetry = _telemetry(connection)
    peers = parse_frr_bgp_summary(facts["bgp_summary"]) if bgp and facts.get("bgp_summary") is not None else None
    swanctl = facts.get("swanctl")

    if connection is None:
        messages.append(f"{site}: no VPN connection found")
    elif connection.get("state") != "available":
        messages.append(f"{site}: VPN connection {connection.get('vpn_connection_id')} is {connection.get('state')}")

    tunnels = []
    for pos, plan in enumerate(facts.get("plan_tunnels") or []):
        index = plan.get("index", pos + 1)
        ip = plan.get("peer_outside_ip") or plan.get("outside_ip")
        tele = telemetry.get(ip, {})
        entry = {
            "index": index,
            "outside_ip": ip,
            "aws_status": tele.get("status") if connection is not None else None,
            "accepted_route_count": tele.get("accepted_route_count"),
            "ike_state": None,
            "ipsec_state": None,
            "bgp_state": None,
            "prefixes_received": None,
            "prefixes_advertised": None,
        }
        if swanctl is not None:
            entry["ike_state"], entry["ipsec_state"] = parse_swanctl_sas(swanctl[pos] if pos < len(swanctl) else "")
        peer_ip = plan.get("bgp_peer_ip") or (plan.get("bgp") or {}).get("peer_ip") or plan.get("peer_inside_ip")
        if peers is not None:
            peer = peers.get(peer_ip) or {}
            entry["bgp_state"] = peer.get("state") or "missing"
            entry["prefixes_received"] = peer.get("pfx_rcd")
            entry["prefixes_advertised"] = peer.get("pfx_snt")
        tunnels.append(entry)

        problems = []
        if connection is not None and entry["aws_status"] != "UP":
            problems.append(f"AWS status {entry['aws_status'] or 'unknown'}")
        if swanctl is not None and (entry["ike_state"] != "up" or entry["ipsec_state"] != "up"):
            problems.append(f"IKE {entry['ike_state']}, IPsec {entry['ipsec_state']}")
        if peers is not None:
            if entry["bgp_state"] != "established":
                problems.append(f"BGP {entry['bgp_state']} with {peer_ip}")
            else:
                if not entry["prefixes_received"]:
                    problems.append("no VPC prefix received over BGP")
                if not entry["prefixes_advertised"] or entry["prefixes_advertised"] < len(facts.get("site_prefixes") or []):
                    problems.append(f"{entry['prefixes_advertised'] or 0} prefixes advertised, site has {len(facts.get('site_prefixes') or [])}")
        if bgp and connection is not None and entry["aws_status"] == "UP" and not entry["accepted_route_count"]:
            problems.append("AWS accepted no routes")
        if problems:
            ike = f"IKE {entry['ike_state']}" if entry["ike_state"] else None
            # lead with what is up, so "IKE up, BGP active" reads as the precise failure
            head = [ike] if ike and entry["ike_state"] == "up" else []
            detail = [p for p in problems if not (head and p.startswith("IKE "))]
            messages.append(f"tunnel {index} ({ip}): " + ", ".join(head + detail))

    routes = facts.get("propagated_routes")
    if routes is not None and bgp:
        for prefix in facts.get("site_prefixes") or []:
            if prefix not in routes:
                messages.append(f"{site}: site prefix {prefix} is not propagated into the VPC route tables")

    static_routes = None
    if connection is not None and not bgp:
        static_routes = [{"destination_cidr_block": r.get("destination_cidr_block"), "state": r.get("state")}
                         for r in connection.get("routes") or []]
        listed = {r["destination_cidr_block"]: r["state"] for r in static_routes}
        for prefix in facts.get("site_prefixes") or []:
            if listed.get(prefix) != "available":
                messages.append(f"{site}: static route {prefix} is {listed.get(prefix, 'missing')}")

    best_path_ok = None
    if facts.get("route_get") is not None and facts.get("primary_dev"):
        dev = _route_dev(facts["route_get"])
        best_path_ok = dev == facts["primary_dev"]
        if not best_path_ok:
            messages.append(f"{site}: best path to the VPC goes via {dev or 'nothing'}, "
                            f"not tunnel {facts.get('primary_tunnel', 1)} ({facts['primary_dev']})")

    ping = facts.get("ping")
    if isinstance(ping, list):
        # ansible's loop results: a reply is return code 0
        ping = {r.get("item"): r.get("rc") == 0 for r in ping}
    ping_ok = None
    if ping is not None:
        ping_ok = all(ping.values()) if ping else False
        for target, ok in sorted(ping.items()):
            if not ok:
                messages.append(f"{site}: no ping reply from {target}")

    return {
        "site": site,
        "ok": not messages,
        "messages": messages,
        "routing": "bgp" if bgp else "static",
        "vpn_connection_id": (connection or {}).get("vpn_connection_id"),
        "tunnels": tunnels,
        "propagated_routes": routes,
        "static_routes": static_routes,
        "best_path_ok": best_path_ok,
        "ping": ping,
        "ping_ok": ping_ok,
    }


_STYLE = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:0.5em 0}"
          "td,th{border:1px solid #999;padding:4px 8px;text-align:left}.ok{color:#070}.bad{color:#b00}"
          "svg{max-width:100%;height:auto}svg text{font-family:sans-serif;font-size:12px}")


def _page(title, body):
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n")


def _verdict(ok):
    return '<span class="ok">OK</span>' if ok else '<span class="bad">FAILED</span>'


def _e(value):
    return html.escape("-" if value is None else str(value))


def _rel(at, zero):
    """'+12.3 s' relative to zero, or '-'."""
    return "-" if at is None or zero is None else f"{at - zero:+.1f} s"


def _nice_step(span, ticks=10):
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 1800, 3600):
        if span / step <= ticks:
            return step
    return span / ticks


def _num(value):
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


def timeline_svg(mode):
    """An inline SVG plot of one mode's ping timeline: pings sent/lost per 100 ms over time, with
    vertical markers where tunnel 1 went down, where traffic moved and where tunnel 1 was restored.
    Seconds are relative to the moment tunnel 1 went down.  No script, no external reference."""
    tl = mode.get("timeline") or {}
    sent, lost = tl.get("sent") or [], tl.get("lost") or []
    if tl.get("start") is None or not sent:
        return "<p>No ping timeline.</p>"
    bucket = float(tl.get("bucket_s") or 0.1)
    zero = mode.get("down_at") if mode.get("down_at") is not None else tl["start"]
    x0, x1 = tl["start"] - zero, tl["start"] + len(sent) * bucket - zero
    width, height, left, right, top, bottom = 920, 300, 56, 20, 46, 78
    pw, ph = width - left - right, height - top - bottom
    ymax = max(*sent, 1)
    ystep = max(1, int(_nice_step(ymax, 5)))
    ymax = ystep * math.ceil(ymax / ystep)

    def x(t):
        return left + (t - x0) / (x1 - x0) * pw

    def y(v):
        return top + ph - v / ymax * ph

    def area(counts, colour, name):
        pts = [f"M{x(x0):.1f},{y(0):.1f}"]
        for i, v in enumerate(counts):
            t = x0 + i * bucket
            pts.append(f"L{x(t):.1f},{y(v):.1f}L{x(t + bucket):.1f},{y(v):.1f}")
        pts.append(f"L{x(x1):.1f},{y(0):.1f}Z")
        return f'<path class="{name}" d="{"".join(pts)}" fill="{colour}" stroke="none"/>'

    mode_name = _e(mode.get("mode"))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="plot-{mode_name}">',
           f'<title id="plot-{mode_name}">{mode_name} failover: pings sent and lost per 100 ms</title>',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>']
    # grid and axes
    xstep = _nice_step(x1 - x0)
    t = math.ceil(x0 / xstep) * xstep
    while t <= x1 + 1e-9:
        out.append(f'<line x1="{x(t):.1f}" y1="{top}" x2="{x(t):.1f}" y2="{top + ph}" stroke="#eee"/>'
                   f'<text x="{x(t):.1f}" y="{top + ph + 20}" text-anchor="middle">{_num(round(t, 6))}</text>')
        t += xstep
    v = 0
    while v <= ymax:
        out.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{left + pw}" y2="{y(v):.1f}" stroke="#eee"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
        v += ystep
    out.append(area(sent, "#9ecae1", "sent"))
    out.append(area(lost, "#d62728", "lost"))
    # a rug under the axis keeps a single lost ping visible on a long plot
    rug_w = max(pw / len(sent), 2.5)
    out.extend(f'<rect class="lost-rug" x="{x(x0 + i * bucket):.1f}" y="{top + ph + 2}" width="{rug_w:.1f}" height="5" '
               f'fill="#d62728"/>' for i, v in enumerate(lost) if v)
    out.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#333"/>'
               f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#333"/>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{top + ph + 37}" text-anchor="middle">'
               f'seconds since tunnel 1 went down</text>')
    out.append(f'<text x="14" y="{top + ph / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 14 {top + ph / 2:.1f})">pings per 100 ms</text>')
    # markers, labels staggered so close events stay readable
    markers = [("down", mode.get("down_at"), "#b00", "tunnel 1 down"),
               ("moved", mode.get("moved_at"), "#070", "traffic moved"),
               ("restored", mode.get("restored_at"), "#1f4e9c", "tunnel 1 restored")]
    row = 0
    for name, at, colour, label in markers:
        if at is None or not x0 <= at - zero <= x1:
            continue
        px = x(at - zero)
        anchor, dx = ("end", -4) if px > left + pw * 0.8 else ("start", 4)
        ly = 14 + 15 * (row % 2)
        row += 1
        text = f"{label} ({at - zero:+.1f} s)"
        out.append(f'<g class="marker-{name}"><line x1="{px:.1f}" y1="{ly + 4}" x2="{px:.1f}" y2="{top + ph}" '
                   f'stroke="{colour}" stroke-width="2" stroke-dasharray="6 3"/>'
                   f'<text x="{px + dx:.1f}" y="{ly}" text-anchor="{anchor}" fill="{colour}">{_e(text)}</text></g>')
    # legend
    ly = height - 18
    legend = [("rect", "#9ecae1", f"pings sent ({sum(sent)} plotted)"),
              ("rect", "#d62728", f"pings lost ({sum(lost)} plotted)"),
              ("line", "#b00", "tunnel 1 down"), ("line", "#070", "traffic moved to tunnel 2"),
              ("line", "#1f4e9c", "tunnel 1 restored")]
    lx = left
    for kind, colour, label in legend:
        if kind == "rect":
            out.append(f'<rect x="{lx}" y="{ly - 10}" width="14" height="10" fill="{colour}"/>')
        else:
            out.append(f'<line x1="{lx}" y1="{ly - 5}" x2="{lx + 14}" y2="{ly - 5}" stroke="{colour}" '
                       f'stroke-width="2" stroke-dasharray="6 3"/>')
        out.append(f'<text x="{lx + 18}" y="{ly}">{_e(label)}</text>')
        lx += 26 + 7 * len(label)
    out.append("</svg>")
    return "\n".join(out)


def _seconds(value):
    try:
        return None if value is None else f"{float(value):.1f}"
    except (TypeError, ValueError):
        return str(value)


def _flat(value, prefix=""):
    """[("bgp.hold_time", 30), ...] from nested dicts, in their order."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _flat(v, f"{prefix}{k}.")]
    return [(prefix[:-1], value)]


def _kv_table(pairs):
    return "<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in pairs) + "</table>"


def _mode_section(mode):
    down = mode.get("down_at")
    bound = []
    if mode.get("max_lost") is not None:
        bound.append(f"lost &le; {_e(mode['max_lost'])} per direction")
    if mode.get("max_recovery_seconds") is not None:
        reason = f" ({_e(mode['max_recovery_reason'])})" if mode.get("max_recovery_reason") else ""
        bound.append(f"recovery &le; {_e(mode['max_recovery_seconds'])} s{reason}")
    recovery = mode.get("recovery_seconds")
    pairs = [
        ("result", _verdict(mode.get("ok"))),
        ("mode", _e(mode.get("mode"))),
        ("pings_sent", _e(mode.get("pings_sent"))),
        ("pings_lost", _e(mode.get("pings_lost"))),
        ("recovery_seconds", _e(None if recovery is None else f"{recovery:.2f}")),
        ("moved_to_tunnel2", _e(mode.get("moved_to_tunnel2"))),
        ("restored_primary", _e(mode.get("restored_primary"))),
        ("tunnel 1 down at", _e(iso_utc(down) if down is not None else None)),
        ("traffic moved at", _e(_rel(mode.get("moved_at"), down))),
        ("tunnel 1 restored at", _e(_rel(mode.get("restored_at"), down))),
        ("pings lost after the restore", _e(mode.get("pings_lost_after_restore"))),
        ("bounds", ", ".join(bound) or "-"),
    ]
    parts = [f"<h3 id=\"failover-{_e(mode.get('mode'))}\">{_e(mode.get('mode'))} failover</h3>",
             _kv_table(pairs)]
    if mode.get("messages"):
        parts.append("<ul>" + "".join(f'<li class="bad">{_e(m)}</li>' for m in mode["messages"]) + "</ul>")
    if mode.get("path"):
        parts.append("<p>Path moved to tunnel 2, per direction and side:</p>" + _kv_table(
            (k, _verdict(v) if v is not None else "-") for k, v in mode["path"].items()))
    chain = mode.get("chain") or []
    if chain:
        rows = "".join(
            f"<tr><td>{_e(c.get('step'))}</td><td>{_verdict(c.get('ok')) if c.get('ok') is not None else '-'}</td>"
            f"<td>{_e(_seconds(c.get('seconds')))}</td><td>{_e(c.get('detail'))}</td></tr>\n"
            for c in chain)
        parts.append("<p>Monitoring chain:</p><table><tr><th>step</th><th>result</th>"
                     "<th>seconds after tunnel 1 went down (or was restored)</th><th>detail</th></tr>\n" + rows + "</table>")
    parts.append(timeline_svg(mode))
    return "\n".join(parts)


def render_failover(failover):
    """The failover section of a site's page (an HTML fragment)."""
    if not failover:
        return ""
    parts = ["<h2 id=\"failover\">Failover test</h2>",
             f"<p>{_verdict(failover.get('ok'))} &mdash; {_e(failover.get('time'))} "
             f"({_e(failover.get('routing'))})</p>"]
    context = []
    if failover.get("vpn_connection_id"):
        context.append(("VPN connection", _e(failover["vpn_connection_id"])))
    for role, label in (("primary", "tunnel taken down"), ("backup", "tunnel taking over")):
        tunnel = (failover.get("tunnels") or {}).get(role)
        if isinstance(tunnel, dict):
            context.append((label, _e(f"tunnel {tunnel.get('index')} ({tunnel.get('peer_outside_ip')})")))
    for direction, probe in (failover.get("probes") or {}).items():
        context.append((f"pings {direction}", _e(probe)))
    if failover.get("device_left_as_found") is not None:
        context.append(("device left as found", _verdict(failover["device_left_as_found"])))
    if context:
        parts.append(_kv_table(context))
    modes = failover.get("modes") or []
    if modes:
        cols = ("mode", "ok", "pings_sent", "pings_lost", "recovery_seconds", "moved_to_tunnel2", "restored_primary",
                "pings_lost_after_restore")
        rows = "".join(
            "<tr>" + "".join(f"<td>{_verdict(m.get(c)) if c == 'ok' else _e(m.get(c))}</td>" for c in cols) + "</tr>\n"
            for m in modes)
        parts.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>\n" + rows + "</table>")
    if failover.get("timers"):
        parts.append("<p>Timers used:</p>" + _kv_table((k, _e(v)) for k, v in _flat(failover["timers"])))
    # the modes' own messages are shown with each mode
    per_mode = {msg for m in modes for msg in m.get("messages") or []}
    others = [m for m in failover.get("messages") or [] if m not in per_mode]
    if others:
        parts.append("<ul>" + "".join(f'<li class="bad">{_e(m)}</li>' for m in others) + "</ul>")
    parts.extend(_mode_section(m) for m in modes)
    return "\n".join(parts)


def render_html(report, failover=None):
    """A self-contained HTML page of one site's report, with its failover test when given."""
    cols = ("index", "outside_ip", "aws_status", "accepted_route_count", "ike_state", "ipsec_state",
            "bgp_state", "prefixes_received", "prefixes_advertised")
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(t.get(c)))}</td>" for c in cols) + "</tr>\n"
                   for t in report.get("tunnels") or [])
    parts = [
        f"<p>{_verdict(report.get('ok'))} &mdash; {html.escape(str(report.get('vpn_connection_id')))} "
        f"({html.escape(str(report.get('routing')))})</p>",
        "<table><tr>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>\n" + rows + "</table>",
        f"<p>Propagated routes: {html.escape(', '.join(report.get('propagated_routes') or []) or '-')}</p>",
        f"<p>Best path via the primary tunnel: {html.escape(str(report.get('best_path_ok')))}; "
        f"ping: {html.escape(json.dumps(report.get('ping')))}</p>",
    ]
    if report.get("messages"):
        parts.append("<ul>" + "".join(f'<li class="bad">{html.escape(m)}</li>' for m in report["messages"]) + "</ul>")
    if failover:
        parts.append(render_failover(failover))
    return _page(f"VPN verify: {report.get('site')}", "\n".join(parts))


def _failover_cell(failover):
    if not failover:
        return "-"
    summary = []
    for m in failover.get("modes") or []:
        rec = m.get("recovery_seconds")
        summary.append(f"{m.get('mode')}: {m.get('pings_lost')} lost, "
                       + ("no recovery" if rec is None else f"{rec:.1f} s"))
    return f"{_verdict(failover.get('ok'))} {_e('; '.join(summary))}"


def render_index(reports, failovers=None):
    """A self-contained HTML index over the reports of all sites, with each site's failover test
    result when ``failovers`` (a list of failover reports, or a dict keyed by site) is given."""
    if isinstance(failovers, dict):
        by_site = dict(failovers)
    else:
        by_site = {f.get("site"): f for f in failovers or [] if isinstance(f, dict)}
    rows = "".join(
        f"<tr><td><a href=\"{html.escape(r.get('site') or '')}/verify.html\">{html.escape(r.get('site') or '')}</a></td>"
        f"<td>{_verdict(r.get('ok'))}</td><td>{len(r.get('messages') or [])}</td>"
        f"<td>{_failover_cell(by_site.get(r.get('site')))}</td></tr>\n"
        for r in sorted(reports, key=lambda r: r.get("site") or ""))
    return _page("VPN verify", "<table><tr><th>site</th><th>result</th><th>problems</th><th>failover</th></tr>\n"
                 + rows + "</table>")
