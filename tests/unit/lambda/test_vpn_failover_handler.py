"""The failover Lambda (roles/failover_automation/files/vpn_failover_handler.py) against the lab API
and, for error paths, botocore's Stubber: every branch, duplicate and out-of-order events, missing
resources, and that it never touches a route it did not create."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "roles" / "failover_automation" / "files" / "vpn_failover_handler.py"
# the role packs plugins/module_utils/aws_time.py and site_names.py beside the handler in the function's zip
sys.path.insert(0, str(ROOT / "plugins" / "module_utils"))
SPEC = importlib.util.spec_from_file_location("vpn_failover_handler", SOURCE)
H = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(H)

TOPIC = "sitevpn-vpn-events"
TIME1 = "2026-11-25T10:52:00.000+0000"
TIME2 = "2026-11-25T10:55:00.000+0000"


def bridge_event(vpn_id, state, tunnel_ip=None, when=TIME1, name=None, previous="OK", arn=None):
    dims = {"VpnId": vpn_id}
    if tunnel_ip:
        dims["TunnelIpAddress"] = tunnel_ip
    return {
        "version": "0",
        "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "time": "2026-11-25T10:52:01Z",
        "resources": [arn] if arn else [],
        "detail": {
            "alarmName": name or f"sitevpn-{vpn_id}-{tunnel_ip or 'both'}",
            "state": {"value": state, "reason": "test", "timestamp": when},
            "previousState": {"value": previous, "reason": "test", "timestamp": TIME1},
            "configuration": {"metrics": [{"id": "m1", "metricStat": {"metric": {
                "namespace": "AWS/VPN", "name": "TunnelState", "dimensions": dims}, "period": 60, "stat": "Minimum"}}]},
        },
    }


class Env:
    """A VPC, a VPN gateway, one connection (static or BGP) and an SNS topic in the lab."""

    def __init__(self, lab, static=True):
        self.lab = lab
        self.ec2 = lab.client("ec2")
        self.sns = lab.client("sns")
        self.topic = self.sns.create_topic(Name=TOPIC)["TopicArn"]
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.vgw = self.ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
        self.ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=self.vgw)
        cgw = self.ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.20", BgpAsn=65001)["CustomerGateway"]
        vpn = self.ec2.create_vpn_connection(
            Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=self.vgw,
            Options={"StaticRoutesOnly": static},
            TagSpecifications=[{"ResourceType": "vpn-connection", "Tags": [{"Key": "Name", "Value": "sitevpn-site-static"}]}],
        )["VpnConnection"]
        self.vpn = vpn["VpnConnectionId"]
        if static:
            self.ec2.create_vpn_connection_route(VpnConnectionId=self.vpn, DestinationCidrBlock="172.17.0.0/16")
        self.rt = self.ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]["RouteTableId"]
        self.ec2.create_tags(Resources=[self.rt], Tags=[{"Key": "Project", "Value": "sitevpn"}])
        self.ec2.enable_vgw_route_propagation(RouteTableId=self.rt, GatewayId=self.vgw)
        self.tgw = self.ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
        lab.wait_for(lambda: self.connection()["State"] == "available")
        self.ips = sorted(t["OutsideIpAddress"] for t in self.connection()["VgwTelemetry"])
        for ip in self.ips:
            lab.telemetry(ip, "UP")
        self.logs = []
        self.cloudwatch = lab.client("cloudwatch")

    def event(self, state, tunnel_ip=None, **kwargs):
        """An EventBridge event of a real alarm (its tags record the handled events)."""
        name = f"sitevpn-{self.vpn}-{tunnel_ip or 'both'}"
        self.cloudwatch.put_metric_alarm(
            AlarmName=name, Namespace="AWS/VPN", MetricName="TunnelState", Statistic="Minimum", Period=60,
            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="LessThanThreshold",
        )
        arn = self.cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]
        return bridge_event(self.vpn, state, tunnel_ip, arn=arn, **kwargs)

    def connection(self):
        return self.ec2.describe_vpn_connections(VpnConnectionIds=[self.vpn])["VpnConnections"][0]

    def failover(self, **env):
        values = {"SITEVPN_TOPIC_ARN": self.topic, "SITEVPN_FAILOVER_ENABLED": "true",
                  "SITEVPN_BACKUP_TARGET": self.tgw, "SITEVPN_FAILOVER_TRIGGER": "any_tunnel_down"}
        values.update(env)
        return H.Failover(H.Config(values), self.ec2, self.sns, self.cloudwatch, log=self.logs.append)

    def route(self, cidr="172.17.0.0/16"):
        table = self.ec2.describe_route_tables(RouteTableIds=[self.rt])["RouteTables"][0]
        routes = [r for r in table["Routes"] if r["DestinationCidrBlock"] == cidr]
        return routes[0] if routes else None

    def records(self):
        table = self.ec2.describe_route_tables(RouteTableIds=[self.rt])["RouteTables"][0]
        return {t["Key"]: t["Value"] for t in table.get("Tags", []) if t["Key"].startswith("sitevpn-failover:")}


def test_parse_event_forms():
    change = H.parse_event(bridge_event("vpn-1", "ALARM", "198.51.100.1", arn="arn:aws:cloudwatch:us-east-1:1:alarm:a"))
    assert change == {"alarm_name": "sitevpn-vpn-1-198.51.100.1", "alarm_arn": "arn:aws:cloudwatch:us-east-1:1:alarm:a",
                      "state": "ALARM", "previous_state": "OK",
                      "time": TIME1, "vpn_connection_id": "vpn-1", "tunnel_ip": "198.51.100.1"}
    notification = {"AlarmName": "sitevpn-x", "AlarmArn": "arn:x", "NewStateValue": "OK", "OldStateValue": "ALARM", "StateChangeTime": TIME2,
                    "Trigger": {"Dimensions": [{"name": "VpnId", "value": "vpn-2"}]}}
    sns = {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(notification)}}]}
    assert H.parse_event(sns) == {"alarm_name": "sitevpn-x", "alarm_arn": "arn:x", "state": "OK", "previous_state": "ALARM", "time": TIME2,
                                  "vpn_connection_id": "vpn-2", "tunnel_ip": None}
    action = {"source": "aws.cloudwatch", "time": TIME1, "alarmData": bridge_event("vpn-3", "OK")["detail"]}
    assert H.parse_event(action)["vpn_connection_id"] == "vpn-3"
    # its own human messages on the topic, other JSON, and junk are not alarm changes
    assert H.parse_event({"Records": [{"Sns": {"Message": "Tunnel 1 of VPN vpn-1 is DOWN"}}]}) is None
    assert H.parse_event({"Records": [{"Sns": {"Message": json.dumps({"foo": 1})}}]}) is None
    assert H.parse_event({"detail-type": "EC2 Instance State-change Notification"}) is None
    assert H.parse_event(["not", "a", "dict"]) is None


@pytest.mark.parametrize(
    "value, expected",
    [(TIME1, "2026-11-25T10:52:00Z"), ("2026-11-25T10:52:00Z", "2026-11-25T10:52:00Z"),
     ("2026-11-25T11:52:00+01:00", "2026-11-25T10:52:00Z"), ("2026-11-25T10:52:00", "2026-11-25T10:52:00Z"),
     ("yesterday", None), (None, None)],
)
def test_time_forms(value, expected):
    assert H.iso(value) == expected


def test_ignores_other_alarms_and_states(lab):
    env = Env(lab)
    fo = env.failover()
    assert fo.handle(bridge_event(env.vpn, "ALARM", env.ips[0], name="someone-else"))["outcome"] == "ignored"
    assert fo.handle(bridge_event(env.vpn, "INSUFFICIENT_DATA", env.ips[0]))["outcome"] == "ignored"
    assert fo.handle({"hello": "world"})["outcome"] == "ignored"
    assert lab.sns_messages() == []
    assert len(env.logs) == 3 and all(json.loads(line)["outcome"] == "ignored" for line in env.logs)


def test_missing_connection_is_reported_not_fatal(lab):
    env = Env(lab)
    result = env.failover().handle(bridge_event("vpn-0123456789abcdef0", "ALARM", "198.51.100.9"))
    assert result["outcome"] == "missing"
    [message] = lab.sns_messages()
    assert "no longer exists" in message["message"] and message["topic_arn"] == env.topic
    assert json.loads(env.logs[-1])["reason"] == "VPN connection not found"


def test_tunnel_down_then_up_moves_and_restores_routes(lab):
    env = Env(lab)
    fo = env.failover()
    lab.telemetry(env.ips[0], "DOWN")
    down = fo.handle(env.event("ALARM", env.ips[0]))
    assert down["outcome"] == "handled" and down["tunnel_number"] == 1 and not down["both_down"]
    assert down["action"].startswith("moved 1 route(s)")
    assert env.route()["TransitGatewayId"] == env.tgw and env.route()["Origin"] == "CreateRoute"
    assert env.records() == {"sitevpn-failover:172.17.0.0/16": f"{env.vpn} created"}
    [message] = lab.sns_messages()
    assert message["subject"] == f"VPN {env.vpn} (sitevpn-site-static): tunnel 1 DOWN"
    assert f"Tunnel 1 ({env.ips[0]})" in message["message"] and f"Tunnel 2 ({env.ips[1]}) is UP" in message["message"]
    assert message["message_attributes"]["state"] == {"Type": "String", "Value": "DOWN"}
    log_line = json.loads(env.logs[-1])
    assert log_line["vpn_connection_id"] == env.vpn and log_line["action"] == down["action"]

    # the same event again (EventBridge delivers at least once): nothing written, nothing published
    duplicate = env.event("ALARM", env.ips[0])
    lab.clear_requests()
    assert fo.handle(duplicate)["outcome"] == "duplicate"
    assert [r["action"] for r in lab.requests()["requests"] if r["write"]] == []
    assert len(lab.sns_messages()) == 1

    lab.telemetry(env.ips[0], "UP")
    up = fo.handle(env.event("OK", env.ips[0], when=TIME2, previous="ALARM"))
    assert up["action"] == "restored 1 route(s): " + f"{env.rt} 172.17.0.0/16"
    assert env.route()["Origin"] == "EnableVgwRoutePropagation" and env.route()["GatewayId"] == env.vgw
    assert env.records() == {}
    # an older event arriving late changes nothing
    assert fo.handle(env.event("ALARM", env.ips[0], when=TIME1))["outcome"] == "duplicate"
    assert env.route()["GatewayId"] == env.vgw
    # a second recovery with nothing recorded restores nothing
    again = fo.handle(env.event("OK", env.ips[0], when="2026-11-25T11:00:00.000+0000"))
    assert again["action"] == "nothing to restore"


def test_replaced_static_route_goes_back_to_the_gateway(lab):
    env = Env(lab)
    env.ec2.create_route(RouteTableId=env.rt, DestinationCidrBlock="172.17.0.0/16", GatewayId=env.vgw)
    fo = env.failover()
    lab.telemetry(env.ips[1], "DOWN")
    fo.handle(env.event("ALARM", env.ips[1]))
    assert env.route()["TransitGatewayId"] == env.tgw
    assert env.records() == {"sitevpn-failover:172.17.0.0/16": f"{env.vpn} replaced {env.vgw}"}
    lab.telemetry(env.ips[1], "UP")
    fo.handle(env.event("OK", env.ips[1], when=TIME2))
    assert env.route()["GatewayId"] == env.vgw and env.route()["Origin"] == "CreateRoute"


def test_never_touches_a_route_it_did_not_create(lab):
    env = Env(lab)
    igw = env.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    env.ec2.create_route(RouteTableId=env.rt, DestinationCidrBlock="172.17.0.0/16", GatewayId=igw)
    fo = env.failover()
    lab.telemetry(env.ips[0], "DOWN")
    assert fo.handle(env.event("ALARM", env.ips[0]))["action"] == "routes already on the backup target"
    assert env.route()["GatewayId"] == igw and env.records() == {}
    # someone points the route at the backup target by hand: no record, so recovery leaves it
    env.ec2.replace_route(RouteTableId=env.rt, DestinationCidrBlock="172.17.0.0/16", TransitGatewayId=env.tgw)
    lab.telemetry(env.ips[0], "UP")
    assert fo.handle(env.event("OK", env.ips[0], when=TIME2))["action"] == "nothing to restore"
    assert env.route()["TransitGatewayId"] == env.tgw
    # a record whose route was changed since: the record goes, the route stays
    env.ec2.create_tags(Resources=[env.rt], Tags=[{"Key": "sitevpn-failover:172.17.0.0/16", "Value": f"{env.vpn} created"}])
    env.ec2.replace_route(RouteTableId=env.rt, DestinationCidrBlock="172.17.0.0/16", GatewayId=igw)
    assert fo.handle(env.event("OK", env.ips[1], when=TIME2))["action"] == "nothing to restore"
    assert env.route()["GatewayId"] == igw and env.records() == {}


def test_both_down_trigger_waits_for_the_second_tunnel(lab):
    env = Env(lab)
    fo = env.failover(SITEVPN_FAILOVER_TRIGGER="both_tunnels_down", SITEVPN_NAME_PREFIX="sitevpn")
    lab.telemetry(env.ips[0], "DOWN")
    one = fo.handle(env.event("ALARM", env.ips[0]))
    assert one["action"] == "nothing to restore" and not one["both_down"]
    lab.telemetry(env.ips[1], "DOWN")
    both = fo.handle(env.event("ALARM"))  # the connection's both-down alarm
    assert both["both_down"] and both["action"].startswith("moved 1 route(s)")
    assert "Both tunnels are down" in lab.sns_messages()[-1]["message"]
    assert lab.sns_messages()[-1]["subject"] == f"VPN {env.vpn} (site-static): both tunnels DOWN"
    assert lab.sns_messages()[-1]["message_attributes"]["site"] == {"Type": "String", "Value": "site-static"}
    lab.telemetry(env.ips[1], "UP")
    back = fo.handle(env.event("OK", env.ips[1], when=TIME2))
    assert back["action"].startswith("restored 1 route(s)") and env.route()["GatewayId"] == env.vgw


@pytest.mark.parametrize(
    "static, env_vars, action",
    [
        (False, {}, "none (BGP connection: AWS withdraws its routes)"),
        (True, {"SITEVPN_FAILOVER_ENABLED": "false"}, "none (route failover disabled)"),
        (True, {"SITEVPN_BACKUP_TARGET": ""}, "none (no backup target configured)"),
    ],
)
def test_no_route_action(lab, static, env_vars, action):
    env = Env(lab, static=static)
    result = env.failover(**env_vars).handle(env.event("ALARM", env.ips[0]))
    assert result["action"] == action
    assert f"Action: {action}." in lab.sns_messages()[-1]["message"]
    assert env.records() == {}


def test_route_tables_configured_and_discovered(lab):
    env = Env(lab)
    # discovered: the scope-tagged table that propagates the connection's gateway
    assert [t["RouteTableId"] for t in env.failover()._route_tables(env.connection())] == [env.rt]
    assert env.failover(SITEVPN_SCOPE_TAG="Project=other")._route_tables(env.connection()) == []
    # configured, and a configured table that no longer exists
    assert [t["RouteTableId"] for t in env.failover(SITEVPN_ROUTE_TABLE_IDS=env.rt)._route_tables(env.connection())] == [env.rt]
    fo = env.failover(SITEVPN_ROUTE_TABLE_IDS="rtb-0123456789abcdef0")
    assert fo._route_tables(env.connection()) == []
    assert json.loads(env.logs[-1])["warning"] == "route table not found"
    lab.telemetry(env.ips[0], "DOWN")
    with pytest.raises(ValueError, match="unsupported backup target"):
        env.failover(SITEVPN_BACKUP_TARGET="bogus-1").handle(env.event("ALARM", env.ips[0]))


def test_unexpected_errors_propagate_so_lambda_retries():
    ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    sns = boto3.client("sns", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ec2) as stub, Stubber(sns) as sns_stub:
        stub.add_client_error("describe_vpn_connections", "UnauthorizedOperation", http_status_code=403)
        config = H.Config({"SITEVPN_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t"})
        fo = H.Failover(config, ec2, sns, cloudwatch=None, log=lambda line: None)
        with pytest.raises(H.ClientError, match="UnauthorizedOperation"):
            fo.handle(bridge_event("vpn-1", "ALARM", "198.51.100.1"))
        # a deleted connection counts as missing
        stub.add_response("describe_vpn_connections", {"VpnConnections": [{"VpnConnectionId": "vpn-1", "State": "deleted"}]})
        sns_stub.add_response("publish", {"MessageId": "m-1"})
        assert fo.handle(bridge_event("vpn-1", "ALARM", "198.51.100.1"))["outcome"] == "missing"
        stub.assert_no_pending_responses()
        sns_stub.assert_no_pending_responses()


def test_lambda_entry_point_uses_the_environment(lab, monkeypatch):
    env = Env(lab, static=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", lab.url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("SITEVPN_TOPIC_ARN", env.topic)
    result = H.handler(bridge_event(env.vpn, "ALARM", env.ips[0]), None)
    assert result["outcome"] == "handled" and result["action"] == "none (route failover disabled)"
    assert lab.sns_messages()[-1]["topic_arn"] == env.topic


def test_first_ok_of_a_new_alarm_is_not_a_recovery(lab):
    env = Env(lab)
    fo = env.failover()
    new_alarm = env.event("OK", env.ips[0], previous="INSUFFICIENT_DATA")
    lab.clear_requests()
    first = fo.handle(new_alarm)
    assert first["outcome"] == "ignored" and first["reason"] == "first OK of the alarm"
    assert [r["action"] for r in lab.requests()["requests"] if r["write"]] == [] and lab.sns_messages() == []
    # after an ALARM it is one: INSUFFICIENT_DATA -> OK then restores
    lab.telemetry(env.ips[0], "DOWN")
    fo.handle(env.event("ALARM", env.ips[0]))
    assert env.records()
    lab.telemetry(env.ips[0], "UP")
    back = fo.handle(env.event("OK", env.ips[0], when=TIME2, previous="INSUFFICIENT_DATA"))
    assert back["action"].startswith("restored 1 route(s)") and env.records() == {}
