"""Alarm evaluation, the metric data index it reads, and moto's CloudWatch backend wrapped.

moto 5.2.5 stores alarms and metric data but never evaluates: alarms start in OK and stay
there. With the wrappers lab/api/patches.py puts on ``CloudWatchBackend``,

- a new alarm starts in INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"); updating
  an alarm keeps its state, as AWS does;
- metric alarms are evaluated when PutMetricData arrives for their metric and, from the
  background evaluator (evaluator.py), once per period (so missing data and passing periods
  count): Period, EvaluationPeriods, DatapointsToAlarm, Statistic / ExtendedStatistic (pNN),
  Unit, the exact dimension set, ComparisonOperator, Threshold and TreatMissingData are
  honoured, and a single-metric ``Metrics`` query (MetricStat, no expression) is evaluated the
  same way; with missing data treated as missing or ignored, the most recent N periods that
  have data within a range of N + 2 periods are judged, as AWS's evaluation range does;
  evaluations of an alarm never go back in time (a busy process may run one late);
- lab time runs ``time_factor`` times faster than real time: a 60 s period lasts
  60 / time_factor real seconds;
- every state change (evaluation or SetAlarmState) updates StateValue / StateReason /
  StateReasonData / StateUpdatedTimestamp and runs what follows it (actions.py).
"""

from __future__ import annotations

import bisect
import json
import math
import threading
import time
from typing import Any

from lab.api.cloudwatch import history
from lab.api.cloudwatch.actions import after_change
from lab.api.cloudwatch.common import LOCK, aws_time, epoch, real_period, scale_since, state_of, utc

COMPARISONS = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}
EVALUATION_RANGE_EXTRA = 2  # periods an alarm looks back beyond N for data (missing / ignore)


# --------------------------------------------------------------------------- evaluation


class _Spec:
    __slots__ = ("namespace", "metric_name", "dimensions", "stat", "extended", "unit", "period", "metric_id")

    def __init__(self, **kwargs: Any) -> None:
        for key, value in kwargs.items():
            setattr(self, key, value)


def _spec(alarm: Any) -> _Spec | None:
    if alarm.rule is not None or alarm.comparison_operator not in COMPARISONS or alarm.threshold is None:
        return None
    if alarm.metric_name:
        return _Spec(
            namespace=alarm.namespace,
            metric_name=alarm.metric_name,
            dimensions={(d.name, d.value) for d in alarm.dimensions},
            stat=alarm.statistic,
            extended=alarm.extended_statistic,
            unit=alarm.unit,
            period=int(alarm.period or 60),
            metric_id=None,
        )
    queries = [q for q in alarm.metric_data_queries if q.metric_stat is not None]
    if len(queries) != 1 or any(q.expression for q in alarm.metric_data_queries):
        return None  # metric math is not evaluated
    stat = queries[0].metric_stat
    name = stat.stat or "Average"
    return _Spec(
        namespace=stat.metric.namespace,
        metric_name=stat.metric.metric_name,
        dimensions={(d.name, d.value) for d in stat.metric.dimensions},
        stat=None if name.startswith("p") else name,
        extended=name if name.startswith("p") else None,
        unit=stat.unit,
        period=int(stat.period or alarm.period or 60),
        metric_id=queries[0].id,
    )


def _matches(datum: Any, spec: _Spec) -> bool:
    if datum.namespace != spec.namespace or datum.name != spec.metric_name:
        return False
    if spec.unit and datum.unit and datum.unit != spec.unit:
        return False
    return {(d.name, d.value) for d in datum.dimensions} == spec.dimensions


def _statistic(datums: list[Any], spec: _Spec) -> float:
    values: list[float] = []
    count = total = 0.0
    low, high = math.inf, -math.inf
    for datum in datums:
        if hasattr(datum, "value"):
            values.append(datum.value)
            count += 1
            total += datum.value
            low, high = min(low, datum.value), max(high, datum.value)
        else:
            count += datum.sample_count
            total += datum.sum
            low, high = min(low, datum.min), max(high, datum.max)
    if spec.extended:
        ordered = sorted(values) or [total / count]
        rank = float(spec.extended[1:]) / 100.0
        return ordered[min(len(ordered) - 1, max(0, math.ceil(rank * len(ordered)) - 1))]
    stat = spec.stat or "Average"
    return {"SampleCount": count, "Sum": total, "Minimum": low, "Maximum": high}.get(stat, total / count)


def _fmt_value(value: float) -> str:
    return repr(float(value))


def evaluate(backend: Any, alarm: Any, now: float | None = None) -> bool:
    """Evaluate one alarm; True when its state changed."""
    spec = _spec(alarm)
    if spec is None:
        return False
    now = time.time() if now is None else now
    # a caller that was held up (a busy process) must not evaluate a window older than one
    # already evaluated: AWS's evaluations move forward only
    now = max(now, getattr(alarm, "lab_evaluated_at", 0.0))
    alarm.lab_evaluated_at = now
    period = real_period(spec.period)
    evaluation_periods = max(int(alarm.evaluation_periods or 1), 1)
    to_alarm = max(int(alarm.datapoints_to_alarm or evaluation_periods), 1)
    compare, op_text = COMPARISONS[alarm.comparison_operator]
    threshold = float(alarm.threshold)
    treat = alarm.treat_missing_data or "missing"
    # As AWS: with missing data treated as missing (or ignored) the alarm looks back over an
    # evaluation range longer than N and judges the most recent N periods that have data, so a
    # period left empty by timing does not turn a run of breaching datapoints into OK.
    lookback = EVALUATION_RANGE_EXTRA if treat in ("missing", "ignore") else 0
    range_periods = evaluation_periods + lookback
    with LOCK:
        alarm.lab_next_eval = now + period
        first_start = now - range_periods * period
        cutoff = scale_since(now)
        data = [d for d in _series(backend, spec.namespace, spec.metric_name, first_start, now) if _matches(d, spec)]
        buckets: list[list[Any]] = [[] for _period in range(range_periods)]
        for datum in data:
            ts = datum.lab_epoch
            if getattr(datum, "lab_received", 0.0) >= cutoff:
                index = min(int((ts - first_start) / period), range_periods - 1)
                buckets[index].append(datum)
        windows = []  # oldest first: (lab timestamp of the window, value, sample count)
        for index, bucket in enumerate(buckets):
            start = first_start + index * period
            value = _statistic(bucket, spec) if bucket else None
            windows.append((start, value, len(bucket)))
        if lookback:
            with_data = [w for w in windows if w[1] is not None][-evaluation_periods:]
            windows = with_data or windows[-evaluation_periods:]
        states: list[bool | None] = []
        for _start, value, _count in windows:
            if value is None:
                states.append({"breaching": True, "notBreaching": False}.get(treat))
            else:
                states.append(compare(value, threshold))
        present = [s for s in states if s is not None]
        old = alarm.state_value
        if not present:
            if treat == "ignore":
                return False
            new = "INSUFFICIENT_DATA"
            unknown = len(states)
            reason = f"Insufficient Data: {unknown} datapoint{'s were' if unknown > 1 else ' was'} unknown."
            reason_data = json.dumps({"version": "1.0", "queryDate": aws_time(now), "unknown": unknown})
        else:
            breaching = sum(1 for s in present if s)
            new = "ALARM" if breaching >= to_alarm else "OK"
            if new == old:
                return False
            shown = [
                (start, value)
                for (start, value, _count), state in zip(windows, states)
                if value is not None and state == (new == "ALARM")
            ]
            listed = ", ".join(
                f"{_fmt_value(v)} ({utc(s).strftime('%d/%m/%y %H:%M:%S')})" for s, v in reversed(shown)
            )
            count = breaching if new == "ALARM" else len(present) - breaching
            reason = (
                f"Threshold Crossed: {count} out of the last {evaluation_periods} datapoints [{listed}] was "
                f"{'' if new == 'ALARM' else 'not '}{op_text} the threshold ({_fmt_value(threshold)}) "
                f"(minimum {to_alarm} datapoint{'s' if to_alarm > 1 else ''} for {old} -> {new} transition)."
            )
            reason_data = json.dumps(
                {
                    "version": "1.0",
                    "queryDate": aws_time(now),
                    "startDate": aws_time(first_start),
                    "statistic": spec.extended or spec.stat or "Average",
                    "period": spec.period,
                    "recentDatapoints": [w[1] for w in windows if w[1] is not None],
                    "threshold": threshold,
                    "evaluatedDatapoints": [
                        {"timestamp": aws_time(s), "sampleCount": float(n), "value": v}
                        for s, v, n in reversed(windows)
                        if v is not None
                    ],
                }
            )
        if new == old:
            return False
    # actions run outside the lock: SNS deliveries and handlers may call back into the lab
    return transition(backend, alarm, new, reason, reason_data)


def transition(backend: Any, alarm: Any, new: str, reason: str, reason_data: str | None) -> bool:
    """Change the alarm's state (if it is not there already), then run history and actions."""
    with LOCK:
        if alarm.state_value == new:
            return False
        previous = state_of(alarm)
        alarm.update_state(reason, reason_data or "{}", new)
        alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
    after_change(backend, alarm, previous)
    return True


# --------------------------------------------------------------------------- metric data index

_DATA_LOCK = threading.Lock()  # guards moto's metric_data list and the lab's index
MAX_SERIES = 20_000  # datapoints kept per metric for evaluation
MAX_DATA = 200_000  # datapoints kept in moto's list (GetMetricStatistics, ListMetrics)


def _epoch_of(datum: Any) -> float:
    return datum.lab_epoch


def _index(backend: Any, datums: list[Any], received: float = 0.0) -> None:
    """Index new datapoints by (namespace, metric name), each series in timestamp order, so an
    evaluation reads only its window (a lab at time_factor 120 adds thousands a minute)."""
    index = backend.__dict__.setdefault("lab_metric_index", {})
    for datum in datums:
        datum.lab_received = received
        datum.lab_epoch = epoch(datum.timestamp)
        series = index.setdefault((datum.namespace, datum.name), [])
        # nearly always at the end: datapoints mostly come in time order
        bisect.insort_right(series, datum, key=_epoch_of)
        if len(series) > MAX_SERIES:
            del series[: len(series) - MAX_SERIES]
    # the lab publishes AWS/VPN data every lab minute: bound what a long-running lab keeps
    if len(backend.metric_data) > MAX_DATA:
        del backend.metric_data[: len(backend.metric_data) - MAX_DATA]


def _series(backend: Any, namespace: str, name: str, after: float, until: float) -> list[Any]:
    """The metric's datapoints with after < timestamp <= until, oldest first."""
    with _DATA_LOCK:
        series = backend.__dict__.get("lab_metric_index", {}).get((namespace, name), [])
        return series[bisect.bisect_right(series, after, key=_epoch_of):bisect.bisect_right(series, until, key=_epoch_of)]


# --------------------------------------------------------------------------- moto's backend, wrapped


def wrap_put_metric_alarm(put_metric_alarm: Any) -> Any:
    """CloudWatchBackend.put_metric_alarm: a new alarm starts in INSUFFICIENT_DATA; an update keeps state and history."""

    def patched_put_metric_alarm(self: Any, *args: Any, **kwargs: Any) -> Any:
        with LOCK:
            name = kwargs.get("name", args[0] if args else None)
            old = self.alarms.get(name)
            alarm = put_metric_alarm(self, *args, **kwargs)
            if old is not None:
                # AWS keeps the state of an alarm whose configuration changes
                alarm.state_value = old.state_value
                alarm.state_reason = old.state_reason
                alarm.state_reason_data = old.state_reason_data
                alarm.state_updated_timestamp = old.state_updated_timestamp
                alarm.state_transitioned_timestamp = getattr(old, "state_transitioned_timestamp", old.state_updated_timestamp)
                alarm.history = old.history
                history.add(self, alarm, "ConfigurationUpdate", f'Alarm "{name}" updated', {"type": "Update"})
                # the next regular evaluation applies the new configuration
                alarm.lab_next_eval = getattr(old, "lab_next_eval", 0.0)
                return alarm
            alarm.state_value = "INSUFFICIENT_DATA"
            alarm.state_reason = "Unchecked: Initial alarm creation"
            alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
            history.add(self, alarm, "ConfigurationUpdate", f'Alarm "{name}" created', {"type": "Create"})
            alarm.lab_next_eval = 0.0
        evaluate(self, alarm)
        return alarm

    return patched_put_metric_alarm


def wrap_put_metric_data(put_metric_data: Any) -> Any:
    """CloudWatchBackend.put_metric_data: index the new datapoints, evaluate the alarms they feed."""

    def patched_put_metric_data(self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        received = time.time()
        scale_since(received)  # a time_factor change takes effect before these datapoints
        with _DATA_LOCK:
            before = len(self.metric_data)
            put_metric_data(self, namespace, metric_data)
            new = self.metric_data[before:]
            _index(self, new, received)
        for alarm in list(self.alarms.values()):
            spec = _spec(alarm)
            # only the alarms these datapoints feed: the others wait for their period (evaluating
            # them now, while the periodic publisher is late, would see a gap that is not there)
            if spec is not None and spec.namespace == namespace and any(_matches(d, spec) for d in new):
                evaluate(self, alarm)

    return patched_put_metric_data


def wrap_set_alarm_state(set_alarm_state: Any) -> Any:
    """CloudWatchBackend.set_alarm_state: history and actions on a change; next evaluation a period later."""

    def patched_set_alarm_state(self: Any, alarm_name: str, reason: str, reason_data: str, state_value: str) -> None:
        with LOCK:
            alarm = self.alarms.get(alarm_name)
            previous = state_of(alarm) if alarm is not None else None
            set_alarm_state(self, alarm_name, reason, reason_data, state_value)
            if alarm is None or previous is None:
                return
            if alarm.state_reason_data is None:
                alarm.state_reason_data = "{}"
            changed = previous["value"] != alarm.state_value
            if changed:
                alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
            # AWS re-evaluates at the next period, not at once
            spec = _spec(alarm)
            alarm.lab_next_eval = time.time() + (real_period(spec.period) if spec else 0)
        if changed:
            after_change(self, alarm, previous)

    return patched_set_alarm_state
