"""Alarm history (moto 5.2.5 keeps none): the items DescribeAlarmHistory returns."""

from __future__ import annotations

import json
from typing import Any

from lab.api.cloudwatch.common import LOCK, naive_utcnow


def items(backend: Any) -> list[dict[str, Any]]:
    """The backend's history list (kept on moto's backend, so moto's reset clears it)."""
    found = backend.__dict__.get("lab_alarm_history")
    if found is None:
        found = backend.__dict__["lab_alarm_history"] = []
    return found


def add(backend: Any, alarm: Any, item_type: str, summary: str, data: dict[str, Any]) -> None:
    with LOCK:
        items(backend).append(
            {
                "AlarmName": alarm.name,
                "AlarmType": "CompositeAlarm" if alarm.rule is not None else "MetricAlarm",
                "Timestamp": naive_utcnow(),
                "HistoryItemType": item_type,
                "HistorySummary": summary,
                "HistoryData": json.dumps(data),
            }
        )
