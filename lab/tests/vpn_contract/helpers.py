"""What the EC2 VPN contract tests share: the real-AWS samples, AWS's address and key rules,
waits, a connection to create and a tunnel with every option set."""

from __future__ import annotations

import ipaddress
import re
import time
from pathlib import Path

import boto3

REAL = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "real-aws"
EDGE = ipaddress.ip_network("198.51.100.0/24")
RESERVED = [ipaddress.ip_network(f"169.254.{i}.0/30") for i in range(6)] + [ipaddress.ip_network("169.254.169.252/30")]
PSK_RE = re.compile(r"^[A-Za-z1-9._][A-Za-z0-9._]{7,63}$")
ALWAYS_IN_TUNNEL_OPTIONS = {"OutsideIpAddress", "TunnelInsideCidr", "PreSharedKey", "LogOptions"}


def lab_client(url, service="ec2"):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def describe(ec2, vpn_id):
    return ec2.describe_vpn_connections(VpnConnectionIds=[vpn_id])["VpnConnections"][0]


def wait_state(ec2, vpn_id, state, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        conn = describe(ec2, vpn_id)
        if conn["State"] == state or time.monotonic() > deadline:
            return conn
        time.sleep(0.05)


def create(ec2, cgw, vgw, **options):
    return ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=cgw["CustomerGatewayId"],
        VpnGatewayId=vgw["VpnGatewayId"],
        Options=options,
    )["VpnConnection"]


FULL_TUNNEL = {
    "TunnelInsideCidr": "169.254.100.0/30",
    "PreSharedKey": "lab.key_one.12345",
    "Phase1LifetimeSeconds": 14400,
    "Phase2LifetimeSeconds": 1800,
    "RekeyMarginTimeSeconds": 300,
    "RekeyFuzzPercentage": 50,
    "ReplayWindowSize": 512,
    "DPDTimeoutSeconds": 45,
    "DPDTimeoutAction": "restart",
    "Phase1EncryptionAlgorithms": [{"Value": "AES256"}],
    "Phase2EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}],
    "Phase1IntegrityAlgorithms": [{"Value": "SHA2-256"}],
    "Phase2IntegrityAlgorithms": [{"Value": "SHA2-512"}],
    "Phase1DHGroupNumbers": [{"Value": 20}],
    "Phase2DHGroupNumbers": [{"Value": 21}],
    "IKEVersions": [{"Value": "ikev2"}],
    "StartupAction": "start",
    "LogOptions": {
        "CloudWatchLogOptions": {
            "LogEnabled": True,
            "LogOutputFormat": "json",
            "LogGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:vpn",
        }
    },
    "EnableTunnelLifecycleControl": True,
    "Phase1AdditionalKeyExchanges": [
        {"AdditionalKeyExchangeRound": 1, "KeyExchangeMethods": [{"Value": 36}], "Requirement": "required"}
    ],
    "Phase2AdditionalKeyExchanges": [
        {"AdditionalKeyExchangeRound": 1, "KeyExchangeMethods": [{"Value": 36}], "Requirement": "optional"}
    ],
}
