"""GetVpnConnectionDeviceTypes / GetVpnConnectionDeviceSampleConfiguration for the lab.

Only AWS's "Generic / Vendor Agnostic" device type: a text configuration built from the
connection's state (addresses, keys and ASNs as now; ike/ipsec values frozen at creation, as AWS's
own sample configurations and XML are).
"""

from __future__ import annotations

from lab.api import cgw_config
from lab.api.ec2_vpn.common import LOCK, ordered_tunnels
from lab.api.ec2_vpn.rules import invalid

DEVICE_TYPES = [
    {
        "VpnConnectionDeviceTypeId": "9005b6c1",
        "Vendor": "Generic",
        "Platform": "Generic",
        "Software": "Vendor Agnostic",
    },
]

_GENERATORS = {"9005b6c1": "_generic"}


def sample_configuration(conn, device_type_id: str, ike_version: str) -> str:
    if device_type_id not in _GENERATORS:
        raise invalid(f"Value ({device_type_id}) for parameter VpnConnectionDeviceTypeId is invalid")
    if ike_version not in ("ikev1", "ikev2"):
        raise invalid(f"Value ({ike_version}) for parameter InternetKeyExchangeVersion is invalid")
    with LOCK:
        return globals()[_GENERATORS[device_type_id]](conn, ike_version)


def _generic(conn, ike_version: str) -> str:
    """AWS's 'Generic / Vendor Agnostic' text, built from the connection's state."""
    bgp = not conn.lab_options.get("StaticRoutesOnly", False)
    include_psk = conn.pre_shared_key_storage != "SecretsManager"
    lines = [
        "Amazon Web Services",
        "Virtual Private Cloud",
        "",
        f"VPN Connection Configuration ({ike_version.upper()})",
        "=" * 60,
        f"Your VPN Connection ID                   : {conn.id}",
        f"Your Virtual Private Gateway ID          : {conn.vpn_gateway_id or ''}",
        f"Your Transit Gateway ID                  : {conn.transit_gateway_id or ''}",
        f"Your Customer Gateway ID                 : {conn.customer_gateway_id}",
        "",
    ]
    for number, tun in enumerate(ordered_tunnels(conn), start=1):
        vgw_inside, cgw_inside = cgw_config.inside_addresses(tun.inside_cidr)
        snake = tun.describe_snake()
        ike, ipsec = tun.frozen["ike"], tun.frozen["ipsec"]
        lines += [
            f"IPSec Tunnel #{number}",
            "=" * 60,
            f"#1: Internet Key Exchange Configuration ({ike_version.upper()})",
            "  - Authentication Method    : Pre-Shared Key",
            f"  - Pre-Shared Key           : {tun.psk if include_psk else '(stored in AWS Secrets Manager: ' + str(conn.pre_shared_key_arn) + ')'}",
            f"  - Authentication Algorithm : {ike['authentication_protocol']}",
            f"  - Encryption Algorithm     : {ike['encryption_protocol']}",
            f"  - Lifetime                 : {ike['lifetime']} seconds",
            f"  - Phase 1 Negotiation Mode : {ike['mode']}",
            f"  - Diffie-Hellman           : {ike['perfect_forward_secrecy']}",
            "",
            "#2: IPSec Configuration",
            f"  - Protocol                 : {ipsec['protocol']}",
            f"  - Authentication Algorithm : {ipsec['authentication_protocol']}",
            f"  - Encryption Algorithm     : {ipsec['encryption_protocol']}",
            f"  - Lifetime                 : {ipsec['lifetime']} seconds",
            f"  - Mode                     : {ipsec['mode']}",
            f"  - Perfect Forward Secrecy  : {ipsec['perfect_forward_secrecy']}",
            f"  - DPD Timeout              : {snake.get('dpd_timeout_seconds', 30)} seconds",
            f"  - DPD Timeout Action       : {snake.get('dpd_timeout_action', 'clear')}",
            "  - Clear DF Bit             : true",
            "  - Fragmentation            : Before encryption",
            f"  - TCP MSS Adjustment       : {cgw_config.TCP_MSS} bytes",
            "",
            "#3: Tunnel Interface Configuration",
            "Outside IP Addresses:",
            f"  - Customer Gateway         : {conn.lab_cgw_ip}",
            f"  - Virtual Private Gateway  : {tun.outside_ip}",
            "Inside IP Addresses:",
            f"  - Customer Gateway         : {cgw_inside}/30",
            f"  - Virtual Private Gateway  : {vgw_inside}/30",
            "",
        ]
        if bgp:
            lines += [
                "#4: Border Gateway Protocol (BGP) Configuration",
                f"  - Customer Gateway ASN     : {conn.lab_cgw_asn}",
                f"  - Virtual Private Gateway ASN : {conn.lab_vgw_asn}",
                f"  - Neighbor IP Address      : {vgw_inside}",
                f"  - Neighbor Hold Time       : {cgw_config.BGP_HOLD_TIME}",
                "",
            ]
        else:
            lines += ["#4: Static Routing Configuration", f"  - Next hop: {vgw_inside}", ""]
    return "\n".join(lines)


# Customer gateways: BgpAsnExtended, CertificateArn, DeviceName (moto drops them).
