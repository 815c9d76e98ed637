"""The lab's address and naming plan: the one place that says which namespace holds what.

"Public" addresses are documentation ranges only; private ranges appear only on links between
our own namespaces; tunnel inside addresses are the /30s from 169.254.0.0/16 the lab API hands
out. No namespace has a link to, or a route towards, the root namespace.

::

                              svl-inet (bridge br0: every public address)
          AWS edge 198.51.100.0/24  |               | customer gateways 203.0.113.0/24
   svl-e<N> (charon, tunnel outside IP)          svl-d<S> (device, CGW IP, NAT to its boxes)
          | in0 ~ t<N> (169.254.x.1/30)             | o<T> 100.64.S.(4T-3)/30 ~ out0 (box)
   svl-g<V> (VGW router: FRR, Amazon ASN)        svl-d<S>t<T> (charon per tunnel, behind NAT)
          | vpc0 10.0.0.1/16                        | in0 ~ vti<T> (169.254.x.2/30 on the device)
   svl-h<V> (VPC host 10.0.0.10)                 svl-d<S> ... lan0 ~ svl-l<S> (LAN host .10)

N, V, S are small stable indexes recorded in the state dir (per outside IP, per VPN gateway,
per site), so names stay short (interface names are limited to 15 characters).
"""
from __future__ import annotations

import ipaddress

PREFIX = "svl-"
INTERNET_NS = "svl-inet"
PREFIX_ENV = "SITEVPN_LAB_NS_PREFIX"


def set_prefix(prefix: str) -> None:
    """Namespace prefix of one lab instance (recorded in its state dir), e.g. ``svl-`` or, for
    a test running beside a lab, ``svlt42-``. It must start with ``svl`` (what is ours)."""
    global PREFIX, INTERNET_NS
    if not prefix.startswith("svl") or len(prefix) > 8 or not prefix.replace("-", "").isalnum():
        raise ValueError(f"namespace prefix {prefix!r}: 'svl' + up to 5 letters/digits/'-'")
    PREFIX, INTERNET_NS = prefix, f"{prefix}inet"


INTERNET_BRIDGE = "br0"
# every "public" range a lab namespace may route to (documentation ranges, RFC 5737)
PUBLIC_RANGES = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
EDGE_POOL = "198.51.100.0/24"
CGW_RANGE = "203.0.113.0/24"
DEFAULT_VPC_CIDR = "10.0.0.0/16"
DEFAULT_LAN = "172.16.0.0/16"
HOST_OFFSET = 10  # the VPC host and the LAN host: network + 10; their router: network + 1
# device <-> its crypto boxes: 100.64.S.0/29 per site (shared address space, RFC 6598)
BOX_LINK_BASE = ipaddress.IPv4Network("100.64.0.0/10")
# policy-routing table in crypto boxes for what leaves the tunnel (see crypto box docstring)
BOX_INNER_TABLE = 100
# VGW router: the BGP paths of every UP tunnel, looked up when the main table's best path is on a
# tunnel whose link just went down (its rule comes after main's, 32766, and default's, 32767)
VGW_FALLBACK_TABLE = 90
VGW_FALLBACK_PRIORITY = 32800


class _Name:
    """A name of the plan: ``pattern`` filled with the indexes and, for a namespace, the lab's
    prefix as it is at the call (set_prefix may change it after import)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __call__(self, *indexes: int) -> str:
        return self.pattern.format(*indexes, prefix=PREFIX)


# N: per tunnel outside IP, V: per VPN gateway, S: per site, T: tunnel 1 or 2
edge_ns = _Name("{prefix}e{0}")  # (N)
edge_inet_dev = _Name("e{0}")  # (N)
vgw_ns = _Name("{prefix}g{0}")  # (V)
vgw_tunnel_dev = _Name("t{0}")  # (N)
vpc_host_ns = _Name("{prefix}h{0}")  # (V)
device_ns = _Name("{prefix}d{0}")  # (S)
device_inet_dev = _Name("d{0}")  # (S)
device_box_ns = _Name("{prefix}d{0}t{1}")  # (S, T)
lan_host_ns = _Name("{prefix}l{0}")  # (S)


def router_and_host(cidr: str) -> tuple[str, str, int]:
    """(router address, host address, prefix length) on a VPC or LAN segment."""
    net = ipaddress.IPv4Network(cidr, strict=False)
    return str(net.network_address + 1), str(net.network_address + HOST_OFFSET), net.prefixlen


def box_link(s: int, t: int) -> tuple[str, str]:
    """(device side, box side) addresses of the /30 between device S and its box for tunnel T."""
    if not 1 <= s <= 16383 or t not in (1, 2):
        raise ValueError("site index 1..16383, tunnel 1 or 2")
    base = int(BOX_LINK_BASE.network_address) + s * 8 + (t - 1) * 4
    return str(ipaddress.IPv4Address(base + 1)), str(ipaddress.IPv4Address(base + 2))


def inside_pair(inside_cidr: str) -> tuple[str, str]:
    """(AWS side, customer side) addresses of a tunnel's inside /30, as AWS assigns them."""
    net = ipaddress.IPv4Network(inside_cidr, strict=False)
    return str(net.network_address + 1), str(net.network_address + 2)


def is_public(addr: str) -> bool:
    a = ipaddress.IPv4Address(addr)
    return any(a in ipaddress.IPv4Network(r) for r in PUBLIC_RANGES)
