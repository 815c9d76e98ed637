"""playbooks/monitoring.yml on inventories/lab against the lab API, after provision.yml: check mode (no
write), first run, idempotent re-run (changed=0, no write), then the chain in lab time - tunnel 1 of
site-static DOWN -> its alarm goes ALARM -> the SNS notification -> the Lambda ran and published its
message; tunnel 2 DOWN too -> the critical alarm -> the Lambda moved the static route to the backup
target; both UP -> OK and the route back. Then bad input fails before any write."""

from __future__ import annotations

import json
import time

from sitevpn_playbook import LAB_VGW_SITES, ROOT, run_playbook, settled, writes

INVENTORY = LAB_VGW_SITES
PREFIX = "sitevpn-vpn-"


def play(lab, target, extra=None, check=False):
    run = run_playbook(target, lab.url, extra, check=check, inventory=INVENTORY, timeout=300)
    assert run.rc == 0, run.failures + run.output
    return run


def alarm_states(cloudwatch):
    return {a["AlarmName"]: a["StateValue"] for a in cloudwatch.describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]}


def alarm_notifications(lab, alarm):
    """CloudWatch's notifications (JSON) for one alarm among the topic's messages."""
    found = []
    for message in lab.sns_messages():
        if message["message"].startswith("{") and json.loads(message["message"]).get("AlarmName") == alarm:
            found.append(json.loads(message["message"]))
    return found


def lambda_messages(lab, text):
    return [m for m in lab.sns_messages() if not m["message"].startswith("{") and text in m["message"]]


def route_targets(ec2):
    table = ec2.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": ["sitevpn-rt"]}])["RouteTables"][0]
    return [r.get("TransitGatewayId") or r.get("GatewayId") for r in table["Routes"] if r["DestinationCidrBlock"] == "172.17.0.0/16"]


def test_monitoring_chain(lab, record_property):
    ec2, cloudwatch = lab.client("ec2"), lab.client("cloudwatch")
    tgw = ec2.create_transit_gateway(Description="backup path")["TransitGateway"]["TransitGatewayId"]
    extra = {
        "monitoring_evaluation_periods": 2,
        # between the lab's once-a-minute datapoints at 1x, "missing" would flap to INSUFFICIENT_DATA
        "monitoring_treat_missing_data": "ignore",
        "monitoring_subscriptions": [{"protocol": "email", "endpoint": "noc@example.com"}],
        "failover_automation_route_failover": True,
        "failover_automation_backup_target": tgw,
    }
    # Check mode on an empty account: reports the creations, writes nothing.
    lab.clear_requests()
    assert play(lab, "monitoring/main.yml", extra, check=True).total_changed > 0
    assert writes(lab) == []

    first = play(lab, "monitoring/main.yml", extra)
    assert first.total_changed > 0
    conns = {c["customer_gateway_ip"]: c for c in lab.vpn_connections() if c["state"] == "available"}
    static = conns["203.0.113.20"]
    states = alarm_states(cloudwatch)
    assert sorted(states) == sorted(
        f"{PREFIX}{site}-{name}" for site in ("site-bgp", "site-static") for name in ("tunnel1-down", "tunnel2-down", "both-tunnels-down")
    )

    # Tunnels up (the lab's tunnels start DOWN): the alarms go OK.
    for conn in conns.values():
        for tunnel in conn["tunnels"]:
            lab.telemetry(tunnel["outside_ip"], "UP")
    lab.set_settings({"time_factor": 120})
    lab.wait_for(lambda: set(alarm_states(cloudwatch).values()) == {"OK"}, timeout=15)
    lab.set_settings({"time_factor": 1.0})
    settled(lab)

    lab.clear_requests()
    again = play(lab, "monitoring/main.yml", extra)
    assert again.total_changed == 0, again.output
    assert writes(lab) == []

    # The chain, in lab time: a 60 s period lasts 0.5 s.
    lab.set_settings({"time_factor": 120})
    lab.call("DELETE", "sns-messages")
    lab.call("DELETE", "invocations")
    ip1, ip2 = sorted(t["outside_ip"] for t in static["tunnels"])
    vpn_id = static["vpn_connection_id"]
    alarm = f"{PREFIX}site-static-tunnel1-down"
    started = time.monotonic()
    lab.telemetry(ip1, "DOWN")
    lab.wait_for(lambda: alarm_states(cloudwatch)[alarm] == "ALARM", timeout=15)
    alarm_s = time.monotonic() - started
    notes = lab.wait_for(lambda: alarm_notifications(lab, alarm), timeout=15)
    sns_s = time.monotonic() - started
    assert notes[0]["NewStateValue"] == "ALARM" and notes[0]["Trigger"]["MetricName"] == "TunnelState"
    ran = lab.wait_for(lambda: [i for i in lab.invocations() if (i["result"] or {}).get("alarm_name") == alarm], timeout=15)
    assert ran[0]["error"] is None and ran[0]["result"]["outcome"] == "handled", ran[0]
    assert '"source": "sitevpn.failover"' in ran[0]["logs"]  # its structured log line
    human = lab.wait_for(lambda: lambda_messages(lab, f"Tunnel 1 ({ip1}) of VPN {vpn_id} (site-static) is DOWN"), timeout=15)
    lambda_s = time.monotonic() - started
    assert f"Tunnel 2 ({ip2}) is UP" in human[0]["message"]
    assert human[0]["message_attributes"]["state"]["Value"] == "DOWN"
    assert alarm_states(cloudwatch)[f"{PREFIX}site-static-both-tunnels-down"] == "OK"

    # Both down: the critical alarm, and the Lambda moves the static route to the backup target.
    lab.telemetry(ip2, "DOWN")
    lab.wait_for(lambda: alarm_states(cloudwatch)[f"{PREFIX}site-static-both-tunnels-down"] == "ALARM", timeout=15)
    lab.wait_for(lambda: lambda_messages(lab, f"moved 1 route(s) to {tgw}"), timeout=15)
    assert route_targets(ec2) == [tgw]

    lab.telemetry(ip1, "UP")
    lab.telemetry(ip2, "UP")
    lab.wait_for(lambda: alarm_states(cloudwatch)[alarm] == "OK", timeout=15)
    lab.wait_for(lambda: lambda_messages(lab, "restored 1 route(s)"), timeout=15)
    assert route_targets(ec2) == [static["vpn_gateway_id"]]
    lab.set_settings({"time_factor": 1.0})
    settled(lab)  # no Lambda still running into the next test
    record_property("down_to_alarm_s", round(alarm_s, 2))
    record_property("down_to_sns_s", round(sns_s, 2))
    record_property("down_to_lambda_message_s", round(lambda_s, 2))
    print(f"\ntunnel DOWN -> alarm {alarm_s:.2f} s, SNS {sns_s:.2f} s, Lambda message {lambda_s:.2f} s (time_factor 120)")


BAD_INPUT = [
    ({"monitoring_subscriptions": [{"protocol": "email", "endpoint": "noc@example.com"}, {"protocol": "email", "endpoint": "not-an-address"}]},
     "monitoring_subscriptions[1].endpoint"),
    ({"monitoring_data_alarms": [{"metric": "TunnelBytes", "threshold": 1}]}, "found in monitoring_data_alarms"),
    ({"failover_automation_runtime": "python3.9"}, "failover_automation_runtime"),
]


def test_bad_input_fails_before_any_change(lab):
    # One run per case, on an empty account: the play stops before its first write.
    for extra, field in BAD_INPUT:
        settled(lab, quiet=0.5)
        lab.clear_requests()
        run = run_playbook(ROOT / "playbooks" / "monitoring.yml", lab.url, extra, inventory=INVENTORY, timeout=300)
        assert run.rc != 0 and field in run.output, (field, run.output)
        assert writes(lab) == [], field
