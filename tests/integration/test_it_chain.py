"""roles/failover_test/tasks/chain.yml and the module vpn_monitoring_events_info against the lab API (no
data plane): provision.yml + monitoring.yml on inventories/lab, then tunnel 1 of site-static DOWN through
POST /_lab/telemetry -> chain.yml (phase down) proves alarm ALARM, its SNS action, the Lambda's record
(and an on-prem record in events.json, written here as roles/tunnel_event would); UP -> phase restore.
Nothing happening gives ok false steps with a precise detail."""

from __future__ import annotations

import json
import time

from sitevpn_playbook import LAB_VGW_SITES, run_playbook, settled

INVENTORY = LAB_VGW_SITES
PREFIX = "sitevpn-vpn-"
ALARM = f"{PREFIX}site-static-tunnel1-down"


def chain(lab, tmp_path, phase, since, conn, ip, extra=None):
    out = tmp_path / f"chain-{phase}-{since}.json"
    variables = {
        "chain_phase": phase, "chain_since": since, "chain_tunnel_ip": ip, "chain_connection_id": conn,
        "chain_output": str(out), "sitevpn_reports_dir": str(tmp_path / "reports"),
    }
    variables.update(extra or {})
    run = run_playbook("chain/main.yml", lab.url, variables, inventory=INVENTORY, timeout=300)
    assert run.rc == 0, run.failures + run.output
    return {s["step"]: s for s in json.loads(out.read_text())}


def test_chain_down_and_restore_from_aws_records(lab, tmp_path, record_property):
    run = run_playbook("monitoring/main.yml", lab.url, inventory=INVENTORY, limit="site-static", timeout=300)
    assert run.rc == 0, run.failures + run.output
    static = [c for c in lab.vpn_connections() if c["customer_gateway_ip"] == "203.0.113.20" and c["state"] == "available"][0]
    vpn_id = static["vpn_connection_id"]
    ip1, ip2 = sorted(t["outside_ip"] for t in static["tunnels"])
    cloudwatch = lab.client("cloudwatch")
    # the lab's tunnels start DOWN: both up, and the alarm settled in OK, in lab time
    lab.set_settings({"time_factor": 120})
    for ip in (ip1, ip2):
        lab.telemetry(ip, "UP")
    lab.wait_for(lambda: cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]["StateValue"] == "OK", timeout=30)
    settled(lab, quiet=1.5)

    # Nothing happens: every step times out with what is missing.
    since = time.time()
    quiet = chain(lab, tmp_path, "down", since, vpn_id, ip1,
                  {"failover_test_chain_timeout": 2, "failover_test_onprem_events": True, "failover_test_chain_onprem_timeout": 2})
    assert [s["ok"] for s in quiet.values()] == [False, False, False, False], quiet
    assert quiet["alarm ALARM"]["detail"].startswith(f"{ALARM} did not go to ALARM within 2.0 s after tunnel 1 ({ip1}) was taken down; it is OK since ")
    assert quiet["SNS notification (ALARM)"]["detail"] == "no ALARM transition, so no notification"
    assert quiet["Lambda reaction record"]["detail"] == "no ALARM transition for the Lambda to react to"
    events = tmp_path / "reports" / "site-static" / "events.json"
    assert quiet["on-prem reaction: routes + firewall object"]["detail"] == (
        f"no DOWN event for {ip1} in {events} within 2.0 s (the file is missing: is ansible-rulebook running?)")

    # Tunnel 1 down: alarm -> SNS action -> Lambda record; on-prem, a record as roles/tunnel_event writes it.
    since = time.time()
    lab.telemetry(ip1, "DOWN")
    events.parent.mkdir(parents=True, exist_ok=True)
    events.write_text(json.dumps([
        {"state": "DOWN", "tunnel_outside_ip": ip1, "ok": True, "action": "old run", "time": "2020-01-01T00:00:00Z"},
        {"state": "DOWN", "tunnel_outside_ip": ip1, "ok": True, "action": "VPC prefixes moved to tunnel2",
         "source": "cloudwatch-alarm", "recorded_epoch": round(since + 1.5, 3)},
    ]))
    down = chain(lab, tmp_path, "down", since, vpn_id, ip1, {"failover_test_onprem_events": True})
    assert list(down) == ["alarm ALARM", "SNS notification (ALARM)", "Lambda reaction record", "on-prem reaction: routes + firewall object"]
    assert all(s["ok"] for s in down.values()), down
    alarm_s, sns_s, lambda_s = (down[k]["seconds"] for k in ("alarm ALARM", "SNS notification (ALARM)", "Lambda reaction record"))
    # three 60 s periods at time_factor 120 last 1.5 s; generous upper bounds for a loaded machine
    assert 0 < alarm_s <= sns_s <= lambda_s < 30, down
    assert down["alarm ALARM"]["detail"].startswith(f"{ALARM}: OK -> ALARM at ")
    assert down["SNS notification (ALARM)"]["detail"].startswith("Successfully executed action arn:aws:sns:us-east-1:")
    assert down["Lambda reaction record"]["detail"] == "sitevpn-vpn-failover: handled, action: none (route failover disabled)"
    assert down["on-prem reaction: routes + firewall object"]["seconds"] == 1.5
    assert down["on-prem reaction: routes + firewall object"]["detail"] == "DOWN event (cloudwatch-alarm): VPC prefixes moved to tunnel2"

    # Restore: the alarm back to OK, its OK action, the Lambda's recovery record.
    since = time.time()
    lab.telemetry(ip1, "UP")
    up = chain(lab, tmp_path, "restore", since, vpn_id, ip1, {"failover_test_onprem_events": False})  # the lab inventory asks for it
    assert list(up) == ["alarm OK", "SNS notification (OK)", "Lambda recovery record"]
    assert all(s["ok"] for s in up.values()), up
    assert 0 < up["alarm OK"]["seconds"] <= up["SNS notification (OK)"]["seconds"] <= up["Lambda recovery record"]["seconds"] < 30, up
    assert up["alarm OK"]["detail"].startswith(f"{ALARM}: ALARM -> OK at ")
    lab.set_settings({"time_factor": 1.0})
    settled(lab, quiet=1.5)
    record_property("down_to_alarm_s", alarm_s)
    record_property("down_to_sns_s", sns_s)
    record_property("down_to_lambda_s", lambda_s)
    print(f"\ntunnel DOWN -> alarm {alarm_s} s, SNS {sns_s} s, Lambda record {lambda_s} s; "
          f"UP -> OK {up['alarm OK']['seconds']} s (time_factor 120)")
