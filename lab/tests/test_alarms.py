"""Contract tests: CloudWatch alarms that evaluate and fire, SNS, EventBridge, in-process Lambda.

Plain boto3 against a LabServer on a free port of 127.0.0.1 (one per module).
"""

from __future__ import annotations

import base64
import io
import json
import time
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from lab.tests.ec2_helpers import vgw_vpn_connection


ACCOUNT = "123456789012"

HANDLER = '''
import json
import os
import time

import boto3

import helper


def handler(event, context):
    print("event for", context.function_name)
    if isinstance(event, dict) and event.get("fail"):
        raise ValueError("asked to fail")
    if isinstance(event, dict) and event.get("wait_for_queue"):
        # held until the test creates the queue (at most the function's timeout)
        while not boto3.client("sqs").list_queues(QueueNamePrefix=event["wait_for_queue"]).get("QueueUrls"):
            time.sleep(0.1)
    # boto3 inside the handler talks to the lab through AWS_ENDPOINT_URL
    queues = boto3.client("sqs").list_queues().get("QueueUrls", [])
    alarm_state = None
    name = (event.get("detail") or {}).get("alarmName") if isinstance(event, dict) else None
    if name:
        alarm_state = boto3.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]
    return {
        "site": os.environ.get("SITE"),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "region": os.environ.get("AWS_REGION"),
        "queues": len(queues),
        "alarm_state": alarm_state,
        "helper": helper.VALUE,
        "remaining_ms": context.get_remaining_time_in_millis() > 0,
    }
'''


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
        archive.writestr("helper.py", "VALUE = 'from-helper'\n")
    return buffer.getvalue()


def _role(lab) -> str:
    iam = lab.client("iam")
    try:
        return iam.get_role(RoleName="lab-lambda")["Role"]["Arn"]
    except ClientError:
        pass
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    return iam.create_role(RoleName="lab-lambda", AssumeRolePolicyDocument=json.dumps(doc))["Role"]["Arn"]


def _function(lab, name="vpn-alarm-handler", site="lab-site-1") -> str:
    lam = lab.client("lambda")
    fn = lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=_role(lab),
        Handler="app.handler",
        Code={"ZipFile": _zip()},
        Environment={"Variables": {"SITE": site}},
        Timeout=10,
    )
    return fn["FunctionArn"]


def _alarm(cw, name, **overrides):
    params = {
        "AlarmName": name,
        "Namespace": "AWS/VPN",
        "MetricName": "TunnelState",
        "Statistic": "Maximum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "LessThanThreshold",
        "Dimensions": [{"Name": "VpnId", "Value": "vpn-0123456789abcdef0"}],
    }
    params.update(overrides)
    cw.put_metric_alarm(**params)
    return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def _state(cw, name) -> str:
    return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]


def _vpn(lab) -> tuple[str, list[str]]:
    lab.set_settings({"state_delay_s": 0})
    ec2 = lab.client("ec2")
    vpn = vgw_vpn_connection(ec2, 10)
    vpn_id = vpn["VpnConnectionId"]
    described = lab.wait_for(
        lambda: [
            v for v in ec2.describe_vpn_connections(VpnConnectionIds=[vpn_id])["VpnConnections"] if v["State"] == "available"
        ]
    )[0]
    ips = sorted(t["OutsideIpAddress"] for t in described["VgwTelemetry"])
    return vpn_id, ips


# --------------------------------------------------------------------------- the whole chain


def test_tunnel_down_alarm_notifies_sns_sqs_and_runs_lambda_target(lab):
    vpn_id, (ip1, ip2) = _vpn(lab)
    sns, sqs, events, cw = (lab.client(s) for s in ("sns", "sqs", "events", "cloudwatch"))
    topic = sns.create_topic(Name="vpn-alarms")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="vpn-alarms")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    function_arn = _function(lab)
    events.put_rule(
        Name="vpn-alarm-changes",
        EventPattern=json.dumps({"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"]}),
    )
    events.put_targets(Rule="vpn-alarm-changes", Targets=[{"Id": "fn", "Arn": function_arn}])

    dims = [{"Name": "VpnId", "Value": vpn_id}, {"Name": "TunnelIpAddress", "Value": ip1}]
    alarm = _alarm(
        cw,
        "tunnel-1-down",
        Dimensions=dims,
        AlarmDescription="tunnel 1 of the lab site",
        AlarmActions=[topic],
        OKActions=[topic],
        TreatMissingData="missing",
    )
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert alarm["StateReason"] == "Unchecked: Initial alarm creation"

    record = lab.telemetry(ip1, "DOWN", status_message="lab: IKE down")
    assert record["vpn_connection_id"] == vpn_id
    alarm = cw.describe_alarms(AlarmNames=["tunnel-1-down"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [0.0 (")
    assert json.loads(alarm["StateReasonData"])["recentDatapoints"] == [0.0]

    messages = lab.sns_messages()
    assert [m["topic_arn"] for m in messages] == [topic]
    assert messages[0]["subject"] == 'ALARM: "tunnel-1-down" in US East (N. Virginia)'
    note = json.loads(messages[0]["message"])
    assert note["AlarmName"] == "tunnel-1-down"
    assert note["AlarmDescription"] == "tunnel 1 of the lab site"
    assert note["AWSAccountId"] == ACCOUNT
    assert (note["OldStateValue"], note["NewStateValue"]) == ("INSUFFICIENT_DATA", "ALARM")
    assert note["Region"] == "US East (N. Virginia)"
    assert note["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:tunnel-1-down"
    assert note["StateChangeTime"].endswith("+0000")
    trigger = note["Trigger"]
    assert trigger["MetricName"] == "TunnelState" and trigger["Namespace"] == "AWS/VPN"
    assert trigger["Statistic"] == "MAXIMUM" and trigger["StatisticType"] == "Statistic"
    assert trigger["Dimensions"] == [{"value": vpn_id, "name": "VpnId"}, {"value": ip1, "name": "TunnelIpAddress"}]
    assert (trigger["Period"], trigger["EvaluationPeriods"], trigger["Threshold"]) == (60, 1, 1.0)
    assert trigger["ComparisonOperator"] == "LessThanThreshold" and trigger["TreatMissingData"] == "missing"

    # SNS delivered the notification to SQS in its envelope
    received = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    envelope = json.loads(received[0]["Body"])
    assert envelope["TopicArn"] == topic and json.loads(envelope["Message"])["NewStateValue"] == "ALARM"

    # EventBridge ran the Lambda target in-process; boto3 inside it reached the lab
    invocation = lab.wait_for(lambda: [i for i in lab.invocations() if i["event"]["detail"]["state"]["value"] == "ALARM"])[0]
    assert invocation["function_name"] == "vpn-alarm-handler" and invocation["error"] is None
    event = invocation["event"]
    assert event["source"] == "aws.cloudwatch" and event["detail-type"] == "CloudWatch Alarm State Change"
    assert event["resources"] == [alarm["AlarmArn"]]
    assert event["detail"]["previousState"]["value"] == "INSUFFICIENT_DATA"
    metric = event["detail"]["configuration"]["metrics"][0]["metricStat"]
    assert metric["metric"] == {"namespace": "AWS/VPN", "name": "TunnelState", "dimensions": {"VpnId": vpn_id, "TunnelIpAddress": ip1}}
    result = invocation["result"]
    assert result["site"] == "lab-site-1" and result["endpoint"] == lab.url and result["region"] == "us-east-1"
    assert result["alarm_state"] == "ALARM" and result["queues"] == 1 and result["helper"] == "from-helper"
    assert "event for vpn-alarm-handler" in invocation["logs"]

    # the tunnel comes back: OK, another notification
    lab.telemetry(ip1, "UP")
    assert _state(cw, "tunnel-1-down") == "OK"
    messages = lab.sns_messages()
    assert len(messages) == 2
    ok = json.loads(messages[1]["message"])
    assert (ok["OldStateValue"], ok["NewStateValue"]) == ("ALARM", "OK")
    assert messages[1]["subject"].startswith('OK: "tunnel-1-down"')
    lab.wait_for(lambda: [i for i in lab.invocations() if i["event"]["detail"]["state"]["value"] == "OK"])

    history = cw.describe_alarm_history(AlarmName="tunnel-1-down", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == [
        "Alarm updated from ALARM to OK",
        "Alarm updated from INSUFFICIENT_DATA to ALARM",
    ]
    actions = cw.describe_alarm_history(AlarmName="tunnel-1-down", HistoryItemType="Action")["AlarmHistoryItems"]
    assert len(actions) == 2 and all(a["HistorySummary"].startswith("Successfully executed action") for a in actions)


def test_telemetry_publishes_vpn_metrics_with_aws_dimensions(lab):
    vpn_id, (ip1, ip2) = _vpn(lab)
    lab.telemetry(ip1, "UP", data_in=1000, data_out=400)
    lab.telemetry(ip1, "UP", data_in=1500, data_out=500)
    cw = lab.client("cloudwatch")
    metrics = cw.list_metrics(Namespace="AWS/VPN")["Metrics"]
    dimension_sets = {
        (m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]))) for m in metrics
    }
    for name in ("TunnelState", "TunnelDataIn", "TunnelDataOut"):
        assert (name, (("TunnelIpAddress", ip1), ("VpnId", vpn_id))) in dimension_sets
        assert (name, (("TunnelIpAddress", ip1),)) in dimension_sets
        assert (name, (("VpnId", vpn_id),)) in dimension_sets
    now = datetime.now(timezone.utc)

    def stat(metric, dims, statistic):
        points = cw.get_metric_statistics(
            Namespace="AWS/VPN", MetricName=metric, Dimensions=dims, StartTime=now - timedelta(minutes=5),
            EndTime=now + timedelta(minutes=1), Period=3600, Statistics=[statistic],
        )["Datapoints"]
        return points[0][statistic]

    tunnel = [{"Name": "VpnId", "Value": vpn_id}, {"Name": "TunnelIpAddress", "Value": ip1}]
    # the counters are cumulative: the lab publishes the increase
    assert stat("TunnelDataIn", tunnel, "Sum") == 1500.0
    assert stat("TunnelDataOut", tunnel, "Sum") == 500.0
    # one of two tunnels up: the connection's TunnelState ({VpnId} only) is 0.5; moto's
    # GetMetricStatistics matches dimension subsets, the lab's alarms match the exact set
    alarm = _alarm(cw, "half-up", Dimensions=[{"Name": "VpnId", "Value": vpn_id}], Threshold=0.5,
                   ComparisonOperator="LessThanOrEqualToThreshold")
    assert alarm["StateValue"] == "ALARM"
    assert json.loads(alarm["StateReasonData"])["recentDatapoints"] == [0.5]
    described = lab.client("ec2").describe_vpn_connections(VpnConnectionIds=[vpn_id])["VpnConnections"][0]
    telemetry = {t["OutsideIpAddress"]: t["Status"] for t in described["VgwTelemetry"]}
    assert telemetry == {ip1: "UP", ip2: "DOWN"}


def test_unknown_tunnel_telemetry_is_404(lab):
    with pytest.raises(Exception) as err:
        lab.telemetry("198.51.100.250", "DOWN")
    assert getattr(err.value, "status", None) == 404


# --------------------------------------------------------------------------- evaluation rules


def test_evaluation_periods_and_datapoints_to_alarm(lab):
    lab.set_settings({"time_factor": 60})  # a 60 s period lasts one real second
    cw = lab.client("cloudwatch")
    dims = [{"Name": "TunnelIpAddress", "Value": "198.51.100.7"}]
    _alarm(cw, "m-of-n", Dimensions=dims, EvaluationPeriods=3, DatapointsToAlarm=2, Statistic="Average",
           ComparisonOperator="GreaterThanThreshold", Threshold=4.0, MetricName="TunnelDataIn")
    now = datetime.now(timezone.utc)

    def put(values_ago):
        cw.put_metric_data(Namespace="AWS/VPN", MetricData=[
            {"MetricName": "TunnelDataIn", "Dimensions": dims, "Value": v, "Timestamp": now - timedelta(seconds=ago)}
            for v, ago in values_ago
        ])

    put([(5.0, 2.5)])  # one breaching datapoint of the two needed
    assert _state(cw, "m-of-n") == "OK"
    put([(1.0, 1.5), (9.0, 0.4), (1.0, 0.3)])  # the newest period averages 5: the second breach
    alarm = cw.describe_alarms(AlarmNames=["m-of-n"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert "2 out of the last 3 datapoints" in alarm["StateReason"]
    assert "(minimum 2 datapoints for OK -> ALARM transition)" in alarm["StateReason"]


def test_datapoints_of_other_dimension_sets_do_not_count(lab):
    cw = lab.client("cloudwatch")
    _alarm(cw, "exact-dims", Dimensions=[{"Name": "VpnId", "Value": "vpn-1"}])
    cw.put_metric_data(Namespace="AWS/VPN", MetricData=[{
        "MetricName": "TunnelState", "Value": 0.0,
        "Dimensions": [{"Name": "VpnId", "Value": "vpn-1"}, {"Name": "TunnelIpAddress", "Value": "198.51.100.9"}],
    }])
    assert _state(cw, "exact-dims") == "INSUFFICIENT_DATA"
    cw.put_metric_data(Namespace="AWS/VPN", MetricData=[{"MetricName": "TunnelState", "Value": 0.0, "Dimensions": [{"Name": "VpnId", "Value": "vpn-1"}]}])
    assert _state(cw, "exact-dims") == "ALARM"


@pytest.mark.parametrize(
    ("treat", "expected"),
    [("missing", "INSUFFICIENT_DATA"), ("ignore", "INSUFFICIENT_DATA"), ("breaching", "ALARM"), ("notBreaching", "OK")],
)
def test_treat_missing_data(lab, treat, expected):
    cw = lab.client("cloudwatch")
    assert _alarm(cw, f"missing-{treat}", TreatMissingData=treat, EvaluationPeriods=2)["StateValue"] == expected


def test_missing_data_returns_alarm_to_insufficient_data_after_the_period(lab):
    lab.set_settings({"time_factor": 60})
    cw = lab.client("cloudwatch")
    _alarm(cw, "goes-stale")
    dims = [{"Name": "VpnId", "Value": "vpn-0123456789abcdef0"}]
    cw.put_metric_data(Namespace="AWS/VPN", MetricData=[{"MetricName": "TunnelState", "Value": 0.0, "Dimensions": dims}])
    assert _state(cw, "goes-stale") == "ALARM"
    # no more data: the background evaluator sees the period pass (1 s at time_factor 60)
    lab.wait_for(lambda: _state(cw, "goes-stale") == "INSUFFICIENT_DATA", timeout=5)
    assert cw.describe_alarms(AlarmNames=["goes-stale"])["MetricAlarms"][0]["StateReason"] == "Insufficient Data: 1 datapoint was unknown."


def test_updating_an_alarm_keeps_its_state(lab):
    cw = lab.client("cloudwatch")
    _alarm(cw, "kept")
    cw.set_alarm_state(AlarmName="kept", StateValue="ALARM", StateReason="test")
    assert _alarm(cw, "kept", AlarmDescription="new text")["StateValue"] == "ALARM"


def test_set_alarm_state_fires_actions_and_reaches_sqs(lab):
    sns, sqs, cw = lab.client("sns"), lab.client("sqs"), lab.client("cloudwatch")
    topic = sns.create_topic(Name="manual")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="manual")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    _alarm(cw, "manual", AlarmActions=[topic], InsufficientDataActions=[topic])
    cw.set_alarm_state(AlarmName="manual", StateValue="ALARM", StateReason="drill")
    cw.set_alarm_state(AlarmName="manual", StateValue="ALARM", StateReason="drill again")  # no change, no action
    messages = lab.sns_messages()
    assert len(messages) == 1
    body = json.loads(sqs.receive_message(QueueUrl=queue_url)["Messages"][0]["Body"])
    assert body["NewStateValue"] == "ALARM" and body["NewStateReason"] == "drill"
    cw.disable_alarm_actions(AlarmNames=["manual"])
    cw.set_alarm_state(AlarmName="manual", StateValue="INSUFFICIENT_DATA", StateReason="quiet")
    assert len(lab.sns_messages()) == 1


def test_alarm_with_lambda_action_invokes_it(lab):
    function_arn = _function(lab, name="alarm-action")
    cw = lab.client("cloudwatch")
    _alarm(cw, "to-lambda", AlarmActions=[function_arn])
    cw.set_alarm_state(AlarmName="to-lambda", StateValue="ALARM", StateReason="drill")
    invocation = lab.wait_for(lab.invocations)[0]
    assert invocation["function_name"] == "alarm-action"
    assert invocation["event"]["source"] == "aws.cloudwatch"
    assert invocation["event"]["alarmData"]["state"]["value"] == "ALARM"


# --------------------------------------------------------------------------- Lambda


def test_lambda_invoke_runs_the_handler(lab):
    _function(lab, name="direct", site="site-9")
    lam = lab.client("lambda")
    lab.client("sqs").create_queue(QueueName="seen-by-handler")
    response = lam.invoke(FunctionName="direct", Payload=json.dumps({"hello": "lab"}), LogType="Tail")
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    result = json.loads(response["Payload"].read())
    assert result["site"] == "site-9" and result["queues"] == 1 and result["remaining_ms"] is True
    assert "event for direct" in base64.b64decode(response["LogResult"]).decode()
    invocation = lab.invocations()[-1]
    assert invocation["event"] == {"hello": "lab"} and invocation["result"] == result
    assert invocation["duration_ms"] > 0
    assert lab.requests()["counts"]["lambda:Invoke"] == 1


def test_lambda_handler_error_is_unhandled_function_error(lab):
    _function(lab, name="failing")
    response = lab.client("lambda").invoke(FunctionName="failing", Payload=json.dumps({"fail": True}))
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "asked to fail"
    assert lab.invocations()[-1]["error"]["errorType"] == "ValueError"


def test_lambda_async_invoke_and_sns_subscription(lab):
    function_arn = _function(lab, name="async")
    lam, sns = lab.client("lambda"), lab.client("sns")
    response = lam.invoke(FunctionName="async", InvocationType="Event", Payload=json.dumps({"n": 1}))
    assert response["StatusCode"] == 202
    lab.wait_for(lambda: [i for i in lab.invocations() if i["event"] == {"n": 1}])
    topic = sns.create_topic(Name="to-lambda")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function_arn)
    sns.publish(TopicArn=topic, Message="tunnel flapped", Subject="lab")
    invocation = lab.wait_for(lambda: [i for i in lab.invocations() if "Records" in i["event"]])[0]
    record = invocation["event"]["Records"][0]
    assert record["EventSource"] == "aws:sns"
    assert record["Sns"]["TopicArn"] == topic and record["Sns"]["Message"] == "tunnel flapped"
    assert record["Sns"]["Subject"] == "lab"
    # a message a client published is recorded as well
    assert [(m["topic_arn"], m["message"]) for m in lab.sns_messages()] == [(topic, "tunnel flapped")]


def test_running_async_invocations_are_counted_until_recorded(lab):
    # what tests wait on before they judge a run's writes (sitevpn_playbook.settled)
    _function(lab, name="held")
    assert lab.running_invocations() == 0
    lab.client("lambda").invoke(FunctionName="held", InvocationType="Event", Payload=json.dumps({"wait_for_queue": "release"}))
    assert lab.running_invocations() == 1
    assert not [i for i in lab.invocations() if i["function_name"] == "held"]
    lab.client("sqs").create_queue(QueueName="release")
    lab.wait_for(lambda: lab.running_invocations() == 0, timeout=15)
    [held] = [i for i in lab.invocations() if i["function_name"] == "held"]
    assert held["error"] is None and held["result"]["site"] == "lab-site-1"


def test_lambda_handlers_keep_their_own_environment(lab):
    _function(lab, name="env-a", site="A")
    _function(lab, name="env-b", site="B")
    lam = lab.client("lambda")
    results = {}
    import threading

    def call(name):
        results[name] = json.loads(lam.invoke(FunctionName=name)["Payload"].read())["site"]

    threads = [threading.Thread(target=call, args=(n,)) for n in ("env-a", "env-b") * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"env-a": "A", "env-b": "B"}
    import os

    assert "SITE" not in os.environ  # the test process never saw the handler's variables


def test_recorded_messages_and_invocations_can_be_cleared(lab):
    sns = lab.client("sns")
    topic = sns.create_topic(Name="clear-me")["TopicArn"]
    sns.publish(TopicArn=topic, Message="x")
    assert lab.sns_messages()
    lab.call("DELETE", "sns-messages")
    assert lab.sns_messages() == []
    _function(lab, name="clear-fn")
    lab.client("lambda").invoke(FunctionName="clear-fn")
    assert lab.invocations()
    lab.call("DELETE", "invocations")
    assert lab.invocations() == []


def test_unknown_alarm_state_errors_stay_aws_errors(lab):
    cw = lab.client("cloudwatch", max_attempts=1)
    with pytest.raises(ClientError) as err:
        cw.set_alarm_state(AlarmName="nope", StateValue="ALARM", StateReason="x")
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"
    _alarm(cw, "valid")
    with pytest.raises(ClientError):
        cw.set_alarm_state(AlarmName="valid", StateValue="ALARM", StateReason="x", StateReasonData="not json")
    time.sleep(0)  # nothing fired
    assert lab.sns_messages() == []


def test_alarm_event_reaches_non_lambda_rule_targets(lab):
    sqs, events, cw = lab.client("sqs"), lab.client("events"), lab.client("cloudwatch")
    queue_url = sqs.create_queue(QueueName="alarm-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="to-sqs", EventPattern=json.dumps({"source": ["aws.cloudwatch"], "detail": {"state": {"value": ["ALARM"]}}}))
    events.put_targets(Rule="to-sqs", Targets=[{"Id": "q", "Arn": queue_arn}])
    _alarm(cw, "evented")
    cw.set_alarm_state(AlarmName="evented", StateValue="OK", StateReason="not matched by the rule")
    cw.set_alarm_state(AlarmName="evented", StateValue="ALARM", StateReason="matched")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    event = json.loads(messages[0]["Body"])
    assert event["detail-type"] == "CloudWatch Alarm State Change"
    assert event["detail"]["alarmName"] == "evented"
    assert event["detail"]["state"]["reason"] == "matched"
    assert event["detail"]["previousState"]["value"] == "OK"
