# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tunnel status as seen from the on-premises device, one format for every device type.

``parse_device_status(platform, outputs, tunnels)`` turns the device's show-command output into
one entry per tunnel of the plan (same order)::

    {
      "outside_ip": "52.27.166.152",   # the AWS-side outside IP (plan: peer_outside_ip)
      "ike_state": "up" | "down" | None,      # IKE SA (phase 1); None: the output does not tell
      "ipsec_state": "up" | "down" | None,    # an IPsec/child SA installed for that peer
      "bgp_state": "established" | "idle" | "active" | "connect" | "opensent" | "openconfirm" | None,
                                               # None: static connection or no BGP output
      "prefixes_received": int | None,         # from the BGP neighbor (None if not established)
      "prefixes_advertised": int | None,       # None when the platform's summary does not show it
    }

The strongSwan side maps to it as: IKE SA ``ESTABLISHED`` -> ike_state ``up``, CHILD_SA
``INSTALLED`` -> ipsec_state ``up``, FRR's neighbor state lower case (``established`` ...),
``pfxRcd`` / ``pfxSnt`` -> prefixes_received / prefixes_advertised.  The verify role compares
these entries against the plan.

``tunnels``: the plan (``{"tunnels": [...]}``) or its tunnel list, or plain dicts with
``outside_ip`` and optional ``bgp_peer_ip``.

``outputs`` keys per platform (any may be missing; its fields are then None):

- cisco_ios: ``ike`` (``show crypto ikev2 sa`` or ``show crypto isakmp sa``), ``ipsec``
  (``show crypto ipsec sa``), ``bgp`` (``show ip bgp summary``).
- junos: ``ike`` (``show security ike security-associations``), ``ipsec`` (``show security
  ipsec security-associations``), ``bgp`` (``show bgp summary``).
- fortios: ``ipsec`` (the REST monitor ``vpn/ipsec`` result, as ``fortios_monitor_fact`` returns
  it: a list of tunnels with ``rgwy`` and ``proxyid``), ``bgp`` (``get router info bgp summary``).
"""

from __future__ import annotations

import json
import re

from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import PLATFORMS
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError

STATUS_KEYS = ("outside_ip", "ike_state", "ipsec_state", "bgp_state", "prefixes_received", "prefixes_advertised")

_IP = r"\d{1,3}(?:\.\d{1,3}){3}"


class DeviceStatusError(ValidationError):
    """The input cannot be parsed; ``field`` names it."""


def _tunnels(tunnels):
    if isinstance(tunnels, dict):
        tunnels = tunnels.get("tunnels")
    if not isinstance(tunnels, list) or not tunnels:
        raise DeviceStatusError("tunnels", "must be the tunnel plan or a non-empty list of tunnels")
    out = []
    for t in tunnels:
        if not isinstance(t, dict):
            raise DeviceStatusError("tunnels", f"entries must be dicts, got {type(t).__name__}")
        ip = t.get("outside_ip") or t.get("peer_outside_ip")
        if not ip:
            raise DeviceStatusError("tunnels", "each tunnel needs outside_ip (or the plan's peer_outside_ip)")
        bgp = t.get("bgp_peer_ip")
        if bgp is None and isinstance(t.get("bgp"), dict):
            bgp = t["bgp"].get("peer_ip")
        out.append({"outside_ip": ip, "bgp_peer_ip": bgp})
    return out


def _bgp_state(word):
    if word is None:
        return None
    w = word.strip().lower()
    if w.isdigit() or w.startswith("establ"):
        return "established"
    return w.split()[0] if w else None


# ------------------------------------------------------------------------------------ Cisco IOS


def parse_ios_ike(text):
    """{peer IP: "up"|"down"} from ``show crypto ikev2 sa`` or ``show crypto isakmp sa``."""
    result = {}
    pending = None
    for line in (text or "").splitlines():
        # IKEv2, one-line form: "1  66.66.66.1/500  66.66.66.2/500  none/none  READY"
        m = re.match(rf"^\s*\d+\s+({_IP})/\d+\s+({_IP})/\d+\s+\S+\s+(\S+)", line)
        if m:
            result[m.group(2)] = "up" if m.group(3) == "READY" else "down"
            continue
        # IKEv2, multi-line form: "1  none/none  READY" then "Remote  <addr>/500"
        m = re.match(r"^\s*\d+\s+\S+/\S+\s+([A-Z-]+)\s*$", line)
        if m:
            pending = m.group(1)
            continue
        m = re.match(r"^\s*Remote\s+(\S+)/\d+", line)
        if m and pending:
            result[m.group(1)] = "up" if pending == "READY" else "down"
            pending = None
            continue
        # IKEv1: "dst  src  state  conn-id  status"
        m = re.match(rf"^\s*({_IP})\s+({_IP})\s+(\S+)\s+\d+\s+(\S+)", line)
        if m:
            state = "up" if m.group(3) == "QM_IDLE" and m.group(4) == "ACTIVE" and "deleted" not in line else "down"
            for ip in (m.group(1), m.group(2)):
                if result.get(ip) != "up":
                    result[ip] = state
    return result


def parse_ios_ipsec(text):
    """{peer IP: "up"|"down"} from ``show crypto ipsec sa`` (up: an ACTIVE inbound ESP SA)."""
    result = {}
    chunks = re.split(r"(?m)^\s*current_peer\s+", text or "")
    for chunk in chunks[1:]:
        peer = chunk.split()[0]
        inbound = re.search(r"inbound esp sas:(.*?)(?:inbound ah sas:|$)", chunk, re.S)
        up = bool(inbound and re.search(r"Status:\s*ACTIVE", inbound.group(1)))
        if result.get(peer) != "up":
            result[peer] = "up" if up else "down"
    return result


def parse_bgp_summary(text):
    """{neighbor IP: (state, prefixes received)} from Cisco ``show ip bgp summary`` or
    FortiOS ``get router info bgp summary`` (the same table)."""
    result = {}
    in_table = False
    for line in (text or "").splitlines():
        if re.match(r"^\s*Neighbor\s+V\s+AS", line):
            in_table = True
            continue
        if not in_table:
            continue
        m = re.match(rf"^({_IP})\s+\d+\s+\S+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\S+\s+(.+?)\s*$", line)
        if m:
            last = m.group(2)
            if last.isdigit():
                result[m.group(1)] = ("established", int(last))
            else:
                result[m.group(1)] = (_bgp_state(last), None)
    return result


# ---------------------------------------------------------------------------------------- Junos


def _junos_peer_states(text, pattern):
    """{peer IP: "up"|"down"} from the lines ``pattern`` matches (groups ``peer`` and, optional,
    ``state``: a line without one means up); an "up" line wins over the peer's other lines."""
    result = {}
    for line in (text or "").splitlines():
        m = re.match(pattern, line)
        if m and result.get(m.group("peer")) != "up":
            result[m.group("peer")] = (m.groupdict().get("state") or "up").lower()
    return result


def parse_junos_ike(text):
    return _junos_peer_states(text, rf"^\s*\d+\s+(?P<state>UP|DOWN)\s+\S+\s+\S+\s+\S+\s+(?P<peer>{_IP})\s*$")


def parse_junos_ipsec(text):
    """Junos lists installed SAs only: a peer with an inbound SA is up."""
    return _junos_peer_states(text, rf"^\s*<\S+\s+ESP:\S+\s.*?(?P<peer>{_IP})\s*$")


def _junos_bgp_peer(columns):
    """(state, prefixes received) from the last columns of a Junos BGP summary's peer line."""
    counts = [column for column in columns if re.fullmatch(r"\d+/\d+/\d+/\d+", column)]
    if counts:
        # "#Active/Received/Accepted/Damped" inline (one RIB)
        return "established", int(counts[0].split("/")[1])
    if columns and columns[-1].lower().startswith("establ"):
        return "established", 0
    return _bgp_state(columns[-1] if columns else None), None


def parse_junos_bgp_summary(text):
    """{neighbor IP: (state, prefixes received)} from Junos ``show bgp summary``: each peer's line,
    then, with several RIBs, one "RIB: active/received/accepted/damped" line per RIB (summed)."""
    result = {}
    current = None
    for line in (text or "").splitlines():
        m = re.match(rf"^({_IP})\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+(.+?)\s*$", line)
        if m:
            result[m.group(1)] = _junos_bgp_peer(m.group(2).split())
            current = m.group(1)
            continue
        m = re.match(r"^\s+\S+:\s+(\d+)/(\d+)/(\d+)/(\d+)", line)
        if m and current and result.get(current, (None,))[0] == "established":
            state, received = result[current]
            result[current] = (state, (received or 0) + int(m.group(2)))
    return result


# -------------------------------------------------------------------------------------- FortiOS


def parse_fortios_ipsec(data):
    """{remote gateway: "up"|"down"} from the REST monitor vpn/ipsec result."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as e:
            raise DeviceStatusError("outputs.ipsec", f"is not JSON: {e}") from None
    if isinstance(data, dict):
        data = data.get("results", data.get("meta", {}).get("results", []))
    result = {}
    for entry in data or []:
        if isinstance(entry, dict) and "results" in entry and "rgwy" not in entry:
            for sub in entry["results"] or []:
                _fortios_entry(sub, result)
        elif isinstance(entry, dict):
            _fortios_entry(entry, result)
    return result


def _fortios_entry(entry, result):
    gw = entry.get("rgwy")
    if not gw:
        return
    up = any((p or {}).get("status") == "up" for p in entry.get("proxyid") or [])
    if result.get(gw) != "up":
        result[gw] = "up" if up else "down"


# ---------------------------------------------------------------------------------------- entry


def parse_device_status(platform, outputs, tunnels):
    """Per-tunnel status in the common format (see the module doc)."""
    if platform not in PLATFORMS:
        raise DeviceStatusError("vpn_device_type", f"unknown device type {platform!r}; one of {', '.join(PLATFORMS)}")
    if not isinstance(outputs, dict):
        raise DeviceStatusError("outputs", f"must be a dict of show-command outputs, got {type(outputs).__name__}")
    tuns = _tunnels(tunnels)
    ike = ipsec = bgp = None
    if platform == "cisco_ios":
        ike = parse_ios_ike(outputs["ike"]) if outputs.get("ike") is not None else None
        ipsec = parse_ios_ipsec(outputs["ipsec"]) if outputs.get("ipsec") is not None else None
        bgp = parse_bgp_summary(outputs["bgp"]) if outputs.get("bgp") is not None else None
    elif platform == "junos":
        ike = parse_junos_ike(outputs["ike"]) if outputs.get("ike") is not None else None
        ipsec = parse_junos_ipsec(outputs["ipsec"]) if outputs.get("ipsec") is not None else None
        bgp = parse_junos_bgp_summary(outputs["bgp"]) if outputs.get("bgp") is not None else None
    else:
        ipsec = parse_fortios_ipsec(outputs["ipsec"]) if outputs.get("ipsec") is not None else None
        # FortiOS reports phase 2 per tunnel; a phase 2 SA that is up implies phase 1.
        ike = {ip: "up" for ip, s in (ipsec or {}).items() if s == "up"} if ipsec is not None else None
        bgp = parse_bgp_summary(outputs["bgp"]) if outputs.get("bgp") is not None else None
    result = []
    for t in tuns:
        ip = t["outside_ip"]
        entry = dict.fromkeys(STATUS_KEYS)
        entry["outside_ip"] = ip
        if ike is not None:
            entry["ike_state"] = ike.get(ip, "down" if platform != "fortios" else None)
        if ipsec is not None:
            entry["ipsec_state"] = ipsec.get(ip, "down")
        if bgp is not None and t["bgp_peer_ip"]:
            state, received = bgp.get(t["bgp_peer_ip"], ("idle", None))
            entry["bgp_state"] = state
            entry["prefixes_received"] = received
        result.append(entry)
    return result
