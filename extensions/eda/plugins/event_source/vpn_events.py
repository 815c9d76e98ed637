# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""sitevpn.aws.vpn_events: VPN tunnel events from an SQS queue, for ansible-rulebook.

The queue is the one roles/monitoring subscribes to the VPN SNS topic. Each message is an SNS
notification (or, with raw delivery, the bare message) carrying either a CloudWatch alarm
notification for the collection's TunnelState alarms or a message of the collection's Lambda.
Both become one normalised event::

    {"vpn_connection_id": "vpn-...", "tunnel_outside_ip": "198.51.100.11" | None,
     "state": "UP" | "DOWN", "both_down": bool, "site": "site-static" | None,
     "time": "2026-11-25T10:52:00.123Z", "timestamp": 1795603920.123,
     "source": "cloudwatch_alarm" | "lambda", "event_id": "..."}

A message is deleted only after its event is on the rulebook's queue (at-least-once); duplicates
(same SNS MessageId, or the same transition seen twice) and stale transitions (older than the
last one handed on for that tunnel) are dropped; malformed messages are logged and deleted.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
short_description: Receive VPN tunnel events (CloudWatch alarms, the collection's Lambda) from SQS.
description:
  - Long-polls an SQS queue subscribed to the VPN SNS topic of C(roles/monitoring).
  - Turns CloudWatch TunnelState alarm notifications (per tunnel and per connection, the latter
    meaning both tunnels down) and the failover Lambda's messages into one normalised event.
  - Deletes a message only after its event was handed to the rulebook; drops duplicates and stale
    events; logs and deletes malformed messages.
options:
  queue_url:
    description: URL of the queue. One of O(queue_url) and O(queue_name) is required.
    type: str
  queue_name:
    description: Name of the queue; its URL is looked up.
    type: str
  region:
    description: AWS region.
    type: str
  endpoint_url:
    description: SQS endpoint (for example the lab API).
    type: str
  aws_access_key_id:
    description: Access key; the usual boto3 credential chain is used when not set.
    type: str
  aws_secret_access_key:
    description: Secret key.
    type: str
  aws_session_token:
    description: Session token.
    type: str
  profile:
    description: Named AWS profile.
    type: str
  wait_time_seconds:
    description: Long-poll wait (0-20).
    type: int
    default: 20
  max_messages:
    description: Messages per receive (1-10).
    type: int
    default: 10
  delay_seconds:
    description: Pause between two receives.
    type: float
    default: 0
  sites:
    description: Map of VPN connection ID to site name, for alarms whose description names no site.
    type: dict
  dedup_size:
    description: How many message IDs and transitions are remembered to drop duplicates.
    type: int
    default: 4096
"""

EXAMPLES = r"""
- name: VPN tunnel events
  hosts: all
  sources:
    - sitevpn.aws.vpn_events:
        queue_name: sitevpn-vpn-events
        region: us-east-1
  rules:
    - name: Tunnel down
      condition: event.state == "DOWN"
      action:
        debug:
"""

import asyncio
import collections
import importlib.util
import json
import logging
import os
import re
from typing import Any

LOG = logging.getLogger("sitevpn.aws.vpn_events")

TUNNEL_STATE_METRIC = "TunnelState"
SOURCE_ALARM = "cloudwatch_alarm"
SOURCE_LAMBDA = "lambda"
ALARM_STATES = {"ALARM": "DOWN", "OK": "UP"}
_STATE_WORDS = {"UP": "UP", "DOWN": "DOWN", "ALARM": "DOWN", "OK": "UP"}
_SITE_RE = re.compile(r"\bsite[=:]\s*([A-Za-z0-9_.-]+)", re.IGNORECASE)
# roles/monitoring's descriptions say "... of vpn-0123 (<site>) ..."
_DESCRIPTION_SITE_RE = re.compile(r"\bvpn-[0-9a-f]{8,17} \(([A-Za-z0-9_.-]+)\)")
_VPN_RE = re.compile(r"\b(vpn-[0-9a-f]{8,17})\b")


def _load_module_utils(name: str):
    """One of the collection's standard-library module_utils, by its place in the collection:
    ansible-rulebook runs this file with runpy, and a decision environment's collection path is not
    on sys.path."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 4, "plugins", "module_utils", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"sitevpn.aws.{name}", os.path.normpath(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


site_names = _load_module_utils("site_names")
aws_time = _load_module_utils("aws_time")


class MalformedMessage(ValueError):
    """A message that is not an SNS notification, an alarm notification or a Lambda message."""


# --------------------------------------------------------------------------- pure parsing


def parse_time(value: Any) -> float:
    """Epoch seconds of an AWS timestamp ('2026-11-25T10:52:00.123+0000', ISO 8601, 'Z') or a number."""
    try:
        epoch = aws_time.to_epoch(value)
    except ValueError:
        epoch = None
    if epoch is None:
        raise MalformedMessage(f"no usable time: {value!r}")
    return epoch


format_time = aws_time.iso_utc


def _loads(text: Any, what: str) -> Any:
    if isinstance(text, (dict, list)):
        return text
    if not isinstance(text, (str, bytes)):
        raise MalformedMessage(f"{what} is not text")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise MalformedMessage(f"{what} is not JSON: {exc}") from None


def _attribute_values(attributes: Any) -> dict[str, Any]:
    """{name: value} of SNS ({"Type", "Value"}) or SQS ({"DataType", "StringValue"}) message attributes."""
    values: dict[str, Any] = {}
    for key, value in (attributes or {}).items():
        if isinstance(value, dict):
            value = value.get("Value", value.get("StringValue"))
        values[key] = value
    return values


def _message_object(text: Any, attributes: dict[str, Any], what: str) -> dict[str, Any]:
    """A message as a dict: JSON text, or (the Lambda's human text) a text carried with attributes."""
    try:
        message = _loads(text, what)
    except MalformedMessage:
        if attributes and isinstance(text, str):
            return {"text": text}
        raise
    if not isinstance(message, dict):
        raise MalformedMessage(f"{what} is not a JSON object")
    return message


def unwrap(body: Any, sqs_attributes: Any = None) -> tuple[dict[str, Any], str | None, dict[str, Any]]:
    """(message, SNS MessageId or None, message attributes) of an SQS body: SNS envelope or raw.

    With raw delivery the SNS message attributes arrive as the SQS message's attributes.
    """
    raw_attributes = _attribute_values(sqs_attributes)
    try:
        data = _loads(body, "message body")
    except MalformedMessage:
        return _message_object(body, raw_attributes, "message body"), None, raw_attributes
    if isinstance(data, dict) and data.get("Type") == "Notification" and "Message" in data:
        attributes = _attribute_values(data.get("MessageAttributes"))
        return _message_object(data["Message"], attributes, "SNS Message"), data.get("MessageId"), attributes
    if not isinstance(data, dict):
        raise MalformedMessage("message body is not a JSON object")
    return data, None, raw_attributes


def _dimensions(trigger: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """(metric name, dimensions) of an alarm's Trigger: a plain metric or a one-metric query."""
    if trigger.get("MetricName"):
        return trigger["MetricName"], list(trigger.get("Dimensions") or [])
    for query in trigger.get("Metrics") or []:
        metric = (query.get("MetricStat") or {}).get("Metric") or {}
        if metric.get("MetricName"):
            return metric["MetricName"], list(metric.get("Dimensions") or [])
    return None, []


def _site_from(description: Any, alarm_name: Any = None) -> str | None:
    """The site an alarm names: 'site=X' in its description, else roles/monitoring's naming."""
    if isinstance(description, str):
        for pattern in (_SITE_RE, _DESCRIPTION_SITE_RE):
            match = pattern.search(description)
            if match:
                return match.group(1)
    if isinstance(alarm_name, str):
        return site_names.site_of_alarm_name(alarm_name)
    return None


def _means_all_down(trigger: dict[str, Any]) -> bool:
    """Whether a connection-level TunnelState alarm (the fraction of tunnels up) fires only when
    no tunnel is up. With two tunnels the fraction is 0, 0.5 or 1: '< 1' means "a tunnel is down"."""
    try:
        threshold = float(trigger.get("Threshold"))
    except (TypeError, ValueError):
        return False
    operator = trigger.get("ComparisonOperator")
    if operator == "LessThanThreshold":
        return threshold <= 0.5
    if operator == "LessThanOrEqualToThreshold":
        return threshold < 0.5
    return False


def _event(vpn_id: Any, outside_ip: Any, state: str, both_down: bool, site: Any, epoch: float, source: str) -> dict[str, Any]:
    # whole seconds: the Lambda reports the alarm's change time without its milliseconds, and
    # its message about a transition is the same transition as the alarm's
    event_id = f"{vpn_id}|{outside_ip or '*'}|{state}|{int(bool(both_down))}|{format_time(float(int(epoch)))}"
    return {
        "vpn_connection_id": vpn_id,
        "tunnel_outside_ip": outside_ip or None,
        "state": state,
        "both_down": bool(both_down),
        "site": site or None,
        "time": format_time(epoch),
        "timestamp": round(epoch, 3),
        "source": source,
        "event_id": event_id,
    }


def parse_alarm(message: dict[str, Any], sites: dict[str, str] | None = None) -> dict[str, Any] | None:
    """Event of a CloudWatch alarm notification; None for alarms and states that are not ours."""
    state = ALARM_STATES.get(message.get("NewStateValue"))
    metric, dimensions = _dimensions(message.get("Trigger") or {})
    if state is None or metric != TUNNEL_STATE_METRIC:
        return None  # INSUFFICIENT_DATA, data-volume alarms: nothing to do on the device
    values = {d.get("name") or d.get("Name"): d.get("value") or d.get("Value") for d in dimensions if isinstance(d, dict)}
    outside_ip = values.get("TunnelIpAddress")
    vpn_id = values.get("VpnId")
    if not vpn_id:
        match = _VPN_RE.search(f"{message.get('AlarmName', '')} {message.get('AlarmDescription') or ''}")
        vpn_id = match.group(1) if match else None
    if not vpn_id and not outside_ip:
        raise MalformedMessage(f"TunnelState alarm {message.get('AlarmName')!r} names no VPN connection or tunnel")
    # a connection-level alarm: both down only if its condition says so (else "some tunnel down",
    # which names no tunnel: the per-tunnel alarms and the Lambda say which)
    both_down = outside_ip is None and state == "DOWN" and _means_all_down(message.get("Trigger") or {})
    if outside_ip is None and state == "UP" and message.get("OldStateValue") != "ALARM":
        # a connection alarm's OK after INSUFFICIENT_DATA (a new alarm, a gap in the data): nothing
        # was down, and a tunnel's own alarm says when one comes back
        return None
    site = _site_from(message.get("AlarmDescription"), message.get("AlarmName")) or (sites or {}).get(vpn_id)
    return _event(vpn_id, outside_ip, state, both_down, site, parse_time(message.get("StateChangeTime")), SOURCE_ALARM)


def _first(data: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if data.get(key) not in (None, ""):
            return data[key]
    return None


def parse_lambda(message: dict[str, Any], attributes: dict[str, Any], sites: dict[str, str] | None = None) -> dict[str, Any] | None:
    """Event of a message from the collection's Lambda (JSON body and/or SNS message attributes)."""
    data = dict(attributes)
    data.update(message)
    vpn_id = _first(data, "vpn_connection_id", "VpnConnectionId", "vpn_id", "VpnId")
    raw_state = _first(data, "state", "tunnel_state", "status", "new_state", "NewStateValue")
    if vpn_id is None or raw_state is None:
        return None
    state = _STATE_WORDS.get(str(raw_state).upper())
    if state is None:
        raise MalformedMessage(f"Lambda message has an unknown state {raw_state!r}")
    outside_ip = _first(data, "tunnel_outside_ip", "outside_ip", "TunnelIpAddress", "tunnel_ip")
    both = _first(data, "both_down", "both_tunnels_down")
    both_down = str(both).lower() in ("true", "1", "yes") if both is not None else False
    site = _first(data, "site", "Site") or (sites or {}).get(vpn_id)
    when = _first(data, "time", "state_change_time", "timestamp", "StateChangeTime")
    return _event(vpn_id, outside_ip, state, both_down and state == "DOWN", site, parse_time(when), SOURCE_LAMBDA)


def parse_message(body: Any, sites: dict[str, str] | None = None, sqs_attributes: Any = None) -> tuple[dict[str, Any] | None, str | None]:
    """(event or None, SNS MessageId or None) of one SQS message body.

    None means "a valid message with nothing to do" (an OK of a data alarm, INSUFFICIENT_DATA,
    a notice without a state). Raises MalformedMessage for anything unreadable.
    """
    message, message_id, attributes = unwrap(body, sqs_attributes)
    if "AlarmName" in message and "NewStateValue" in message:
        return parse_alarm(message, sites), message_id
    return parse_lambda(message, attributes, sites), message_id


class Deduplicator:
    """Bounded memory of what was handed on: message IDs, transitions, last time per tunnel."""

    def __init__(self, size: int = 4096) -> None:
        self.size = max(int(size), 16)
        self._seen: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._last: collections.OrderedDict[tuple[str, str], float] = collections.OrderedDict()

    def _remember(self, key: str) -> None:
        self._seen[key] = None
        self._seen.move_to_end(key)
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)

    def seen(self, message_id: str | None) -> bool:
        return message_id is not None and f"msg:{message_id}" in self._seen

    def verdict(self, event: dict[str, Any], message_id: str | None = None) -> str | None:
        """None to hand the event on, else why not ('duplicate' or 'stale')."""
        if self.seen(message_id) or f"evt:{event['event_id']}" in self._seen:
            return "duplicate"
        key = (str(event["vpn_connection_id"]), str(event["tunnel_outside_ip"] or "*"))
        last = self._last.get(key)
        if last is not None and int(event["timestamp"]) < int(last):
            return "stale"
        return None

    def accept(self, event: dict[str, Any] | None, message_id: str | None = None) -> None:
        if message_id is not None:
            self._remember(f"msg:{message_id}")
        if event is None:
            return
        self._remember(f"evt:{event['event_id']}")
        key = (str(event["vpn_connection_id"]), str(event["tunnel_outside_ip"] or "*"))
        self._last[key] = max(event["timestamp"], self._last.get(key, event["timestamp"]))
        self._last.move_to_end(key)
        while len(self._last) > self.size:
            self._last.popitem(last=False)


Step = tuple[dict[str, Any] | None, dict[str, Any], str]


def plan_batch(messages: list[dict[str, Any]], dedup: Deduplicator, sites: dict[str, str] | None = None) -> list[Step]:
    """What to do with one receive's messages, in order: (event or None, SQS message, note).

    Events are ordered by their time (SQS standard queues do not keep order); a message without
    an event (malformed, nothing to do, duplicate, stale) comes first, to be deleted at once.
    """
    drop: list[Step] = []
    keep: list[tuple[dict[str, Any], dict[str, Any], str | None]] = []
    batch_ids: set[str] = set()
    for sqs_message in messages:
        try:
            event, message_id = parse_message(sqs_message.get("Body"), sites, sqs_message.get("MessageAttributes"))
        except MalformedMessage as exc:
            drop.append((None, sqs_message, f"malformed: {exc}"))
            continue
        except Exception as exc:  # never let one message stop the source
            drop.append((None, sqs_message, f"malformed: {type(exc).__name__}: {exc}"))
            continue
        if event is None:
            dedup.accept(None, message_id)
            drop.append((None, sqs_message, "no tunnel event"))
            continue
        if event["event_id"] in batch_ids or (message_id and message_id in batch_ids):
            drop.append((None, sqs_message, "duplicate"))
            continue
        batch_ids.update(x for x in (event["event_id"], message_id) if x)
        if sites is not None:
            # the Lambda names the site (from the connection's tags): alarms of the same
            # connection that name none get it too
            if event["site"]:
                sites.setdefault(event["vpn_connection_id"], event["site"])
            else:
                event["site"] = sites.get(event["vpn_connection_id"])
        keep.append((event, sqs_message, message_id))
    keep.sort(key=lambda item: item[0]["timestamp"])
    result = list(drop)
    for event, sqs_message, message_id in keep:
        why = dedup.verdict(event, message_id)
        if why:
            result.append((None, sqs_message, why))
            dedup.accept(None, message_id)
        else:
            dedup.accept(event, message_id)
            result.append((event, sqs_message, "event"))
    return result


# --------------------------------------------------------------------------- the source


def _client(args: dict[str, Any]) -> Any:
    import boto3  # imported here so the parser tests need no boto3

    # empty strings (unset rulebook variables) mean "not given": boto3's credential chain decides
    session = boto3.session.Session(
        aws_access_key_id=args.get("aws_access_key_id") or None,
        aws_secret_access_key=args.get("aws_secret_access_key") or None,
        aws_session_token=args.get("aws_session_token") or None,
        profile_name=args.get("profile") or None,
        region_name=args.get("region") or None,
    )
    return session.client("sqs", endpoint_url=args.get("endpoint_url") or None)


def _queue_url(client: Any, args: dict[str, Any]) -> str:
    if args.get("queue_url"):
        return args["queue_url"]
    if not args.get("queue_name"):
        raise ValueError("sitevpn.aws.vpn_events needs queue_url or queue_name")
    return client.get_queue_url(QueueName=args["queue_name"])["QueueUrl"]


async def _delete(client: Any, url: str, sqs_message: dict[str, Any]) -> None:
    try:
        await asyncio.to_thread(client.delete_message, QueueUrl=url, ReceiptHandle=sqs_message["ReceiptHandle"])
    except Exception as exc:  # it comes back after the visibility timeout and is dropped as a duplicate
        LOG.warning("could not delete SQS message %s: %s", sqs_message.get("MessageId"), exc)


async def main(queue: asyncio.Queue, args: dict[str, Any]) -> None:
    """ansible-rulebook's entry point: put normalised VPN events on QUEUE forever."""
    wait = min(max(int(args.get("wait_time_seconds", 20)), 0), 20)
    max_messages = min(max(int(args.get("max_messages", 10)), 1), 10)
    delay = float(args.get("delay_seconds", 0) or 0)
    sites = dict(args.get("sites") or {})
    dedup = Deduplicator(int(args.get("dedup_size", 4096)))
    if not (args.get("queue_url") or args.get("queue_name")):
        raise ValueError("sitevpn.aws.vpn_events needs queue_url or queue_name")
    client = await asyncio.to_thread(_client, args)
    backoff = 1.0
    while True:  # the queue (or the network) may not be there yet: keep trying, as receives do
        try:
            url = await asyncio.to_thread(_queue_url, client, args)
            break
        except Exception as exc:
            LOG.warning("SQS queue %s not found (%s); retrying in %.0f s", args.get("queue_name"), exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 60.0)
    LOG.info("sitevpn.aws.vpn_events: polling %s", url)
    backoff = 1.0
    while True:
        try:
            response = await asyncio.to_thread(
                client.receive_message,
                QueueUrl=url,
                WaitTimeSeconds=wait,
                MaxNumberOfMessages=max_messages,
                MessageAttributeNames=["All"],
            )
        except Exception as exc:  # throttling, network: keep polling, more slowly
            LOG.warning("SQS receive failed (%s); retrying in %.0f s", exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 60.0)
            continue
        backoff = 1.0
        for event, sqs_message, note in plan_batch(response.get("Messages") or [], dedup, sites):
            if event is not None:
                await queue.put(event)
            elif note.startswith("malformed"):
                LOG.error("dropping SQS message %s: %s", sqs_message.get("MessageId"), note)
            else:
                LOG.info("dropping SQS message %s: %s", sqs_message.get("MessageId"), note)
            await _delete(client, url, sqs_message)
        if delay:
            await asyncio.sleep(delay)


if __name__ == "__main__":  # pragma: no cover - manual run: python vpn_events.py QUEUE_URL

    class _PrintQueue:
        async def put(self, event: dict[str, Any]) -> None:
            print(json.dumps(event))  # noqa: T201

    import sys

    logging.basicConfig(level=logging.INFO)
    asyncio.run(main(_PrintQueue(), {"queue_url": sys.argv[1], "endpoint_url": (sys.argv[2:] or [None])[0]}))  # type: ignore[arg-type]
