"""What every part of the lab's CloudWatch shares: the lock, lab time, region names, moto's backends."""

from __future__ import annotations

import datetime
import threading
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends

from lab.api import settings as lab_settings

# one lock for alarm state and evaluation across the package (re-entrant: transitions run inside it)
LOCK = threading.RLock()


def epoch(value: datetime.datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.timestamp()


def utc(ts: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)


def aws_time(value: datetime.datetime | float) -> str:
    """2026-11-25T10:52:00.123+0000, the form alarm notifications use."""
    if not isinstance(value, datetime.datetime):
        value = utc(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    value = value.astimezone(datetime.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def naive_utcnow() -> datetime.datetime:
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
    with LOCK:
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


def state_of(alarm: Any) -> dict[str, Any]:
    return {
        "value": alarm.state_value,
        "reason": alarm.state_reason,
        "reason_data": alarm.state_reason_data,
        "timestamp": alarm.state_updated_timestamp,
    }


def all_backends() -> list[Any]:
    found = []
    for account_backends in list(cloudwatch_backends.values()):
        for backend in list(account_backends.values()):
            found.append(backend)
    return found


def default_account() -> str:
    from moto.core import DEFAULT_ACCOUNT_ID

    return DEFAULT_ACCOUNT_ID
