# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The failover test's maths: raw ping output and timestamps -> per-mode results -> one report.

This is the one home of these definitions; the filters in ``plugins/filter/failover_report.py``,
the site page (``verify_report.render_html``) and ``bench/failover.py`` import them.

Ping timelines
    ``ping_timeline(stdout, interval=0.1)`` parses the output of iputils
    ``ping -D -O -n -i 0.1 -w N [-I src] target`` (Debian 12 and 13) into ``{target, interval,
    start, end, sent, received, lost, duplicates, errors, unparsed, seqs: [{seq, sent_at, ok}]}``.  Times are Unix
    epoch seconds (ping's ``-D``).  A seq is ``ok`` when at least one echo reply came back for it,
    late replies (after ``no answer yet``) included; ``DUP!`` replies are counted in
    ``duplicates`` and otherwise ignored; ``From X icmp_seq=N ...`` ICMP errors are not replies.
    ``sent`` is ping's own "packets transmitted" (or the highest seq seen when the summary is
    missing, e.g. the process was killed).  Send times: a reply's timestamp minus its rtt; a seq
    with ``no answer yet`` printed at time t (ping prints it when it sends the next one) was sent at
    t - interval; every other seq is interpolated between its neighbours' send times, and before
    the first/after the last known one extrapolated with the median measured spacing (ping's real
    spacing is a few ms more than ``-i``).

Mode results (``failover_mode_result``)
    - window: ``[down_at, restored_at)`` (``restored_at`` None: to the end of the pings).  Pings
      are assigned by send time and counted over both directions: ``pings_sent``,
      ``pings_lost``.  Loss before ``down_at`` is ignored; loss at or after ``restored_at`` is
      reported separately (``pings_lost_after_restore``).
    - ``recovery_seconds``: per direction, the send time of the first answered ping after the last
      lost ping in the window, minus ``down_at`` (no loss: the first answered ping at or after
      ``down_at``); over both directions the larger one.  None when traffic did not flow again
      before ``restored_at`` (it never moved) or there is no ping data.
    - ``moved_at = down_at + recovery_seconds``.
    - ``moved_to_tunnel2``: True only when every given side/direction boolean is True (a bool or
      a nested dict of bools, kept as ``path``).
    - ``timeline``: 100 ms buckets from the first ping sent, ``sent``/``lost`` counts per bucket
      over both directions (``lost_by_direction`` per direction), for the plot.
    - ``ok``: pings covered the window in every direction given, traffic flowed again before the
      restore, the path moved, the primary was restored, no chain step failed, each direction lost
      at most ``max_lost`` pings (the issue's "at most 1 ping at 10 per second" is per ping
      stream) and recovery <= ``max_recovery_seconds`` (each bound when given).  ``messages``
      say precisely what failed, starting with the mode.

Running ping for this: use ``-c COUNT`` (duration x 10), not ``-w``: iputils ping with a deadline
exits at its first ICMP error, e.g. the "Destination Net Unreachable" a device answers while BGP
switches paths, and the rest of the failover would not be measured (failover_mode_result reports
a run that stopped before the restore).
"""

from __future__ import annotations

import datetime
import math
import re

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_time import iso_utc
from ansible_collections.sitevpn.aws.plugins.module_utils.aws_time import to_epoch

BUCKET_S = 0.1
# a ping run must cover the window [down_at, restored_at) up to this margin
COVER_MARGIN_S = 0.5
DIRECTIONS = ("lan_to_vpc", "vpc_to_lan")

_TS = r"^\[(?P<ts>\d+(?:\.\d+)?)\]\s+"
_REPLY = re.compile(_TS + r"\d+ bytes from (?P<src>[^:\s]+):? .*?icmp_seq=(?P<seq>\d+)\b")
_RTT = re.compile(r"\btime=(?P<rtt>[\d.]+) ms")
_NO_ANSWER = re.compile(_TS + r"no answer yet for icmp_seq=(?P<seq>\d+)")
_ERROR = re.compile(_TS + r"From (?P<src>\S+) icmp_seq=(?P<seq>\d+) (?P<what>.*?)\s*$")
_HEADER = re.compile(r"^PING (?P<name>\S+) \((?P<ip>[^)]+)\)")
_SUMMARY = re.compile(r"(?P<sent>\d+) packets transmitted, (?P<received>\d+) (?:packets )?received")
_ANY_TS = re.compile(_TS)
# the rest of ping's normal output: the statistics header and the rtt line
_OTHER = re.compile(r"^(--- .* ping statistics ---|rtt |round-trip |pipe \d+$)")


def _lines(stdout):
    if stdout is None:
        return []
    if isinstance(stdout, (list, tuple)):
        return [str(line) for line in stdout]
    return str(stdout).splitlines()


def _median(values):
    values = sorted(values)
    n = len(values)
    if not n:
        return None
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def ping_timeline(stdout, interval=0.1):
    """The timeline of one ping run (see the module docstring); stdout is a string or its lines."""
    interval = float(interval)
    if interval <= 0 or math.isnan(interval):
        raise ValueError("interval must be > 0")
    target = None
    summary_sent = None
    replied = {}     # seq -> send time derived from the first reply
    no_answer = {}   # seq -> time of the first "no answer yet" for it
    errors = set()
    unparsed = []    # the first lines that are none of the above, e.g. "ping: connect: ..."
    duplicates = 0
    max_seq = 0
    first_ts = last_ts = None
    offset = 0       # icmp_seq is 16 bits: unwrap long runs
    prev_raw = None

    def unwrap(raw):
        nonlocal offset, prev_raw
        if prev_raw is not None and raw < prev_raw - 32768:
            offset += 65536
        elif prev_raw is not None and raw > prev_raw + 32768:
            return raw + offset - 65536  # a late line from before the wrap
        prev_raw = raw
        return raw + offset

    for line in _lines(stdout):
        line = line.strip()
        m = _ANY_TS.match(line)
        if m:
            ts = float(m.group("ts"))
            first_ts = ts if first_ts is None else min(first_ts, ts)
            last_ts = ts if last_ts is None else max(last_ts, ts)
        m = _REPLY.match(line)
        if m:
            seq = unwrap(int(m.group("seq")))
            max_seq = max(max_seq, seq)
            if "DUP!" in line or seq in replied:
                duplicates += 1
                continue
            rtt = _RTT.search(line)
            rtt = float(rtt.group("rtt")) / 1000.0 if rtt else 0.0
            replied[seq] = float(m.group("ts")) - rtt
            continue
        m = _NO_ANSWER.match(line)
        if m:
            seq = unwrap(int(m.group("seq")))
            max_seq = max(max_seq, seq)
            no_answer.setdefault(seq, float(m.group("ts")))
            continue
        m = _ERROR.match(line)
        if m:
            seq = unwrap(int(m.group("seq")))
            max_seq = max(max_seq, seq)
            errors.add(seq)
            continue
        m = _HEADER.match(line)
        if m and target is None:
            target = m.group("ip")
            continue
        m = _SUMMARY.search(line)
        if m:
            summary_sent = int(m.group("sent"))
        elif line and not _OTHER.match(line) and len(unparsed) < 3:
            unparsed.append(line[:200])

    sent = summary_sent if summary_sent is not None else max_seq
    if replied:
        sent = max(sent, *replied)  # a reply proves its seq was sent
    anchors = dict(replied)
    for seq, ts in no_answer.items():
        if seq not in anchors:
            anchors[seq] = ts - interval
    known = sorted(s for s in anchors if 1 <= s <= sent)
    spacing = [(anchors[b] - anchors[a]) / (b - a) for a, b in zip(known, known[1:])
               if a in replied and b in replied]
    spacing = spacing or [(anchors[b] - anchors[a]) / (b - a) for a, b in zip(known, known[1:])]
    step = _median(spacing) or interval

    seqs = []
    pos = 0
    for seq in range(1, sent + 1):
        while pos < len(known) and known[pos] < seq:
            pos += 1
        if seq in anchors:
            at = anchors[seq]
        elif not known:
            at = (first_ts - interval if first_ts is not None else 0.0) + (seq - 1) * step
        elif pos == 0:
            at = anchors[known[0]] - (known[0] - seq) * step
        elif pos == len(known):
            at = anchors[known[-1]] + (seq - known[-1]) * step
        else:
            lo, hi = known[pos - 1], known[pos]
            at = anchors[lo] + (anchors[hi] - anchors[lo]) * (seq - lo) / (hi - lo)
        seqs.append({"seq": seq, "sent_at": round(at, 6), "ok": seq in replied})

    received = sum(1 for s in seqs if s["ok"])
    times = [s["sent_at"] for s in seqs]
    start = min(times) if times else first_ts
    end = max(times + ([last_ts] if last_ts is not None else [])) if times or last_ts is not None else None
    return {
        "target": target,
        "interval": interval,
        "start": start,
        "end": end,
        "sent": sent,
        "received": received,
        "lost": sent - received,
        "duplicates": duplicates,
        "errors": len(errors - set(replied)),
        "unparsed": unparsed,
        "seqs": seqs,
    }


def _flatten_bools(value, prefix=""):
    """{"lan_to_vpc": {"device": True}} -> {"lan_to_vpc.device": True}; a bool -> {"all": bool}."""
    if isinstance(value, dict):
        out = {}
        for key, sub in value.items():
            out.update(_flatten_bools(sub, f"{prefix}{key}."))
        return out
    return {prefix[:-1] or "all": None if value is None else bool(value)}


def _bound(value, kind):
    """A bound as int/float; None or '' (a templated none) is no bound."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return kind(float(value))


def _direction_stats(timeline, down_at, restored_at):
    """Counts in the window and this direction's recovery for one timeline."""
    end = math.inf if restored_at is None else restored_at
    in_window = [s for s in timeline.get("seqs") or [] if down_at <= s["sent_at"] < end]
    lost = [s for s in in_window if not s["ok"]]
    after = [s for s in timeline.get("seqs") or [] if s["sent_at"] >= end]
    since = max(s["sent_at"] for s in lost) if lost else down_at
    answered = [s["sent_at"] for s in in_window if s["ok"] and (s["sent_at"] > since if lost else s["sent_at"] >= since)]
    recovery = (min(answered) - down_at) if answered else None
    return {
        "sent": len(in_window),
        "lost": len(lost),
        "lost_after_restore": sum(1 for s in after if not s["ok"]),
        "recovery_seconds": None if recovery is None else round(recovery, 3),
        "last_lost_at": round(since, 6) if lost else None,
    }


def _buckets(timelines):
    """100 ms buckets over every timeline given: start, sent, lost, lost per direction."""
    seqs = {name: tl.get("seqs") or [] for name, tl in timelines.items()}
    times = [s["sent_at"] for items in seqs.values() for s in items]
    if not times:
        return {"bucket_s": BUCKET_S, "start": None, "sent": [], "lost": [], "lost_by_direction": {}}
    # whole microseconds: float epochs (~0.2 us resolution) must not shift a ping across a boundary
    width = int(round(BUCKET_S * 1e6))
    start_us = int(round(min(times) * 1e6)) // width * width
    start = start_us / 1e6
    n = (int(round(max(times) * 1e6)) - start_us) // width + 1
    sent = [0] * n
    lost = [0] * n
    by_dir = {name: [0] * n for name in seqs}
    for name, items in seqs.items():
        for s in items:
            i = min(n - 1, (int(round(s["sent_at"] * 1e6)) - start_us) // width)
            sent[i] += 1
            if not s["ok"]:
                lost[i] += 1
                by_dir[name][i] += 1
    return {"bucket_s": BUCKET_S, "start": round(start, 3), "sent": sent, "lost": lost, "lost_by_direction": by_dir}


def failover_mode_result(data):
    """The result of one failover mode (graceful or silent); see the module docstring."""
    if not isinstance(data, dict):
        raise TypeError(f"failover_mode_result expects a dict, got {type(data).__name__}")
    mode = str(data.get("mode") or "failover")
    down_at = to_epoch(data.get("down_at"))
    if down_at is None:
        raise ValueError(f"{mode}: down_at is required")
    restored_at = to_epoch(data.get("restored_at"))
    messages = []

    timelines = {}
    per_direction = {}
    for name in DIRECTIONS:
        timeline = data.get(name)
        if timeline is None:
            continue
        if isinstance(timeline, (str, list)):
            timeline = ping_timeline(timeline)
        timelines[name] = timeline
        per_direction[name] = _direction_stats(timeline, down_at, restored_at)

    for name, timeline in timelines.items():
        seqs = timeline.get("seqs") or []
        if not seqs:
            said = "; ".join(timeline.get("unparsed") or []) or "nothing"
            messages.append(f"{mode}: {name.replace('_', ' ')} ping output has no ping in it (it said: {said})")
            continue
        # ping with -w exits at its first ICMP error: a run that stopped early measured nothing after
        last = max(s["sent_at"] for s in seqs)
        if restored_at is not None and last < restored_at - COVER_MARGIN_S:
            messages.append(f"{mode}: {name.replace('_', ' ')} pings stopped {restored_at - last:.1f} s before the restore")
        first = min(s["sent_at"] for s in seqs)
        if first > down_at + COVER_MARGIN_S:
            messages.append(f"{mode}: {name.replace('_', ' ')} pings started {first - down_at:.1f} s after tunnel 1 went down")

    pings_sent = sum(d["sent"] for d in per_direction.values())
    pings_lost = sum(d["lost"] for d in per_direction.values())
    if not per_direction:
        messages.append(f"{mode}: no ping data")
    elif not pings_sent and any(tl.get("seqs") for tl in timelines.values()):
        messages.append(f"{mode}: no ping was sent between tunnel down and restore")

    recovery = None
    not_recovered = [name for name, d in per_direction.items() if d["recovery_seconds"] is None and d["sent"]]
    if per_direction and pings_sent and not not_recovered:
        recovery = max(d["recovery_seconds"] for d in per_direction.values() if d["recovery_seconds"] is not None)
    for name in not_recovered:
        where = f"restore after {restored_at - down_at:.1f} s" if restored_at is not None else "end of pings"
        messages.append(f"{mode}: {name.replace('_', ' ')} traffic did not flow again before the {where}")
    moved_at = None if recovery is None else round(down_at + recovery, 6)

    path = _flatten_bools(data.get("moved_to_tunnel2"))
    moved = bool(path) and all(v is True for v in path.values())
    if not moved:
        failed = [k for k, v in path.items() if v is not True]
        messages.append(f"{mode}: traffic not proven to move to tunnel 2 ({', '.join(failed)})")

    restored_primary = data.get("restored_primary")
    if restored_primary is not True:
        messages.append(f"{mode}: tunnel 1 is not primary again after the restore")

    chain = list(data.get("chain") or [])
    for step in chain:
        if step.get("ok") is False:
            detail = f": {step['detail']}" if step.get("detail") else ""
            messages.append(f"{mode}: chain step '{step.get('step')}' failed{detail}")

    max_lost = _bound(data.get("max_lost"), int)
    if max_lost is not None:
        for name, d in per_direction.items():
            if d["lost"] > max_lost:
                messages.append(f"{mode}: {name.replace('_', ' ')} lost {d['lost']} pings > bound {max_lost}")
    max_recovery = _bound(data.get("max_recovery_seconds"), float)
    if max_recovery is not None and recovery is not None and recovery > max_recovery:
        reason = f" ({data['max_recovery_reason']})" if data.get("max_recovery_reason") else ""
        messages.append(f"{mode}: {pings_lost} pings lost, recovery {recovery:.1f} s > bound "
                        f"{max_recovery:.1f} s{reason}")

    result = {
        "mode": mode,
        "pings_sent": pings_sent,
        "pings_lost": pings_lost,
        "pings_lost_after_restore": sum(d["lost_after_restore"] for d in per_direction.values()),
        "recovery_seconds": recovery,
        "down_at": down_at,
        "moved_at": moved_at,
        "restored_at": restored_at,
        "moved_to_tunnel2": moved,
        "path": path,
        "restored_primary": restored_primary is True,
        "chain": chain,
        "directions": per_direction,
        "max_lost": max_lost,
        "max_recovery_seconds": max_recovery,
        "timeline": _buckets(timelines),
        "ok": not messages,
        "messages": messages,
    }
    if data.get("max_recovery_reason"):
        result["max_recovery_reason"] = str(data["max_recovery_reason"])
    if data.get("extra"):
        result["extra"] = dict(data["extra"])
    return result


def _is_result(mode):
    return isinstance(mode, dict) and "pings_sent" in mode and "timeline" in mode


def failover_report(data):
    """The site's failover report: {site, routing, time, timers, modes, ok, messages}.

    ``modes`` may hold mode results or the raw data ``failover_mode_result`` takes.
    ``time`` (epoch or ISO) defaults to now; it is reported as ISO 8601 UTC.
    """
    if not isinstance(data, dict):
        raise TypeError(f"failover_report expects a dict, got {type(data).__name__}")
    modes = [m if _is_result(m) else failover_mode_result(m) for m in data.get("modes") or []]
    messages = [msg for m in modes for msg in m.get("messages") or []]
    if not modes:
        messages.append(f"{data.get('site')}: no failover mode ran")
    when = to_epoch(data.get("time"))
    if when is None:
        when = datetime.datetime.now(datetime.timezone.utc).timestamp()
    return {
        "site": data.get("site"),
        "routing": data.get("routing"),
        "time": iso_utc(when),
        "timers": dict(data.get("timers") or {}),
        "modes": modes,
        "ok": not messages,
        "messages": messages,
    }
