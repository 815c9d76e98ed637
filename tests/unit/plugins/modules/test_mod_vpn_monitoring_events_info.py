"""vpn_monitoring_events_info's parsing of AWS's alarm history items, log lines and times (offline)."""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.sitevpn.aws.plugins.modules import vpn_monitoring_events_info as mod

TOPIC = "arn:aws:sns:us-east-1:123456789012:sitevpn-vpn-events"
WHEN = datetime.datetime(2026, 11, 25, 10, 52, 0, 123000, tzinfo=datetime.timezone.utc)


def test_state_update_lifts_old_and_new_state():
    item = mod.history_item({
        "AlarmName": "a", "Timestamp": WHEN, "HistoryItemType": "StateUpdate", "HistorySummary": "Alarm updated from OK to ALARM",
        "HistoryData": json.dumps({"version": "1.0", "oldState": {"stateValue": "OK"}, "newState": {"stateValue": "ALARM"}}),
    })
    assert (item["old_state"], item["new_state"]) == ("OK", "ALARM")
    assert item["epoch"] == WHEN.timestamp() and item["timestamp"].startswith("2026-11-25T10:52:00.123")


def test_action_from_history_data_and_from_the_summary_alone():
    full = mod.history_item({
        "AlarmName": "a", "Timestamp": WHEN, "HistoryItemType": "Action", "HistorySummary": f"Successfully executed action {TOPIC}",
        "HistoryData": json.dumps({"actionState": "Succeeded", "stateUpdateTimestamp": 1795603920123, "notificationResource": TOPIC}),
    })
    assert (full["action_arn"], full["action_service"], full["action_ok"], full["state_update_epoch"]) == (TOPIC, "sns", True, 1795603920.123)
    bare = mod.history_item({"AlarmName": "a", "Timestamp": WHEN, "HistoryItemType": "Action",
                             "HistorySummary": f"Failed to execute action {TOPIC}. Received error: denied", "HistoryData": "not json"})
    assert (bare["action_arn"], bare["action_ok"], bare["state_update_epoch"]) == (TOPIC, False, None)
    assert bare["history_data"] == {"raw": "not json"}


def test_log_records_bare_or_after_the_runtime_prefix():
    assert mod.parse_record('{"source": "sitevpn.failover", "state": "ALARM"}') == {"source": "sitevpn.failover", "state": "ALARM"}
    assert mod.parse_record('[INFO]\t2026-11-25T10:52:00Z\treq\t{"a": 1}') == {"a": 1}
    assert mod.parse_record("START RequestId: 1 Version: $LATEST") is None
    assert mod.parse_record("{broken") is None


def test_times_as_epoch_or_iso():
    assert mod.parse_time("1795603920.5", "since") == 1795603920.5
    assert mod.parse_time("2026-11-25T10:52:00Z", "since") == datetime.datetime(2026, 11, 25, 10, 52, tzinfo=datetime.timezone.utc).timestamp()
    with pytest.raises(ValueError, match="since: 'yesterday' is neither"):
        mod.parse_time("yesterday", "since")


def test_alarms_match_by_dimensions_plain_or_as_metric_query():
    plain = {"MetricName": "TunnelState", "Dimensions": [{"Name": "VpnId", "Value": "vpn-1"}, {"Name": "TunnelIpAddress", "Value": "198.51.100.1"}]}
    query = {"Metrics": [{"Id": "m", "MetricStat": {"Metric": {"MetricName": "TunnelState", "Dimensions": [{"Name": "VpnId", "Value": "vpn-1"}]}}}]}
    assert mod.alarm_dimensions(plain) == ("TunnelState", {"VpnId": "vpn-1", "TunnelIpAddress": "198.51.100.1"})
    assert mod.alarm_dimensions(query) == ("TunnelState", {"VpnId": "vpn-1"})
