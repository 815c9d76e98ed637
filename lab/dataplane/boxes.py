"""The shared pieces of the topology: the "internet" namespace and crypto boxes.

A crypto box is a namespace holding one charon (one tunnel) between its outside link and an
inner veth ``in0`` whose peer sits in the router (VGW router or device) as the tunnel's
"VTI": the router owns the inside address; the box is invisible to it:
- ``in0`` starts down and follows the CHILD_SA (updown), like a VTI's line protocol;
- proxy ARP on ``in0`` answers for the far inside address;
- decrypted traffic (``iif ipsec0``) goes to the near router via policy table 100; everything
  else from ``in0`` goes into ``ipsec0`` (``default dev ipsec0``);
- nftables raises TTL 1 to 2 on the way through, so single-hop eBGP survives the two boxes and
  the routers keep a real router's BGP configuration (no ebgp-multihop).
"""
from __future__ import annotations

from pathlib import Path

from . import addressing as A
from . import strongswan
from .netns import create_ns, ip_batch, link_exists, nft_apply, sysctl, veth
from .state import State

TTL_TABLE = """table ip svl_ttl {
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        ip ttl 1 ip ttl set 2
    }
}
"""


def ensure_internet(state: State) -> None:
    if create_ns(state, A.INTERNET_NS) or not link_exists(A.INTERNET_NS, A.INTERNET_BRIDGE):
        ip_batch(A.INTERNET_NS, [f"link add {A.INTERNET_BRIDGE} type bridge",
                                 f"link set {A.INTERNET_BRIDGE} up"])


def attach_public(ns: str, inet_dev: str, addr: str, dev: str = "pub0") -> None:
    """Plug NS into the internet bridge with public ADDR; routes only to documentation ranges."""
    veth(ns, dev, A.INTERNET_NS, inet_dev)
    ip_batch(A.INTERNET_NS, [f"link set {inet_dev} master {A.INTERNET_BRIDGE}", f"link set {inet_dev} up"])
    cmds = [f"addr replace {addr}/24 dev {dev}", f"link set {dev} up"]
    cmds += [f"route replace {r} dev {dev}" for r in A.PUBLIC_RANGES
             if not _contains(r, addr)]
    ip_batch(ns, cmds)


def _contains(cidr: str, addr: str) -> bool:
    import ipaddress
    return ipaddress.IPv4Address(addr) in ipaddress.IPv4Network(cidr)


def build_box(state: State, ns: str, router_ns: str, router_dev: str, near_addr: str,
              box_dir: Path) -> None:
    """Namespace plumbing of a crypto box (its outside link is the caller's)."""
    create_ns(state, ns)
    veth(ns, "in0", router_ns, router_dev)
    sysctl(ns, {"net.ipv4.ip_forward": 1, "net.ipv4.conf.all.proxy_arp": 1})
    ip_batch(ns, ["link set in0 down"])
    nft_apply(ns, "svl_ttl", TTL_TABLE)
    box_dir.mkdir(parents=True, exist_ok=True)
    updown = box_dir / "updown.sh"
    updown.write_text(strongswan.render_updown(near_addr, "in0", A.BOX_INNER_TABLE))
    updown.chmod(0o755)
