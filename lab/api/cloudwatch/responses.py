"""The CloudWatch response methods the lab adds to moto's CloudWatchResponse (urls.py lists them)."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult

from lab.api.cloudwatch import history
from lab.api.cloudwatch.common import epoch


def describe_alarm_history(self: Any) -> ActionResult:
    """DescribeAlarmHistory (moto 5.2.5 has none): the lab's history, filtered and paged as AWS does."""
    name = self._get_param("AlarmName")
    types = self._get_param("AlarmTypes") or []
    item_type = self._get_param("HistoryItemType")
    start = self._get_param("StartDate")
    end = self._get_param("EndDate")
    max_records = int(self._get_param("MaxRecords") or 100)
    scan_by = self._get_param("ScanBy") or "TimestampDescending"
    token = int(self._get_param("NextToken") or 0)
    items = []
    for item in list(history.items(self.cloudwatch_backend)):
        if name and item["AlarmName"] != name:
            continue
        if types and item["AlarmType"] not in types:
            continue
        if item_type and item["HistoryItemType"] != item_type:
            continue
        stamp = epoch(item["Timestamp"])
        if start is not None and stamp < epoch(start):
            continue
        if end is not None and stamp > epoch(end):
            continue
        items.append(item)
    items.sort(key=lambda i: i["Timestamp"], reverse=scan_by != "TimestampAscending")
    page = items[token : token + max_records]
    result: dict[str, Any] = {"AlarmHistoryItems": page}
    if token + max_records < len(items):
        result["NextToken"] = str(token + max_records)
    return ActionResult(result)
