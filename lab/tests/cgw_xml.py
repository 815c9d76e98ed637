"""A reader of AWS's CustomerGatewayConfiguration XML for the lab's own tests.

The lab's tests check the XML the lab renders without the collection's parser (nothing under
lab/ imports the product); the product's parser is tested against the lab in tests/.
"""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET


def _value(text: str | None):
    text = (text or "").strip()
    return int(text) if text.isdigit() else text


def _block(node) -> dict:
    out = {}
    for child in node if node is not None else []:
        if child.tag == "pre_shared_key":
            continue
        if child.tag == "dead_peer_detection":
            out["dpd_interval"] = _value(child.findtext("interval"))
            out["dpd_retries"] = _value(child.findtext("retries"))
        else:
            out[child.tag] = _value(child.text)
    return out


def _asn(side):
    text = side.findtext("bgp/asn")
    return int(text) if text else None


def parse(xml: str) -> dict:
    root = ET.fromstring(xml)
    tunnels = []
    for tunnel in root.findall("ipsec_tunnel"):
        cgw, vgw = tunnel.find("customer_gateway"), tunnel.find("vpn_gateway")
        cidr = int(cgw.findtext("tunnel_inside_address/network_cidr"))
        cgw_inside = cgw.findtext("tunnel_inside_address/ip_address")
        hold = cgw.findtext("bgp/hold_time")
        tunnels.append({
            "cgw_outside_ip": cgw.findtext("tunnel_outside_address/ip_address"),
            "vgw_outside_ip": vgw.findtext("tunnel_outside_address/ip_address"),
            "cgw_inside_ip": cgw_inside,
            "vgw_inside_ip": vgw.findtext("tunnel_inside_address/ip_address"),
            "inside_cidr": str(ipaddress.ip_network(f"{cgw_inside}/{cidr}", strict=False)),
            "pre_shared_key": tunnel.findtext("ike/pre_shared_key"),
            "cgw_asn": _asn(cgw),
            "vgw_asn": _asn(vgw),
            "hold_time": int(hold) if hold else None,
            "ike": _block(tunnel.find("ike")),
            "ipsec": _block(tunnel.find("ipsec")),
        })
    return {
        "vpn_connection_id": root.get("id"),
        "customer_gateway_id": root.findtext("customer_gateway_id") or None,
        "vpn_gateway_id": root.findtext("vpn_gateway_id") or None,
        "static_routes_only": root.findtext("vpn_connection_attributes") == "NoBGPVPNConnection",
        "tunnels": tunnels,
    }
