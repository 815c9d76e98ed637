"""lab/polling.py: the one wait loop of the lab API helpers and the data plane."""

from __future__ import annotations

import pytest

from lab import polling


class Late(Exception):
    pass


def test_returns_the_first_truthy_value():
    values = iter([0, None, "", "ready"])
    assert polling.wait_for(lambda: next(values), timeout=5, interval=0, error=Late) == "ready"


def test_raises_the_callers_error_once_the_time_is_up():
    calls = []
    with pytest.raises(Late):
        polling.wait_for(lambda: calls.append(1), timeout=0, interval=0, error=Late)
    assert calls  # the predicate ran before giving up
