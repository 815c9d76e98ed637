# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one template home of every report page (index, verify, failover, events, day-2, drift).

``page()`` wraps a body in the shared shell: one stylesheet (light and dark colours, print rules),
a Content-Security-Policy that lets the page load nothing at all (no CDN, no font, no image from
anywhere), and, for pages that ask for it, the small table script (sorting, filtering).
The helpers turn report values into words and units (``yes``, ``30 s``, human labels instead of
field names) and show raw data one click away (``raw_details``).  Every value is escaped, and
anything under a key that names a secret is replaced before rendering (``redact``).
"""

from __future__ import annotations

import datetime
import html
import json
import re

# the page may load nothing: styles and the table script are inline, images are data: or SVG
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

STYLESHEET = """
:root{--bg:#fff;--fg:#1b1f24;--muted:#5b6470;--line:#d5dae0;--head:#f3f5f7;--card:#f7f9fb;
--ok:#0a7a33;--ok-bg:#e3f5e9;--warn:#8a5a00;--warn-bg:#fff3d6;--bad:#b3261e;--bad-bg:#fde7e5;
--link:#0b5cad;--sent:#9ecae1;--lost:#d62728;--down:#b3261e;--moved:#0a7a33;--restored:#1f4e9c;--grid:#e6e9ed}
@media (prefers-color-scheme:dark){:root{--bg:#15181c;--fg:#e3e7eb;--muted:#9aa4af;--line:#39414a;--head:#20252b;
--card:#1c2126;--ok:#5fd38a;--ok-bg:#133522;--warn:#f0c05a;--warn-bg:#3a2e10;--bad:#ff8a80;--bad-bg:#42201d;
--link:#7ab7ff;--sent:#2f6d94;--lost:#ff6b6b;--down:#ff8a80;--moved:#5fd38a;--restored:#8fb4ff;--grid:#2a3036}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
header,main,footer{max-width:1400px;margin:0 auto;padding:0 20px}
header{padding-top:16px}header nav{font-size:13px;color:var(--muted)}
h1{font-size:22px;margin:6px 0 10px}h2{font-size:18px;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
a{color:var(--link)}footer{color:var(--muted);font-size:12px;margin-top:32px;padding-bottom:24px}
table{border-collapse:collapse;margin:6px 0 10px;font-variant-numeric:tabular-nums}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
thead th,table.kv th{background:var(--head);font-weight:600}
table.kv th{width:16em}td.num,th.num{text-align:right}
.verdict{font-size:17px;padding:12px 16px;border-radius:6px;border-left:6px solid;margin:8px 0 14px}
.verdict.ok{background:var(--ok-bg);border-color:var(--ok)}.verdict.warn{background:var(--warn-bg);border-color:var(--warn)}
.verdict.bad{background:var(--bad-bg);border-color:var(--bad)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.ok{color:var(--ok);background:var(--ok-bg)}.badge.warn{color:var(--warn);background:var(--warn-bg)}
.badge.bad{color:var(--bad);background:var(--bad-bg)}.badge.none{color:var(--muted);background:var(--head)}
.ok{color:var(--ok)}.bad{color:var(--bad)}.muted{color:var(--muted)}
ul.problems li{color:var(--bad)}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0 16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:150px}
.card .n{font-size:24px;font-weight:700}.card.bad .n{color:var(--bad)}
table.sites td:last-child{width:100%;max-width:0;overflow:hidden;text-overflow:ellipsis;color:var(--bad)}.card .l{color:var(--muted);font-size:12px}
.toolbar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}
.toolbar input,.toolbar select{font:inherit;padding:4px 8px;background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:4px}
table.sites{width:100%;font-size:13px}table.sites td,table.sites th{padding:3px 7px;white-space:nowrap}
table.sites thead th{position:sticky;top:0;z-index:1}
th.sortable{cursor:pointer;user-select:none}th.sortable:after{content:" \\2195";color:var(--muted)}
th[aria-sort=ascending]:after{content:" \\2191"}th[aria-sort=descending]:after{content:" \\2193"}
tbody tr:nth-child(even) td{background:color-mix(in srgb,var(--head) 45%,transparent)}
details{margin:6px 0}summary{cursor:pointer;color:var(--link)}
pre{background:var(--card);border:1px solid var(--line);padding:8px;overflow:auto;max-height:480px;font-size:12px}
svg{max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif;fill:var(--fg)}
svg .bg{fill:var(--bg)}svg .grid{stroke:var(--grid)}svg .axis{stroke:var(--fg)}
svg .sent{fill:var(--sent)}svg .lost,svg .lost-rug{fill:var(--lost)}
svg .marker-down line{stroke:var(--down)}svg .marker-down text{fill:var(--down)}
svg .marker-moved line{stroke:var(--moved)}svg .marker-moved text{fill:var(--moved)}
svg .marker-restored line{stroke:var(--restored)}svg .marker-restored text{fill:var(--restored)}
@media print{body{font-size:11px;background:#fff;color:#000}.toolbar,.noprint,details{display:none}
header,main,footer{max-width:none;padding:0}a{color:#000;text-decoration:none}
table.sites thead th{position:static}section,tr,svg{break-inside:avoid}
.verdict,.badge,.card{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

# Sorting (click a header of a table.sortable; data-sort holds the sort key) and filtering (the
# text box and the status menu of a table with data-filter). No library: nothing may be loaded.
TABLE_SCRIPT = """
(function(){
"use strict";
function key(td){var v=td.getAttribute("data-sort");if(v===null)v=td.textContent.trim();
var n=Number(v);return v!==""&&!isNaN(n)?n:v.toLowerCase();}
function sortBy(table,th){var i=Array.prototype.indexOf.call(th.parentNode.children,th);
var dir=th.getAttribute("aria-sort")==="ascending"?-1:1;var body=table.tBodies[0];
var rows=Array.prototype.slice.call(body.rows);
rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]);
if(typeof x!==typeof y){x=String(x);y=String(y);}return x<y?-dir:x>y?dir:0;});
Array.prototype.forEach.call(th.parentNode.children,function(h){h.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",dir===1?"ascending":"descending");
rows.forEach(function(r){body.appendChild(r);});}
function filter(table){var box=document.getElementById(table.getAttribute("data-filter"));
var text=(box.querySelector("input").value||"").toLowerCase();var status=box.querySelector("select").value;
var shown=0,rows=table.tBodies[0].rows;
for(var j=0;j<rows.length;j++){var r=rows[j];
var ok=(!text||r.textContent.toLowerCase().indexOf(text)>=0)&&(!status||r.getAttribute("data-status")===status);
r.hidden=!ok;if(ok)shown++;}
box.querySelector("output").textContent="showing "+shown+" of "+rows.length;}
document.querySelectorAll("table.sortable").forEach(function(table){
table.querySelectorAll("thead th.sortable").forEach(function(th){
th.tabIndex=0;th.addEventListener("click",function(){sortBy(table,th);});
th.addEventListener("keydown",function(e){if(e.key==="Enter")sortBy(table,th);});});
if(table.getAttribute("data-filter")){var box=document.getElementById(table.getAttribute("data-filter"));
box.querySelector("input").addEventListener("input",function(){filter(table);});
box.querySelector("select").addEventListener("change",function(){filter(table);});filter(table);}});
})();
"""

# keys whose values are never shown, whatever the report holds (issue 9: no key in any report)
_SECRET_KEY = re.compile(r"(psk|pre_?shared_?key|secret|password|passphrase|private_?key|token|credential)", re.I)
REDACTED = "(hidden)"

# field names -> what an engineer reads; anything else: underscores become spaces
LABELS = {
    "lan_to_vpc": "LAN \u2192 VPC", "vpc_to_lan": "VPC \u2192 LAN", "all": "all",
    "bgp": "BGP", "dpd": "DPD", "ike": "IKE", "hold_time": "hold time", "keepalive": "keepalive",
    "configured_hold_time": "configured hold time", "configured_keepalive": "configured keepalive",
    "timeout_seconds": "timeout", "interval_seconds": "interval", "device_dpd_action": "device DPD action",
    "device_close_action": "device close action", "device_route": "device route to the VPC",
    "device_out": "device sends on it", "device_in": "device receives on it",
    "device_bgp_best_path": "device BGP best path", "aws_side": "AWS side",
    "source": "source", "vpn_connection_id": "VPN connection",
}
# fields measured in seconds (besides any *_seconds)
_SECONDS = {"hold_time", "keepalive", "configured_hold_time", "configured_keepalive", "seconds", "interval"}


def esc(value):
    """Escaped text; None is a dash."""
    return "\u2014" if value is None else html.escape(str(value))


_WORDS = {"bgp": "BGP", "dpd": "DPD", "ike": "IKE", "dh": "DH", "aws": "AWS", "vpn": "VPN", "ip": "IP", "lan": "LAN",
          "vpc": "VPC", "sns": "SNS", "ipsec": "IPsec", "cidr": "CIDR", "asn": "ASN"}


def label(key):
    """A human label for a field name: ``dpd_timeout_seconds`` -> ``DPD timeout`` (the value
    carries the unit, see words())."""
    key = str(key)
    if key in LABELS:
        return LABELS[key]
    parts = key.split(".")
    if len(parts) > 1:
        return " ".join(label(p) for p in parts)
    tokens = key.split("_")
    if len(tokens) > 1 and tokens[-1] == "seconds":
        tokens.pop()
    return " ".join(_WORDS.get(t.lower(), t) for t in tokens)


def number(value, digits=1):
    """A number without needless decimals: 30.0 -> 30, 0.25 -> 0.3 (digits=1)."""
    value = float(value)
    if value.is_integer():
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


def seconds(value, digits=1):
    """'30 s', '0.3 s', '2 min 5 s'; None is a dash."""
    if value is None or value == "":
        return "\u2014"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if value >= 120:
        minutes, rest = divmod(round(value), 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    return f"{number(value, digits)} s"


def words(value, key=""):
    """A report value in words and units (plain text, not escaped)."""
    if value is None:
        return "\u2014"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and (str(key).endswith("_seconds") or str(key).rsplit(".", maxsplit=1)[-1] in _SECONDS):
        return seconds(value)
    if isinstance(value, float):
        return number(value, 2)
    if isinstance(value, (list, tuple)):
        return ", ".join(words(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{label(k)}: {words(v, k)}" for k, v in value.items()) or "none"
    return str(value)


def redact(value):
    """A copy of value with every secret-named key's value replaced."""
    if isinstance(value, dict):
        return {k: (REDACTED if _SECRET_KEY.search(str(k)) and v not in (None, "") else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


def flat(value, prefix=""):
    """[("bgp.hold_time", 30), ...] from nested dicts, in their order."""
    if isinstance(value, dict) and value:
        return [pair for k, v in value.items() for pair in flat(v, f"{prefix}{k}.")]
    return [(prefix[:-1], value)]


def badge(state, text):
    """A coloured label: state is 'ok', 'warn', 'bad' or 'none' (grey)."""
    return f'<span class="badge {state}">{esc(text)}</span>'


def yes_no_badge(value, yes="yes", no="no"):
    if value is None:
        return badge("none", "not checked")
    return badge("ok", yes) if value else badge("bad", no)


def kv_table(pairs):
    """A two-column table; values are HTML already (use esc() or words())."""
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in pairs)
    return f'<table class="kv">{rows}</table>'


def words_table(value):
    """A dict as a two-column table of human labels and values in words."""
    return kv_table((label(k).capitalize(), esc(words(v, k))) for k, v in flat(redact(value)))


def table(head, rows, cls=""):
    """A table with a header row; head is a list of labels (a tuple (label, 'num') right-aligns),
    rows lists of HTML cells (or (html, sort_key) tuples)."""
    ths = []
    for h in head:
        text, kind = (h if isinstance(h, tuple) else (h, ""))
        ths.append(f'<th class="{kind}">{esc(text)}</th>' if kind else f"<th>{esc(text)}</th>")
    body = []
    for row in rows:
        cells = []
        for cell in row:
            if isinstance(cell, tuple):
                cells.append(f'<td data-sort="{esc(cell[1])}">{cell[0]}</td>')
            else:
                cells.append(f"<td>{cell}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><thead><tr>{''.join(ths)}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>"


def problems(messages):
    if not messages:
        return ""
    return '<ul class="problems">' + "".join(f"<li>{esc(m)}</li>" for m in messages) + "</ul>"


def raw_details(data, what="raw data", link=None):
    """The raw report one click away: a collapsed JSON block (secrets hidden), and its file."""
    text = html.escape(json.dumps(redact(data), indent=2, sort_keys=True, default=str))
    linked = f' (<a href="{esc(link)}">{esc(link)}</a>)' if link else ""
    return f"<details><summary>{esc(what)}</summary>{linked}<pre>{text}</pre></details>"


def when(value):
    """'2026-11-25 14:02:03 UTC' from an ISO time or epoch; None is a dash."""
    if value in (None, ""):
        return "\u2014"
    try:
        if isinstance(value, (int, float)):
            moment = datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
        else:
            moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def page(title, body, nav="", script=False, generated=None):
    """A complete, self-contained HTML page in the shared shell; generated: the data's time."""
    script_tag = f"<script>{TABLE_SCRIPT}</script>\n" if script else ""
    # the newest report's time, not now: the same reports give the same page
    footer = f", data as of {esc(when(generated))}" if generated else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            "<meta name=\"color-scheme\" content=\"light dark\">"
            f"<title>{esc(title)}</title><style>{STYLESHEET}</style></head>\n<body>\n"
            f"<header>{f'<nav>{nav}</nav>' if nav else ''}<h1>{esc(title)}</h1></header>\n<main>\n{body}\n</main>\n"
            f"<footer>sitevpn.aws report{footer}.</footer>\n"
            f"{script_tag}</body></html>\n")
