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


def test_a_data_plane_wait_says_what_it_last_saw():
    from lab.dataplane import bounds

    with pytest.raises(AssertionError, match=r"waiting for tunnel 2 UP; last seen: \[\{'state': 'CONNECTING'\}\]"):
        bounds.wait_until(lambda: False, 0, "tunnel 2 UP", interval=0, seen=lambda: [{"state": "CONNECTING"}])

    def broken_probe():
        raise OSError("boom")

    # a broken probe does not hide the timeout
    with pytest.raises(AssertionError, match="could not read the state: boom"):
        bounds.wait_until(lambda: False, 0, "x", interval=0, seen=broken_probe)


def test_bounds_are_built_from_the_lab_timers():
    from lab.dataplane import bounds

    # charon's schedule: 4 s, then x1.8 per retransmission; the fourth packet leaves 47.5 s in
    assert round(bounds.IKE_EXCHANGE, 1) == round(4 + 7.2 + 12.96 + 23.328, 1)
    assert bounds.TUNNEL_NEGOTIATED > bounds.IKE_EXCHANGE > bounds.EDGE_FOLLOWS
