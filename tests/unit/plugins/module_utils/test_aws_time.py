"""module_utils/aws_time.py: the one reader of AWS's times, and what its users make of it (the event
source refuses what it cannot read, the Lambda ignores it, the module names the option)."""

from __future__ import annotations

import datetime
import importlib.util
import sys
from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_time import iso_utc
from ansible_collections.sitevpn.aws.plugins.module_utils.aws_time import to_datetime
from ansible_collections.sitevpn.aws.plugins.module_utils.aws_time import to_epoch

ROOT = Path(__file__).resolve().parents[4]
EPOCH = 1795602120.123  # 2026-11-25T10:22:00.123Z


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("value", [
    "2026-11-25T10:22:00.123Z",
    "2026-11-25T10:22:00.123+0000",   # CloudWatch alarm notifications
    "2026-11-25T10:22:00.123+00:00",
    "2026-11-25T11:22:00.123+0100",
    EPOCH,
    str(EPOCH),
    datetime.datetime(2026, 11, 25, 10, 22, 0, 123000),   # naive: UTC
    datetime.datetime(2026, 11, 25, 10, 22, 0, 123000, tzinfo=datetime.timezone.utc),
])
def test_every_form_reads_as_the_same_moment(value):
    assert to_epoch(value) == pytest.approx(EPOCH, abs=1e-3)
    assert to_datetime(value).tzinfo is not None
    assert iso_utc(to_epoch(value)) == "2026-11-25T10:22:00.123Z"


@pytest.mark.parametrize("value", [None, ""])
def test_nothing_stays_nothing(value):
    assert to_datetime(value) is None and to_epoch(value) is None


@pytest.mark.parametrize("value", [True, "yesterday", "2026-13-01T00:00:00Z", "nan", [1]])
def test_what_is_no_time_is_refused(value):
    with pytest.raises((ValueError, TypeError)):
        to_epoch(value)


def test_iso_utc_is_one_width_so_strings_sort_as_times():
    times = [EPOCH, EPOCH + 0.001, EPOCH + 9.5, EPOCH + 100000]
    texts = [iso_utc(t) for t in times]
    assert len({len(t) for t in texts}) == 1 and sorted(texts) == texts


def test_event_source_and_lambda_read_times_with_it():
    ve = _load("vpn_events_under_test", ROOT / "extensions" / "eda" / "plugins" / "event_source" / "vpn_events.py")
    assert ve.parse_time("2026-11-25T10:22:00.123+0000") == pytest.approx(EPOCH, abs=1e-3)
    assert ve.format_time(EPOCH) == iso_utc(EPOCH)
    with pytest.raises(ve.MalformedMessage, match="no usable time"):
        ve.parse_time("yesterday")
    with pytest.raises(ve.MalformedMessage):
        ve.parse_time(None)

    sys.path.insert(0, str(ROOT / "plugins" / "module_utils"))   # as packed in the function's zip
    try:
        handler = _load("vpn_failover_handler_under_test", ROOT / "roles" / "failover_automation" / "files" / "vpn_failover_handler.py")
    finally:
        sys.path.remove(str(ROOT / "plugins" / "module_utils"))
    assert handler.parse_time("2026-11-25T10:22:00.123+0000").timestamp() == pytest.approx(EPOCH, abs=1e-3)
    assert handler.parse_time("yesterday") is None
    assert handler.iso("2026-11-25T10:22:00.123Z") == "2026-11-25T10:22:00Z"


def test_a_number_beyond_the_calendar_is_refused_as_a_time():
    with pytest.raises(ValueError, match="not a time"):
        to_datetime(1e20)
