"""AWS's Site-to-Site VPN quotas are known before any AWS write (issue 17), against the lab API only.

playbooks/provision.yml on an inventory of 11 sites on one VPN gateway must fail with the quota
message and leave the lab's request log with 0 write calls. What the account already holds on the
gateway counts too, and sitevpn_quotas overrides AWS's defaults.
"""
from __future__ import annotations

import yaml

from tests.integration.sitevpn_playbook import ROOT, run_playbook, writes

MESSAGE = "exceeds 10 VPN connections per virtual private gateway; use a transit gateway hub or ask AWS for more"


def _inventory(tmp_path, count, first=0):
    hosts = {
        f"site{i:02d}": {"sitevpn_cgw_ip": f"203.0.113.{i + 10}", "sitevpn_bgp_asn": 65000 + i, "sitevpn_prefixes": [f"10.{i + 50}.0.0/24"]}
        for i in range(first, first + count)
    }
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"sites": {"hosts": hosts}}))
    return path


EXTRA = {"sitevpn_aws_region": "us-east-1", "sitevpn_vpc_cidr": "10.0.0.0/16", "sitevpn_aws_access_key": "testing", "sitevpn_aws_secret_key": "testing",
         "sitevpn_name_prefix": "quota"}


def test_eleven_sites_on_one_vgw_refused_before_any_write(lab, tmp_path):
    lab.clear_requests()
    run = run_playbook(ROOT / "playbooks" / "provision.yml", lab.url, EXTRA, inventory=_inventory(tmp_path, 11))
    assert run.rc != 0, run.output[-2000:]
    assert f"11 sites on quota-vgw {MESSAGE}" in run.output, run.output[-2000:]
    assert writes(lab) == []


def test_connections_already_on_the_vgw_count(lab, tmp_path):
    ec2 = lab.client("ec2")
    vgw = ec2.create_vpn_gateway(Type="ipsec.1", TagSpecifications=[
        {"ResourceType": "vpn-gateway", "Tags": [{"Key": "Name", "Value": "quota-vgw"}]}])["VpnGateway"]["VpnGatewayId"]
    for i in range(3):  # made outside this inventory
        cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp=f"198.51.100.{i + 200}", BgpAsn=65100)["CustomerGateway"]
        ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw)
    lab.clear_requests()
    run = run_playbook(ROOT / "playbooks" / "provision.yml", lab.url, EXTRA, inventory=_inventory(tmp_path, 8), check=True)
    assert run.rc != 0, run.output[-2000:]
    assert f"11 sites on {vgw} {MESSAGE}" in run.output, run.output[-2000:]
    assert writes(lab) == []
    # sitevpn_quotas reaches the check: the gateway's quota raised (as AWS raises it on request), the
    # customer gateways' lowered so that the run still stops before provisioning (fast)
    lab.clear_requests()
    extra = dict(EXTRA, sitevpn_quotas={"vpn_connections_per_vgw": 11, "customer_gateways_per_region": 10})
    run = run_playbook(ROOT / "playbooks" / "provision.yml", lab.url, extra, inventory=_inventory(tmp_path, 8), check=True)
    assert "VPN connections per virtual private gateway" not in run.output, run.output[-2000:]
    assert "11 customer gateways in us-east-1 exceeds 10 customer gateways per Region" in run.output, run.output[-2000:]
    assert run.rc != 0 and writes(lab) == []
