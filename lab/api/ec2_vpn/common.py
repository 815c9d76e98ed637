"""What every part of the lab's EC2 VPN slice shares: the lock, the settings, moto's backends.

moto keeps the objects (VPNConnection, CustomerGateway, VpnGateway, RouteTable); the state AWS has
and moto lacks lives as attributes on them (so moto's reset clears it too).
"""

from __future__ import annotations

import datetime
import ipaddress
import random
import threading
from typing import Any

from moto.ec2.models import ec2_backends

from lab.api import settings as lab_settings

LOCK = threading.RLock()


def settings() -> dict:
    return lab_settings.get()


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def all_backends():
    for account_backends in list(ec2_backends.values()):
        yield from list(account_backends.values())


def all_connections():
    for backend in all_backends():
        for conn in list(backend.vpn_connections.values()):
            if getattr(conn, "lab_tunnels", None) is not None:
                yield backend, conn


def ordered(items: list, key) -> list:
    """Tunnel order as the lab's setting says; each list gets its own order when shuffled."""
    items = sorted(items, key=key)
    mode = settings()["tunnel_order"]
    if mode == "reversed":
        items.reverse()
    elif mode == "shuffled":
        random.shuffle(items)
    return items


def ip_key(tunnel) -> Any:
    return ipaddress.ip_address(tunnel.outside_ip)


def ordered_tunnels(conn) -> list:
    return ordered(conn.lab_tunnels, ip_key)
