"""CloudWatch alarms that evaluate, and the AWS/VPN metrics the lab publishes.

moto 5.2.5 stores alarms and metric data but never evaluates: alarms start in OK and stay
there. ``install()`` patches its backend so that

- a new alarm starts in INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"); updating
  an alarm keeps its state, as AWS does;
- metric alarms are evaluated when PutMetricData arrives for their metric and, from a
  background thread, once per period (so missing data and passing periods count):
  Period, EvaluationPeriods, DatapointsToAlarm, Statistic / ExtendedStatistic (pNN), Unit,
  the exact dimension set, ComparisonOperator, Threshold and TreatMissingData are honoured,
  and a single-metric ``Metrics`` query (MetricStat, no expression) is evaluated the same way;
  with missing data treated as missing or ignored, the most recent N periods that have data
  within a range of N + 2 periods are judged, as AWS's evaluation range does; evaluations of
  an alarm never go back in time (a busy process may run one late);
- lab time runs ``time_factor`` times faster than real time: a 60 s period lasts
  60 / time_factor real seconds;
- every state change (evaluation or SetAlarmState) updates StateValue / StateReason /
  StateReasonData / StateUpdatedTimestamp, adds alarm history (DescribeAlarmHistory is
  added; Action items carry stateUpdateTimestamp and, for SNS, publishedMessage), publishes
  AWS's alarm notification JSON to each SNS action of the new state (via moto's SNS, so
  subscriptions get it), invokes Lambda actions, and puts a "CloudWatch Alarm State Change"
  event on the default EventBridge bus.

The AWS/VPN metrics (TunnelState, TunnelDataIn, TunnelDataOut) are published per tunnel
with dimension sets {VpnId, TunnelIpAddress} and {TunnelIpAddress}, and per connection with
{VpnId} (TunnelState there is the fraction of tunnels up), when the data plane reports and
again every lab minute for every available connection (tunnels never reported are DOWN); a
late periodic publish fills in the lab minutes it missed (after the last telemetry report), so
the series has one datapoint per lab minute, as AWS's has one per minute.
"""

from __future__ import annotations

import datetime
import json
import logging
import math
import threading
import time
import uuid
from typing import Any

from . import notify
from . import settings as lab_settings

log = logging.getLogger(__name__)

_lock = threading.RLock()
_installed = False

COMPARISONS = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}
VPN_NAMESPACE = "AWS/VPN"
LAB_MINUTE = 60.0
MAX_BACKFILL = 10  # lab minutes a late periodic publish fills in
EVALUATION_RANGE_EXTRA = 2  # periods an alarm looks back beyond N for data (missing / ignore)


# --------------------------------------------------------------------------- time helpers


def _epoch(value: datetime.datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.timestamp()


def _utc(ts: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)


def _aws_time(value: datetime.datetime | float) -> str:
    """2026-11-25T10:52:00.123+0000, the form alarm notifications use."""
    if not isinstance(value, datetime.datetime):
        value = _utc(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    value = value.astimezone(datetime.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def _naive_utcnow() -> datetime.datetime:
    # moto keeps naive UTC datetimes
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def real_period(period: float) -> float:
    return max(float(period) / float(lab_settings.get("time_factor")), 0.001)


_scale = {"factor": None, "since": 0.0}


def scale_since(now: float) -> float:
    """When the current time_factor took effect (as first seen by an evaluation or PutMetricData).

    Datapoints received before a change of time_factor were spaced for another time scale: a
    window of the new scale must not reach back into them (after 120x -> 1x, a 4-minute window
    would judge the seconds-old datapoints of a different run of lab minutes).
    """
    factor = float(lab_settings.get("time_factor"))
    with _lock:
        if _scale["factor"] != factor:
            _scale["since"] = 0.0 if _scale["factor"] is None else now
            _scale["factor"] = factor
        return _scale["since"]


_region_names: dict[str, str] = {}


def region_long_name(region: str) -> str:
    """'us-east-1' -> 'US East (N. Virginia)', as in alarm notifications."""
    if not _region_names:
        try:
            import botocore.loaders

            endpoints = botocore.loaders.create_loader().load_data("endpoints")
            for partition in endpoints.get("partitions", []):
                for name, data in partition.get("regions", {}).items():
                    _region_names[name] = data.get("description", name)
        except Exception:
            _region_names["us-east-1"] = "US East (N. Virginia)"
    return _region_names.get(region, region)


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
    with _lock:
        alarm.lab_next_eval = now + period
        first_start = now - range_periods * period
        cutoff = scale_since(now)
        data = [d for d in _series(backend, spec.namespace, spec.metric_name) if _matches(d, spec)]
        buckets: list[list[Any]] = [[] for _period in range(range_periods)]
        for datum in data:
            ts = _epoch(datum.timestamp)
            if first_start < ts <= now and getattr(datum, "lab_received", 0.0) >= cutoff:
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
            reason_data = json.dumps({"version": "1.0", "queryDate": _aws_time(now), "unknown": unknown})
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
                f"{_fmt_value(v)} ({_utc(s).strftime('%d/%m/%y %H:%M:%S')})" for s, v in reversed(shown)
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
                    "queryDate": _aws_time(now),
                    "startDate": _aws_time(first_start),
                    "statistic": spec.extended or spec.stat or "Average",
                    "period": spec.period,
                    "recentDatapoints": [w[1] for w in windows if w[1] is not None],
                    "threshold": threshold,
                    "evaluatedDatapoints": [
                        {"timestamp": _aws_time(s), "sampleCount": float(n), "value": v}
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
    with _lock:
        if alarm.state_value == new:
            return False
        previous = _state_of(alarm)
        alarm.update_state(reason, reason_data or "{}", new)
        alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
    after_change(backend, alarm, previous)
    return True


def _state_of(alarm: Any) -> dict[str, Any]:
    return {
        "value": alarm.state_value,
        "reason": alarm.state_reason,
        "reason_data": alarm.state_reason_data,
        "timestamp": alarm.state_updated_timestamp,
    }


# --------------------------------------------------------------------------- metric data index

_data_lock = threading.Lock()
MAX_SERIES = 20_000  # datapoints kept per metric for evaluation
MAX_DATA = 200_000  # datapoints kept in moto's list (GetMetricStatistics, ListMetrics)


def _index(backend: Any, datums: list[Any], received: float = 0.0) -> None:
    """Index new datapoints by (namespace, metric name), so evaluation scans one metric."""
    index = backend.__dict__.setdefault("lab_metric_index", {})
    for datum in datums:
        datum.lab_received = received
        series = index.setdefault((datum.namespace, datum.name), [])
        series.append(datum)
        if len(series) > MAX_SERIES:
            del series[: len(series) - MAX_SERIES]
    # the lab publishes AWS/VPN data every lab minute: bound what a long-running lab keeps
    if len(backend.metric_data) > MAX_DATA:
        del backend.metric_data[: len(backend.metric_data) - MAX_DATA]


def _series(backend: Any, namespace: str, name: str) -> list[Any]:
    with _data_lock:
        return list(backend.__dict__.get("lab_metric_index", {}).get((namespace, name), ()))


# --------------------------------------------------------------------------- history and actions


def _history(backend: Any) -> list[dict[str, Any]]:
    items = backend.__dict__.get("lab_alarm_history")
    if items is None:
        items = backend.__dict__["lab_alarm_history"] = []
    return items


def add_history(backend: Any, alarm: Any, item_type: str, summary: str, data: dict[str, Any]) -> None:
    with _lock:
        _history(backend).append(
            {
                "AlarmName": alarm.name,
                "AlarmType": "CompositeAlarm" if alarm.rule is not None else "MetricAlarm",
                "Timestamp": _naive_utcnow(),
                "HistoryItemType": item_type,
                "HistorySummary": summary,
                "HistoryData": json.dumps(data),
            }
        )


def _trigger(alarm: Any) -> dict[str, Any]:
    trigger: dict[str, Any] = {}
    if alarm.metric_name:
        trigger.update(
            {
                "MetricName": alarm.metric_name,
                "Namespace": alarm.namespace,
                "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
                "Statistic": (alarm.extended_statistic or alarm.statistic or "").upper() or None,
                "Unit": alarm.unit,
                "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
                "Period": alarm.period,
            }
        )
    else:
        trigger["Metrics"] = [
            {
                "Id": q.id,
                **(
                    {
                        "MetricStat": {
                            "Metric": {
                                "Dimensions": [{"value": d.value, "name": d.name} for d in q.metric_stat.metric.dimensions],
                                "MetricName": q.metric_stat.metric.metric_name,
                                "Namespace": q.metric_stat.metric.namespace,
                            },
                            "Period": q.metric_stat.period,
                            "Stat": q.metric_stat.stat,
                        }
                    }
                    if q.metric_stat
                    else {"Expression": q.expression}
                ),
                "ReturnData": q.return_data in (None, True, "true"),
            }
            for q in alarm.metric_data_queries
        ]
        trigger["Period"] = alarm.period
    trigger.update(
        {
            "EvaluationPeriods": alarm.evaluation_periods,
            "DatapointsToAlarm": alarm.datapoints_to_alarm or alarm.evaluation_periods,
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": alarm.threshold,
            "TreatMissingData": alarm.treat_missing_data or "missing",
            "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
        }
    )
    return trigger


def alarm_notification(backend: Any, alarm: Any, previous: dict[str, Any]) -> dict[str, Any]:
    """The JSON CloudWatch publishes to an SNS action."""
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": backend.account_id,
        "AlarmConfigurationUpdatedTimestamp": _aws_time(alarm.configuration_updated_timestamp),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": _aws_time(alarm.state_updated_timestamp),
        "Region": region_long_name(backend.region_name),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": previous["value"],
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": _trigger(alarm),
    }


def _state_detail(state: dict[str, Any]) -> dict[str, Any]:
    detail = {"value": state["value"], "reason": state["reason"], "timestamp": _aws_time(state["timestamp"])}
    if state.get("reason_data") and state["reason_data"] != "{}":
        detail["reasonData"] = state["reason_data"]
    return detail


def _configuration(alarm: Any) -> dict[str, Any]:
    metrics = []
    if alarm.metric_name:
        stat_name = alarm.extended_statistic or alarm.statistic
        metrics.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, alarm.alarm_arn)),
                "metricStat": {
                    "metric": {
                        "namespace": alarm.namespace,
                        "name": alarm.metric_name,
                        "dimensions": {d.name: d.value for d in alarm.dimensions},
                    },
                    "period": alarm.period,
                    "stat": stat_name,
                    **({"unit": alarm.unit} if alarm.unit else {}),
                },
                "returnData": True,
            }
        )
    else:
        for q in alarm.metric_data_queries:
            entry: dict[str, Any] = {"id": q.id, "returnData": q.return_data in (None, True, "true")}
            if q.metric_stat:
                entry["metricStat"] = {
                    "metric": {
                        "namespace": q.metric_stat.metric.namespace,
                        "name": q.metric_stat.metric.metric_name,
                        "dimensions": {d.name: d.value for d in q.metric_stat.metric.dimensions},
                    },
                    "period": q.metric_stat.period,
                    "stat": q.metric_stat.stat,
                }
            else:
                entry["expression"] = q.expression
            metrics.append(entry)
    configuration: dict[str, Any] = {"metrics": metrics}
    if alarm.description:
        configuration["description"] = alarm.description
    return configuration


def alarm_event_detail(alarm: Any, previous: dict[str, Any]) -> dict[str, Any]:
    """``detail`` of the EventBridge "CloudWatch Alarm State Change" event."""
    return {
        "alarmName": alarm.name,
        "state": _state_detail(_state_of(alarm)),
        "previousState": _state_detail(previous),
        "configuration": _configuration(alarm),
    }


def after_change(backend: Any, alarm: Any, previous: dict[str, Any]) -> None:
    """History, actions and the EventBridge event for a state change that just happened."""
    new = alarm.state_value
    add_history(
        backend,
        alarm,
        "StateUpdate",
        f"Alarm updated from {previous['value']} to {new}",
        {
            "version": "1.0",
            "oldState": {"stateValue": previous["value"], "stateReason": previous["reason"]},
            "newState": {
                "stateValue": new,
                "stateReason": alarm.state_reason,
                **({"stateReasonData": _loads(alarm.state_reason_data)} if alarm.state_reason_data not in (None, "{}") else {}),
            },
        },
    )
    actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions, "INSUFFICIENT_DATA": alarm.insufficient_data_actions}
    if alarm.actions_enabled:
        # as AWS: the action item names the state update it belongs to (epoch ms) and, for SNS,
        # the message it published
        state_ms = int(round(_epoch(alarm.state_updated_timestamp) * 1000))
        for arn in list(actions.get(new) or []):
            published: str | None = None
            try:
                result, published = _run_action(backend, alarm, previous, arn)
            except Exception as exc:  # one broken action must not stop the others
                log.exception("lab: alarm action %s failed", arn)
                result = f"Failed to execute action {arn}. Received error: {exc}"
            outcome = "Succeeded" if result.startswith("Successfully") else "Failed"
            data: dict[str, Any] = {"actionState": outcome, "stateUpdateTimestamp": state_ms, "notificationResource": arn}
            if published is not None:
                data["publishedMessage"] = published
            add_history(backend, alarm, "Action", result, data)
    try:
        notify.put_event(
            backend.account_id,
            backend.region_name,
            "aws.cloudwatch",
            "CloudWatch Alarm State Change",
            alarm_event_detail(alarm, previous),
            [alarm.alarm_arn],
        )
    except Exception:
        log.exception("lab: EventBridge event for alarm %s failed", alarm.name)


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _run_action(backend: Any, alarm: Any, previous: dict[str, Any], arn: str) -> tuple[str, str | None]:
    """(history summary, the message published to SNS or None)."""
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    if service == "sns":
        message = json.dumps(alarm_notification(backend, alarm, previous))
        subject = f'{alarm.state_value}: "{alarm.name}" in {region_long_name(backend.region_name)}'[:100]
        notify.publish_sns(arn, message, subject=subject)
        return f"Successfully executed action {arn}", message
    if service == "lambda":
        payload = {
            "source": "aws.cloudwatch",
            "alarmArn": alarm.alarm_arn,
            "accountId": backend.account_id,
            "time": _aws_time(alarm.state_updated_timestamp),
            "region": backend.region_name,
            "alarmData": alarm_event_detail(alarm, previous),
        }
        notify.invoke_arn(arn, payload, source=f"alarm:{alarm.name}")
        return f"Successfully executed action {arn}", None
    return f"Failed to execute action {arn}. The lab only runs SNS and Lambda alarm actions", None


# --------------------------------------------------------------------------- moto patches


def _backends() -> list[Any]:
    from moto.cloudwatch.models import cloudwatch_backends

    found = []
    for account_backends in list(cloudwatch_backends.values()):
        for backend in list(account_backends.values()):
            found.append(backend)
    return found


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    put_metric_alarm = CloudWatchBackend.put_metric_alarm

    def patched_put_metric_alarm(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock:
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
                add_history(self, alarm, "ConfigurationUpdate", f'Alarm "{name}" updated', {"type": "Update"})
                # the next regular evaluation applies the new configuration
                alarm.lab_next_eval = getattr(old, "lab_next_eval", 0.0)
                return alarm
            alarm.state_value = "INSUFFICIENT_DATA"
            alarm.state_reason = "Unchecked: Initial alarm creation"
            alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
            add_history(self, alarm, "ConfigurationUpdate", f'Alarm "{name}" created', {"type": "Create"})
            alarm.lab_next_eval = 0.0
        evaluate(self, alarm)
        return alarm

    put_metric_data = CloudWatchBackend.put_metric_data

    def patched_put_metric_data(self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        received = time.time()
        scale_since(received)  # a time_factor change takes effect before these datapoints
        with _data_lock:
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

    set_alarm_state = CloudWatchBackend.set_alarm_state

    def patched_set_alarm_state(self: Any, alarm_name: str, reason: str, reason_data: str, state_value: str) -> None:
        with _lock:
            alarm = self.alarms.get(alarm_name)
            previous = _state_of(alarm) if alarm is not None else None
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

    def describe_alarm_history(self: Any) -> ActionResult:
        name = self._get_param("AlarmName")
        types = self._get_param("AlarmTypes") or []
        item_type = self._get_param("HistoryItemType")
        start = self._get_param("StartDate")
        end = self._get_param("EndDate")
        max_records = int(self._get_param("MaxRecords") or 100)
        scan_by = self._get_param("ScanBy") or "TimestampDescending"
        token = int(self._get_param("NextToken") or 0)
        items = []
        for item in list(_history(self.cloudwatch_backend)):
            if name and item["AlarmName"] != name:
                continue
            if types and item["AlarmType"] not in types:
                continue
            if item_type and item["HistoryItemType"] != item_type:
                continue
            stamp = _epoch(item["Timestamp"])
            if start is not None and stamp < _epoch(start):
                continue
            if end is not None and stamp > _epoch(end):
                continue
            items.append(item)
        items.sort(key=lambda i: i["Timestamp"], reverse=scan_by != "TimestampAscending")
        page = items[token : token + max_records]
        result: dict[str, Any] = {"AlarmHistoryItems": page}
        if token + max_records < len(items):
            result["NextToken"] = str(token + max_records)
        return ActionResult(result)

    CloudWatchBackend.put_metric_alarm = patched_put_metric_alarm
    CloudWatchBackend.put_metric_data = patched_put_metric_data
    CloudWatchBackend.set_alarm_state = patched_set_alarm_state
    CloudWatchResponse.describe_alarm_history = describe_alarm_history
    _installed = True


def tick(now: float | None = None) -> int:
    """Evaluate every alarm whose period has passed; returns how many changed state."""
    now = time.time() if now is None else now
    changed = 0
    for backend in _backends():
        for alarm in list(getattr(backend, "alarms", {}).values()):
            if getattr(alarm, "lab_next_eval", 0.0) <= now:
                try:
                    # the time of this evaluation, not of the tick's start (publishing may have taken long)
                    changed += evaluate(backend, alarm, max(now, time.time()))
                except Exception:
                    log.exception("lab: evaluating alarm %s failed", alarm.name)
    return changed


# --------------------------------------------------------------------------- AWS/VPN metrics


class VpnMetrics:
    """Publishes TunnelState / TunnelDataIn / TunnelDataOut from the lab's tunnel state."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # outside_ip -> {"vpn_id", "account", "region", "status", "data_in", "data_out", "sent_in", "sent_out"}
        self._tunnels: dict[str, dict[str, Any]] = {}
        # the first periodic publish comes one lab minute after start or reset
        self._last_publish = time.time()
        # vpn_id -> when its telemetry was last reported: no backfilled minute goes before it
        self._reported: dict[str, float] = {}

    def reset(self) -> None:
        with self._lock:
            self._tunnels.clear()
            self._reported.clear()
            self._last_publish = time.time()

    def report(self, record: dict[str, Any], data_in: int | None = None, data_out: int | None = None) -> None:
        """Take a telemetry report (``record`` as ec2_vpn.set_tunnel_telemetry returns it) and publish."""
        with self._lock:
            entry = self._tunnels.setdefault(
                record["outside_ip"], {"data_in": 0, "data_out": 0, "sent_in": 0, "sent_out": 0}
            )
            entry.update(
                {
                    "vpn_id": record["vpn_connection_id"],
                    "account": record.get("account_id") or _default_account(),
                    "region": record.get("region") or "us-east-1",
                    "status": record.get("status", "DOWN"),
                }
            )
            # data_in / data_out are the data plane's cumulative byte counters
            if data_in is not None:
                entry["data_in"] = int(data_in)
            if data_out is not None:
                entry["data_out"] = int(data_out)
            self._reported[record["vpn_connection_id"]] = time.time()
        self.publish(only_vpn=record["vpn_connection_id"])

    @staticmethod
    def _connections() -> list[dict[str, Any]] | None:
        """Available connections from the EC2 VPN slice; None without it."""
        try:
            from . import ec2_vpn
        except ImportError:
            return None
        return [c for c in ec2_vpn.lab_view() if c.get("state") == "available"]

    def publish(self, only_vpn: str | None = None, now: float | None = None) -> int:
        """Publish one datapoint per metric and dimension set; returns the datapoint count.

        The periodic publish (``only_vpn`` None) stamps one datapoint per lab minute since the last
        one, as AWS's series has one per minute however late it is delivered: when this process
        is busy (GIL, a loaded machine) and the evaluator wakes up late, short lab periods would
        otherwise see no data at all and the alarms flap to INSUFFICIENT_DATA.
        """
        groups: dict[tuple[str, str, str], list[tuple[str, str, int, int]]] = {}
        now = time.time() if now is None else now
        stamps: list[float | None] = [None]
        with self._lock:
            connections = self._connections()
            for conn in connections or []:
                if only_vpn is not None and conn["vpn_connection_id"] != only_vpn:
                    continue
                key = (conn.get("account_id") or _default_account(), conn.get("region") or "us-east-1", conn["vpn_connection_id"])
                for tunnel in conn.get("tunnels", []):
                    ip = tunnel.get("outside_ip")
                    entry = self._tunnels.get(ip, {})
                    status = tunnel.get("status") or entry.get("status") or "DOWN"
                    groups.setdefault(key, []).append((ip, status, *self._deltas(entry)))
            for ip, entry in self._tunnels.items() if connections is None else ():
                if only_vpn is not None and entry.get("vpn_id") != only_vpn:
                    continue
                if entry.get("vpn_id"):
                    key = (entry["account"], entry["region"], entry["vpn_id"])
                    groups.setdefault(key, []).append((ip, entry.get("status", "DOWN"), *self._deltas(entry)))
            if only_vpn is None:
                minute = real_period(LAB_MINUTE)
                missed = int((now - self._last_publish) / minute) if now > self._last_publish else 0
                if missed > 1:
                    # the minutes missed, within the longest window an alarm looks at; the traffic
                    # counters' increase goes with the newest
                    first = max(1, missed - MAX_BACKFILL + 1)
                    stamps = [self._last_publish + i * minute for i in range(first, missed)] + [None]
                self._last_publish = max(self._last_publish + missed * minute, now - minute)
        count = 0
        for (account, region, vpn_id), tunnels in groups.items():
            data = []
            reported = self._reported.get(vpn_id, 0.0)
            for stamp in stamps:
                if stamp is not None and stamp <= reported:
                    continue  # the state before the last report is not known
                extra = {} if stamp is None else {"Timestamp": _utc(stamp).replace(tzinfo=None)}
                newest = stamp is None
                for ip, status, d_in, d_out in tunnels:
                    state = 1.0 if status == "UP" else 0.0
                    d_in, d_out = (d_in, d_out) if newest else (0, 0)
                    for dims in ([("VpnId", vpn_id), ("TunnelIpAddress", ip)], [("TunnelIpAddress", ip)]):
                        dimensions = [{"Name": n, "Value": v} for n, v in dims]
                        data += [
                            {"MetricName": "TunnelState", "Value": state, "Dimensions": dimensions, **extra},
                            {"MetricName": "TunnelDataIn", "Value": float(d_in), "Unit": "Bytes", "Dimensions": dimensions, **extra},
                            {"MetricName": "TunnelDataOut", "Value": float(d_out), "Unit": "Bytes", "Dimensions": dimensions, **extra},
                        ]
                conn_dims = [{"Name": "VpnId", "Value": vpn_id}]
                data += [
                    {"MetricName": "TunnelState", "Value": sum(1.0 for t in tunnels if t[1] == "UP") / len(tunnels), "Dimensions": conn_dims, **extra},
                    {"MetricName": "TunnelDataIn", "Value": float(sum(t[2] for t in tunnels) if newest else 0), "Unit": "Bytes",
                     "Dimensions": conn_dims, **extra},
                    {"MetricName": "TunnelDataOut", "Value": float(sum(t[3] for t in tunnels) if newest else 0), "Unit": "Bytes",
                     "Dimensions": conn_dims, **extra},
                ]
            publish_metric_data(account, region, VPN_NAMESPACE, data)
            count += len(data)
        return count

    @staticmethod
    def _deltas(entry: dict[str, Any]) -> tuple[int, int]:
        if not entry:
            return 0, 0
        out = []
        for total_key, sent_key in (("data_in", "sent_in"), ("data_out", "sent_out")):
            total, sent = entry.get(total_key, 0), entry.get(sent_key, 0)
            # a counter that went backwards was reset by the data plane
            delta = total - sent if total >= sent else total
            entry[sent_key] = total
            out.append(delta)
        return out[0], out[1]

    def due(self, now: float) -> bool:
        with self._lock:
            return now - self._last_publish >= real_period(LAB_MINUTE)


def _default_account() -> str:
    from moto.core import DEFAULT_ACCOUNT_ID

    return DEFAULT_ACCOUNT_ID


def publish_metric_data(account: str, region: str, namespace: str, metric_data: list[dict[str, Any]]) -> None:
    """PutMetricData as the lab (goes through the patched backend, so alarms evaluate)."""
    from moto.cloudwatch.models import cloudwatch_backends

    cloudwatch_backends[account][region].put_metric_data(namespace, metric_data)


VPN_METRICS = VpnMetrics()


# --------------------------------------------------------------------------- background evaluator


class Evaluator:
    """One background thread per process: alarm periods and the lab-minute VPN metrics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            self._users += 1
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="lab-alarm-evaluator", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._users = max(0, self._users - 1)
            if self._users or self._thread is None:
                return
            thread, self._thread = self._thread, None
            self._stop.set()
        thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.time()
            try:
                if VPN_METRICS.due(now):
                    VPN_METRICS.publish(now=now)
                tick(now)
            except Exception:
                log.exception("lab: evaluator tick failed")
            factor = float(lab_settings.get("time_factor"))
            self._stop.wait(min(1.0, max(0.05, 1.0 / factor)))


EVALUATOR = Evaluator()


def reset() -> None:
    VPN_METRICS.reset()
