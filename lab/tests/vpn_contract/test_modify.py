"""Modifying VPN connections and their tunnels, and keys kept in Secrets Manager, in the lab API: plain boto3 against a real server."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from lab.api import ec2_vpn
from lab.tests import cgw_xml
from lab.tests.ec2_helpers import error_code
from lab.tests.vpn_contract.helpers import PSK_RE, create, lab_client, wait_state


def test_modify_tunnel_options_in_place_keeps_xml_crypto(ec2, cgw, vgw):
    conn = create(ec2, cgw, vgw, TunnelOptions=[{"TunnelInsideCidr": "169.254.110.0/30"}])
    vpn_id = conn["VpnConnectionId"]
    tun = next(t for t in conn["Options"]["TunnelOptions"] if t["TunnelInsideCidr"] == "169.254.110.0/30")
    ip = tun["OutsideIpAddress"]
    xml_before = {t["vgw_outside_ip"]: t for t in cgw_xml.parse(conn["CustomerGatewayConfiguration"])["tunnels"]}
    with pytest.raises(ClientError) as exc:  # still pending
        ec2.modify_vpn_tunnel_options(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip, TunnelOptions={"DPDTimeoutSeconds": 60})
    assert error_code(exc) == "IncorrectState"
    wait_state(ec2, vpn_id, "available")
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
    assert wait_state(ec2, vpn_id, "available")["State"] == "available"
    # merged with what was set before: the spec's cross-field rules run on the result
    with pytest.raises(ClientError) as exc:
        ec2.modify_vpn_tunnel_options(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip, TunnelOptions={"Phase2LifetimeSeconds": 3600})
    assert error_code(exc) == "InvalidParameterValue" and "Phase2LifetimeSeconds" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        ec2.modify_vpn_tunnel_options(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress="192.0.2.99", TunnelOptions={})
    assert error_code(exc) == "InvalidParameterValue"


def test_modify_connection_options_and_connection(ec2, cgw, vgw):
    conn = create(ec2, cgw, vgw)
    vpn_id = conn["VpnConnectionId"]
    wait_state(ec2, vpn_id, "available")
    out = ec2.modify_vpn_connection_options(VpnConnectionId=vpn_id, LocalIpv4NetworkCidr="10.20.0.0/16")["VpnConnection"]
    assert out["State"] == "modifying" and out["Options"]["LocalIpv4NetworkCidr"] == "10.20.0.0/16"
    assert out["Options"]["RemoteIpv4NetworkCidr"] == "0.0.0.0/0"
    wait_state(ec2, vpn_id, "available")
    new_cgw = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.30", BgpAsn=65030)["CustomerGateway"]
    out = ec2.modify_vpn_connection(VpnConnectionId=vpn_id, CustomerGatewayId=new_cgw["CustomerGatewayId"])["VpnConnection"]
    assert out["CustomerGatewayId"] == new_cgw["CustomerGatewayId"]
    parsed = cgw_xml.parse(out["CustomerGatewayConfiguration"])
    assert {t["cgw_outside_ip"] for t in parsed["tunnels"]} == {"203.0.113.30"}
    assert {t["OutsideIpAddress"] for t in out["Options"]["TunnelOptions"]} == {
        t["OutsideIpAddress"] for t in conn["Options"]["TunnelOptions"]
    }


def test_replace_vpn_tunnel(ec2, cgw, vgw):
    conn = create(ec2, cgw, vgw)
    vpn_id = conn["VpnConnectionId"]
    wait_state(ec2, vpn_id, "available")
    ip = conn["Options"]["TunnelOptions"][0]["OutsideIpAddress"]
    assert ec2.replace_vpn_tunnel(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip)["Return"] is True
    view = {c["vpn_connection_id"]: c for c in ec2_vpn.lab_view()}[vpn_id]
    assert {t["outside_ip"]: t["replacements"] for t in view["tunnels"]}[ip] == 1
    with pytest.raises(ClientError) as exc:
        ec2.replace_vpn_tunnel(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress="192.0.2.1")
    assert error_code(exc) == "InvalidParameterValue"


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
    sm = lab_client(url, "secretsmanager")
    keys = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    assert set(keys) == {t["OutsideIpAddress"] for t in conn["Options"]["TunnelOptions"]}
    assert "given.key.1234" in keys.values()
    assert all(PSK_RE.match(k) for k in keys.values())
    view = {c["vpn_connection_id"]: c for c in ec2_vpn.lab_view()}[vpn_id]
    assert {t["outside_ip"]: t["psk"] for t in view["tunnels"]} == keys
    wait_state(ec2, vpn_id, "available")
    ip = next(ip for ip, k in keys.items() if k != "given.key.1234")
    ec2.modify_vpn_tunnel_options(VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip, TunnelOptions={"PreSharedKey": "rotated.key.99"})
    assert json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])[ip] == "rotated.key.99"


def test_modify_moves_standard_keys_into_secrets_manager(url, ec2, cgw, vgw):
    conn = create(ec2, cgw, vgw)
    vpn_id = conn["VpnConnectionId"]
    assert "PreSharedKeyArn" not in conn
    keys = {t["OutsideIpAddress"]: t["PreSharedKey"] for t in conn["Options"]["TunnelOptions"]}
    wait_state(ec2, vpn_id, "available")
    ip = sorted(keys)[0]
    out = ec2.modify_vpn_tunnel_options(
        VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip, TunnelOptions={}, PreSharedKeyStorage="SecretsManager"
    )["VpnConnection"]
    assert all("PreSharedKey" not in t for t in out["Options"]["TunnelOptions"])
    stored = lab_client(url, "secretsmanager").get_secret_value(SecretId=out["PreSharedKeyArn"])["SecretString"]
    assert json.loads(stored) == keys


def test_concurrent_creates_get_distinct_addresses(url, cgw, vgw):
    from concurrent.futures import ThreadPoolExecutor

    def create_one(dummy):
        return create(lab_client(url), cgw, vgw)["Options"]["TunnelOptions"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(create_one, range(8)))
    outside = [t["OutsideIpAddress"] for tunnels in results for t in tunnels]
    inside = [t["TunnelInsideCidr"] for tunnels in results for t in tunnels]
    assert len(set(outside)) == len(outside) == 16
    assert len(set(inside)) == len(inside) == 16  # one gateway: inside CIDRs unique across it
