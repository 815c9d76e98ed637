"""Polling shared by the lab's API helpers and its data plane: wait until a condition holds."""

from __future__ import annotations

import time
from typing import Any, Callable


def wait_for(predicate: Callable[[], Any], timeout: float, interval: float, error: Callable[[], Exception]) -> Any:
    """Poll until ``predicate()`` is truthy and return its value; raise ``error()`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise error()
        time.sleep(interval)
