"""Lab settings shared by every part of the lab API (one per process).

Read with ``get()`` (a copy of the whole dict) or ``get("state_delay_s")`` (one value);
change with ``update({...})``, which validates and raises ``ValueError`` on a bad key or
value; ``reset()`` returns to the values the server was started with.

moto keeps its state per process, so these settings are per process as well: two
``LabServer`` objects in one process share them, as they share moto's backends.
"""

from __future__ import annotations

import copy
import ipaddress
import math
import threading
from typing import Any

DEFAULTS: dict[str, Any] = {
    # seconds a VPN connection stays "pending" (and "deleting") before its next state
    "state_delay_s": 0.5,
    # order of the tunnels in TunnelOptions / VgwTelemetry / XML (AWS gives no order)
    "tunnel_order": "sorted",
    # lab seconds per real second: 60 makes an alarm Period of 60 s last one real second
    "time_factor": 1.0,
    # the lab's "AWS edge": tunnel outside IPs are allocated from it
    "edge_pool": "198.51.100.0/24",
    # AWS's Site-to-Site VPN quotas (defaults from AWS's quota page); raise them as AWS would
    "quotas": {
        "vpn_connections_per_vgw": 10,
        "vpn_connections_per_region": 50,
        "customer_gateways_per_region": 50,
        "routes_per_vpn_connection": 100,
        # not on AWS's quota page as the lab's authors could read it: the lab's assumption, raise it at will
        "vpn_connections_per_concentrator": 100,
    },
}

TUNNEL_ORDERS = ("sorted", "reversed", "shuffled")


# Upper bounds keep a typo (1e308, inf) from freezing the lab: a day of delay, 10000x lab time.
MAXIMA = {"state_delay_s": 86400.0, "time_factor": 10000.0}
QUOTA_MAX = 100_000


def _number(key: str, value: Any, minimum: float, strict: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number, got {value}")
    if value < minimum or (strict and value == minimum):
        raise ValueError(f"{key} must be {'>' if strict else '>='} {minimum}, got {value}")
    if value > MAXIMA[key]:
        raise ValueError(f"{key} must be <= {MAXIMA[key]:g}, got {value:g}")
    return value


def _quotas(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ValueError("quotas must be an object of quota name -> count")
    out = dict(DEFAULTS["quotas"])
    for name, count in value.items():
        if name not in out:
            raise ValueError(f"unknown quota {name!r}; known: {', '.join(sorted(out))}")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= QUOTA_MAX:
            raise ValueError(f"quotas.{name} must be an integer from 0 to {QUOTA_MAX}, got {count!r}")
        out[name] = count
    return out


def validate(values: dict[str, Any]) -> dict[str, Any]:
    """Return ``values`` normalised; raise ValueError naming the first bad key."""
    if not isinstance(values, dict):
        raise ValueError("settings must be a JSON object")
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in DEFAULTS:
            raise ValueError(f"unknown setting {key!r}; known: {', '.join(sorted(DEFAULTS))}")
        if key == "state_delay_s":
            out[key] = _number(key, value, 0.0, strict=False)
        elif key == "time_factor":
            out[key] = _number(key, value, 0.0, strict=True)
        elif key == "tunnel_order":
            if value not in TUNNEL_ORDERS:
                raise ValueError(f"tunnel_order must be one of {', '.join(TUNNEL_ORDERS)}, got {value!r}")
            out[key] = value
        elif key == "edge_pool":
            try:
                net = ipaddress.IPv4Network(str(value), strict=True)
            except ValueError as exc:
                raise ValueError(f"edge_pool must be an IPv4 network: {exc}") from None
            if net.num_addresses < 4:
                raise ValueError("edge_pool must hold at least 4 addresses")
            out[key] = str(net)
        elif key == "quotas":
            out[key] = _quotas(value)
    return out


class Settings:
    """Thread-safe holder of the lab settings."""

    def __init__(self, initial: dict[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._base = copy.deepcopy(DEFAULTS)
        self._base.update(validate(initial or {}))
        self._values = copy.deepcopy(self._base)

    def get(self, key: str | None = None) -> Any:
        with self._lock:
            if key is None:
                return copy.deepcopy(self._values)
            return self._values[key]

    def update(self, values: dict[str, Any]) -> dict[str, Any]:
        clean = validate(values)
        with self._lock:
            self._values.update(clean)
            return copy.deepcopy(self._values)

    def set_base(self, values: dict[str, Any] | None) -> dict[str, Any]:
        """Set the values ``reset()`` returns to (the server's start-up settings) and apply them."""
        clean = validate(values or {})
        with self._lock:
            self._base = copy.deepcopy(DEFAULTS)
            self._base.update(clean)
            self._values = copy.deepcopy(self._base)
            return copy.deepcopy(self._values)

    def reset(self) -> dict[str, Any]:
        with self._lock:
            self._values = copy.deepcopy(self._base)
            return copy.deepcopy(self._values)


SETTINGS = Settings()


def get(key: str | None = None) -> Any:
    """The whole settings dict (a copy) or one value."""
    return SETTINGS.get(key)


def update(values: dict[str, Any]) -> dict[str, Any]:
    """Validate and apply ``values``; return the new settings."""
    return SETTINGS.update(values)


def reset() -> dict[str, Any]:
    """Back to the start-up settings."""
    return SETTINGS.reset()
