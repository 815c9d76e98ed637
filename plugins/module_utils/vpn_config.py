# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Parser of a VPN connection's CustomerGatewayConfiguration XML (AWS's "generic" format).

:func:`parse_customer_gateway_configuration` returns::

    {
      "vpn_connection_id": "vpn-...",
      "customer_gateway_id": "cgw-...",
      "vpn_gateway_id": "vgw-..." | None,      # empty for a transit gateway connection
      "vpn_connection_type": "ipsec.1",
      "static_routes_only": bool,               # <vpn_connection_attributes>NoBGPVPNConnection
      "tunnels": [                              # document order
        {
          "vgw_outside_ip", "cgw_outside_ip",   # str
          "vgw_inside_ip", "cgw_inside_ip",     # str | None
          "inside_cidr",                        # "169.254.x.y/30" | None
          "inside_prefix_length",               # int | None
          "vgw_inside_ipv6", "cgw_inside_ipv6", "inside_ipv6_cidr",  # IPv6 inside tunnels
          "pre_shared_key",                     # str | None
          "vgw_asn", "cgw_asn", "hold_time",    # int | None (None: static, no <bgp>)
          "ike": {authentication_protocol, encryption_protocol, lifetime, perfect_forward_secrecy, mode},
          "ipsec": {protocol, authentication_protocol, encryption_protocol, lifetime,
                    perfect_forward_secrecy, mode, tcp_mss_adjustment, dpd_interval, dpd_retries},
        }
      ]
    }

Integers are ints, absent elements None.  The ike/ipsec blocks are what AWS wrote at
creation: ModifyVpnTunnelOptions does not update them (aws/aws-cli#9421), so take
algorithms and timers from TunnelOptions (see ``tunnel_plan``).

DTDs and entity declarations are refused: AWS never sends them, and they are the vector of
entity-expansion attacks on XML parsers.
"""

from __future__ import annotations

import ipaddress
import re
import xml.etree.ElementTree as ET

_FORBIDDEN = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)

IKE_KEYS = ("authentication_protocol", "encryption_protocol", "lifetime", "perfect_forward_secrecy", "mode")
IPSEC_KEYS = (
    "protocol",
    "authentication_protocol",
    "encryption_protocol",
    "lifetime",
    "perfect_forward_secrecy",
    "mode",
    "tcp_mss_adjustment",
    "dpd_interval",
    "dpd_retries",
)
TUNNEL_KEYS = (
    "vgw_outside_ip",
    "cgw_outside_ip",
    "vgw_inside_ip",
    "cgw_inside_ip",
    "inside_cidr",
    "inside_prefix_length",
    "vgw_inside_ipv6",
    "cgw_inside_ipv6",
    "inside_ipv6_cidr",
    "pre_shared_key",
    "vgw_asn",
    "cgw_asn",
    "hold_time",
    "ike",
    "ipsec",
)


class VpnConfigError(ValueError):
    """The CustomerGatewayConfiguration is not XML of the expected shape."""


def _text(elem, path):
    """Stripped text at ``path`` under ``elem``; None when absent or empty."""
    if elem is None:
        return None
    node = elem.find(path)
    if node is None or node.text is None:
        return None
    value = node.text.strip()
    return value or None


def _int(elem, path, where):
    value = _text(elem, path)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise VpnConfigError(f"{where}/{path}: {value!r} is not an integer") from None


def _inside(side, where):
    """(ip, prefix_length) of a side's IPv4 inside address."""
    block = side.find("tunnel_inside_address") if side is not None else None
    if block is None:
        return None, None
    ip = _text(block, "ip_address")
    prefix = _int(block, "network_cidr", f"{where}/tunnel_inside_address")
    if prefix is None:
        mask = _text(block, "network_mask")
        if mask:
            try:
                prefix = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
            except ValueError:
                raise VpnConfigError(f"{where}/tunnel_inside_address/network_mask: {mask!r} is not a netmask") from None
    return ip, prefix


def _inside_v6(side, where):
    block = side.find("tunnel_inside_ipv6_address") if side is not None else None
    if block is None:
        return None, None
    return _text(block, "ip_address"), _int(block, "prefix_length", f"{where}/tunnel_inside_ipv6_address")


def _network(ip, prefix, where):
    if ip is None or prefix is None:
        return None
    try:
        return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
    except ValueError:
        raise VpnConfigError(f"{where}: {ip}/{prefix} is not a valid address and prefix") from None


def _tunnel(elem, n):
    where = f"ipsec_tunnel[{n}]"
    cgw = elem.find("customer_gateway")
    vgw = elem.find("vpn_gateway")
    if vgw is None or cgw is None:
        raise VpnConfigError(f"{where}: missing <customer_gateway> or <vpn_gateway>")
    vgw_outside = _text(vgw, "tunnel_outside_address/ip_address")
    if vgw_outside is None:
        raise VpnConfigError(f"{where}/vpn_gateway: missing tunnel_outside_address/ip_address")
    vgw_in, vgw_prefix = _inside(vgw, f"{where}/vpn_gateway")
    cgw_in, cgw_prefix = _inside(cgw, f"{where}/customer_gateway")
    prefix = vgw_prefix if vgw_prefix is not None else cgw_prefix
    vgw_in6, vgw_prefix6 = _inside_v6(vgw, f"{where}/vpn_gateway")
    cgw_in6, cgw_prefix6 = _inside_v6(cgw, f"{where}/customer_gateway")
    prefix6 = vgw_prefix6 if vgw_prefix6 is not None else cgw_prefix6
    ike = elem.find("ike")
    ipsec = elem.find("ipsec")
    hold = _int(vgw, "bgp/hold_time", f"{where}/vpn_gateway")
    if hold is None:
        hold = _int(cgw, "bgp/hold_time", f"{where}/customer_gateway")
    ipsec_where = f"{where}/ipsec"
    return {
        "vgw_outside_ip": vgw_outside,
        "cgw_outside_ip": _text(cgw, "tunnel_outside_address/ip_address"),
        "vgw_inside_ip": vgw_in,
        "cgw_inside_ip": cgw_in,
        "inside_cidr": _network(vgw_in or cgw_in, prefix, f"{where}/tunnel_inside_address"),
        "inside_prefix_length": prefix,
        "vgw_inside_ipv6": vgw_in6,
        "cgw_inside_ipv6": cgw_in6,
        "inside_ipv6_cidr": _network(vgw_in6 or cgw_in6, prefix6, f"{where}/tunnel_inside_ipv6_address"),
        "pre_shared_key": _text(ike, "pre_shared_key"),
        "vgw_asn": _int(vgw, "bgp/asn", f"{where}/vpn_gateway"),
        "cgw_asn": _int(cgw, "bgp/asn", f"{where}/customer_gateway"),
        "hold_time": hold,
        "ike": {
            "authentication_protocol": _text(ike, "authentication_protocol"),
            "encryption_protocol": _text(ike, "encryption_protocol"),
            "lifetime": _int(ike, "lifetime", f"{where}/ike"),
            "perfect_forward_secrecy": _text(ike, "perfect_forward_secrecy"),
            "mode": _text(ike, "mode"),
        },
        "ipsec": {
            "protocol": _text(ipsec, "protocol"),
            "authentication_protocol": _text(ipsec, "authentication_protocol"),
            "encryption_protocol": _text(ipsec, "encryption_protocol"),
            "lifetime": _int(ipsec, "lifetime", ipsec_where),
            "perfect_forward_secrecy": _text(ipsec, "perfect_forward_secrecy"),
            "mode": _text(ipsec, "mode"),
            "tcp_mss_adjustment": _int(ipsec, "tcp_mss_adjustment", ipsec_where),
            "dpd_interval": _int(ipsec, "dead_peer_detection/interval", ipsec_where),
            "dpd_retries": _int(ipsec, "dead_peer_detection/retries", ipsec_where),
        },
    }


def parse_customer_gateway_configuration(xml):
    """Parse CustomerGatewayConfiguration XML (str or bytes) into a dict (see the module doc)."""
    if isinstance(xml, bytes):
        try:
            xml = xml.decode("utf-8")
        except UnicodeDecodeError as e:
            raise VpnConfigError(f"CustomerGatewayConfiguration is not UTF-8: {e}") from None
    if not isinstance(xml, str):
        raise VpnConfigError(f"CustomerGatewayConfiguration must be an XML string, got {type(xml).__name__}")
    text = xml.strip().lstrip("\ufeff")
    if not text:
        raise VpnConfigError("CustomerGatewayConfiguration is empty")
    if _FORBIDDEN.search(text):
        raise VpnConfigError("CustomerGatewayConfiguration contains a DTD or entity declaration, which is refused")
    # ElementTree refuses an encoding declaration in a str; the declaration says nothing here.
    text = re.sub(r"^<\?xml[^>]*\?>", "", text).lstrip()
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise VpnConfigError(f"CustomerGatewayConfiguration is not well-formed XML: {e}") from None
    if root.tag != "vpn_connection":
        raise VpnConfigError(f"CustomerGatewayConfiguration: root element is <{root.tag}>, expected <vpn_connection>")
    tunnels = [_tunnel(elem, n) for n, elem in enumerate(root.findall("ipsec_tunnel"), start=1)]
    if not tunnels:
        raise VpnConfigError("CustomerGatewayConfiguration has no <ipsec_tunnel>")
    attributes = _text(root, "vpn_connection_attributes")
    return {
        "vpn_connection_id": (root.get("id") or "").strip() or None,
        "customer_gateway_id": _text(root, "customer_gateway_id"),
        "vpn_gateway_id": _text(root, "vpn_gateway_id"),
        "vpn_connection_type": _text(root, "vpn_connection_type"),
        "static_routes_only": attributes == "NoBGPVPNConnection",
        "tunnels": tunnels,
    }
