"""Contract tests of the lab API server: control routes, request log, faults, errors.

Plain boto3 against a LabServer on a free port of 127.0.0.1 (one per module).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from lab.api import settings as lab_settings
from lab.api.server import LabServer
from lab.api.testing import LabAPI, LabAPIError


def _code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


# --------------------------------------------------------------------------- server


def test_binds_loopback_only():
    with pytest.raises(ValueError, match="loopback"):
        LabServer(host="0.0.0.0")
    with pytest.raises(ValueError, match="loopback"):
        LabServer(host="192.0.2.1")


def test_context_manager_serves_then_frees_the_port():
    with LabServer(port=0, warm_up=False) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{server.url}/_lab/health", timeout=5) as response:
            assert json.load(response)["ok"] is True
        url = server.url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/_lab/health", timeout=2)


def test_health_reports_ec2_extension(api):
    assert api.health() == {"ok": True, "ec2_vpn": True}


def test_reset_clears_moto_and_lab_state(lab):
    ec2 = lab.client("ec2")
    ec2.create_vpc(CidrBlock="10.9.0.0/16")
    lab.set_faults({"latency_ms": 1})
    lab.set_settings({"time_factor": 5})
    assert any(v["CidrBlock"] == "10.9.0.0/16" for v in ec2.describe_vpcs()["Vpcs"])
    lab.reset()
    assert not any(v["CidrBlock"] == "10.9.0.0/16" for v in ec2.describe_vpcs()["Vpcs"])
    assert lab.faults()["latency_ms"] == 0
    assert lab.settings()["time_factor"] == 1.0
    # the log starts again after reset: only the describe above
    assert lab.requests()["counts"] == {"ec2:DescribeVpcs": 1}


# --------------------------------------------------------------------------- settings


def test_settings_defaults_update_and_validation(lab):
    defaults = lab.settings()
    # the quotas' values are AWS's: test_ec2_vpn_strict.test_aws_default_quotas pins them
    assert defaults.pop("quotas") == lab_settings.DEFAULTS["quotas"]
    assert defaults == {"state_delay_s": 0.5, "tunnel_order": "sorted", "time_factor": 1.0, "edge_pool": "198.51.100.0/24"}
    updated = lab.set_settings({"tunnel_order": "shuffled", "time_factor": 60})
    assert updated["tunnel_order"] == "shuffled" and updated["time_factor"] == 60.0
    assert lab_settings.get("tunnel_order") == "shuffled"  # one home: the module others import
    for bad in ({"tunnel_order": "random"}, {"time_factor": 0}, {"edge_pool": "10.0.0.300/24"}, {"nope": 1}):
        with pytest.raises(LabAPIError) as err:
            lab.set_settings(bad)
        assert err.value.status == 400
    assert lab.settings()["tunnel_order"] == "shuffled"


def test_tunnel_outside_addresses_are_the_edge_pools_first_free_ones(lab):
    lab.set_settings({"edge_pool": "198.51.100.0/29", "state_delay_s": 0})  # 6 addresses: 3 connections
    ec2 = lab.client("ec2")
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]

    def connect(i):
        cgw = ec2.create_customer_gateway(Type="ipsec.1", IpAddress=f"203.0.113.{i}", BgpAsn=65000 + i)["CustomerGateway"]
        conn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw)["VpnConnection"]
        return conn["VpnConnectionId"], sorted(t["OutsideIpAddress"] for t in conn["Options"]["TunnelOptions"])

    first, second, third = connect(1), connect(2), connect(3)
    assert [first[1], second[1], third[1]] == [["198.51.100.1", "198.51.100.2"], ["198.51.100.3", "198.51.100.4"],
                                               ["198.51.100.5", "198.51.100.6"]]
    with pytest.raises(ClientError) as err:
        connect(4)
    assert _code(err) == "VpnConnectionLimitExceeded" and "edge address pool is exhausted" in str(err.value)
    ec2.delete_vpn_connection(VpnConnectionId=second[0])
    assert connect(5)[1] == second[1]  # a deleted connection's addresses are free again


def test_server_start_settings_are_the_reset_baseline():
    try:
        with LabServer(port=0, settings={"state_delay_s": 0}, warm_up=False) as server:
            client = LabAPI(server.url)
            client.set_settings({"state_delay_s": 3})
            client.reset()
            assert client.settings()["state_delay_s"] == 0.0
    finally:
        lab_settings.SETTINGS.set_base({})


# --------------------------------------------------------------------------- request log


def test_request_log_records_service_action_status_write(lab):
    ec2 = lab.client("ec2")
    sqs = lab.client("sqs")
    sns = lab.client("sns")
    lam = lab.client("lambda")
    ec2.describe_vpn_connections()
    ec2.create_vpc(CidrBlock="10.1.0.0/16")
    sqs.create_queue(QueueName="log-q")
    sns.list_topics()
    lam.list_functions()
    with pytest.raises(ClientError) as err:
        ec2.describe_vpn_connections(VpnConnectionIds=["vpn-0123456789abcdef0"])
    assert _code(err) == "InvalidVpnConnectionID.NotFound"

    log = lab.requests()
    assert log["counts"] == {
        "ec2:DescribeVpnConnections": 2,
        "ec2:CreateVpc": 1,
        "sqs:CreateQueue": 1,
        "sns:ListTopics": 1,
        "lambda:ListFunctions": 1,
    }
    assert log["writes"] == 2
    first, last = log["requests"][0], log["requests"][-1]
    assert first["service"] == "ec2" and first["action"] == "DescribeVpnConnections"
    assert first["status"] == 200 and first["write"] is False and first["error_code"] is None
    assert first["time"].endswith("Z")
    assert [r["write"] for r in log["requests"]] == [False, True, True, False, False, False]
    assert last["status"] == 400 and last["error_code"] == "InvalidVpnConnectionID.NotFound"

    lab.clear_requests()
    assert lab.requests() == {"requests": [], "counts": {}, "writes": 0}


def test_request_log_names_cloudwatch_json_actions(lab):
    cw = lab.client("cloudwatch")
    cw.describe_alarms()
    with pytest.raises(ClientError):
        cw.set_alarm_state(AlarmName="missing", StateValue="OK", StateReason="x")
    log = lab.requests()
    assert log["counts"] == {"cloudwatch:DescribeAlarms": 1, "cloudwatch:SetAlarmState": 1}
    assert log["requests"][-1]["error_code"] == "ResourceNotFound"


def test_moto_api_calls_are_not_logged(lab):
    with urllib.request.urlopen(f"{lab.url}/moto-api/data.json", timeout=10) as response:
        assert response.status == 200
    assert lab.requests()["requests"] == []


# --------------------------------------------------------------------------- errors


def test_action_moto_lacks_is_an_aws_400_not_html_500(lab):
    ec2 = lab.client("ec2", max_attempts=1)
    with pytest.raises(ClientError) as err:
        ec2.modify_vpn_tunnel_certificate(
            VpnConnectionId="vpn-0123456789abcdef0", VpnTunnelOutsideIpAddress="198.51.100.1"
        )
    assert _code(err) == "NotImplemented"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "ModifyVpnTunnelCertificate" in err.value.response["Error"]["Message"]
    assert lab.requests()["requests"][-1]["error_code"] == "NotImplemented"


# --------------------------------------------------------------------------- faults


def test_faults_roundtrip_and_validation(lab):
    assert lab.faults() == {"throttle_rate": 0.0, "error_rate": 0.0, "latency_ms": 0, "actions": {}}
    config = lab.set_faults({"error_rate": 0.25, "actions": {"CreateVpnConnection": {"throttle_rate": 1}}})
    assert config == {
        "throttle_rate": 0.0,
        "error_rate": 0.25,
        "latency_ms": 0,
        "actions": {"CreateVpnConnection": {"throttle_rate": 1.0}},
    }
    for bad in ({"throttle_rate": 2}, {"latency_ms": -1}, {"actions": {"X": {"bogus": 1}}}, {"what": 1}):
        with pytest.raises(LabAPIError) as err:
            lab.set_faults(bad)
        assert err.value.status == 400
    lab.call("DELETE", "faults")
    assert lab.faults()["error_rate"] == 0.0


@pytest.mark.parametrize(
    ("service", "call", "code", "status"),
    [
        ("ec2", lambda c: c.describe_vpn_connections(), "RequestLimitExceeded", 400),
        ("sqs", lambda c: c.list_queues(), "ThrottlingException", 400),
        ("cloudwatch", lambda c: c.describe_alarms(), "ThrottlingException", 400),
        ("sns", lambda c: c.list_topics(), "Throttling", 400),
        ("lambda", lambda c: c.list_functions(), "TooManyRequestsException", 429),
    ],
)
def test_throttle_fault_is_the_services_throttling_error(lab, service, call, code, status):
    lab.set_faults({"throttle_rate": 1.0})
    client = lab.client(service, max_attempts=1)
    with pytest.raises(ClientError) as err:
        call(client)
    assert _code(err) == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    record = lab.requests()["requests"][-1]
    assert record["error_code"] == code and record["fault"] == "throttle"


@pytest.mark.parametrize(
    ("service", "call"),
    [
        ("ec2", lambda c: c.describe_vpn_connections()),
        ("cloudwatch", lambda c: c.describe_alarms()),
        ("sns", lambda c: c.list_topics()),
    ],
)
def test_error_fault_is_service_unavailable_503(lab, service, call):
    lab.set_faults({"error_rate": 1.0})
    with pytest.raises(ClientError) as err:
        call(lab.client(service, max_attempts=1))
    assert _code(err) == "ServiceUnavailable"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_boto3_retries_a_throttled_call(lab):
    # throttle exactly the first attempt: seed the RNG so the outcome is fixed
    lab.set_faults({"seed": 7, "actions": {"DescribeVpcs": {"throttle_rate": 0.5}}})
    outcomes = []
    ec2 = lab.client("ec2", max_attempts=10)
    ec2.describe_vpcs()
    outcomes = [r["error_code"] for r in lab.requests()["requests"]]
    assert outcomes[-1] is None
    assert set(outcomes[:-1]) <= {"RequestLimitExceeded"}
    # the same seed gives the same sequence
    lab.clear_requests()
    lab.set_faults({"seed": 7, "actions": {"DescribeVpcs": {"throttle_rate": 0.5}}})
    ec2.describe_vpcs()
    assert [r["error_code"] for r in lab.requests()["requests"]] == outcomes


def test_seeded_faults_are_deterministic(lab):
    ec2 = lab.client("ec2", max_attempts=1)

    def run() -> list[str | None]:
        lab.set_faults({"seed": 42, "throttle_rate": 0.5})
        lab.clear_requests()
        for _call in range(12):
            try:
                ec2.describe_vpcs()
            except ClientError:
                pass
        return [r["error_code"] for r in lab.requests()["requests"]]

    first = run()
    assert first == run()
    assert "RequestLimitExceeded" in first and None in first


def test_per_action_faults_override_global(lab):
    lab.set_faults({"actions": {"ec2:CreateVpc": {"throttle_rate": 1.0}}})
    ec2 = lab.client("ec2", max_attempts=1)
    ec2.describe_vpcs()  # other actions are untouched
    with pytest.raises(ClientError) as err:
        ec2.create_vpc(CidrBlock="10.2.0.0/16")
    assert _code(err) == "RequestLimitExceeded"


def test_latency_fault_delays_the_call(lab):
    ec2 = lab.client("ec2")
    lab.set_faults({"actions": {"DescribeVpcs": {"latency_ms": 300}}})
    started = time.monotonic()
    ec2.describe_vpcs()
    slow = time.monotonic() - started
    started = time.monotonic()
    ec2.describe_subnets()
    fast = time.monotonic() - started
    assert slow >= 0.3
    assert fast < 0.3
