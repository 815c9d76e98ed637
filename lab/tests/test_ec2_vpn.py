"""Contract tests of the lab API's EC2 VPN slice: plain boto3 against a real server."""

from __future__ import annotations

import ipaddress
import json
import re
import time
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from lab.api import ec2_vpn, patches, settings
from lab.tests import cgw_xml

REAL = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "real-aws"
EDGE = ipaddress.ip_network("198.51.100.0/24")
RESERVED = [ipaddress.ip_network(f"169.254.{i}.0/30") for i in range(6)] + [ipaddress.ip_network("169.254.169.252/30")]
PSK_RE = re.compile(r"^[A-Za-z1-9._][A-Za-z0-9._]{7,63}$")
ALWAYS_IN_TUNNEL_OPTIONS = {"OutsideIpAddress", "TunnelInsideCidr", "PreSharedKey", "LogOptions"}

# --------------------------------------------------------------------------- fixtures


class _MotoFallback:
    """moto's ThreadedMotoServer with our patches, until lab.api.server.LabServer exists."""

    def __init__(self):
        from moto.server import ThreadedMotoServer

        self._srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = None

    def start(self):
        self._srv.start()
        port = self._srv.get_host_and_port()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self):
        self._srv.stop()


@pytest.fixture(scope="module")
def url():
    patches.install()
    try:
        from lab.api.server import LabServer
    except ImportError:
        server = _MotoFallback()
    else:
        server = LabServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def fast_settings():
    before = settings.get()
    settings.update({"state_delay_s": 0.2, "tunnel_order": "sorted"})
    yield
    settings.update(before)


def _client(url, service="ec2"):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def ec2(url):
    return _client(url)


@pytest.fixture
def cgw(ec2):
    return ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.10", BgpAsn=65010)["CustomerGateway"]


@pytest.fixture
def vgw(ec2):
    return ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64600)["VpnGateway"]


def _error(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def _describe(ec2, vpn_id):
    return ec2.describe_vpn_connections(VpnConnectionIds=[vpn_id])["VpnConnections"][0]


def _wait_state(ec2, vpn_id, state, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        conn = _describe(ec2, vpn_id)
        if conn["State"] == state or time.monotonic() > deadline:
            return conn
        time.sleep(0.05)


def _create(ec2, cgw, vgw, **options):
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


# --------------------------------------------------------------------------- customer / VPN gateways


def test_customer_gateway_extended_fields_and_idempotent_create(ec2):
    made = ec2.create_customer_gateway(
        Type="ipsec.1",
        IpAddress="203.0.113.20",
        BgpAsnExtended=4200000001,
        DeviceName="edge-1",
        CertificateArn="arn:aws:acm:us-east-1:123456789012:certificate/abc",
    )["CustomerGateway"]
    assert made["BgpAsnExtended"] == "4200000001"
    assert "BgpAsn" not in made
    again = ec2.create_customer_gateway(
        Type="ipsec.1",
        IpAddress="203.0.113.20",
        BgpAsnExtended=4200000001,
        DeviceName="edge-1",
        CertificateArn="arn:aws:acm:us-east-1:123456789012:certificate/abc",
    )["CustomerGateway"]
    assert again["CustomerGatewayId"] == made["CustomerGatewayId"]
    other = ec2.create_customer_gateway(
        Type="ipsec.1", IpAddress="203.0.113.20", BgpAsnExtended=4200000001, DeviceName="edge-2"
    )["CustomerGateway"]
    assert other["CustomerGatewayId"] != made["CustomerGatewayId"]
    desc = ec2.describe_customer_gateways(CustomerGatewayIds=[made["CustomerGatewayId"]])["CustomerGateways"][0]
    assert desc["DeviceName"] == "edge-1"
    assert desc["CertificateArn"].endswith("certificate/abc")
    assert desc["BgpAsnExtended"] == "4200000001"
    default = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.21")["CustomerGateway"]
    assert default["BgpAsn"] == "65000"
    # a certificate-authenticated gateway may have no IP address (dynamic IP)
    cert_only = ec2.create_customer_gateway(
        Type="ipsec.1", BgpAsn=65020, CertificateArn="arn:aws:acm:us-east-1:123456789012:certificate/dyn"
    )["CustomerGateway"]
    assert "IpAddress" not in cert_only
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]
    conn = _create(ec2, cert_only, vgw)
    parsed = cgw_xml.parse(conn["CustomerGatewayConfiguration"])
    assert {t["cgw_asn"] for t in parsed["tunnels"]} == {65020}


@pytest.mark.parametrize(
    "kwargs,code",
    [
        ({"IpAddress": "203.0.113.22", "BgpAsn": 65001, "BgpAsnExtended": 4200000001}, "InvalidParameterCombination"),
        ({"IpAddress": "203.0.113.22", "BgpAsnExtended": 65001}, "InvalidParameterValue"),
        ({"IpAddress": "not-an-ip", "BgpAsn": 65001}, "InvalidParameterValue"),
        ({"BgpAsn": 65001}, "MissingParameter"),
    ],
)
def test_customer_gateway_errors(ec2, kwargs, code):
    with pytest.raises(ClientError) as exc:
        ec2.create_customer_gateway(Type="ipsec.1", **kwargs)
    assert _error(exc) == code


def test_customer_gateway_in_use_cannot_be_deleted(ec2, cgw, vgw):
    conn = _create(ec2, cgw, vgw)
    with pytest.raises(ClientError) as exc:
        ec2.delete_customer_gateway(CustomerGatewayId=cgw["CustomerGatewayId"])
    assert _error(exc) == "IncorrectState"
    ec2.delete_vpn_connection(VpnConnectionId=conn["VpnConnectionId"])
    ec2.delete_customer_gateway(CustomerGatewayId=cgw["CustomerGatewayId"])


def test_vpn_gateway_asn_default_range_and_single_vpc(ec2):
    assert ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["AmazonSideAsn"] == 64512
    assert ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=4200000000)["VpnGateway"]["AmazonSideAsn"] == 4200000000
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=65535)
    assert _error(exc) == "InvalidParameterValue"
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    vpc_a = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    vpc_b = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc_a)
    with pytest.raises(ClientError) as exc:
        ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc_b)
    assert _error(exc) == "VpnGatewayAttachmentLimitExceeded"
    ec2.detach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc_a)
    assert ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc_b)["VpcAttachment"]["State"] == "attached"


# --------------------------------------------------------------------------- create / describe


def test_default_connection_as_aws_returns_it(ec2, cgw, vgw):
    conn = _create(ec2, cgw, vgw)
    assert conn["State"] == "pending"
    vpn_id = conn["VpnConnectionId"]
    opts = conn["Options"]
    assert opts["StaticRoutesOnly"] is False
    assert opts["LocalIpv4NetworkCidr"] == opts["RemoteIpv4NetworkCidr"] == "0.0.0.0/0"
    assert opts["OutsideIpAddressType"] == "PublicIpv4"
    assert opts["TunnelInsideIpVersion"] == "ipv4"
    assert opts["EnableAcceleration"] is False
    tunnels = opts["TunnelOptions"]
    assert len(tunnels) == 2
    for tun in tunnels:
        assert set(tun) == ALWAYS_IN_TUNNEL_OPTIONS
        assert tun["LogOptions"] == {"CloudWatchLogOptions": {"LogEnabled": False}}
        assert ipaddress.ip_address(tun["OutsideIpAddress"]) in EDGE
        cidr = ipaddress.ip_network(tun["TunnelInsideCidr"])
        assert cidr.prefixlen == 30 and cidr.subnet_of(ipaddress.ip_network("169.254.0.0/16"))
        assert cidr not in RESERVED
        assert PSK_RE.match(tun["PreSharedKey"])
    assert tunnels[0]["OutsideIpAddress"] != tunnels[1]["OutsideIpAddress"]
    assert tunnels[0]["TunnelInsideCidr"] != tunnels[1]["TunnelInsideCidr"]
    assert tunnels[0]["PreSharedKey"] != tunnels[1]["PreSharedKey"]
    telemetry = conn["VgwTelemetry"]
    assert {t["OutsideIpAddress"] for t in telemetry} == {t["OutsideIpAddress"] for t in tunnels}
    assert all(t["Status"] == "DOWN" and t["AcceptedRouteCount"] == 0 and "CertificateArn" not in t for t in telemetry)
    assert conn["Routes"] == [] and conn["Category"] == "VPN"
    assert _wait_state(ec2, vpn_id, "available")["State"] == "available"

    xml = cgw_xml.parse(conn["CustomerGatewayConfiguration"])
    assert xml["vpn_connection_id"] == vpn_id and xml["vpn_gateway_id"] == vgw["VpnGatewayId"]
    by_ip = {t["OutsideIpAddress"]: t for t in tunnels}
    for tun in xml["tunnels"]:
        api = by_ip[tun["vgw_outside_ip"]]
        assert tun["pre_shared_key"] == api["PreSharedKey"]
        assert tun["inside_cidr"] == api["TunnelInsideCidr"]
        assert tun["cgw_outside_ip"] == "203.0.113.10"
        assert (tun["cgw_asn"], tun["vgw_asn"], tun["hold_time"]) == (65010, 64600, 30)
        assert tun["ipsec"]["tcp_mss_adjustment"] == 1379


def test_every_tunnel_option_is_stored_and_returned(ec2, cgw, vgw):
    second = {"TunnelInsideCidr": "169.254.100.4/30", "IKEVersions": [{"Value": "ikev1"}]}
    conn = _create(
        ec2,
        cgw,
        vgw,
        LocalIpv4NetworkCidr="10.10.0.0/16",
        RemoteIpv4NetworkCidr="172.16.0.0/16",
        TunnelOptions=[FULL_TUNNEL, second],
    )
    by_cidr = {t["TunnelInsideCidr"]: t for t in conn["Options"]["TunnelOptions"]}
    full = by_cidr["169.254.100.0/30"]
    assert full["PreSharedKey"] == "lab.key_one.12345"
    for key in ("Phase1LifetimeSeconds", "Phase2LifetimeSeconds", "RekeyMarginTimeSeconds", "RekeyFuzzPercentage",
                "ReplayWindowSize", "StartupAction", "EnableTunnelLifecycleControl", "Phase1EncryptionAlgorithms",
                "Phase2EncryptionAlgorithms", "Phase1IntegrityAlgorithms", "Phase2IntegrityAlgorithms",
                "Phase1DHGroupNumbers", "Phase2DHGroupNumbers", "Phase1AdditionalKeyExchanges",
                "Phase2AdditionalKeyExchanges"):
        assert full[key] == FULL_TUNNEL[key], key
    assert full["DpdTimeoutSeconds"] == 45 and full["DpdTimeoutAction"] == "restart"
    assert full["IkeVersions"] == [{"Value": "ikev2"}]
    assert full["LogOptions"]["CloudWatchLogOptions"]["LogEnabled"] is True
    assert full["LogOptions"]["CloudWatchLogOptions"]["LogOutputFormat"] == "json"
    assert set(by_cidr["169.254.100.4/30"]) == ALWAYS_IN_TUNNEL_OPTIONS | {"IkeVersions"}
    assert conn["Options"]["LocalIpv4NetworkCidr"] == "10.10.0.0/16"

    # the data plane's view: snake_case with AWS's defaults for what was not set
    view = {c["vpn_connection_id"]: c for c in ec2_vpn.lab_view()}[conn["VpnConnectionId"]]
    assert view["customer_gateway_ip"] == "203.0.113.10" and view["customer_gateway_bgp_asn"] == 65010
    assert view["amazon_side_asn"] == 64600 and view["static_routes_only"] is False
    tun = {t["inside_cidr"]: t for t in view["tunnels"]}
    assert tun["169.254.100.0/30"]["phase1_lifetime_seconds"] == 14400
    assert tun["169.254.100.0/30"]["phase1_additional_key_exchanges"][0]["methods"] == [36]
    assert tun["169.254.100.0/30"]["vgw_inside_ip"] == "169.254.100.1"
    assert tun["169.254.100.0/30"]["cgw_inside_ip"] == "169.254.100.2"
    assert tun["169.254.100.0/30"]["psk"] == "lab.key_one.12345"
    defaults = tun["169.254.100.4/30"]
    assert defaults["phase1_lifetime_seconds"] == 28800 and defaults["phase2_lifetime_seconds"] == 3600
    assert defaults["ike_versions"] == ["ikev1"] and defaults["dpd_timeout_action"] == "clear"
    assert defaults["startup_action"] == "add" and defaults["replay_window_size"] == 1024


@pytest.mark.parametrize(
    "tunnel,fragment",
    [
        ({"PreSharedKey": "0startswithzero"}, "PreSharedKey"),
        ({"PreSharedKey": "short"}, "PreSharedKey"),
        ({"PreSharedKey": "bad+char+in+key"}, "PreSharedKey"),
        ({"TunnelInsideCidr": "169.254.169.252/30"}, "TunnelInsideCidr"),
        ({"TunnelInsideCidr": "169.254.3.0/30"}, "TunnelInsideCidr"),
        ({"TunnelInsideCidr": "10.0.0.0/30"}, "TunnelInsideCidr"),
        ({"Phase1EncryptionAlgorithms": [{"Value": "DES"}]}, "Phase1EncryptionAlgorithms"),
        ({"Phase2DHGroupNumbers": [{"Value": 3}]}, "Phase2DHGroupNumbers"),
        ({"Phase1LifetimeSeconds": 899}, "Phase1LifetimeSeconds"),
        ({"Phase2LifetimeSeconds": 3601}, "Phase2LifetimeSeconds"),
        ({"DPDTimeoutAction": "explode"}, "DPDTimeoutAction"),
        ({"IKEVersions": [{"Value": "ikev1"}],
          "Phase1AdditionalKeyExchanges": [{"AdditionalKeyExchangeRound": 1, "KeyExchangeMethods": [{"Value": 36}],
                                            "Requirement": "required"}]},
         "Phase1AdditionalKeyExchanges"),
    ],
)
def test_bad_tunnel_options_are_refused_and_nothing_is_created(ec2, cgw, vgw, tunnel, fragment):
    before = len(ec2.describe_vpn_connections()["VpnConnections"])
    with pytest.raises(ClientError) as exc:
        _create(ec2, cgw, vgw, TunnelOptions=[tunnel])
    assert _error(exc) == "InvalidParameterValue"
    assert fragment in exc.value.response["Error"]["Message"]
    assert len(ec2.describe_vpn_connections()["VpnConnections"]) == before


def test_connection_level_errors(ec2, cgw, vgw):
    cases = [
        (dict(CustomerGatewayId="cgw-0000000000000000f", VpnGatewayId=vgw["VpnGatewayId"]), "InvalidCustomerGatewayID.NotFound"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId="vgw-0000000000000000f"), "InvalidVpnGatewayID.NotFound"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"]), "MissingParameter"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
              Options={"TunnelOptions": [{"StartupAction": "add"}] * 3}), "InvalidParameterValue"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
              Options={"TunnelOptions": [{"TunnelInsideCidr": "169.254.50.0/30"},
                                         {"TunnelInsideCidr": "169.254.50.0/30"}]}), "InvalidParameterValue"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
              Options={"EnableAcceleration": True}), "InvalidParameterValue"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
              Options={"LocalIpv4NetworkCidr": "10.0.0.0/33"}), "InvalidParameterValue"),
        (dict(CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
              PreSharedKeyStorage="Vault"), "InvalidParameterValue"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as exc:
            ec2.create_vpn_connection(Type="ipsec.1", **kwargs)
        assert _error(exc) == code, kwargs


def test_inside_cidr_unique_per_gateway(ec2, cgw, vgw):
    _create(ec2, cgw, vgw, TunnelOptions=[{"TunnelInsideCidr": "169.254.60.0/30"}])
    with pytest.raises(ClientError) as exc:
        _create(ec2, cgw, vgw, TunnelOptions=[{"TunnelInsideCidr": "169.254.60.0/30"}])
    assert _error(exc) == "InvalidParameterValue"
    assert "already used" in exc.value.response["Error"]["Message"]
    other_vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]
    conn = _create(ec2, cgw, other_vgw, TunnelOptions=[{"TunnelInsideCidr": "169.254.60.0/30"}])
    assert "169.254.60.0/30" in {t["TunnelInsideCidr"] for t in conn["Options"]["TunnelOptions"]}


def test_outside_ips_distinct_and_released_only_when_deleted(ec2, cgw, vgw):
    a = _create(ec2, cgw, vgw)
    b = _create(ec2, cgw, vgw)
    ips_a = {t["OutsideIpAddress"] for t in a["Options"]["TunnelOptions"]}
    ips_b = {t["OutsideIpAddress"] for t in b["Options"]["TunnelOptions"]}
    assert len(ips_a) == 2 and not ips_a & ips_b
    ec2.delete_vpn_connection(VpnConnectionId=a["VpnConnectionId"])
    assert _describe(ec2, a["VpnConnectionId"])["State"] == "deleting"
    c = _create(ec2, cgw, vgw)  # still deleting: a's addresses are not free yet
    assert not ips_a & {t["OutsideIpAddress"] for t in c["Options"]["TunnelOptions"]}
    assert _wait_state(ec2, a["VpnConnectionId"], "deleted")["State"] == "deleted"


def test_static_connection_routes_and_xml(ec2, cgw, vgw):
    conn = _create(ec2, cgw, vgw, StaticRoutesOnly=True)
    vpn_id = conn["VpnConnectionId"]
    raw = conn["CustomerGatewayConfiguration"]
    assert "<vpn_connection_attributes>NoBGPVPNConnection</vpn_connection_attributes>" in raw
    assert "<bgp>" not in raw
    parsed = cgw_xml.parse(raw)
    assert parsed["static_routes_only"] is True
    assert all(t["cgw_asn"] is None and t["hold_time"] is None for t in parsed["tunnels"])
    ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="192.168.10.0/24")
    ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="192.168.20.0/24")
    ec2.delete_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="192.168.20.0/24")
    routes = {r["DestinationCidrBlock"]: r for r in _describe(ec2, vpn_id)["Routes"]}
    assert routes["192.168.10.0/24"]["State"] == "available"
    assert routes["192.168.20.0/24"]["State"] == "deleted"
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="192.168.30.0/24")
    assert _error(exc) == "InvalidRoute.NotFound"
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_connection_route(VpnConnectionId="vpn-0000000000000000f", DestinationCidrBlock="192.168.30.0/24")
    assert _error(exc) == "InvalidVpnConnectionID.NotFound"
    bgp_conn = _create(ec2, cgw, vgw)
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_connection_route(VpnConnectionId=bgp_conn["VpnConnectionId"], DestinationCidrBlock="192.168.30.0/24")
    assert _error(exc) == "InvalidParameterValue"
    view = {c["vpn_connection_id"]: c for c in ec2_vpn.lab_view()}[vpn_id]
    assert view["static_routes"] == ["192.168.10.0/24"] and view["static_routes_only"] is True


def test_transit_gateway_connection(ec2, cgw):
    tgw = ec2.create_transit_gateway(Options={"AmazonSideAsn": 64700})["TransitGateway"]["TransitGatewayId"]
    conn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"], TransitGatewayId=tgw)[
        "VpnConnection"
    ]
    assert conn["TransitGatewayId"] == tgw and "VpnGatewayId" not in conn
    assert "<vpn_gateway_id></vpn_gateway_id>" in conn["CustomerGatewayConfiguration"]
    parsed = cgw_xml.parse(conn["CustomerGatewayConfiguration"])
    assert parsed["vpn_gateway_id"] is None
    assert {t["vgw_asn"] for t in parsed["tunnels"]} == {64700}
    attachments = ec2.describe_transit_gateway_attachments()["TransitGatewayAttachments"]
    assert any(a["ResourceId"] == conn["VpnConnectionId"] for a in attachments)
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]
    ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[subnet])
    view = {c["vpn_connection_id"]: c for c in ec2_vpn.lab_view()}[conn["VpnConnectionId"]]
    assert view["vpc_cidrs"] == ["10.40.0.0/16"] and view["amazon_side_asn"] == 64700
    v6 = ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=cgw["CustomerGatewayId"],
        TransitGatewayId=tgw,
        Options={"TunnelInsideIpVersion": "ipv6", "EnableAcceleration": True},
    )["VpnConnection"]
    opts = v6["Options"]
    assert opts["EnableAcceleration"] is True and opts["TunnelInsideIpVersion"] == "ipv6"
    assert opts["LocalIpv6NetworkCidr"] == opts["RemoteIpv6NetworkCidr"] == "::/0"
    v6_cidrs = [ipaddress.ip_network(t["TunnelInsideIpv6Cidr"]) for t in opts["TunnelOptions"]]
    assert len(set(v6_cidrs)) == 2
    assert all(n.prefixlen == 126 and n.subnet_of(ipaddress.ip_network("fd00::/8")) for n in v6_cidrs)


# --------------------------------------------------------------------------- modify


def test_modify_tunnel_options_in_place_keeps_xml_crypto(ec2, cgw, vgw):
    conn = _create(ec2, cgw, vgw, TunnelOptions=[{"TunnelInsideCidr": "169.254.110.0/30"}])
    vpn_id = conn["VpnConnectionId"]
    tun = next(t for t in conn["Options"]["TunnelOptions"] if t["TunnelInsideCidr"] == "169.254.110.0/30")
    ip = tun["OutsideIpAddress"]
    xml_before = {t["vgw_outside_ip"]: t for t in cgw_xml.parse(conn["CustomerGatewayConfiguration"])["tunnels"]}
    with pytest.raises(ClientError) as exc:  # still pending
        ec2.modify_vpn_tunnel_options(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip, TunnelOptions={"DPDTimeoutSeconds": 60})
    assert _error(exc) == "IncorrectState"
    _wait_state(ec2, vpn_id, "available")
    out = ec2.modify_vpn_tunnel_options(
        VpnConnectionId=vpn_id,
        VpnTunnelOutsideIpAddress=ip,
        TunnelOptions={
            "Phase1EncryptionAlgorithms": [{"Value": "AES256"}],
            "Phase1LifetimeSeconds": 3600,
            "Phase2LifetimeSeconds": 1200,
            "PreSharedKey": "new_key.abcdefgh",
            "TunnelInsideCidr": "169.254.111.0/30",
        },
        SkipTunnelReplacement=True,
    )["VpnConnection"]
    assert out["State"] == "modifying"
    after = next(t for t in out["Options"]["TunnelOptions"] if t["OutsideIpAddress"] == ip)
    assert after["Phase1EncryptionAlgorithms"] == [{"Value": "AES256"}]
    assert after["Phase1LifetimeSeconds"] == 3600 and after["PreSharedKey"] == "new_key.abcdefgh"
    assert after["TunnelInsideCidr"] == "169.254.111.0/30"
    xml_after = {t["vgw_outside_ip"]: t for t in cgw_xml.parse(out["CustomerGatewayConfiguration"])["tunnels"]}
    # AWS (aws-cli#9421): the XML's ike/ipsec blocks stay as created, keys and addresses follow
    assert xml_after[ip]["ike"] == xml_before[ip]["ike"]
    assert xml_after[ip]["ike"]["encryption_protocol"] == "aes-128-cbc"
    assert xml_after[ip]["pre_shared_key"] == "new_key.abcdefgh"
    assert xml_after[ip]["inside_cidr"] == "169.254.111.0/30"
    assert _wait_state(ec2, vpn_id, "available")["State"] == "available"
    # merged with what was set before: the spec's cross-field rules run on the result
    with pytest.raises(ClientError) as exc:
        ec2.modify_vpn_tunnel_options(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip, TunnelOptions={"Phase2LifetimeSeconds": 3600})
    assert _error(exc) == "InvalidParameterValue" and "Phase2LifetimeSeconds" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        ec2.modify_vpn_tunnel_options(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress="192.0.2.99", TunnelOptions={})
    assert _error(exc) == "InvalidParameterValue"


def test_modify_connection_options_and_connection(ec2, cgw, vgw):
    conn = _create(ec2, cgw, vgw)
    vpn_id = conn["VpnConnectionId"]
    _wait_state(ec2, vpn_id, "available")
    out = ec2.modify_vpn_connection_options(VpnConnectionId=vpn_id, LocalIpv4NetworkCidr="10.20.0.0/16")["VpnConnection"]
    assert out["State"] == "modifying" and out["Options"]["LocalIpv4NetworkCidr"] == "10.20.0.0/16"
    assert out["Options"]["RemoteIpv4NetworkCidr"] == "0.0.0.0/0"
    _wait_state(ec2, vpn_id, "available")
    new_cgw = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.30", BgpAsn=65030)["CustomerGateway"]
    out = ec2.modify_vpn_connection(VpnConnectionId=vpn_id, CustomerGatewayId=new_cgw["CustomerGatewayId"])["VpnConnection"]
    assert out["CustomerGatewayId"] == new_cgw["CustomerGatewayId"]
    parsed = cgw_xml.parse(out["CustomerGatewayConfiguration"])
    assert {t["cgw_outside_ip"] for t in parsed["tunnels"]} == {"203.0.113.30"}
    assert {t["OutsideIpAddress"] for t in out["Options"]["TunnelOptions"]} == {
        t["OutsideIpAddress"] for t in conn["Options"]["TunnelOptions"]
    }


def test_replace_vpn_tunnel(ec2, cgw, vgw):
    conn = _create(ec2, cgw, vgw)
    vpn_id = conn["VpnConnectionId"]
    _wait_state(ec2, vpn_id, "available")
    ip = conn["Options"]["TunnelOptions"][0]["OutsideIpAddress"]
    assert ec2.replace_vpn_tunnel(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip)["Return"] is True
    view = {c["vpn_connection_id"]: c for c in ec2_vpn.lab_view()}[vpn_id]
    assert {t["outside_ip"]: t["replacements"] for t in view["tunnels"]}[ip] == 1
    with pytest.raises(ClientError) as exc:
        ec2.replace_vpn_tunnel(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress="192.0.2.1")
    assert _error(exc) == "InvalidParameterValue"


# --------------------------------------------------------------------------- secrets manager


def test_pre_shared_keys_in_secrets_manager(url, ec2, cgw, vgw):
    conn = ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=cgw["CustomerGatewayId"],
        VpnGatewayId=vgw["VpnGatewayId"],
        PreSharedKeyStorage="SecretsManager",
        Options={"TunnelOptions": [{"PreSharedKey": "given.key.1234"}]},
    )["VpnConnection"]
    vpn_id = conn["VpnConnectionId"]
    arn = conn["PreSharedKeyArn"]
    assert arn.startswith("arn:aws:secretsmanager:us-east-1:")
    assert all("PreSharedKey" not in t for t in conn["Options"]["TunnelOptions"])
    assert "<pre_shared_key>" not in conn["CustomerGatewayConfiguration"]
    sm = _client(url, "secretsmanager")
    keys = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    assert set(keys) == {t["OutsideIpAddress"] for t in conn["Options"]["TunnelOptions"]}
    assert "given.key.1234" in keys.values()
    assert all(PSK_RE.match(k) for k in keys.values())
    view = {c["vpn_connection_id"]: c for c in ec2_vpn.lab_view()}[vpn_id]
    assert {t["outside_ip"]: t["psk"] for t in view["tunnels"]} == keys
    _wait_state(ec2, vpn_id, "available")
    ip = next(ip for ip, k in keys.items() if k != "given.key.1234")
    ec2.modify_vpn_tunnel_options(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip, TunnelOptions={"PreSharedKey": "rotated.key.99"})
    assert json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])[ip] == "rotated.key.99"


def test_modify_moves_standard_keys_into_secrets_manager(url, ec2, cgw, vgw):
    conn = _create(ec2, cgw, vgw)
    vpn_id = conn["VpnConnectionId"]
    assert "PreSharedKeyArn" not in conn
    keys = {t["OutsideIpAddress"]: t["PreSharedKey"] for t in conn["Options"]["TunnelOptions"]}
    _wait_state(ec2, vpn_id, "available")
    ip = sorted(keys)[0]
    out = ec2.modify_vpn_tunnel_options(
        VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip, TunnelOptions={}, PreSharedKeyStorage="SecretsManager"
    )["VpnConnection"]
    assert all("PreSharedKey" not in t for t in out["Options"]["TunnelOptions"])
    stored = _client(url, "secretsmanager").get_secret_value(SecretId=out["PreSharedKeyArn"])["SecretString"]
    assert json.loads(stored) == keys


def test_concurrent_creates_get_distinct_addresses(url, cgw, vgw):
    from concurrent.futures import ThreadPoolExecutor

    def create(dummy):
        return _create(_client(url), cgw, vgw)["Options"]["TunnelOptions"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(create, range(8)))
    outside = [t["OutsideIpAddress"] for tunnels in results for t in tunnels]
    inside = [t["TunnelInsideCidr"] for tunnels in results for t in tunnels]
    assert len(set(outside)) == len(outside) == 16
    assert len(set(inside)) == len(inside) == 16  # one gateway: inside CIDRs unique across it


# --------------------------------------------------------------------------- routing and telemetry


def test_route_propagation_and_bgp_routes(ec2, cgw):
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    with pytest.raises(ClientError) as exc:
        ec2.enable_vgw_route_propagation(GatewayId=vgw, RouteTableId=table)
    assert _error(exc) == "Gateway.NotAttached"
    ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc)
    ec2.enable_vgw_route_propagation(GatewayId=vgw, RouteTableId=table)
    conn = _create(ec2, cgw, {"VpnGatewayId": vgw})
    vpn_id = conn["VpnConnectionId"]
    _wait_state(ec2, vpn_id, "available")

    def describe():
        return ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]

    assert describe()["PropagatingVgws"] == [{"GatewayId": vgw}]
    assert ec2_vpn.set_bgp_routes(vpn_id, ["172.16.0.0/16", "172.17.0.0/16"])["route_tables"] == [table]
    propagated = [r for r in describe()["Routes"] if r.get("Origin") == "EnableVgwRoutePropagation"]
    assert {(r["DestinationCidrBlock"], r["GatewayId"], r["State"]) for r in propagated} == {
        ("172.16.0.0/16", vgw, "active"),
        ("172.17.0.0/16", vgw, "active"),
    }
    ec2_vpn.set_bgp_routes(vpn_id, ["172.18.0.0/16"])  # replaced, not appended
    propagated = [r["DestinationCidrBlock"] for r in describe()["Routes"] if r.get("Origin") == "EnableVgwRoutePropagation"]
    assert propagated == ["172.18.0.0/16"]
    view = {c["vpn_connection_id"]: c for c in ec2_vpn.lab_view()}[vpn_id]
    assert view["vpc_ids"] == [vpc] and view["vpc_cidrs"] == ["10.30.0.0/16"]
    assert view["bgp_prefixes"] == ["172.18.0.0/16"]
    assert any(r.get("GatewayId") == "local" for r in describe()["Routes"])
    ec2.disable_vgw_route_propagation(GatewayId=vgw, RouteTableId=table)
    assert describe()["PropagatingVgws"] == []
    assert not [r for r in describe()["Routes"] if r.get("Origin") == "EnableVgwRoutePropagation"]
    assert ec2_vpn.set_bgp_routes("vpn-0000000000000000f", ["10.0.0.0/8"]) is None


def test_tunnel_telemetry(ec2, cgw, vgw):
    conn = _create(ec2, cgw, vgw)
    vpn_id = conn["VpnConnectionId"]
    ip = conn["Options"]["TunnelOptions"][0]["OutsideIpAddress"]
    created = {t["OutsideIpAddress"]: t for t in conn["VgwTelemetry"]}[ip]["LastStatusChange"]
    time.sleep(1.05)  # LastStatusChange has whole seconds
    got = ec2_vpn.set_tunnel_telemetry(ip, "UP", accepted_route_count=2)
    assert got["vpn_connection_id"] == vpn_id and got["status"] == "UP" and got["changed"] is True
    tel = {t["OutsideIpAddress"]: t for t in _describe(ec2, vpn_id)["VgwTelemetry"]}[ip]
    assert tel["Status"] == "UP" and tel["AcceptedRouteCount"] == 2 and tel["StatusMessage"] == "2 BGP ROUTES"
    assert tel["LastStatusChange"] > created
    changed_at = tel["LastStatusChange"]
    time.sleep(1.05)
    assert ec2_vpn.set_tunnel_telemetry(ip, "UP", status_message="still up")["changed"] is False
    tel = {t["OutsideIpAddress"]: t for t in _describe(ec2, vpn_id)["VgwTelemetry"]}[ip]
    assert tel["LastStatusChange"] == changed_at and tel["StatusMessage"] == "still up"
    ec2_vpn.set_tunnel_telemetry(ip, "DOWN")
    tel = {t["OutsideIpAddress"]: t for t in _describe(ec2, vpn_id)["VgwTelemetry"]}[ip]
    assert tel["Status"] == "DOWN" and tel["LastStatusChange"] > changed_at
    assert ec2_vpn.set_tunnel_telemetry("192.0.2.250", "UP") is None


# --------------------------------------------------------------------------- order, device configs, XML parity


def test_tunnel_order_setting(ec2, cgw, vgw):
    settings.update({"tunnel_order": "reversed"})
    conn = _create(ec2, cgw, vgw)
    ips = [ipaddress.ip_address(t["OutsideIpAddress"]) for t in conn["Options"]["TunnelOptions"]]
    assert ips == sorted(ips, reverse=True)
    assert [ipaddress.ip_address(t["OutsideIpAddress"]) for t in conn["VgwTelemetry"]] == ips
    xml_ips = [ipaddress.ip_address(t["vgw_outside_ip"]) for t in cgw_xml.parse(conn["CustomerGatewayConfiguration"])["tunnels"]]
    assert xml_ips == ips
    settings.update({"tunnel_order": "shuffled"})
    orders = set()
    for dummy in range(30):
        desc = _describe(ec2, conn["VpnConnectionId"])
        orders.add(tuple(t["OutsideIpAddress"] for t in desc["Options"]["TunnelOptions"]))
        orders.add(tuple(t["OutsideIpAddress"] for t in desc["VgwTelemetry"]))
    assert len(orders) == 2  # both orders show up


def test_device_types_and_generic_sample_configuration(ec2, cgw, vgw):
    types = ec2.get_vpn_connection_device_types()["VpnConnectionDeviceTypes"]
    generic = next(t for t in types if t["Vendor"] == "Generic")
    conn = _create(ec2, cgw, vgw)
    text = ec2.get_vpn_connection_device_sample_configuration(
        VpnConnectionId=conn["VpnConnectionId"],
        VpnConnectionDeviceTypeId=generic["VpnConnectionDeviceTypeId"],
        InternetKeyExchangeVersion="ikev2",
    )["VpnConnectionDeviceSampleConfiguration"]
    assert conn["VpnConnectionId"] in text and "IKEV2" in text
    for tun in conn["Options"]["TunnelOptions"]:
        assert tun["OutsideIpAddress"] in text and tun["PreSharedKey"] in text
    assert "65010" in text and "64600" in text
    with pytest.raises(ClientError) as exc:
        ec2.get_vpn_connection_device_sample_configuration(
            VpnConnectionId=conn["VpnConnectionId"], VpnConnectionDeviceTypeId="nope"
        )
    assert _error(exc) == "InvalidParameterValue"


def _shape(value):
    """The structure of a parsed document: keys and value types, not the values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


@pytest.mark.parametrize(
    "sample,static",
    [("vpn-ba2e34a8.customer-gateway-configuration.xml", False), ("vpn-static-2019.customer-gateway-configuration.xml", True)],
)
def test_parser_gives_same_structure_for_lab_and_real_xml(ec2, cgw, vgw, sample, static):
    real = cgw_xml.parse((REAL / sample).read_text())
    conn = _create(ec2, cgw, vgw, StaticRoutesOnly=static)
    lab = cgw_xml.parse(conn["CustomerGatewayConfiguration"])
    assert _shape(lab) == _shape(real)
    assert lab["tunnels"][0]["ike"] == real["tunnels"][0]["ike"]
    assert lab["tunnels"][0]["ipsec"] == real["tunnels"][0]["ipsec"]


def test_install_is_idempotent():
    patches.install()
    patches.install()
    from moto.ec2.models.vpn_gateway import VpnGatewayBackend

    # wrapped once only: the wrapper's original is moto's own function
    wrapper = VpnGatewayBackend.create_vpn_gateway
    assert wrapper.lab_patched is True
    assert not getattr(wrapper.lab_original, "lab_patched", False)


def test_describe_filters(ec2, vgw):
    cgw = ec2.create_customer_gateway(
        Type="ipsec.1", IpAddress="203.0.113.40", BgpAsnExtended=4200000040, DeviceName="filter-me",
        TagSpecifications=[{"ResourceType": "customer-gateway", "Tags": [{"Key": "Name", "Value": "site-40"}]}],
    )["CustomerGateway"]

    def cgws(*filters):
        found = ec2.describe_customer_gateways(Filters=[{"Name": n, "Values": [v]} for n, v in filters])
        return [g["CustomerGatewayId"] for g in found["CustomerGateways"]]

    assert cgws(("ip-address", "203.0.113.40"), ("bgp-asn", "4200000040")) == [cgw["CustomerGatewayId"]]
    assert cgws(("tag:Name", "site-40")) == [cgw["CustomerGatewayId"]]
    assert cgws(("ip-address", "203.0.113.40"), ("state", "deleted")) == []
    with pytest.raises(ClientError) as exc:
        ec2.describe_customer_gateways(CustomerGatewayIds=["cgw-0000000000000000f"])
    assert _error(exc) == "InvalidCustomerGatewayID.NotFound"

    conn = ec2.create_vpn_connection(
        Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
        Options={"StaticRoutesOnly": True},
        TagSpecifications=[{"ResourceType": "vpn-connection", "Tags": [{"Key": "Name", "Value": "vpn-40"}]}],
    )["VpnConnection"]
    vpn_id = conn["VpnConnectionId"]
    ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="192.168.40.0/24")

    def vpns(*filters):
        found = ec2.describe_vpn_connections(Filters=[{"Name": n, "Values": [v]} for n, v in filters])
        return [c["VpnConnectionId"] for c in found["VpnConnections"]]

    assert vpns(("customer-gateway-id", cgw["CustomerGatewayId"])) == [vpn_id]
    assert vpns(("vpn-connection-id", vpn_id), ("option.static-routes-only", "true")) == [vpn_id]
    assert vpns(("vpn-connection-id", vpn_id), ("option.static-routes-only", "false")) == []
    assert vpns(("route.destination-cidr-block", "192.168.40.0/24")) == [vpn_id]
    assert vpns(("tag:Name", "vpn-40")) == [vpn_id]
    assert vpns(("transit-gateway-id", "tgw-0000000000000000f")) == []
    assert vpns(("bgp-asn", "4200000040")) == [vpn_id]
    json.dumps(ec2_vpn.lab_view())  # the /_lab route serves it as JSON


def test_describe_has_the_shape_of_real_output(ec2, cgw, vgw):
    real = json.loads((REAL / "vpn-static-2019.describe-vpn-connections.json").read_text())["VpnConnections"][0]
    conn = _create(ec2, cgw, vgw, StaticRoutesOnly=True)
    ec2.create_vpn_connection_route(VpnConnectionId=conn["VpnConnectionId"], DestinationCidrBlock="192.168.50.0/24")
    lab = json.loads(json.dumps(_describe(ec2, conn["VpnConnectionId"]), default=str))
    assert set(real) <= set(lab)
    assert {k: type(v) for k, v in real.items() if k != "Tags"} == {k: type(lab[k]) for k in real if k != "Tags"}
    assert [set(t) for t in lab["VgwTelemetry"]] == [set(t) for t in real["VgwTelemetry"]]
    assert [set(r) for r in lab["Routes"]] == [set(r) for r in real["Routes"]]
    # the real 2019 output predates the recent Options keys; the values it has agree
    assert lab["Options"]["StaticRoutesOnly"] is real["Options"]["StaticRoutesOnly"] is True
