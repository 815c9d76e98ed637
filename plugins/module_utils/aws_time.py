# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Times as AWS and the collection's reports write them, read and written in one place.

The reports (failover_report, verify_report), vpn_monitoring_events_info, the vpn_events event
source (which loads this file by its place in the collection) and the failover Lambda (packed
beside its handler) all read times with it. Standard library only, for those last two.
"""

from __future__ import annotations

import datetime
import re

# AWS's alarm and event times end in +0000; fromisoformat before Python 3.11 wants +00:00
_COMPACT_OFFSET = re.compile(r"([+-]\d\d)(\d\d)$")


def to_datetime(value):
    """An aware datetime (UTC where the value names no offset) from a datetime, seconds since the
    epoch (a number or a numeric string) or an ISO 8601 time ('Z', '+00:00' or '+0000').

    None and '' give None; anything else that is not a time raises ValueError.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    text = str(value).strip()
    try:
        return datetime.datetime.fromtimestamp(float(text), datetime.timezone.utc)
    except (ValueError, OverflowError, OSError):
        if isinstance(value, (int, float)):
            raise ValueError(f"not a time: {value!r}") from None
    try:
        when = datetime.datetime.fromisoformat(_COMPACT_OFFSET.sub(r"\1:\2", text.replace("Z", "+00:00")))
    except ValueError:
        raise ValueError(f"not a time: {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)


def to_epoch(value):
    """Seconds since the epoch (float) of what to_datetime reads; None stays None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    when = to_datetime(value)
    return None if when is None else when.timestamp()


def iso_utc(epoch):
    """ISO 8601 UTC with milliseconds, e.g. 2026-11-25T14:02:03.123Z: one width, so the strings sort
    as the times do."""
    when = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
