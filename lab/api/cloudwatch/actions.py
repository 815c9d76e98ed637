"""What follows an alarm's state change: history, the SNS and Lambda actions, the EventBridge event.

The SNS message, the Lambda payload and the event detail have the shapes AWS sends; SNS and
Lambda deliveries go through lab/api/notify (moto's SNS, the lab's in-process Lambda runtime).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from lab.api import notify
from lab.api.cloudwatch import history
from lab.api.cloudwatch.common import aws_time, epoch, region_long_name, state_of

log = logging.getLogger(__name__)


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
        "AlarmConfigurationUpdatedTimestamp": aws_time(alarm.configuration_updated_timestamp),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": aws_time(alarm.state_updated_timestamp),
        "Region": region_long_name(backend.region_name),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": previous["value"],
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": _trigger(alarm),
    }


def _state_detail(state: dict[str, Any]) -> dict[str, Any]:
    detail = {"value": state["value"], "reason": state["reason"], "timestamp": aws_time(state["timestamp"])}
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
        "state": _state_detail(state_of(alarm)),
        "previousState": _state_detail(previous),
        "configuration": _configuration(alarm),
    }


def after_change(backend: Any, alarm: Any, previous: dict[str, Any]) -> None:
    """History, actions and the EventBridge event for a state change that just happened."""
    new = alarm.state_value
    history.add(
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
        state_ms = int(round(epoch(alarm.state_updated_timestamp) * 1000))
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
            history.add(backend, alarm, "Action", result, data)
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
            "time": aws_time(alarm.state_updated_timestamp),
            "region": backend.region_name,
            "alarmData": alarm_event_detail(alarm, previous),
        }
        notify.invoke_arn(arn, payload, source=f"alarm:{alarm.name}")
        return f"Successfully executed action {arn}", None
    return f"Failed to execute action {arn}. The lab only runs SNS and Lambda alarm actions", None
