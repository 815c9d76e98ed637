# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""roles/aws_vpn's tunnel options: the strong set by default (issue 21), each tunnel's own entry
laid over it, AWS's defaults only when asked for; and the strong set is something the lab's
strongSwan (AWS side) and the strongSwan device role can both build proposals for."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.template import trust_as_template

from ansible_collections.sitevpn.aws.plugins.module_utils.site_inputs import site_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

ROLE = Path(__file__).resolve().parents[3] / "roles" / "aws_vpn"


def _effective(**inventory):
    variables = {}
    for part in ("defaults", "vars"):
        variables.update(yaml.safe_load((ROLE / part / "main.yml").read_text()))
    variables.update(inventory)
    # role files are trusted templates, as when ansible-playbook loads them
    variables = {k: trust_as_template(v) if isinstance(v, str) else v for k, v in variables.items()}
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template("{{ aws_vpn__tunnel_options }}"))


def test_default_is_aws_strong_set_on_both_tunnels():
    got = _effective()
    assert len(got) == 2 and got[0] == got[1]
    t = got[0]
    assert t["ike_versions"] == ["ikev2"]
    assert set(t["phase1_encryption_algorithms"]) == set(t["phase2_encryption_algorithms"]) == {"AES256-GCM-16", "AES256"}
    assert "SHA1" not in t["phase1_integrity_algorithms"] + t["phase2_integrity_algorithms"]
    assert min(t["phase1_dh_group_numbers"] + t["phase2_dh_group_numbers"]) == 14
    assert not {22, 23, 24} & set(t["phase1_dh_group_numbers"] + t["phase2_dh_group_numbers"])


def test_a_tunnel_entry_wins_over_the_strong_set():
    got = _effective(sitevpn_tunnel_options=[{"tunnel_inside_cidr": "169.254.20.0/30", "phase1_dh_group_numbers": [20]}])
    assert got[0]["tunnel_inside_cidr"] == "169.254.20.0/30" and got[0]["phase1_dh_group_numbers"] == [20]
    assert got[0]["ike_versions"] == ["ikev2"] and "tunnel_inside_cidr" not in got[1]


@pytest.mark.parametrize("options", [[], [{"dpd_timeout_seconds": 40}]])
def test_aws_defaults_profile_sends_only_what_the_user_set(options):
    assert _effective(sitevpn_tunnel_profile="aws_defaults", sitevpn_tunnel_options=options) == options


def test_strong_set_passes_the_site_checks():
    site = {"sitevpn_cgw_ip": "198.51.100.10", "sitevpn_bgp_asn": 65010, "sitevpn_prefixes": ["172.20.0.0/16"],
            "sitevpn_static_routes_only": False, "sitevpn_tunnel_options": _effective(), "sitevpn_amazon_side_asn": 64512,
            "sitevpn_vpc_cidr": "10.0.0.0/16"}
    assert site_errors(site) == []


def test_lab_strongswan_builds_the_strong_set_strongest_first():
    strongswan = pytest.importorskip("lab.dataplane.strongswan")
    t = _effective()[0]
    ike = strongswan.proposals(t["phase1_encryption_algorithms"], t["phase1_integrity_algorithms"], t["phase1_dh_group_numbers"], ike=True)
    esp = strongswan.proposals(t["phase2_encryption_algorithms"], t["phase2_integrity_algorithms"], t["phase2_dh_group_numbers"], ike=False)
    assert any(p.startswith("aes256gcm16-") for p in ike) and any("ecp521" in p for p in esp)


def test_plan_of_a_strong_connection_offers_aes256_gcm_and_group_21_first():
    conn = {"VpnConnectionId": "vpn-0123456789abcdef0", "Options": {"StaticRoutesOnly": True, "TunnelOptions": [
        dict(OutsideIpAddress=ip, TunnelInsideCidr=cidr, PreSharedKey="k" * 32,
             IkeVersions=[{"Value": v} for v in opts["ike_versions"]],
             **{api: [{"Value": v} for v in opts[key]] for key, api in (
                 ("phase1_encryption_algorithms", "Phase1EncryptionAlgorithms"), ("phase2_encryption_algorithms", "Phase2EncryptionAlgorithms"),
                 ("phase1_integrity_algorithms", "Phase1IntegrityAlgorithms"), ("phase2_integrity_algorithms", "Phase2IntegrityAlgorithms"),
                 ("phase1_dh_group_numbers", "Phase1DHGroupNumbers"), ("phase2_dh_group_numbers", "Phase2DHGroupNumbers"))})
        for (ip, cidr), opts in zip((("192.0.2.1", "169.254.10.0/30"), ("192.0.2.2", "169.254.10.4/30")), _effective())]}}
    plan = build_tunnel_plan(conn, {"vpc_prefixes": ["10.0.0.0/16"]})
    for t in plan["tunnels"]:
        assert t["ike_version"] == "ikev2"
        assert t["phase1"]["proposals"][0] == {"encryption": "aes256gcm16", "integrity": "sha512", "dh_group": 21}
        assert t["phase2"]["proposals"][0] == {"encryption": "aes256gcm16", "integrity": None, "dh_group": 21}
        assert (t["mtu"], t["tcp_mss"]) == (1399, 1359)  # AES256-CBC with SHA2-384/512 allowed
