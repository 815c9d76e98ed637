# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The sitevpn.aws.vpn_events event source: parsing, deduplication, ordering, and main() on the lab's SQS."""

from __future__ import annotations

import asyncio
import copy
import importlib.util
import json
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parents[3] / "extensions" / "eda" / "plugins" / "event_source" / "vpn_events.py"
_SPEC = importlib.util.spec_from_file_location("sitevpn_vpn_events", PLUGIN)
ve = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ve)

VPN = "vpn-0123456789abcdef0"
IP1, IP2 = "198.51.100.11", "198.51.100.12"


def alarm(state="ALARM", ip=IP1, when="2026-11-25T10:52:00.123+0000", name=None, metric="TunnelState", description=None,
          threshold=None):
    """A CloudWatch alarm notification as the lab (lab/api/cloudwatch/actions.py) and AWS send it."""
    dims = [{"value": VPN, "name": "VpnId"}]
    if ip:
        dims.append({"value": ip, "name": "TunnelIpAddress"})
    return {
        "AlarmName": name or (f"sitevpn-vpn-site-static-tunnel{1 if ip == IP1 else 2}-down" if ip else "sitevpn-vpn-site-static-both-tunnels-down"),
        "AlarmDescription": description,
        "AWSAccountId": "123456789012",
        "AlarmConfigurationUpdatedTimestamp": "2026-11-25T10:40:00.000+0000",
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (25/11/26 10:51:00)] was less than the threshold (1.0)",
        "StateChangeTime": when,
        "Region": "US East (N. Virginia)",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x",
        "OldStateValue": "OK" if state == "ALARM" else "ALARM",
        "OKActions": [],
        "AlarmActions": [],
        "InsufficientDataActions": [],
        "Trigger": {
            "MetricName": metric, "Namespace": "AWS/VPN", "StatisticType": "Statistic", "Statistic": "MINIMUM",
            "Unit": None, "Dimensions": dims, "Period": 60, "EvaluationPeriods": 1, "DatapointsToAlarm": 1,
            "ComparisonOperator": "LessThanThreshold", "Threshold": threshold or (1.0 if ip else 0.5), "TreatMissingData": "breaching",
            "EvaluateLowSampleCountPercentile": "",
        },
    }


def sns(message, message_id="11111111-2222-3333-4444-555555555555", attributes=None):
    """The SQS body of an SNS notification (raw message delivery off)."""
    body = {
        "Type": "Notification", "MessageId": message_id,
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:sitevpn-vpn-events",
        "Subject": "ALARM: x", "Message": message if isinstance(message, str) else json.dumps(message),
        "Timestamp": "2026-11-25T10:52:00.200Z", "SignatureVersion": "1", "Signature": "x",
    }
    if attributes:
        body["MessageAttributes"] = {k: {"Type": "String", "Value": v} for k, v in attributes.items()}
    return json.dumps(body)


def lambda_attrs(state="DOWN", ip=IP1, both="false", when="2026-11-25T10:52:00Z"):
    """The facts roles/failover_automation's handler publishes as message attributes."""
    attrs = {"source": "sitevpn.failover", "vpn_connection_id": VPN, "state": state, "both_down": both,
             "site": "site-static", "time": when, "action": "none"}
    if ip:
        attrs["tunnel_outside_ip"] = ip
    return attrs


LAMBDA_TEXT = f"Tunnel 1 ({IP1}) of VPN {VPN} (site-static) is DOWN since 2026-11-25T10:52:00Z. Action: none."


def sqs(body, message_id="m1", attributes=None):
    msg = {"MessageId": message_id, "ReceiptHandle": f"rh-{message_id}", "Body": body}
    if attributes:
        msg["MessageAttributes"] = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
    return msg


# --------------------------------------------------------------------------- alarms


def test_alarm_down_sns_wrapped():
    event, message_id = ve.parse_message(sns(alarm("ALARM", description="Tunnel down. site=site-static")))
    assert message_id == "11111111-2222-3333-4444-555555555555"
    assert {k: event[k] for k in ("vpn_connection_id", "tunnel_outside_ip", "state", "both_down", "site", "time", "source")} == {
        "vpn_connection_id": VPN, "tunnel_outside_ip": IP1, "state": "DOWN", "both_down": False,
        "site": "site-static", "time": "2026-11-25T10:52:00.123Z", "source": "cloudwatch_alarm",
    }
    assert event["timestamp"] == pytest.approx(ve.parse_time("2026-11-25T10:52:00.123Z"))


def test_alarm_ok_raw_delivery_and_site_map():
    event, message_id = ve.parse_message(json.dumps(alarm("OK", ip=IP2, name="custom")), sites={VPN: "site-static"})
    assert message_id is None
    assert (event["state"], event["tunnel_outside_ip"], event["both_down"], event["site"]) == ("UP", IP2, False, "site-static")


def test_both_down_alarm_and_its_recovery():
    down, _id = ve.parse_message(sns(alarm("ALARM", ip=None)))
    assert (down["state"], down["both_down"], down["tunnel_outside_ip"], down["site"]) == ("DOWN", True, None, "site-static")
    up, _id = ve.parse_message(sns(alarm("OK", ip=None)))
    assert (up["state"], up["both_down"]) == ("UP", False)
    # OK after INSUFFICIENT_DATA (a new alarm, a gap in the data): nothing came back; a tunnel's
    # own OK after INSUFFICIENT_DATA still is its recovery (it may have been ALARM before the gap)
    assert ve.parse_message(sns(dict(alarm("OK", ip=None), OldStateValue="INSUFFICIENT_DATA")))[0] is None
    tunnel, _id = ve.parse_message(sns(dict(alarm("OK"), OldStateValue="INSUFFICIENT_DATA")))
    assert (tunnel["state"], tunnel["tunnel_outside_ip"]) == ("UP", IP1)


def test_metric_query_alarm_is_understood():
    message = alarm("ALARM")
    trigger = message["Trigger"]
    message["Trigger"] = {"Metrics": [{"Id": "m1", "MetricStat": {"Metric": {
        "Dimensions": trigger["Dimensions"], "MetricName": "TunnelState", "Namespace": "AWS/VPN"}, "Period": 60, "Stat": "Minimum"},
        "ReturnData": True}], "Period": 60, "EvaluationPeriods": 1, "ComparisonOperator": "LessThanThreshold", "Threshold": 1.0}
    event, _id = ve.parse_message(sns(message))
    assert (event["state"], event["tunnel_outside_ip"]) == ("DOWN", IP1)


def test_connection_alarm_that_fires_on_one_tunnel_down_is_not_both_down():
    event, _id = ve.parse_message(sns(alarm("ALARM", ip=None, threshold=1.0)))
    assert (event["state"], event["both_down"], event["tunnel_outside_ip"]) == ("DOWN", False, None)


@pytest.mark.parametrize(("name", "description", "site"), [
    ("sitevpn-vpn-site-static-tunnel2-down", None, "site-static"),
    ("acme-vpn-branch-7-both-tunnels-down", None, "branch-7"),
    ("x", f"[warning] sitevpn.aws: tunnel 1 (198.51.100.11) of {VPN} (site-bgp) down for 3 x 60 s", "site-bgp"),
    ("x", "Tunnel down. site: paris", "paris"),
    ("someone-elses-alarm", None, None),
])
def test_site_from_alarm_name_or_description(name, description, site):
    assert ve.parse_message(sns(alarm(name=name, description=description)))[0]["site"] == site


@pytest.mark.parametrize("message", [alarm("INSUFFICIENT_DATA"), alarm("ALARM", metric="TunnelDataIn")])
def test_alarms_with_nothing_to_do(message):
    assert ve.parse_message(sns(message))[0] is None


# --------------------------------------------------------------------------- the Lambda


def test_lambda_message_sns_wrapped_with_attributes():
    event, _id = ve.parse_message(sns(LAMBDA_TEXT, attributes=lambda_attrs(both="true")))
    assert {k: event[k] for k in ("vpn_connection_id", "tunnel_outside_ip", "state", "both_down", "site", "time", "source")} == {
        "vpn_connection_id": VPN, "tunnel_outside_ip": IP1, "state": "DOWN", "both_down": True,
        "site": "site-static", "time": "2026-11-25T10:52:00.000Z", "source": "lambda",
    }


def test_lambda_message_raw_delivery_uses_sqs_attributes():
    event, _id = ve.parse_message(LAMBDA_TEXT, sqs_attributes={
        k: {"DataType": "String", "StringValue": v} for k, v in lambda_attrs(state="UP").items()})
    assert (event["state"], event["both_down"], event["source"]) == ("UP", False, "lambda")


def test_lambda_json_message():
    body = {"vpn_connection_id": VPN, "tunnel_outside_ip": IP2, "state": "DOWN", "both_down": False,
            "site": "site-bgp", "time": "2026-11-25T11:00:00Z"}
    event, _id = ve.parse_message(sns(body))
    assert (event["tunnel_outside_ip"], event["site"], event["state"]) == (IP2, "site-bgp", "DOWN")


def test_lambda_notice_without_state_is_nothing_to_do():
    assert ve.parse_message(sns({"note": "hello"}))[0] is None


# --------------------------------------------------------------------------- malformed


@pytest.mark.parametrize("body", [
    "not json at all",
    "[1, 2]",
    json.dumps({"Type": "Notification", "MessageId": "x", "Message": "plain text, no attributes"}),
    sns(dict(alarm(), StateChangeTime="yesterday")),
    sns({"vpn_connection_id": VPN, "state": "SIDEWAYS", "time": "2026-11-25T11:00:00Z"}),
    sns(alarm(ip=None, name="no-connection-here") | {"Trigger": dict(alarm()["Trigger"], Dimensions=[])}),
    None,
])
def test_malformed_bodies_raise(body):
    with pytest.raises(ve.MalformedMessage):
        ve.parse_message(body)


def test_malformed_messages_are_dropped_not_fatal():
    dedup = ve.Deduplicator()
    plan = ve.plan_batch([sqs("garbage", "bad"), sqs(None, "none"), sqs(sns(alarm()), "good")], dedup, {})
    notes = [(m["MessageId"], note.split(":")[0], e is not None) for e, m, note in plan]
    assert notes == [("bad", "malformed", False), ("none", "malformed", False), ("good", "event", True)]


# --------------------------------------------------------------------------- duplicates and ordering


def test_duplicates_by_sns_message_id_and_by_transition():
    dedup = ve.Deduplicator()
    first = ve.plan_batch([sqs(sns(alarm(), "sns-1"), "a")], dedup, {})
    assert [note for _e, _m, note in first] == ["event"]
    # the same SNS message redelivered; the same transition published again under a new ID;
    # the Lambda's message about that transition (time without milliseconds)
    again = ve.plan_batch([
        sqs(sns(alarm(), "sns-1"), "b"),
        sqs(sns(alarm(), "sns-2"), "c"),
        sqs(sns(LAMBDA_TEXT, "sns-3", attributes=lambda_attrs()), "d"),
    ], dedup, {})
    assert sorted((m["MessageId"], note) for _e, m, note in again) == [("b", "duplicate"), ("c", "duplicate"), ("d", "duplicate")]
    # but the Lambda's both-down view of it is news
    both = ve.plan_batch([sqs(sns(LAMBDA_TEXT, "sns-4", attributes=lambda_attrs(both="true")), "e")], dedup, {})
    assert both[0][0]["both_down"] is True


def test_duplicates_within_one_batch():
    plan = ve.plan_batch([sqs(sns(alarm(), "x"), "a"), sqs(sns(alarm(), "x"), "b")], ve.Deduplicator(), {})
    assert [note for _e, _m, note in plan] == ["duplicate", "event"]


def test_batch_is_ordered_by_event_time_and_stale_events_dropped():
    dedup = ve.Deduplicator()
    up = sqs(sns(alarm("OK", when="2026-11-25T10:55:00.000+0000"), "up"), "up")
    down = sqs(sns(alarm("ALARM", when="2026-11-25T10:52:00.000+0000"), "down"), "down")
    plan = ve.plan_batch([up, down], dedup, {})
    assert [(e["state"], note) for e, _m, note in plan] == [("DOWN", "event"), ("UP", "event")]
    late = ve.plan_batch([sqs(sns(alarm("ALARM", when="2026-11-25T10:53:00.000+0000"), "late"), "late")], dedup, {})
    assert [(e, note) for e, _m, note in late] == [(None, "stale")]
    # another tunnel has its own history
    other = ve.plan_batch([sqs(sns(alarm("ALARM", ip=IP2, when="2026-11-25T10:53:00.000+0000"), "o"), "o")], dedup, {})
    assert other[0][0]["tunnel_outside_ip"] == IP2


def test_site_learned_from_lambda_fills_alarms():
    sites = {}
    plan = ve.plan_batch([sqs(sns(LAMBDA_TEXT, "l", attributes=lambda_attrs(ip=IP2, when="2026-11-25T10:50:00Z")), "l"),
                          sqs(sns(alarm(), "a"), "a")], ve.Deduplicator(), sites)
    assert [e["site"] for e, _m, _n in plan] == ["site-static", "site-static"]


def test_dedup_memory_is_bounded():
    dedup = ve.Deduplicator(size=16)
    for n in range(100):
        event = ve.parse_message(sns(alarm(when=f"2026-11-25T10:{n // 60:02d}:{n % 60:02d}.000+0000"), f"id-{n}"))[0]
        dedup.accept(event, f"id-{n}")
    assert len(dedup._seen) <= 16 and len(dedup._last) <= 16


def test_time_forms():
    assert ve.format_time(ve.parse_time("2026-11-25T10:52:00.123+0000")) == "2026-11-25T10:52:00.123Z"
    assert ve.parse_time("2026-11-25T10:52:00Z") == ve.parse_time("2026-11-25T10:52:00+00:00")
    assert ve.parse_time(5) == 5.0


# --------------------------------------------------------------------------- main() against the lab's SQS


class _Recorder(asyncio.Queue):
    """The rulebook's queue; records how many SQS messages were still there at each put."""

    def __init__(self, sqs_client, url):
        super().__init__()
        self.sqs, self.url, self.visible_at_put = sqs_client, url, []

    async def put(self, item):
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
        self.visible_at_put.append(int(attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"]))
        await super().put(item)


def _topic_and_queue(lab, name):
    sns_client, sqs_client = lab.client("sns"), lab.client("sqs")
    topic = sns_client.create_topic(Name=name)["TopicArn"]
    url = sqs_client.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns_client.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return sns_client, sqs_client, topic, url


def _args(lab, **extra):
    return dict({"endpoint_url": lab.url, "region": "us-east-1", "aws_access_key_id": "testing",
                 "aws_secret_access_key": "testing", "wait_time_seconds": 1}, **extra)


async def _collect(queue, args, count, timeout=20.0, drained=None):
    """COUNT events from main(); with DRAINED (a predicate), keep main() running until it holds."""
    task = asyncio.create_task(ve.main(queue, args))
    events = []
    try:
        for _n in range(count):
            events.append(await asyncio.wait_for(queue.get(), timeout))
        if drained is not None:
            deadline = asyncio.get_running_loop().time() + timeout
            while not await asyncio.to_thread(drained):
                assert asyncio.get_running_loop().time() < deadline, "queue not drained"
                await asyncio.sleep(0.1)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    return events


def _messages_left(sqs_client, url):
    attrs = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attrs["Attributes"].values())


def test_main_against_lab_sqs(lab):
    sns_client, sqs_client, topic, url = _topic_and_queue(lab, "sitevpn-eda-test")
    sns_client.publish(TopicArn=topic, Message="garbage that is not an event")
    sns_client.publish(TopicArn=topic, Message=json.dumps(alarm("ALARM", description="site=site-static")), Subject="ALARM")
    sns_client.publish(TopicArn=topic, Message=json.dumps(alarm("ALARM", description="site=site-static")), Subject="ALARM")
    recorder = _Recorder(sqs_client, url)
    events = asyncio.run(_collect(recorder, _args(lab, queue_name="sitevpn-eda-test"), 1,
                                  drained=lambda: _messages_left(sqs_client, url) == 0))
    assert [(e["state"], e["tunnel_outside_ip"], e["site"], e["source"]) for e in events] == [("DOWN", IP1, "site-static", "cloudwatch_alarm")]
    # the event's message was still in flight (not deleted) when the event was handed on
    assert recorder.visible_at_put and recorder.visible_at_put[0] >= 1
    assert recorder.empty()  # the duplicate was dropped, the garbage did not stop the source


def test_main_from_a_real_lab_alarm(lab):
    sns_client, sqs_client, topic, url = _topic_and_queue(lab, "sitevpn-eda-alarm")
    cloudwatch = lab.client("cloudwatch")
    dims = [{"Name": "VpnId", "Value": VPN}, {"Name": "TunnelIpAddress", "Value": IP1}]
    cloudwatch.put_metric_alarm(
        AlarmName=f"sitevpn-site-static-{VPN}-t1-down", AlarmDescription="site=site-static", Namespace="AWS/VPN",
        MetricName="TunnelState", Dimensions=dims, Statistic="Maximum", Period=60, EvaluationPeriods=1,
        Threshold=1.0, ComparisonOperator="LessThanThreshold", AlarmActions=[topic], OKActions=[topic])
    cloudwatch.put_metric_data(Namespace="AWS/VPN", MetricData=[{"MetricName": "TunnelState", "Dimensions": dims, "Value": 0.0}])
    down = asyncio.run(_collect(asyncio.Queue(), _args(lab, queue_url=url), 1, drained=lambda: _messages_left(sqs_client, url) == 0))
    assert [(e["state"], e["tunnel_outside_ip"], e["vpn_connection_id"], e["site"]) for e in down] == [("DOWN", IP1, VPN, "site-static")]
    cloudwatch.put_metric_data(Namespace="AWS/VPN", MetricData=[{"MetricName": "TunnelState", "Dimensions": dims, "Value": 1.0}])
    up = asyncio.run(_collect(asyncio.Queue(), _args(lab, queue_url=url), 1, drained=lambda: _messages_left(sqs_client, url) == 0))
    assert up[0]["state"] == "UP" and up[0]["timestamp"] >= down[0]["timestamp"]


def test_main_survives_receive_errors(lab):
    calls = []

    class FlakyClient:
        def __init__(self, real):
            self.real = real

        def receive_message(self, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("network down")
            return self.real.receive_message(**kwargs)

        def __getattr__(self, name):
            return getattr(self.real, name)

    sns_client, _sqs, topic, url = _topic_and_queue(lab, "sitevpn-eda-flaky")
    sns_client.publish(TopicArn=topic, Message=json.dumps(alarm("OK")))
    original = ve._client
    ve._client = lambda args: FlakyClient(original(args))
    try:
        events = asyncio.run(_collect(asyncio.Queue(), _args(lab, queue_url=url), 1))
    finally:
        ve._client = original
    assert events[0]["state"] == "UP" and len(calls) >= 2


def test_main_needs_a_queue():
    with pytest.raises(ValueError, match="queue_url or queue_name"):
        asyncio.run(ve.main(asyncio.Queue(), {"region": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "y"}))


def test_deepcopy_safe_events():
    event = ve.parse_message(sns(alarm()))[0]
    assert copy.deepcopy(event) == event and json.loads(json.dumps(event)) == event


def test_main_waits_for_the_queue_to_exist(lab):
    async def scenario():
        queue = asyncio.Queue()
        task = asyncio.create_task(ve.main(queue, _args(lab, queue_name="sitevpn-eda-later")))
        await asyncio.sleep(0.5)  # the source is retrying get_queue_url by now
        assert not task.done()
        sns_client, _sqs, topic, _url = await asyncio.to_thread(_topic_and_queue, lab, "sitevpn-eda-later")
        await asyncio.to_thread(sns_client.publish, TopicArn=topic, Message=json.dumps(alarm("ALARM", ip=IP2)))
        try:
            return await asyncio.wait_for(queue.get(), 20)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    event = asyncio.run(scenario())
    assert (event["state"], event["tunnel_outside_ip"]) == ("DOWN", IP2)
