# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The failover timeline plot of a site's page: an inline SVG drawn from one mode's result.

Colours come from the page's stylesheet (``report_html.STYLESHEET``: classes ``sent``, ``lost``,
``marker-*``), so the plot follows dark mode and prints; no script, no external reference.
"""

from __future__ import annotations

import math

from ansible_collections.sitevpn.aws.plugins.module_utils.report_html import esc


def _nice_step(span, ticks=10):
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 1800, 3600):
        if span / step <= ticks:
            return step
    return span / ticks


def _num(value):
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


def _legend(left, y):
    out = []
    items = [("rect", "sent", "pings sent"), ("rect", "lost", "pings lost"), ("line", "down", "tunnel 1 down"),
             ("line", "moved", "traffic moved to tunnel 2"), ("line", "restored", "tunnel 1 restored")]
    lx = left
    for kind, name, text in items:
        if kind == "rect":
            out.append(f'<rect class="{name}" x="{lx}" y="{y - 10}" width="14" height="10"/>')
        else:
            out.append(f'<g class="marker-{name}"><line x1="{lx}" y1="{y - 5}" x2="{lx + 14}" y2="{y - 5}" '
                       f'stroke-width="2" stroke-dasharray="6 3"/></g>')
        out.append(f'<text x="{lx + 18}" y="{y}">{esc(text)}</text>')
        lx += 26 + 7 * len(text)
    return out


def timeline_svg(mode):
    """An inline SVG plot of one mode's ping timeline: pings sent/lost per 100 ms over time, with
    vertical markers where tunnel 1 went down, where traffic moved and where tunnel 1 was restored.
    Seconds are relative to the moment tunnel 1 went down."""
    tl = mode.get("timeline") or {}
    sent, lost = tl.get("sent") or [], tl.get("lost") or []
    if tl.get("start") is None or not sent:
        return '<p class="muted">No ping timeline.</p>'
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

    def area(counts, name):
        pts = [f"M{x(x0):.1f},{y(0):.1f}"]
        for i, v in enumerate(counts):
            t = x0 + i * bucket
            pts.append(f"L{x(t):.1f},{y(v):.1f}L{x(t + bucket):.1f},{y(v):.1f}")
        pts.append(f"L{x(x1):.1f},{y(0):.1f}Z")
        return f'<path class="{name}" d="{"".join(pts)}"/>'

    mode_name = esc(mode.get("mode"))
    out = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-labelledby="plot-{mode_name}">',
           f'<title id="plot-{mode_name}">{mode_name} failover: pings sent and lost per 100 ms</title>',
           f'<rect class="bg" x="0" y="0" width="{width}" height="{height}"/>']
    xstep = _nice_step(x1 - x0)
    t = math.ceil(x0 / xstep) * xstep
    while t <= x1 + 1e-9:
        out.append(f'<line class="grid" x1="{x(t):.1f}" y1="{top}" x2="{x(t):.1f}" y2="{top + ph}"/>'
                   f'<text x="{x(t):.1f}" y="{top + ph + 20}" text-anchor="middle">{_num(round(t, 6))}</text>')
        t += xstep
    v = 0
    while v <= ymax:
        out.append(f'<line class="grid" x1="{left}" y1="{y(v):.1f}" x2="{left + pw}" y2="{y(v):.1f}"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
        v += ystep
    out.append(area(sent, "sent"))
    out.append(area(lost, "lost"))
    # a rug under the axis keeps a single lost ping visible on a long plot
    rug_w = max(pw / len(sent), 2.5)
    out.extend(f'<rect class="lost-rug" x="{x(x0 + i * bucket):.1f}" y="{top + ph + 2}" width="{rug_w:.1f}" height="5"/>'
               for i, v in enumerate(lost) if v)
    out.append(f'<line class="axis" x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}"/>'
               f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}"/>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{top + ph + 37}" text-anchor="middle">'
               f'seconds since tunnel 1 went down</text>')
    out.append(f'<text x="14" y="{top + ph / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 14 {top + ph / 2:.1f})">pings per 100 ms</text>')
    # markers, labels staggered so close events stay readable
    markers = [("down", mode.get("down_at"), "tunnel 1 down"), ("moved", mode.get("moved_at"), "traffic moved"),
               ("restored", mode.get("restored_at"), "tunnel 1 restored")]
    row = 0
    for name, at, text in markers:
        if at is None or not x0 <= at - zero <= x1:
            continue
        px = x(at - zero)
        anchor, dx = ("end", -4) if px > left + pw * 0.8 else ("start", 4)
        ly = 14 + 15 * (row % 2)
        row += 1
        out.append(f'<g class="marker-{name}"><line x1="{px:.1f}" y1="{ly + 4}" x2="{px:.1f}" y2="{top + ph}" '
                   f'stroke-width="2" stroke-dasharray="6 3"/>'
                   f'<text x="{px + dx:.1f}" y="{ly}" text-anchor="{anchor}">{esc(f"{text} ({at - zero:+.1f} s)")}</text></g>')
    out.extend(_legend(left, height - 18))
    out.append(f'<text class="totals" x="{left + pw:.1f}" y="{height - 2}" text-anchor="end">'
               f'{sum(sent)} pings sent, {sum(lost)} lost (plotted)</text>')
    out.append("</svg>")
    return "\n".join(out)
