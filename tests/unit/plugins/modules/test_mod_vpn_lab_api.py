"""The VPN modules in-process against the lab API (its boto3 clients, no ansible-playbook):
transit_gateway_attachment_id in vpn_connection's result, keys kept in Secrets Manager read back
only with return_secrets, a customer gateway found by customer_gateway_id, an immutable change
replaced only when asked for."""

from __future__ import annotations

import pytest
from sitevpn_module_harness import run_module

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.sitevpn.aws.plugins.modules import customer_gateway
from ansible_collections.sitevpn.aws.plugins.modules import vpn_connection


@pytest.fixture
def aws(ec2, lab, monkeypatch):  # pylint: disable=unused-argument
    """The modules' clients are the lab's (exit_json/fail_json still raise, from the harness)."""
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, **kw: lab.client(service))
    return lab.client("ec2")


def cgw(aws, ip="203.0.113.10", asn=65000):
    return aws.create_customer_gateway(Type="ipsec.1", IpAddress=ip, BgpAsn=asn)["CustomerGateway"]["CustomerGatewayId"]


def test_connection_on_a_transit_gateway_returns_its_attachment(aws):
    tgw = aws.create_transit_gateway(Description="hub")["TransitGateway"]["TransitGatewayId"]
    how, result = run_module(vpn_connection.main, {"customer_gateway_id": cgw(aws), "transit_gateway_id": tgw, "name": "tgw-site", "wait": False})
    assert how == "exit", result
    attachment = result["vpn_connection"]["transit_gateway_attachment_id"]
    found = aws.describe_transit_gateway_attachments(TransitGatewayAttachmentIds=[attachment])["TransitGatewayAttachments"]
    assert [(a["ResourceId"], a["ResourceType"], a["TransitGatewayId"]) for a in found] == [(result["vpn_connection_id"], "vpn", tgw)]
    # a VGW connection has none
    vgw = aws.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    how, result = run_module(vpn_connection.main, {"customer_gateway_id": cgw(aws, "203.0.113.20"), "vpn_gateway_id": vgw, "wait": False})
    assert how == "exit" and "transit_gateway_attachment_id" not in result["vpn_connection"]


def test_keys_in_secrets_manager_come_back_only_with_return_secrets(aws, lab):
    vgw = aws.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    args = {"customer_gateway_id": cgw(aws), "vpn_gateway_id": vgw, "pre_shared_key_storage": "SecretsManager", "wait": False}
    how, result = run_module(vpn_connection.main, args)
    assert how == "exit", result
    arn = result["vpn_connection"]["pre_shared_key_arn"]
    assert arn and all("pre_shared_key" not in t for t in result["tunnels"])
    lab.clear_requests()
    how, result = run_module(vpn_connection.main, dict(args, return_secrets=True))
    assert how == "exit" and result["changed"] is False, result
    stored = lab.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    keys = {t["outside_ip"]: t["pre_shared_key"] for t in result["tunnels"]}
    assert len(keys) == 2 and all(keys.values()) and all(key in stored for key in keys.values())
    assert {t["outside_ip_address"]: t["pre_shared_key"] for t in result["vpn_connection"]["options"]["tunnel_options"]} == keys
    # without return_secrets the secret is not even read
    lab.clear_requests()
    run_module(vpn_connection.main, args)
    assert "secretsmanager:GetSecretValue" not in lab.requests()["counts"]


def test_customer_gateway_found_by_its_id(aws):
    gw = cgw(aws, asn=65010)
    how, result = run_module(customer_gateway.main, {"customer_gateway_id": gw, "tags": {"Owner": "net"}, "purge_tags": False})
    assert how == "exit" and result["changed"] is True and result["customer_gateway_id"] == gw
    assert result["customer_gateway"]["tags"] == {"Owner": "net"}
    how, result = run_module(customer_gateway.main, {"customer_gateway_id": gw, "bgp_asn": 65010, "ip_address": "203.0.113.10"})
    assert how == "exit" and result["changed"] is False, result  # its own identity, no tags given: nothing to do
    # what it gives must be the gateway's own: nothing can change in place
    how, result = run_module(customer_gateway.main, {"customer_gateway_id": gw, "bgp_asn": 65011})
    assert how == "fail" and result["field"] == "bgp_asn" and "65010" in result["msg"]
    how, result = run_module(customer_gateway.main, {"customer_gateway_id": "cgw-0123456789abcdef0"})
    assert how == "fail" and result["field"] == "customer_gateway_id" and "does not exist" in result["msg"]
    how, result = run_module(customer_gateway.main, {"customer_gateway_id": gw, "state": "absent"})
    assert how == "exit" and result["changed"] is True
    assert [g["State"] for g in aws.describe_customer_gateways(CustomerGatewayIds=[gw])["CustomerGateways"]] in ([], ["deleted"], ["deleting"])


def test_immutable_change_replaces_only_when_asked_for(aws, lab, monkeypatch):
    """static_routes_only cannot change in place: refused with 0 writes, or with replace_connection a new
    connection (new outside IPs), the old one deleted, a warning, and the next run changes nothing."""
    warned = []
    monkeypatch.setattr(AnsibleAWSModule, "warn", lambda self, msg: warned.append(msg))
    vgw = aws.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    args = {"customer_gateway_id": cgw(aws), "vpn_gateway_id": vgw, "name": "site-r", "wait": False}
    how, first = run_module(vpn_connection.main, args)
    assert how == "exit", first
    old_id, old_ips = first["vpn_connection_id"], {t["outside_ip"] for t in first["tunnels"]}
    lab.clear_requests()
    how, refused = run_module(vpn_connection.main, dict(args, static_routes_only=True))
    assert how == "fail" and "replace_connection" in refused["msg"], refused
    assert [r for r in lab.requests()["requests"] if r["write"]] == []
    how, checked = run_module(vpn_connection.main, dict(args, static_routes_only=True, replace_connection=True), check_mode=True)
    assert how == "exit" and checked["changed"] is True and checked["replaced_vpn_connection_id"] == old_id, checked
    assert [r for r in lab.requests()["requests"] if r["write"]] == []
    how, replaced = run_module(vpn_connection.main, dict(args, static_routes_only=True, replace_connection=True))
    assert how == "exit" and replaced["changed"] is True and replaced["replaced_vpn_connection_id"] == old_id, replaced
    assert any("replaced " + old_id in w for w in warned), warned
    new_id = replaced["vpn_connection_id"]
    assert new_id != old_id and not old_ips & {t["outside_ip"] for t in replaced["tunnels"]}
    live = [c for c in aws.describe_vpn_connections()["VpnConnections"] if c["State"] not in ("deleting", "deleted")]
    assert [(c["VpnConnectionId"], c["Options"]["StaticRoutesOnly"]) for c in live] == [(new_id, True)]
    assert {t["Key"]: t["Value"] for t in live[0]["Tags"]}["Name"] == "site-r"
    how, again = run_module(vpn_connection.main, dict(args, static_routes_only=True, replace_connection=True))
    assert how == "exit" and again["changed"] is False and "replaced_vpn_connection_id" not in again, again
