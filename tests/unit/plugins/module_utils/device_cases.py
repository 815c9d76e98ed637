# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""VPN connections for the device renderer tests, built from the real AWS samples in
tests/fixtures/real-aws (addresses, keys and ASNs real; tunnel options set per case)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[3] / "fixtures" / "real-aws"
GOLDEN = Path(__file__).resolve().parent / "golden"

SITE = {"name": "branch1", "site_prefixes": ["172.16.0.0/16"], "vpc_prefixes": ["10.0.0.0/16"]}
OPTIONS = {
    "cisco_ios": {"outside_interface": "GigabitEthernet1"},
    "junos": {"outside_interface": "ge-0/0/0.0"},
    "fortios": {"outside_interface": "wan1", "lan_interface": "internal"},
}


def _v(values):
    return [{"Value": v} for v in values]


def _load(name):
    return json.loads((SAMPLES / f"{name}.describe-vpn-connections.json").read_text())["VpnConnections"][0]


def _with_options(conn, per_tunnel):
    """Replace TunnelOptions: keep what AWS always returns (IP, inside CIDR, PSK), add ``per_tunnel``."""
    conn = copy.deepcopy(conn)
    existing = {t["OutsideIpAddress"]: t for t in conn.get("Options", {}).get("TunnelOptions", [])}
    tunnels = []
    for ip, extra in per_tunnel.items():
        base = {k: v for k, v in existing.get(ip, {"OutsideIpAddress": ip}).items()
                if k in ("OutsideIpAddress", "TunnelInsideCidr", "PreSharedKey")}
        base.update(extra)
        tunnels.append(base)
    conn.setdefault("Options", {})["TunnelOptions"] = tunnels
    return conn


BGP_IPS = ("52.27.166.152", "52.39.121.126")
STATIC_IPS = ("3.13.210.90", "18.221.157.90")


def _both_phases(encryption, integrity, dh_group):
    """Non-default algorithms, the same in phase 1 and phase 2."""
    algorithms = {"EncryptionAlgorithms": [encryption], "IntegrityAlgorithms": [integrity], "DHGroupNumbers": [dh_group]}
    return {f"Phase{phase}{key}": _v(values) for phase in (1, 2) for key, values in algorithms.items()}


NON_DEFAULT_IKEV1 = dict(_both_phases("AES256", "SHA2-256", 14), IkeVersions=_v(["ikev1"]),
                         Phase1LifetimeSeconds=14400, Phase2LifetimeSeconds=1800, ReplayWindowSize=512, DpdTimeoutSeconds=40)
NON_DEFAULT_IKEV2 = dict(_both_phases("AES256-GCM-16", "SHA2-384", 20), IkeVersions=_v(["ikev2"]),
                         Phase1LifetimeSeconds=27000, Phase2LifetimeSeconds=3000)


def cases():
    """name -> (connection, site): BGP and static, IKEv1 and IKEv2, default and non-default options."""
    bgp, static = _load("vpn-ba2e34a8"), _load("vpn-static-2019")
    return {
        "bgp_default_ikev2": (_with_options(bgp, {ip: {} for ip in BGP_IPS}), dict(SITE)),
        "bgp_nondefault_ikev1_ikev2": (
            _with_options(bgp, {BGP_IPS[0]: NON_DEFAULT_IKEV1, BGP_IPS[1]: NON_DEFAULT_IKEV2}),
            dict(SITE, primary_tunnel=2, backup_method="med"),
        ),
        "static_default_ikev2": (_with_options(static, {ip: {} for ip in STATIC_IPS}), dict(SITE)),
        "static_nondefault_ikev1": (
            _with_options(static, {ip: NON_DEFAULT_IKEV1 for ip in STATIC_IPS}),
            dict(SITE, vpc_prefixes=["10.0.0.0/16", "10.1.0.0/16"]),
        ),
    }


def default_bgp_connection():
    return cases()["bgp_default_ikev2"][0]
