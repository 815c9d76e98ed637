"""What the lab records of its deliveries: SNS messages and Lambda invocations (GET /_lab/...)."""

from __future__ import annotations

import base64
import datetime
import json
import threading
from typing import Any

_LOCK = threading.Lock()
_SNS_MESSAGES: list[dict[str, Any]] = []
_INVOCATIONS: list[dict[str, Any]] = []
_RUNNING = [0]   # asynchronous invocations started and not yet recorded
MAX_RECORDS = 10_000


def jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=json_default))


def json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


def _append(target: list[dict[str, Any]], record: dict[str, Any]) -> None:
    with _LOCK:
        target.append(record)
        if len(target) > MAX_RECORDS:
            del target[: len(target) - MAX_RECORDS]


def sns_messages() -> list[dict[str, Any]]:
    with _LOCK:
        return list(_SNS_MESSAGES)


def invocations() -> list[dict[str, Any]]:
    with _LOCK:
        return list(_INVOCATIONS)


def started() -> None:
    with _LOCK:
        _RUNNING[0] += 1


def finished() -> None:
    with _LOCK:
        _RUNNING[0] -= 1


def running() -> int:
    """How many asynchronous invocations are still running: a test waits for 0 before it judges writes."""
    with _LOCK:
        return _RUNNING[0]


def clear_sns_messages() -> None:
    with _LOCK:
        _SNS_MESSAGES.clear()


def clear_invocations() -> None:
    with _LOCK:
        _INVOCATIONS.clear()


def reset() -> None:
    clear_sns_messages()
    clear_invocations()


def record_sns_message(record: dict[str, Any]) -> None:
    _append(_SNS_MESSAGES, record)


def record_invocation(record: dict[str, Any]) -> None:
    _append(_INVOCATIONS, record)
