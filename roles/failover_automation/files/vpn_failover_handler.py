# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS Lambda handler: react to sitevpn.aws tunnel alarms (EventBridge, SNS or alarm-action events).

For each alarm state change of one of the collection's alarms it

1. reads the VPN connection and its tunnels' telemetry (ec2:DescribeVpnConnections),
2. drops duplicate and out-of-order events, using a marker tag on the alarm itself
   (``<marker>:handled`` = ``<ALARM|OK> <state change time>``; the alarm modules leave tags alone,
   while the VPN connection's tags are purged by whoever manages the connection),
3. for static-routing connections, when ``SITEVPN_FAILOVER_ENABLED`` is true, moves the
   connection's static routes in the VPC route tables to ``SITEVPN_BACKUP_TARGET`` and back on
   recovery; every route it creates or replaces is recorded in a tag on its route table
   (``<marker>:<cidr>`` = ``<vpn id> created`` or ``<vpn id> replaced <previous target>``), and
   it only ever deletes or restores a route it has such a record for,
4. writes one structured JSON log line and publishes a short human message to
   ``SITEVPN_TOPIC_ARN`` (with the same facts as message attributes, for machine consumers).

Only boto3 is needed. Environment:
``SITEVPN_TOPIC_ARN``, ``SITEVPN_ALARM_PREFIX`` (only alarms whose name starts with it),
``SITEVPN_FAILOVER_ENABLED`` (true/false), ``SITEVPN_FAILOVER_TRIGGER``
(``both_tunnels_down`` | ``any_tunnel_down``), ``SITEVPN_BACKUP_TARGET`` (tgw-, nat-, eni-, pcx-,
igw-, vgw- or i- ID), ``SITEVPN_ROUTE_TABLE_IDS`` (comma-separated; empty: the tables tagged
``SITEVPN_SCOPE_TAG`` that use the connection's VPN gateway), ``SITEVPN_SCOPE_TAG``
(``Key=Value``), ``SITEVPN_MARKER`` (tag key prefix, default ``sitevpn-failover``),
``SITEVPN_NAME_PREFIX`` (the site is the connection's Name tag without ``<prefix>-``).
"""

from __future__ import annotations

import datetime
import json
import os

import boto3
from botocore.exceptions import ClientError

# the collection's plugins/module_utils/aws_time.py and site_names.py, packed beside this file in the zip
from aws_time import to_datetime
from site_names import site_of_connection_name

SOURCE = "sitevpn.failover"
TARGET_PARAMS = (
    ("tgw-", "TransitGatewayId"),
    ("nat-", "NatGatewayId"),
    ("eni-", "NetworkInterfaceId"),
    ("pcx-", "VpcPeeringConnectionId"),
    ("i-", "InstanceId"),
    ("igw-", "GatewayId"),
    ("vgw-", "GatewayId"),
)
ROUTE_TARGET_KEYS = (
    "GatewayId",
    "TransitGatewayId",
    "NatGatewayId",
    "NetworkInterfaceId",
    "VpcPeeringConnectionId",
    "InstanceId",
)
NOT_FOUND = ("InvalidVpnConnectionID.NotFound", "InvalidRouteTableID.NotFound", "InvalidRoute.NotFound")


class Config:
    """The function's settings, from its environment."""

    def __init__(self, environ):
        self.topic_arn = environ.get("SITEVPN_TOPIC_ARN", "")
        self.alarm_prefix = environ.get("SITEVPN_ALARM_PREFIX", "sitevpn-")
        self.failover_enabled = environ.get("SITEVPN_FAILOVER_ENABLED", "false").lower() in ("1", "true", "yes")
        self.trigger = environ.get("SITEVPN_FAILOVER_TRIGGER", "both_tunnels_down")
        self.backup_target = environ.get("SITEVPN_BACKUP_TARGET", "")
        self.route_table_ids = [t.strip() for t in environ.get("SITEVPN_ROUTE_TABLE_IDS", "").split(",") if t.strip()]
        scope = environ.get("SITEVPN_SCOPE_TAG", "Project=sitevpn")
        self.scope_key, _sep, self.scope_value = scope.partition("=")
        self.marker = environ.get("SITEVPN_MARKER", "sitevpn-failover")
        self.name_prefix = environ.get("SITEVPN_NAME_PREFIX", "")


# --------------------------------------------------------------------------- events


def parse_event(event):
    """The alarm change an event carries, or None when it is not a CloudWatch alarm change.

    Accepts the EventBridge "CloudWatch Alarm State Change" event, an SNS event carrying
    CloudWatch's alarm notification, and the payload of a Lambda alarm action.
    """
    if not isinstance(event, dict):
        return None
    if event.get("detail-type") == "CloudWatch Alarm State Change":
        return _from_detail(event.get("detail") or {}, event.get("time"), (event.get("resources") or [None])[0])
    if "alarmData" in event:
        return _from_detail(event.get("alarmData") or {}, event.get("time"), event.get("alarmArn"))
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict) and "Sns" in records[0]:
        try:
            message = json.loads(records[0]["Sns"].get("Message") or "")
        except (TypeError, ValueError):
            return None  # our own human messages, or anything else on the topic
        if not isinstance(message, dict) or "AlarmName" not in message:
            return None
        dims = {d.get("name"): d.get("value") for d in (message.get("Trigger") or {}).get("Dimensions") or []}
        return {
            "alarm_name": message["AlarmName"],
            "alarm_arn": message.get("AlarmArn"),
            "state": message.get("NewStateValue"),
            "previous_state": message.get("OldStateValue"),
            "time": message.get("StateChangeTime"),
            "vpn_connection_id": dims.get("VpnId"),
            "tunnel_ip": dims.get("TunnelIpAddress"),
        }
    return None


def _from_detail(detail, fallback_time, alarm_arn):
    metrics = (detail.get("configuration") or {}).get("metrics") or [{}]
    dims = ((metrics[0].get("metricStat") or {}).get("metric") or {}).get("dimensions") or {}
    state = detail.get("state") or {}
    return {
        "alarm_name": detail.get("alarmName"),
        "alarm_arn": alarm_arn,
        "state": state.get("value"),
        "previous_state": (detail.get("previousState") or {}).get("value"),
        "time": state.get("timestamp") or fallback_time,
        "vpn_connection_id": dims.get("VpnId"),
        "tunnel_ip": dims.get("TunnelIpAddress"),
    }


def parse_time(value):
    """An aware datetime from AWS's event time forms (or None)."""
    try:
        return to_datetime(value)
    except ValueError:
        return None


def iso(value):
    parsed = parse_time(value)
    return parsed.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else None


# --------------------------------------------------------------------------- the handler


class Failover:
    """One event's work, with its clients injected (tests pass stubbed or lab clients)."""

    def __init__(self, config, ec2, sns, cloudwatch, log=print):
        self.config = config
        self.ec2 = ec2
        self.sns = sns
        self.cloudwatch = cloudwatch
        self.log = log

    def handle(self, event):
        change = parse_event(event)
        if change is None:
            return self._done({"outcome": "ignored", "reason": "not a CloudWatch alarm state change"}, notify=False)
        base = {"alarm_name": change["alarm_name"], "state": change["state"], "vpn_connection_id": change["vpn_connection_id"],
                "tunnel_outside_ip": change["tunnel_ip"], "event_time": iso(change["time"])}
        if not (change["alarm_name"] or "").startswith(self.config.alarm_prefix):
            return self._done(dict(base, outcome="ignored", reason="not one of this collection's alarms"), notify=False)
        if change["state"] not in ("ALARM", "OK") or not change["vpn_connection_id"]:
            return self._done(dict(base, outcome="ignored", reason="no tunnel state to act on"), notify=False)
        connection = self._connection(change["vpn_connection_id"])
        if connection is None:
            return self._done(dict(base, outcome="missing", reason="VPN connection not found", action="none"))
        marker = self._marker(change)
        if change["state"] == "OK" and change["previous_state"] == "INSUFFICIENT_DATA" and not marker.startswith("ALARM"):
            # a new (or re-created) alarm's first evaluation, not a recovery
            return self._done(dict(base, outcome="ignored", reason="first OK of the alarm"), notify=False)
        record = self._describe(change, connection)
        record.update(base)
        if self._is_duplicate(change, marker):
            return self._done(dict(record, outcome="duplicate", action="none"), notify=False)
        record["action"] = self._route_action(record, connection)
        self._mark(change)
        return self._done(dict(record, outcome="handled"))

    # ---- reading
    def _connection(self, vpn_id):
        try:
            found = self.ec2.describe_vpn_connections(VpnConnectionIds=[vpn_id])["VpnConnections"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in NOT_FOUND:
                return None
            raise
        found = [c for c in found if c.get("State") not in ("deleted", "deleting")]
        return found[0] if found else None

    def _describe(self, change, connection):
        telemetry = sorted(connection.get("VgwTelemetry") or [], key=lambda t: t.get("OutsideIpAddress", ""))
        tags = {t["Key"]: t["Value"] for t in connection.get("Tags") or []}
        status = {}
        for number, tunnel in enumerate(telemetry, start=1):
            status[tunnel["OutsideIpAddress"]] = {
                "number": number,
                "status": tunnel.get("Status", "DOWN"),
                "since": iso(tunnel.get("LastStatusChange")),
            }
        # The telemetry, not the event, says which tunnels are down: alarms lag and can flap (periods
        # with partial data), and events arrive out of order; the event only says "look now".
        down = sorted(ip for ip, entry in status.items() if entry["status"] != "UP")
        tunnel = status.get(change["tunnel_ip"], {})
        others = [dict(entry, outside_ip=ip) for ip, entry in status.items() if ip != change["tunnel_ip"]]
        return {
            "site": tags.get("Site") or site_of_connection_name(tags.get("Name", ""), self.config.name_prefix),
            "static_routes_only": bool((connection.get("Options") or {}).get("StaticRoutesOnly")),
            "tunnel_number": tunnel.get("number"),
            "since": tunnel.get("since") or iso(change["time"]),
            "other_tunnels": others,
            "tunnels_down": down,
            "both_down": bool(status) and len(down) == len(status),
            "vpn_gateway_id": connection.get("VpnGatewayId"),
        }

    # ---- duplicates
    def _marker(self, change):
        if not change.get("alarm_arn"):
            return ""
        try:
            tags = self.cloudwatch.list_tags_for_resource(ResourceARN=change["alarm_arn"])["Tags"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return ""  # the alarm was deleted meanwhile
            raise
        return {t["Key"]: t["Value"] for t in tags}.get(f"{self.config.marker}:handled", "")

    @staticmethod
    def _is_duplicate(change, seen):
        if not seen:
            return False
        seen_state, _sep, seen_time = seen.partition(" ")
        new, old = parse_time(change["time"]), parse_time(seen_time)
        if new is None or old is None:
            return seen_state == change["state"]
        # the same change again, or one older than the last handled
        return old > new or (old == new and seen_state == change["state"])

    def _mark(self, change):
        if change.get("alarm_arn"):
            value = f"{change['state']} {iso(change['time']) or ''}".strip()
            self.cloudwatch.tag_resource(ResourceARN=change["alarm_arn"], Tags=[{"Key": f"{self.config.marker}:handled", "Value": value}])

    # ---- routes
    def _route_action(self, record, connection):
        if not self.config.failover_enabled:
            return "none (route failover disabled)"
        if not record["static_routes_only"]:
            return "none (BGP connection: AWS withdraws its routes)"
        if not self.config.backup_target:
            return "none (no backup target configured)"
        if self.config.trigger == "any_tunnel_down":
            failed = bool(record["tunnels_down"])
        else:
            failed = record["both_down"]
        cidrs = sorted(r["DestinationCidrBlock"] for r in connection.get("Routes") or [] if r.get("State") != "deleted")
        tables = self._route_tables(connection)
        if failed:
            moved = self._move(tables, cidrs, connection)
            return f"moved {len(moved)} route(s) to {self.config.backup_target}: {', '.join(moved)}" if moved else "routes already on the backup target"
        restored = self._restore(tables, connection)
        return f"restored {len(restored)} route(s): {', '.join(restored)}" if restored else "nothing to restore"

    def _route_tables(self, connection):
        if self.config.route_table_ids:
            try:
                return self.ec2.describe_route_tables(RouteTableIds=self.config.route_table_ids)["RouteTables"]
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in NOT_FOUND:
                    self.log(json.dumps({"source": SOURCE, "warning": "route table not found", "error": str(exc)}))
                    return []
                raise
        vgw = connection.get("VpnGatewayId")
        tables = self.ec2.describe_route_tables(
            Filters=[{"Name": f"tag:{self.config.scope_key}", "Values": [self.config.scope_value]}]
        )["RouteTables"]
        return [
            t for t in tables
            if any(p.get("GatewayId") == vgw for p in t.get("PropagatingVgws") or [])
            or any(r.get("GatewayId") == vgw for r in t.get("Routes") or [])
        ]

    def _target_param(self):
        for prefix, param in TARGET_PARAMS:
            if self.config.backup_target.startswith(prefix):
                return param
        raise ValueError(f"unsupported backup target {self.config.backup_target!r}")

    def _move(self, tables, cidrs, connection):
        vpn_id, vgw = connection["VpnConnectionId"], connection.get("VpnGatewayId")
        param = self._target_param()
        moved = []
        for table in tables:
            records = {t["Key"]: t["Value"] for t in table.get("Tags") or []}
            for cidr in cidrs:
                key = f"{self.config.marker}:{cidr}"
                if key in records:
                    continue  # moved already (duplicate or repeated event)
                route = _static_route(table, cidr)
                if route is None:
                    # only the propagated route (or none): a static route takes precedence over it
                    self.ec2.create_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock=cidr, **{param: self.config.backup_target})
                    value = f"{vpn_id} created"
                elif _target_of(route) == vgw:
                    self.ec2.replace_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock=cidr, **{param: self.config.backup_target})
                    value = f"{vpn_id} replaced {vgw}"
                else:
                    continue  # someone else's route: not ours to move
                self.ec2.create_tags(Resources=[table["RouteTableId"]], Tags=[{"Key": key, "Value": value}])
                moved.append(f"{table['RouteTableId']} {cidr}")
        return moved

    def _restore(self, tables, connection):
        vpn_id = connection["VpnConnectionId"]
        restored = []
        prefix = f"{self.config.marker}:"
        for table in tables:
            for tag in table.get("Tags") or []:
                if not tag["Key"].startswith(prefix):
                    continue
                fields = tag["Value"].split()
                if not fields or fields[0] != vpn_id:
                    continue  # another connection's record
                cidr = tag["Key"][len(prefix):]
                route = _static_route(table, cidr)
                # restore only a route that still is what we made of it
                if route is not None and _target_of(route) == self.config.backup_target:
                    if fields[1:2] == ["replaced"] and len(fields) > 2:
                        self.ec2.replace_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock=cidr, GatewayId=fields[2])
                    elif fields[1:2] == ["created"]:
                        self.ec2.delete_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock=cidr)
                    restored.append(f"{table['RouteTableId']} {cidr}")
                self.ec2.delete_tags(Resources=[table["RouteTableId"]], Tags=[{"Key": tag["Key"]}])
        return restored

    # ---- output
    def _done(self, record, notify=True):
        record = dict(record, source=SOURCE)
        if notify and self.config.topic_arn:
            subject, message = human_message(record)
            record["message"] = message
            self.sns.publish(
                TopicArn=self.config.topic_arn,
                Subject=subject,
                Message=message,
                MessageAttributes=_attributes(record),
            )
        self.log(json.dumps(record, sort_keys=True, default=str))
        return record


def _static_route(table, cidr):
    for route in table.get("Routes") or []:
        if route.get("DestinationCidrBlock") == cidr and route.get("Origin") != "EnableVgwRoutePropagation":
            return route
    return None


def _target_of(route):
    for key in ROUTE_TARGET_KEYS:
        if route.get(key):
            return route[key]
    return None


def human_message(record):
    """(subject, body) of the notification: which tunnel, since when, the other one, what was done."""
    vpn = record.get("vpn_connection_id") or "?"
    site = f" ({record['site']})" if record.get("site") else ""
    state = "DOWN" if record.get("state") == "ALARM" else "UP"
    if record.get("outcome") == "missing":
        return (f"VPN {vpn}: alarm {record.get('state')}, connection not found"[:100],
                f"Alarm {record.get('alarm_name')} is {record.get('state')} but VPN connection {vpn} no longer exists. Nothing was done.")
    if record.get("tunnel_outside_ip"):
        what = f"Tunnel {record.get('tunnel_number') or '?'} ({record['tunnel_outside_ip']})"
    else:
        what = "Both tunnels" if state == "DOWN" else "The connection"
    lines = [f"{what} of VPN {vpn}{site} is {state} since {record.get('since') or record.get('event_time')}."]
    for other in record.get("other_tunnels") or []:
        lines.append(f"Tunnel {other['number']} ({other['outside_ip']}) is {other['status']}.")
    if record.get("both_down"):
        lines.append("Both tunnels are down: the site is unreachable over this connection.")
    lines.append(f"Action: {record.get('action', 'none')}.")
    subject = f"VPN {vpn}{site}: {what.split(' (', maxsplit=1)[0].lower()} {state}"
    return subject[:100], " ".join(lines)


def _attributes(record):
    values = {
        "source": SOURCE,
        "vpn_connection_id": record.get("vpn_connection_id"),
        "tunnel_outside_ip": record.get("tunnel_outside_ip"),
        "state": "DOWN" if record.get("state") == "ALARM" else "UP",
        "both_down": str(bool(record.get("both_down"))).lower(),
        "site": record.get("site"),
        "time": record.get("event_time"),
        "action": record.get("action"),
    }
    return {k: {"DataType": "String", "StringValue": str(v)} for k, v in values.items() if v}


def handler(event, context):  # pylint: disable=unused-argument
    """The Lambda entry point."""
    config = Config(os.environ)
    return Failover(config, boto3.client("ec2"), boto3.client("sns"), boto3.client("cloudwatch")).handle(event)
