"""CustomerGatewayConfiguration generator against AWS's real samples (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.api import cgw_config
from lab.tests import cgw_xml

# AWS's real samples (published data), copied into tests/fixtures/real-aws with their SOURCES.md
REAL = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "real-aws"

DEFAULT_CRYPTO = cgw_config.frozen_crypto({})


def _sample_doc(parsed: dict, bgp: bool) -> dict:
    """The generator's input for the connection a real sample describes."""
    first = parsed["tunnels"][0]
    return {
        "vpn_connection_id": parsed["vpn_connection_id"],
        "customer_gateway_id": parsed["customer_gateway_id"],
        "vpn_gateway_id": parsed["vpn_gateway_id"],
        "type": "ipsec.1",
        "bgp": bgp,
        "cgw_asn": first["cgw_asn"],
        "vgw_asn": first["vgw_asn"],
        "tunnels": [
            {
                "cgw_outside_ip": t["cgw_outside_ip"],
                "vgw_outside_ip": t["vgw_outside_ip"],
                "inside_cidr": t["inside_cidr"],
                "pre_shared_key": t["pre_shared_key"],
                **DEFAULT_CRYPTO,
            }
            for t in parsed["tunnels"]
        ],
    }


@pytest.mark.parametrize(
    "name,bgp",
    [
        ("vpn-ba2e34a8.customer-gateway-configuration.xml", True),
        ("vpn-static-2019.customer-gateway-configuration.xml", False),
        ("vpn-tgw-2019.customer-gateway-configuration.xml", True),
    ],
)
def test_render_reproduces_real_sample_byte_for_byte(name, bgp):
    real = (REAL / name).read_text()
    parsed = cgw_xml.parse(real)
    assert parsed["static_routes_only"] is (not bgp)
    generated = cgw_config.render(_sample_doc(parsed, bgp))
    assert generated.strip() == real.strip()


def test_frozen_crypto_follows_first_proposal_of_each_list():
    crypto = cgw_config.frozen_crypto(
        {
            "Phase1EncryptionAlgorithms": [{"Value": "AES256"}, {"Value": "AES128"}],
            "Phase1IntegrityAlgorithms": [{"Value": "SHA2-256"}],
            "Phase1DHGroupNumbers": [{"Value": 14}],
            "Phase1LifetimeSeconds": 14400,
            "Phase2EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}],
            "Phase2IntegrityAlgorithms": [{"Value": "SHA2-512"}],
            "Phase2DHGroupNumbers": [{"Value": 21}],
            "Phase2LifetimeSeconds": 1800,
        }
    )
    assert crypto["ike"] == {
        "authentication_protocol": "sha2-256",
        "encryption_protocol": "aes-256-cbc",
        "lifetime": 14400,
        "perfect_forward_secrecy": "group14",
        "mode": "main",
    }
    assert crypto["ipsec"]["encryption_protocol"] == "aes-256-gcm-16"
    assert crypto["ipsec"]["authentication_protocol"] == "hmac-sha512-256"
    assert crypto["ipsec"]["perfect_forward_secrecy"] == "group21"
    assert crypto["ipsec"]["lifetime"] == 1800


def test_no_psk_element_when_keys_live_in_secrets_manager():
    parsed = cgw_xml.parse((REAL / "vpn-tgw-2019.customer-gateway-configuration.xml").read_text())
    doc = _sample_doc(parsed, True)
    for tunnel in doc["tunnels"]:
        tunnel["pre_shared_key"] = None
    xml = cgw_config.render(doc)
    assert "<pre_shared_key>" not in xml
    assert [t["pre_shared_key"] for t in cgw_xml.parse(xml)["tunnels"]] == [None, None]


def test_inside_addresses_vgw_first_host_cgw_second():
    assert cgw_config.inside_addresses("169.254.15.192/30") == ("169.254.15.193", "169.254.15.194")
