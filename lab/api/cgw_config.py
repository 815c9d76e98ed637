"""CustomerGatewayConfiguration XML in AWS's real format.

Element names, order and value forms follow the real samples in ../shared/real-aws/
(2017-2023 outputs: unchanged format). The ike/ipsec values are handed in by the caller, which
freezes them at creation time, as AWS does (aws/aws-cli#9421).
"""

from __future__ import annotations

import ipaddress
from xml.sax.saxutils import escape

# What AWS prints in the XML for the API's algorithm names (the XML uses the old OpenSSL-ish forms).
IKE_INTEGRITY = {"SHA1": "sha1", "SHA2-256": "sha2-256", "SHA2-384": "sha2-384", "SHA2-512": "sha2-512"}
IPSEC_INTEGRITY = {
    "SHA1": "hmac-sha1-96",
    "SHA2-256": "hmac-sha256-128",
    "SHA2-384": "hmac-sha384-192",
    "SHA2-512": "hmac-sha512-256",
}
ENCRYPTION = {
    "AES128": "aes-128-cbc",
    "AES256": "aes-256-cbc",
    "AES128-GCM-16": "aes-128-gcm-16",
    "AES256-GCM-16": "aes-256-gcm-16",
}
# AWS's XML always shows these, whatever the tunnel's DPD timeout (real samples).
DPD_INTERVAL = 10
DPD_RETRIES = 3
TCP_MSS = 1379
BGP_HOLD_TIME = 30


def frozen_crypto(options: dict) -> dict:
    """The ike/ipsec values the XML shows for a tunnel created with these options.

    `options` is the tunnel's request-form TunnelOptions entry (API names, lists of {"Value": x}).
    AWS shows its first proposal: the first value of each list given, else its classic default.
    """

    def first(name, default):
        values = options.get(name) or []
        return values[0]["Value"] if values else default

    return {
        "ike": {
            "authentication_protocol": IKE_INTEGRITY.get(first("Phase1IntegrityAlgorithms", "SHA1"), "sha1"),
            "encryption_protocol": ENCRYPTION.get(first("Phase1EncryptionAlgorithms", "AES128"), "aes-128-cbc"),
            "lifetime": int(options.get("Phase1LifetimeSeconds") or 28800),
            "perfect_forward_secrecy": "group%d" % int(first("Phase1DHGroupNumbers", 2)),
            "mode": "main",
        },
        "ipsec": {
            "protocol": "esp",
            "authentication_protocol": IPSEC_INTEGRITY.get(first("Phase2IntegrityAlgorithms", "SHA1"), "hmac-sha1-96"),
            "encryption_protocol": ENCRYPTION.get(first("Phase2EncryptionAlgorithms", "AES128"), "aes-128-cbc"),
            "lifetime": int(options.get("Phase2LifetimeSeconds") or 3600),
            "perfect_forward_secrecy": "group%d" % int(first("Phase2DHGroupNumbers", 2)),
            "mode": "tunnel",
        },
    }


def _address_block(indent: str, outside_ip: str, inside_ip: str, asn: int | None) -> list[str]:
    lines = [
        f"{indent}<tunnel_outside_address>",
        f"{indent}  <ip_address>{escape(outside_ip or '')}</ip_address>",
        f"{indent}</tunnel_outside_address>",
        f"{indent}<tunnel_inside_address>",
        f"{indent}  <ip_address>{inside_ip}</ip_address>",
        f"{indent}  <network_mask>255.255.255.252</network_mask>",
        f"{indent}  <network_cidr>30</network_cidr>",
        f"{indent}</tunnel_inside_address>",
    ]
    if asn is not None:
        lines += [
            f"{indent}<bgp>",
            f"{indent}  <asn>{int(asn)}</asn>",
            f"{indent}  <hold_time>{BGP_HOLD_TIME}</hold_time>",
            f"{indent}</bgp>",
        ]
    return lines


def inside_addresses(inside_cidr: str) -> tuple[str, str]:
    """(vgw_inside_ip, cgw_inside_ip): AWS takes the first host of the /30, the customer the second."""
    net = ipaddress.ip_network(inside_cidr, strict=False)
    return str(net.network_address + 1), str(net.network_address + 2)


def render(conn: dict) -> str:
    """Render the XML.

    conn: vpn_connection_id, customer_gateway_id, vpn_gateway_id (None for a transit gateway),
    type, bgp (bool), cgw_asn, vgw_asn, tunnels: list of dicts with cgw_outside_ip,
    vgw_outside_ip, inside_cidr, pre_shared_key (None: left out), ike, ipsec (frozen_crypto()).
    """
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<vpn_connection id="{escape(conn["vpn_connection_id"])}">',
        f'  <customer_gateway_id>{escape(conn["customer_gateway_id"])}</customer_gateway_id>',
        f'  <vpn_gateway_id>{escape(conn.get("vpn_gateway_id") or "")}</vpn_gateway_id>',
        f'  <vpn_connection_type>{escape(conn.get("type") or "ipsec.1")}</vpn_connection_type>',
    ]
    bgp = conn.get("bgp", True)
    if not bgp:
        out.append("  <vpn_connection_attributes>NoBGPVPNConnection</vpn_connection_attributes>")
    for tun in conn["tunnels"]:
        vgw_inside, cgw_inside = inside_addresses(tun["inside_cidr"])
        ike, ipsec = tun["ike"], tun["ipsec"]
        out.append("  <ipsec_tunnel>")
        out.append("    <customer_gateway>")
        out += _address_block("      ", tun["cgw_outside_ip"], cgw_inside, conn["cgw_asn"] if bgp else None)
        out.append("    </customer_gateway>")
        out.append("    <vpn_gateway>")
        out += _address_block("      ", tun["vgw_outside_ip"], vgw_inside, conn["vgw_asn"] if bgp else None)
        out.append("    </vpn_gateway>")
        out.append("    <ike>")
        for key in ("authentication_protocol", "encryption_protocol", "lifetime", "perfect_forward_secrecy", "mode"):
            out.append(f"      <{key}>{ike[key]}</{key}>")
        if tun.get("pre_shared_key") is not None:
            out.append(f"      <pre_shared_key>{escape(tun['pre_shared_key'])}</pre_shared_key>")
        out.append("    </ike>")
        out.append("    <ipsec>")
        for key in ("protocol", "authentication_protocol", "encryption_protocol", "lifetime", "perfect_forward_secrecy", "mode"):
            out.append(f"      <{key}>{ipsec[key]}</{key}>")
        out += [
            "      <clear_df_bit>true</clear_df_bit>",
            "      <fragmentation_before_encryption>true</fragmentation_before_encryption>",
            f"      <tcp_mss_adjustment>{TCP_MSS}</tcp_mss_adjustment>",
            "      <dead_peer_detection>",
            f"        <interval>{DPD_INTERVAL}</interval>",
            f"        <retries>{DPD_RETRIES}</retries>",
            "      </dead_peer_detection>",
            "    </ipsec>",
            "  </ipsec_tunnel>",
        ]
    out.append("</vpn_connection>")
    return "\n".join(out) + "\n"
