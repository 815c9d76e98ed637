#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpn_monitoring_events_info
short_description: What the monitoring of a VPN connection recorded since a given time
version_added: 0.2.0
description:
  - Reads, for one site-to-site VPN connection and since a given time, the CloudWatch alarm history of
    the alarms on the connection's C(AWS/VPN) metrics (state changes and executed actions, for example
    the SNS notification) and the structured log records the failover Lambda wrote about the connection.
  - The alarms are found by their metric dimensions (C(VpnId), and C(TunnelIpAddress) with
    O(tunnel_outside_ip)), so the module does not depend on how alarms are named; O(alarm_name_prefix)
    only narrows the search, for example to the alarms of the P(sitevpn.aws.monitoring#role) role.
  - Only read calls (C(cloudwatch:DescribeAlarms), C(cloudwatch:DescribeAlarmHistory),
    C(logs:FilterLogEvents)); it changes nothing and runs the same in check mode.
  - Used by the failover test to prove the chain tunnel down, alarm, SNS notification, Lambda.
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  vpn_connection_id:
    description:
      - The VPN connection whose alarms and Lambda records to read.
    type: str
    required: true
  tunnel_outside_ip:
    description:
      - Only the alarms of this tunnel (its AWS outside IP address, the C(TunnelIpAddress) dimension).
      - Without it, every alarm of the connection, the per-connection ones included.
    type: str
  alarm_name_prefix:
    description:
      - Only alarms whose name starts with this, for example the P(sitevpn.aws.monitoring#role) role's
        C(monitoring_alarm_prefix).
    type: str
  since:
    description:
      - Only history items and log records at or after this time.
      - Seconds since the epoch (a float, for example V({{ now().timestamp() }})) or an ISO 8601 time.
    type: str
    required: true
  until:
    description:
      - Only history items and log records at or before this time, in the same forms as O(since).
    type: str
  function_name:
    description:
      - The failover Lambda function (the P(sitevpn.aws.failover_automation#role) role's
        C(failover_automation_function_name)); its log group is C(/aws/lambda/<function_name>).
      - Without it and without O(log_group_name) no logs are read.
    type: str
  log_group_name:
    description:
      - The log group to read the Lambda's records from, when it is not C(/aws/lambda/<function_name>).
    type: str
  record_source:
    description:
      - The C(source) field of the structured log records to return (the failover handler writes
        C(sitevpn.failover)). An empty string returns every JSON record that names the connection.
    type: str
    default: sitevpn.failover
notes:
  - CloudWatch keeps alarm history for 30 days; Lambda logs as long as the log group's retention says.
  - Alarm history and log ingestion lag a little behind the events in AWS; poll with C(until)/C(retries)
    when waiting for a step.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Note when tunnel 1 was taken down
  ansible.builtin.set_fact:
    tunnel_down_at: "{{ now().timestamp() }}"

- name: Wait until tunnel 1's alarm went to ALARM and the Lambda logged what it did
  sitevpn.aws.vpn_monitoring_events_info:
    vpn_connection_id: vpn-0123456789abcdef0
    tunnel_outside_ip: 198.51.100.11
    alarm_name_prefix: sitevpn-vpn-
    since: "{{ tunnel_down_at }}"
    function_name: sitevpn-vpn-failover
  register: events
  until: >-
    events.alarm_history | selectattr('new_state', 'eq', 'ALARM') | list | length > 0
    and events.lambda_records | selectattr('record.state', 'eq', 'ALARM') | list | length > 0
  retries: 60
  delay: 5

- name: Every state change of the connection's alarms in the last hour
  sitevpn.aws.vpn_monitoring_events_info:
    vpn_connection_id: vpn-0123456789abcdef0
    since: "{{ now(utc=true).timestamp() - 3600 }}"
  register: last_hour
"""

RETURN = r"""
alarms:
  description: The alarms found for the connection (and tunnel), sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    alarm_name:
      description: The name.
      type: str
      sample: sitevpn-vpn-site-static-tunnel1-down
    alarm_arn:
      description: The ARN.
      type: str
      sample: arn:aws:cloudwatch:us-east-1:123456789012:alarm:sitevpn-vpn-site-static-tunnel1-down
    metric_name:
      description: The metric the alarm watches.
      type: str
      sample: TunnelState
    dimensions:
      description: The metric's dimensions.
      type: dict
      sample: {"VpnId": "vpn-0123456789abcdef0", "TunnelIpAddress": "198.51.100.11"}
    tunnel_outside_ip:
      description: The C(TunnelIpAddress) dimension, null for a per-connection alarm.
      type: str
      sample: 198.51.100.11
    state_value:
      description: The alarm's state now.
      type: str
      sample: ALARM
    state_updated_epoch:
      description: When the state last changed, seconds since the epoch.
      type: float
      sample: 1795614948.23
    alarm_actions:
      description: ARNs run when the alarm goes to ALARM.
      type: list
      elements: str
    ok_actions:
      description: ARNs run when the alarm goes to OK.
      type: list
      elements: str
alarm_history:
  description: The history items of those alarms in the time range, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    alarm_name:
      description: The alarm.
      type: str
    timestamp:
      description: When, ISO 8601 UTC.
      type: str
      sample: "2026-11-25T13:55:48.230000+00:00"
    epoch:
      description: When, seconds since the epoch.
      type: float
      sample: 1795614948.23
    history_item_type:
      description: C(StateUpdate), C(Action) or C(ConfigurationUpdate).
      type: str
      sample: Action
    history_summary:
      description: AWS's summary.
      type: str
      sample: Successfully executed action arn:aws:sns:us-east-1:123456789012:sitevpn-vpn-events
    history_data:
      description: AWS's C(HistoryData), parsed from JSON.
      type: dict
    old_state:
      description: For a state update, the previous state.
      type: str
      sample: OK
    new_state:
      description: For a state update, the new state.
      type: str
      sample: ALARM
    action_arn:
      description: For an action, the ARN it ran (C(notificationResource), or from the summary).
      type: str
      sample: arn:aws:sns:us-east-1:123456789012:sitevpn-vpn-events
    action_service:
      description: For an action, the service of its ARN (C(sns), C(lambda), ...).
      type: str
      sample: sns
    action_ok:
      description: For an action, whether it was executed successfully.
      type: bool
    state_update_epoch:
      description: For an action, the state update it belongs to (seconds since the epoch), when AWS says.
      type: float
lambda_records:
  description:
    - The Lambda's structured (JSON) log records that name the connection, oldest first.
    - Empty when no log group was given or it does not exist (yet).
  returned: always
  type: list
  elements: dict
  contains:
    epoch:
      description: When the record was logged, seconds since the epoch.
      type: float
    timestamp:
      description: When, ISO 8601 UTC.
      type: str
    log_stream_name:
      description: The stream (one per Lambda execution environment).
      type: str
    record:
      description: The record, parsed; for the failover handler C(alarm_name), C(state), C(outcome), C(action), ...
      type: dict
      sample: {"alarm_name": "sitevpn-vpn-site-static-tunnel1-down", "state": "ALARM", "outcome": "handled", "action": "none"}
log_group_name:
  description: The log group read, or null.
  returned: always
  type: str
  sample: /aws/lambda/sitevpn-vpn-failover
log_group_found:
  description: Whether the log group exists (Lambda creates it at its first run).
  returned: always
  type: bool
since_epoch:
  description: O(since) in seconds since the epoch.
  returned: always
  type: float
"""

import datetime
import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.sitevpn.aws.plugins.module_utils.aws_time import to_epoch

ACTION_PREFIXES = ("Successfully executed action ", "Failed to execute action ")


@AWSRetry.jittered_backoff()
def _paginate(client, operation, **params):
    return client.get_paginator(operation).paginate(**params).build_full_result()


def parse_time(value, name):
    """Seconds since the epoch (float) of an epoch number or an ISO 8601 string."""
    try:
        epoch = to_epoch(value)
    except ValueError:
        epoch = None
    if epoch is None:
        raise ValueError(f"{name}: {value!r} is neither seconds since the epoch nor an ISO 8601 time")
    return epoch


def _utc(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)


def alarm_dimensions(alarm):
    """The metric dimensions of a single-metric alarm (plain or as a one-metric query)."""
    if alarm.get("MetricName"):
        return alarm.get("MetricName"), {d["Name"]: d["Value"] for d in alarm.get("Dimensions") or []}
    for query in alarm.get("Metrics") or []:
        metric = (query.get("MetricStat") or {}).get("Metric")
        if metric:
            return metric.get("MetricName"), {d["Name"]: d["Value"] for d in metric.get("Dimensions") or []}
    return None, {}


def find_alarms(client, vpn_id, tunnel_ip, prefix):
    params = {"AlarmTypes": ["MetricAlarm"]}
    if prefix:
        params["AlarmNamePrefix"] = prefix
    found = []
    for alarm in _paginate(client, "describe_alarms", **params).get("MetricAlarms", []):
        metric, dims = alarm_dimensions(alarm)
        if dims.get("VpnId") != vpn_id:
            continue
        if tunnel_ip and dims.get("TunnelIpAddress") != tunnel_ip:
            continue
        found.append(
            {
                "alarm_name": alarm["AlarmName"],
                "alarm_arn": alarm.get("AlarmArn"),
                "metric_name": metric,
                "dimensions": dims,
                "tunnel_outside_ip": dims.get("TunnelIpAddress"),
                "state_value": alarm.get("StateValue"),
                "state_updated_epoch": parse_time(alarm["StateUpdatedTimestamp"], "timestamp") if alarm.get("StateUpdatedTimestamp") else None,
                "alarm_actions": alarm.get("AlarmActions", []),
                "ok_actions": alarm.get("OKActions", []),
            }
        )
    return sorted(found, key=lambda a: a["alarm_name"])


def _loads(text):
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {"raw": text}
    return value if isinstance(value, dict) else {"raw": value}


def history_item(item):
    """One AlarmHistoryItem in snake_case, with the facts the chain needs lifted out of HistoryData."""
    data = _loads(item.get("HistoryData"))
    epoch = parse_time(item["Timestamp"], "timestamp")
    entry = {
        "alarm_name": item.get("AlarmName"),
        "timestamp": _utc(epoch).isoformat(),
        "epoch": epoch,
        "history_item_type": item.get("HistoryItemType"),
        "history_summary": item.get("HistorySummary", ""),
        "history_data": data,
    }
    if entry["history_item_type"] == "StateUpdate":
        entry["old_state"] = (data.get("oldState") or {}).get("stateValue")
        entry["new_state"] = (data.get("newState") or {}).get("stateValue")
    elif entry["history_item_type"] == "Action":
        summary = entry["history_summary"]
        arn = data.get("notificationResource")
        if not arn:
            for prefix in ACTION_PREFIXES:
                if summary.startswith(prefix):
                    arn = summary[len(prefix):].split()[0].rstrip(".")
        entry["action_arn"] = arn
        entry["action_service"] = arn.split(":")[2] if arn and arn.count(":") >= 5 else None
        entry["action_ok"] = data.get("actionState") == "Succeeded" or summary.startswith(ACTION_PREFIXES[0])
        stamp = data.get("stateUpdateTimestamp")
        entry["state_update_epoch"] = stamp / 1000.0 if isinstance(stamp, (int, float)) else None
    return entry


def alarm_history(client, alarms, since, until):
    items = []
    for alarm in alarms:
        params = {"AlarmName": alarm["alarm_name"], "StartDate": _utc(since), "ScanBy": "TimestampAscending"}
        if until is not None:
            params["EndDate"] = _utc(until)
        for item in _paginate(client, "describe_alarm_history", **params).get("AlarmHistoryItems", []):
            entry = history_item(item)
            # StartDate is inclusive at AWS's granularity; keep the bound exact
            if entry["epoch"] >= since and (until is None or entry["epoch"] <= until):
                items.append(entry)
    return sorted(items, key=lambda i: (i["epoch"], i["alarm_name"]))


def parse_record(message):
    """The JSON object a log line carries (bare, or after the runtime's tab-separated prefix), or None."""
    start = message.find("{")
    if start < 0:
        return None
    try:
        value = json.loads(message[start:])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def lambda_records(client, group, vpn_id, since, until, source):
    params = {"logGroupName": group, "startTime": int(since * 1000), "filterPattern": f'"{vpn_id}"'}
    if until is not None:
        params["endTime"] = int(until * 1000) + 1
    try:
        events = _paginate(client, "filter_log_events", **params).get("events", [])
    except is_boto3_error_code("ResourceNotFoundException"):
        return False, []
    records = []
    for event in events:
        record = parse_record(event.get("message", ""))
        if record is None or record.get("vpn_connection_id") != vpn_id:
            continue
        if source and record.get("source") != source:
            continue
        epoch = float(event["timestamp"]) / 1000.0
        records.append(
            {"epoch": epoch, "timestamp": _utc(epoch).isoformat(), "log_stream_name": event.get("logStreamName"), "record": record}
        )
    return True, sorted(records, key=lambda r: r["epoch"])


def main():
    argument_spec = dict(
        vpn_connection_id=dict(type="str", required=True),
        tunnel_outside_ip=dict(type="str"),
        alarm_name_prefix=dict(type="str"),
        since=dict(type="str", required=True),
        until=dict(type="str"),
        function_name=dict(type="str"),
        log_group_name=dict(type="str"),
        record_source=dict(type="str", default="sitevpn.failover"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("function_name", "log_group_name")],
        supports_check_mode=True,
    )
    params = module.params
    try:
        since = parse_time(params["since"], "since")
        until = parse_time(params["until"], "until") if params["until"] else None
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    vpn_id = params["vpn_connection_id"]
    group = params["log_group_name"] or (f"/aws/lambda/{params['function_name']}" if params["function_name"] else None)

    cloudwatch = module.client("cloudwatch")
    try:
        alarms = find_alarms(cloudwatch, vpn_id, params["tunnel_outside_ip"], params["alarm_name_prefix"])
        history = alarm_history(cloudwatch, alarms, since, until)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to read the alarms of {vpn_id}")

    found, records = False, []
    if group:
        logs = module.client("logs")
        try:
            found, records = lambda_records(logs, group, vpn_id, since, until, params["record_source"])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Failed to read the log group {group}")

    module.exit_json(changed=False, alarms=alarms, alarm_history=history, since_epoch=since,
                     log_group_name=group, log_group_found=found, lambda_records=records)


if __name__ == "__main__":
    main()
