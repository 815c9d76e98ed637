"""The drift role against the lab API (API only): AWS's side changed behind the collection's back
(ModifyVpnTunnelOptions straight to the lab API) is named in reports/<site>/drift.json; the device
side is a recorded strongSwan state (tests/unit/fixtures/drift), or strongSwan configuration files the
role reads as the device's (a proposal that differs from AWS's is named)."""

from __future__ import annotations

import json
from pathlib import Path

from sitevpn_playbook import run_playbook, writes

from ansible_collections.sitevpn.aws.plugins.module_utils.drift import parse_swanctl_negotiated

RECORDED = Path(__file__).resolve().parents[1] / "unit" / "fixtures" / "drift" / "swanctl_list_sas_cbc.txt"
DESIRED = [{"tunnel_inside_cidr": "169.254.20.0/30", "phase2_lifetime_seconds": 3600},
           {"tunnel_inside_cidr": "169.254.21.0/30"}]


def test_drift_names_a_change_made_on_aws(lab, tmp_path):
    lab.set_settings({"state_delay_s": 0.0})
    ec2 = lab.client("ec2")
    cgw = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.60", BgpAsn=65060)["CustomerGateway"]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]
    conn = ec2.create_vpn_connection(
        Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
        Options={"TunnelOptions": [{"TunnelInsideCidr": "169.254.20.0/30", "Phase2LifetimeSeconds": 3600},
                                   {"TunnelInsideCidr": "169.254.21.0/30"}]},
        TagSpecifications=[{"ResourceType": "vpn-connection", "Tags": [{"Key": "Name", "Value": "sitevpn-site1"}]}],
    )["VpnConnection"]
    ip_of = {t["TunnelInsideCidr"]: t["OutsideIpAddress"] for t in conn["Options"]["TunnelOptions"]}
    recorded = {"negotiated": parse_swanctl_negotiated(RECORDED.read_text())}
    device = {ip: recorded for ip in ip_of.values()}
    extra = {"reports_dir": str(tmp_path), "tunnel_options": DESIRED, "device_state": device, "fail_on_drift": True}

    lab.clear_requests()
    run = run_playbook("drift/main.yml", lab.url, extra)
    assert run.rc == 0, run.failures + run.output
    report = json.loads((tmp_path / "site1" / "drift.json").read_text())
    assert report["ok"] is True and report["differences"] == []
    assert writes(lab) == []  # changes nothing
    assert (tmp_path / "site1" / "verify.html").is_file() and (tmp_path / "index.html").is_file()

    # behind the collection's back
    ec2.modify_vpn_tunnel_options(VpnConnectionId=conn["VpnConnectionId"], VpnTunnelOutsideIpAddress=ip_of["169.254.20.0/30"],
                                  TunnelOptions={"Phase2LifetimeSeconds": 1800})
    run = run_playbook("drift/main.yml", lab.url, extra)
    assert run.rc == 2, run.output
    report = json.loads((tmp_path / "site1" / "drift.json").read_text())
    assert report["differences"] == [{"tunnel": ip_of["169.254.20.0/30"], "field": "phase2_lifetime_seconds",
                                      "desired": 3600, "aws": 1800, "device": None, "wrong": "aws"}]
    assert "phase2_lifetime_seconds: inventory 3600, AWS 1800, device - (wrong: aws)" in " ".join(run.output.split())
    assert "1 difference" in (tmp_path / "site1" / "verify.html").read_text()


def _conf(ip, phase1):
    """One tunnel's swanctl.conf in the strongswan role's layout (the parts the drift role reads)."""
    return (f"connections {{\n  t {{\n    version = 2\n    remote_addrs = {ip}\n    proposals = {phase1}\n"
            f"    children {{\n      t {{\n        esp_proposals = aes256-sha256-modp2048\n      }}\n    }}\n  }}\n}}\n")


def test_drift_reads_the_device_configuration(lab, tmp_path):
    lab.set_settings({"state_delay_s": 0.0})
    ec2 = lab.client("ec2")
    cgw = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.61", BgpAsn=65061)["CustomerGateway"]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]
    one = {"Phase1EncryptionAlgorithms": [{"Value": "AES256"}], "Phase1IntegrityAlgorithms": [{"Value": "SHA2-256"}],
           "Phase1DHGroupNumbers": [{"Value": 14}], "Phase2EncryptionAlgorithms": [{"Value": "AES256"}],
           "Phase2IntegrityAlgorithms": [{"Value": "SHA2-256"}], "Phase2DHGroupNumbers": [{"Value": 14}]}
    conn = ec2.create_vpn_connection(
        Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
        Options={"TunnelOptions": [dict(one, TunnelInsideCidr="169.254.22.0/30"), dict(one, TunnelInsideCidr="169.254.23.0/30")]},
        TagSpecifications=[{"ResourceType": "vpn-connection", "Tags": [{"Key": "Name", "Value": "sitevpn-site1"}]}],
    )["VpnConnection"]
    ip1, ip2 = (t["OutsideIpAddress"] for t in conn["Options"]["TunnelOptions"])
    # tunnel 2's device offers AES128 where AWS allows AES256 only
    for i, (ip, phase1) in enumerate(((ip1, "aes256-sha256-modp2048"), (ip2, "aes128-sha256-modp2048")), 1):
        (tmp_path / "conf" / f"tunnel{i}").mkdir(parents=True)
        (tmp_path / "conf" / f"tunnel{i}" / "swanctl.conf").write_text(_conf(ip, phase1))
    extra = {"reports_dir": str(tmp_path / "reports"), "tunnel_options": [], "device_state": {}, "fail_on_drift": False,
             "config_dir": str(tmp_path / "conf")}

    run = run_playbook("drift/main.yml", lab.url, extra)
    assert run.rc == 0, run.failures + run.output
    report = json.loads((tmp_path / "reports" / "site1" / "drift.json").read_text())
    assert report["differences"] == [{"tunnel": ip2, "field": "phase1_encryption_algorithms", "desired": None,
                                      "aws": ["AES256"], "device": ["AES128"], "wrong": "device"}], report
    assert report["messages"] == [] and report["ok"] is False
