"""On-prem sites in the lab: the device namespace, its crypto boxes, its LAN host.

:func:`add_site` builds the namespaces only (what ``sitevpn-lab site add`` does); the device's
IPsec and BGP configuration is the collection's own: :func:`configure` runs its
``playbooks/configure_devices.yml`` (the ``strongswan`` role) on the sites, as a user would. The lab
has no renderer of its own.

The device owns the customer gateway's public IP; its two boxes sit behind NAT (nftables DNATs
UDP 500/4500 from each AWS endpoint to that tunnel's box, SNATs the rest to the CGW IP), which
is what AWS sees of a CGW behind NAT (NAT-T, UDP-encapsulated ESP).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from . import addressing as A
from . import boxes, frr, strongswan
from .netns import LabError, create_ns, delete_ns, ip_batch, nft_apply, sysctl, veth
from .state import State, read

ROOT = Path(__file__).resolve().parents[2]
# the lab's own inventory: its group variables (region, fake credentials, the lab VPC's CIDR) hold for every lab site
LAB_GROUP_VARS = ROOT / "inventories" / "lab" / "group_vars" / "all.yml"


def _site(state: State, name: str) -> dict:
    try:
        return state.data["sites"][name]
    except KeyError:
        raise LabError(f"no lab site {name!r}") from None


def add_site(state: State, name: str, cgw_ip: str, lan: str = A.DEFAULT_LAN) -> dict:
    if not A.is_public(cgw_ip):
        raise LabError(f"CGW IP {cgw_ip} is not in a documentation range {A.PUBLIC_RANGES}")
    for other, rec in state.data["sites"].items():
        if other != name and rec["cgw_ip"] == cgw_ip:
            raise LabError(f"CGW IP {cgw_ip} already belongs to site {other}")
    s = state.index("site", name)
    dev, lan_ns = A.device_ns(s), A.lan_host_ns(s)
    boxes.ensure_internet(state)
    create_ns(state, dev)
    sysctl(dev, {"net.ipv4.ip_forward": 1})
    boxes.attach_public(dev, A.device_inet_dev(s), cgw_ip)
    router_ip, host_ip, plen = A.router_and_host(lan)
    create_ns(state, lan_ns)
    veth(dev, "lan0", lan_ns, "eth0")
    ip_batch(dev, [f"addr replace {router_ip}/{plen} dev lan0", "link set lan0 up"])
    ip_batch(lan_ns, [f"addr replace {host_ip}/{plen} dev eth0", "link set eth0 up",
                      f"route replace default via {router_ip} dev eth0"])
    site_boxes = {}
    for t in (1, 2):
        box = A.device_box_ns(s, t)
        create_ns(state, box)
        dev_addr, box_addr = A.box_link(s, t)
        veth(dev, f"o{t}", box, "out0")
        ip_batch(dev, [f"addr replace {dev_addr}/30 dev o{t}", f"link set o{t} up"])
        ip_batch(box, [f"addr replace {box_addr}/30 dev out0", "link set out0 up"])
        veth(box, "in0", dev, f"vti{t}")
        sysctl(box, {"net.ipv4.ip_forward": 1, "net.ipv4.conf.all.proxy_arp": 1})
        ip_batch(box, ["link set in0 down"])
        nft_apply(box, "svl_ttl", boxes.TTL_TABLE)
        site_boxes[str(t)] = {"ns": box, "dev_addr": dev_addr, "box_addr": box_addr,
                              "dir": str(state.root / "sites" / name / f"t{t}")}
    rec = {"index": s, "cgw_ip": cgw_ip, "lan": lan, "ns": dev, "lan_host": lan_ns,
           "lan_host_ip": host_ip, "boxes": site_boxes}
    state.data["sites"][name] = rec
    return rec


def remove_site(state: State, name: str) -> None:
    rec = state.data["sites"].pop(name, None)
    if not rec:
        return
    frr.stop(state, rec["ns"])
    for b in rec["boxes"].values():
        strongswan.stop(state, f"charon:{b['ns']}")
    for ns in [b["ns"] for b in rec["boxes"].values()] + [rec["lan_host"], rec["ns"]]:
        delete_ns(ns)
        state.remove_namespace(ns)
    shutil.rmtree(state.root / "sites" / name, ignore_errors=True)
    state.release_index("site", name)


# ------------------------------------------------------- the device's configuration ---

def inventory(state: State, api_url: str, names, *, name_prefix: str = "sitevpn") -> dict:
    """An inventory of the named lab sites for the collection's playbooks: each device reached in its
    namespace (connection ``sitevpn.aws.netns``), its connection found by the Name tag
    ``<name_prefix>-<site>`` in the lab API at ``api_url``."""
    hosts = {}
    for name in names:
        rec = _site(state, name)
        hosts[name] = {"ansible_connection": "sitevpn.aws.netns", "sitevpn_netns": rec["ns"],
                       "ansible_python_interpreter": sys.executable, "vpn_device_type": "strongswan",
                       "strongswan_dataplane": "libipsec", "sitevpn_cgw_ip": rec["cgw_ip"],
                       "sitevpn_prefixes": [rec["lan"]],
                       # tunnel 1 primary both ways, as the lab's path and failover checks expect
                       "sitevpn_local_preference_primary": 200}
    group_vars = dict(yaml.safe_load(LAB_GROUP_VARS.read_text()), sitevpn_aws_endpoint_url=api_url,
                      sitevpn_name_prefix=name_prefix, sitevpn_lab_state_dir=str(state.root))
    return {"all": {"vars": group_vars, "children": {"sites": {"hosts": hosts}}}}


def configure(state_dir: str, api_url: str, names, *, name_prefix: str = "sitevpn", timeout: float = 600) -> None:
    """Configure the named sites' devices with the collection's ``playbooks/configure_devices.yml``
    (ansible-playbook from this Python's environment, every site at once); LabError on failure.
    Takes no lock: the playbook runs while the edge agent goes on."""
    names = list(names)
    state = read(state_dir)
    with tempfile.TemporaryDirectory(prefix="svl-configure-") as tmp:
        inv = Path(tmp) / "inventory.json"
        inv.write_text(json.dumps(inventory(state, api_url, names, name_prefix=name_prefix)))
        env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCAL_TEMP=str(Path(tmp) / "tmp"))
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inv), "--forks", str(max(5, len(names))),
               str(ROOT / "playbooks" / "configure_devices.yml")]
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise LabError(f"configure_devices.yml did not end within {timeout:.0f} s for {', '.join(names)}") from None
    if proc.returncode != 0:
        raise LabError(f"configure_devices.yml failed (rc {proc.returncode}) for {', '.join(names)}: {proc.stdout[-2000:]}")
