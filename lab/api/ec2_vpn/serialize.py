"""What DescribeVpnConnections and DescribeRouteTables show, computed from the lab state on moto's objects.

patches.py installs these as properties of moto's VPNConnection and RouteTable.
"""

from __future__ import annotations

import time

from lab.api import cgw_config
from lab.api.ec2_vpn.common import ip_key, ordered, settings

_TRANSITIONS = {"pending": "available", "modifying": "available", "deleting": "deleted"}


def conn_state_get(self) -> str:
    state = self.__dict__.get("_lab_state", "available")
    target = _TRANSITIONS.get(state)
    if target is not None:
        delay = float(settings()["state_delay_s"])
        if time.monotonic() - self.__dict__.get("_lab_state_since", 0.0) >= delay:
            state = target
            self.__dict__["_lab_state"] = state
    return state


def conn_state_set(self, value: str) -> None:
    # moto's delete sets "deleted" outright; AWS goes through "deleting".
    if value == "deleted" and self.__dict__.get("_lab_state") not in (None, "deleted", "deleting"):
        value = "deleting"
    self.__dict__["_lab_state"] = value
    self.__dict__["_lab_state_since"] = time.monotonic()


def conn_options_get(self) -> dict | None:
    tunnels = getattr(self, "lab_tunnels", None)
    if tunnels is None:
        return self.__dict__.get("_moto_options")
    opts = dict(self.lab_options)
    include_psk = self.pre_shared_key_storage != "SecretsManager"
    opts["TunnelOptions"] = [t.describe(include_psk) for t in ordered(tunnels, ip_key)]
    return opts


def conn_options_set(self, value) -> None:
    self.__dict__["_moto_options"] = value


def conn_telemetry(self) -> list | None:
    tunnels = getattr(self, "lab_tunnels", None)
    if tunnels is None:
        return None
    return [dict(t.telemetry) for t in ordered(tunnels, ip_key)]


def conn_routes(self) -> list:
    return [
        {"DestinationCidrBlock": cidr, "State": state}  # as in real outputs: no Source
        for cidr, state in getattr(self, "lab_routes", {}).items()
    ]


def conn_xml(self) -> str:
    tunnels = getattr(self, "lab_tunnels", None)
    if tunnels is None:
        return ""
    include_psk = self.pre_shared_key_storage != "SecretsManager"
    doc = {
        "vpn_connection_id": self.id,
        "customer_gateway_id": self.customer_gateway_id,
        "vpn_gateway_id": self.vpn_gateway_id,
        "type": self.type,
        "bgp": not self.lab_options.get("StaticRoutesOnly", False),
        "cgw_asn": self.lab_cgw_asn,
        "vgw_asn": self.lab_vgw_asn,
        "tunnels": [
            {
                "cgw_outside_ip": self.lab_cgw_ip,
                "vgw_outside_ip": t.outside_ip,
                "inside_cidr": t.inside_cidr,
                "pre_shared_key": t.psk if include_psk else None,
                "ike": t.frozen["ike"],
                "ipsec": t.frozen["ipsec"],
            }
            for t in ordered(tunnels, ip_key)
        ],
    }
    return cgw_config.render(doc)
