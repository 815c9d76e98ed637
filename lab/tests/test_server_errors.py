"""The lab API fails like AWS: a 400 (or 413) with AWS's error code for every malformed request,
never moto's HTML 500; control settings and faults are checked before they apply.

Raw HTTP against a LabServer on 127.0.0.1 (botocore would refuse to send most of these).
"""

from __future__ import annotations

import http.client
import json
import re

import pytest

from lab.api import request_checks
from lab.api.testing import LabAPIError

AUTH = "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
FORM = "application/x-www-form-urlencoded"
JSON10 = "application/x-amz-json-1.0"
CW_TARGET = "GraniteServiceVersion20100801."


def _post(api, body: bytes, service="ec2", ctype=FORM, headers=None, chunked=False):
    host, port = api.url.rsplit("/", 1)[-1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    head = {"Authorization": AUTH.format(service=service), "Content-Type": ctype}
    head.update(headers or {})
    try:
        if chunked:
            conn.putrequest("POST", "/")
            for key, value in head.items():
                conn.putheader(key, value)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            conn.send(f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
        else:
            conn.request("POST", "/", body=body, headers=head)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type") or "", resp.read()
    finally:
        conn.close()


def _code(ctype: str, body: bytes) -> str:
    if "json" in ctype:
        return json.loads(body)["__type"]
    return re.search(rb"<Code>([^<]+)</Code>", body).group(1).decode()


EC2 = b"Version=2016-11-15&"
CASES = {
    "unknown EC2 action": (EC2 + b"Action=FooBar", "ec2", FORM, None, "InvalidAction"),
    "BgpAsn=abc": (EC2 + b"Action=CreateCustomerGateway&Type=ipsec.1&IpAddress=203.0.113.9&BgpAsn=abc", "ec2",
                   FORM, None, "InvalidParameterValue"),
    "non-integer lifetime": (EC2 + b"Action=CreateVpnConnection&Type=ipsec.1&CustomerGatewayId=cgw-1&VpnGatewayId=vgw-1"
                             b"&Options.TunnelOptions.1.Phase1LifetimeSeconds=1.5e3", "ec2", FORM, None,
                             "InvalidParameterValue"),
    "non-boolean option": (EC2 + b"Action=CreateVpnConnection&Type=ipsec.1&CustomerGatewayId=cgw-1&VpnGatewayId=vgw-1"
                           b"&Options.StaticRoutesOnly=yes", "ec2", FORM, None, "InvalidParameterValue"),
    "missing Action": (EC2 + b"Type=ipsec.1", "ec2", FORM, None, "MissingAction"),
    "non-UTF-8 body": (EC2 + b"Action=DescribeVpnConnections&X=\xff\xfe", "ec2", FORM, None, "MalformedQueryString"),
    "unknown service": (b"Action=Foo", "nosuchservice", FORM, None, "InvalidAction"),
    "CloudWatch unknown action": (b"{}", "monitoring", JSON10, {"X-Amz-Target": CW_TARGET + "Nope"},
                                  "UnknownOperationException"),
    "CloudWatch invalid JSON": (b"{not json", "monitoring", JSON10, {"X-Amz-Target": CW_TARGET + "DescribeAlarms"},
                                "SerializationException"),
    "CloudWatch JSON not an object": (b"[1]", "monitoring", JSON10, {"X-Amz-Target": CW_TARGET + "DescribeAlarms"},
                                      "SerializationException"),
    "SNS unknown action": (b"Version=2010-03-31&Action=Nope", "sns", FORM, None, "InvalidAction"),
    "SNS missing Action": (b"Version=2010-03-31", "sns", FORM, None, "MissingAction"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_request_gets_aws_400_and_is_logged(lab, name):
    body, service, ctype, headers, code = CASES[name]
    status, got_type, payload = _post(lab, body, service, ctype, headers)
    assert status == 400, payload
    assert "html" not in got_type
    assert _code(got_type, payload) == code
    logged = lab.requests()["requests"][-1]
    assert (logged["status"], logged["error_code"]) == (400, code)
    assert lab.client("ec2").describe_customer_gateways()["CustomerGateways"] == []  # nothing written


def test_chunked_body_is_read_whole(lab):
    status, dummy, payload = _post(lab, EC2 + b"Action=CreateVpc&CidrBlock=10.7.0.0/16", chunked=True)
    assert status == 200, payload
    assert lab.requests()["counts"].get("ec2:CreateVpc") == 1
    status, ctype, payload = _post(lab, EC2 + b"Action=NoSuchThing", chunked=True)
    assert (status, _code(ctype, payload)) == (400, "InvalidAction")


def test_body_over_the_cap_is_refused_unread(lab):
    host, port = lab.url.rsplit("/", 1)[-1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest("POST", "/")
        conn.putheader("Authorization", AUTH.format(service="ec2"))
        conn.putheader("Content-Type", FORM)
        conn.putheader("Content-Length", str(request_checks.MAX_BODY_BYTES + 1))
        conn.endheaders()
        conn.send(EC2 + b"Action=DescribeVpcs")
        resp = conn.getresponse()
        status, ctype, payload = resp.status, resp.getheader("Content-Type"), resp.read()
    finally:
        conn.close()
    assert status == 413
    assert _code(ctype, payload) == "RequestEntityTooLarge"


def test_a_failure_inside_moto_is_an_aws_shaped_500(lab, monkeypatch):
    from moto.ec2.responses import EC2Response

    def broken(self):
        raise RuntimeError("lab bug")

    monkeypatch.setattr(EC2Response, "describe_vpcs", broken, raising=False)
    status, ctype, payload = _post(lab, EC2 + b"Action=DescribeVpcs")
    assert status == 500 and "html" not in ctype
    assert _code(ctype, payload) == "InternalError"


@pytest.mark.parametrize(
    "bad",
    [
        {"state_delay_s": float("nan")},
        {"state_delay_s": float("inf")},
        {"time_factor": 1e308},
        {"state_delay_s": -1},
        {"quotas": {"vpn_connections_per_vgw": -1}},
        {"quotas": {"vpn_connections_per_vgw": 2.5}},
        {"quotas": {"nope": 1}},
        {"quotas": []},
        {"tunnel_order": "reversed", "time_factor": "fast"},  # the good key is not applied either
    ],
)
def test_settings_are_validated_before_any_applies(lab, bad):
    before = lab.settings()
    with pytest.raises(LabAPIError) as err:
        lab.call("PUT", "settings", bad)
    assert err.value.status == 400
    assert lab.settings() == before


@pytest.mark.parametrize(
    "bad",
    [
        {"throttle_rate": 0.5, "seed": "x"},
        {"throttle_rate": 0.5, "seed": [1]},
        {"error_rate": float("nan")},
        {"latency_ms": float("inf")},
        {"latency_ms": 1e308},
        {"throttle_rate": 0.5, "actions": {"CreateVpc": {"error_rate": 2}}},
        {"throttle_rate": 0.5, "actions": []},
    ],
)
def test_faults_are_validated_before_any_applies(lab, bad):
    with pytest.raises(LabAPIError) as err:
        lab.call("PUT", "faults", bad)
    assert err.value.status == 400
    assert lab.faults()["throttle_rate"] == 0.0


def test_control_routes_answer_json_errors(lab):
    with pytest.raises(LabAPIError) as err:
        lab.call("POST", "telemetry", {"outside_ip": "198.51.100.1", "status": "UP", "accepted_route_count": "x"})
    assert err.value.status in (400, 404) and isinstance(err.value.body, dict)
