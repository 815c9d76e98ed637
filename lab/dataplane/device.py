"""On-prem sites in the lab: the device namespace, its crypto boxes, its LAN host.

:func:`add_site` builds the namespaces only (what ``sitevpn-lab site add`` does); the device's
IPsec and BGP configuration belongs to the Ansible role ``roles/strongswan``.

:func:`configure_site` below is the LAB'S TEST HARNESS, not the product: it renders a device
configuration straight from the lab API's view of a connection so the data plane can be tested
end to end before (and independently of) the role. The role, rendering from the tunnel plan,
replaces it; both use the same primitives (crypto boxes, :mod:`strongswan`, :mod:`frr`).

The device owns the customer gateway's public IP; its two boxes sit behind NAT (nftables DNATs
UDP 500/4500 from each AWS endpoint to that tunnel's box, SNATs the rest to the CGW IP), which
is what AWS sees of a CGW behind NAT (NAT-T, UDP-encapsulated ESP).
"""
from __future__ import annotations

import ipaddress
import shutil
import time
from pathlib import Path

from . import addressing as A
from . import boxes, frr, strongswan
from .connections import values
from .netns import IP, LabError, create_ns, delete_ns, ip_batch, nft_apply, run, sysctl, veth
from .state import State, locked


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


# ---------------------------------------------------------------- lab test harness only ---
def _device_swanctl(site: dict, conn: dict, t: dict, i: int, box: dict) -> str:
    o = t["options"]
    ike = set(values(o["ike_versions"]))
    p1, p2 = int(o["phase1_lifetime_seconds"]), int(o["phase2_lifetime_seconds"])
    margin = int(o["rekey_margin_time_seconds"])
    return strongswan.render_swanctl_conf({
        "name": f"tunnel{i}",
        "local_addrs": box["box_addr"], "remote_addrs": t["outside_ip"],
        "local_id": site["cgw_ip"], "remote_id": t["outside_ip"], "psk": t["psk"],
        "version": 2 if "ikev2" in ike else 1,
        "ike_proposals": strongswan.option_proposals(o, 1),
        "esp_proposals": strongswan.option_proposals(o, 2),
        # the customer side rekeys first (AWS's guidance), so AWS's margin is not hit
        "ike_rekey_time": max(p1 - 2 * margin, 60), "ike_over_time": margin,
        "rekey_time": max(p2 - 2 * margin, 60), "life_time": p2, "rand_time": margin // 2,
        "replay_window": int(o["replay_window_size"]),
        # close_action start: when AWS closes the SA (a modified tunnel), negotiate again at once
        "dpd_delay": 10, "dpd_action": "restart", "start_action": "start", "close_action": "start",
        "keyingtries": 0,
        "updown": f"{box['dir']}/updown.sh",
    })


def _preference(t: dict, i: int, backup: str) -> dict:
    """The plan's per-tunnel preference, or the lab default: tunnel 1 primary."""
    if t.get("preference"):
        return t["preference"]
    primary = i == 1
    return {"primary": primary, "local_preference": 200 if primary else 100,
            "as_path_prepend": 0 if primary or backup != "prepend" else 2,
            "med": None if backup != "med" else (100 if primary else 200)}


def device_frr_config(site: dict, conn: dict, name: str, *, backup: str = "prepend") -> str:
    """BGP to both AWS inside addresses, tunnel 1 preferred both ways: local-preference on what
    each tunnel sends us, AS_PATH prepend (or MED) on what we send over the backup tunnel."""
    asn = conn["cgw_asn"]
    prefs = [_preference(t, i, backup) for i, t in enumerate(conn["tunnels"], 1)]
    lines = ["frr defaults traditional", f"hostname {name}", "!"]
    if conn["static"]:
        order = sorted(range(len(prefs)), key=lambda k: (not prefs[k].get("primary"), k))
        for rank, k in enumerate(order):
            # distance 1 is written as FRR shows it (no number)
            dist = f" {rank + 1}" if rank else ""
            lines += [f"ip route {cidr} {conn['tunnels'][k]['vgw_inside_ip']}{dist}" for cidr in conn["vpc_cidrs"]]
        return "\n".join(lines + ["!", "end", ""])
    for i, p in enumerate(prefs, 1):
        lines += [f"route-map TUNNEL{i}-IN permit 10", f" set local-preference {p['local_preference']}", "exit", "!",
                  f"route-map TUNNEL{i}-OUT permit 10"]
        if p.get("as_path_prepend"):
            lines.append(" set as-path prepend " + " ".join([str(asn)] * int(p["as_path_prepend"])))
        if p.get("med") is not None:
            lines.append(f" set metric {p['med']}")
        lines += ["exit", "!"]
    lines += [f"router bgp {asn}", f" bgp router-id {A.router_and_host(site['lan'])[0]}",
              " no bgp ebgp-requires-policy", " bgp log-neighbor-changes"]
    for t in conn["tunnels"]:
        lines += [f" neighbor {t['vgw_inside_ip']} remote-as {conn['amazon_asn']}",
                  f" neighbor {t['vgw_inside_ip']} timers 10 30",
                  f" neighbor {t['vgw_inside_ip']} timers connect 2"]
    lines += [" address-family ipv4 unicast"]
    lines += [f"  network {p}" for p in conn.get("site_prefixes") or [site["lan"]]]
    for i, t in enumerate(conn["tunnels"], 1):
        lines += [f"  neighbor {t['vgw_inside_ip']} route-map TUNNEL{i}-IN in",
                  f"  neighbor {t['vgw_inside_ip']} route-map TUNNEL{i}-OUT out"]
    lines += [" exit-address-family", "exit", "!", "end", ""]
    return "\n".join(lines)


def conn_from_plan(plan: dict) -> dict:
    """LAB HARNESS: the collection's tunnel plan (``build_tunnel_plan``) in the shape
    :func:`configure_site` takes, so the harness renders from the plan like the role will."""
    tunnels = []
    for t in plan["tunnels"]:
        p1, p2 = t["phase1"], t["phase2"]
        tunnels.append({
            "outside_ip": t["peer_outside_ip"], "inside_cidr": t["inside_cidr"],
            "vgw_inside_ip": t["peer_inside_ip"], "cgw_inside_ip": t["local_inside_ip"],
            "psk": t["pre_shared_key"], "replacements": 0, "preference": t.get("preference"),
            "options": {
                "phase1_encryption_algorithms": p1["encryption_algorithms"],
                "phase1_integrity_algorithms": p1["integrity_algorithms"],
                "phase1_dh_group_numbers": p1["dh_group_numbers"],
                "phase1_lifetime_seconds": p1["lifetime_seconds"],
                "phase1_additional_key_exchanges": p1.get("additional_key_exchanges"),
                "phase2_encryption_algorithms": p2["encryption_algorithms"],
                "phase2_integrity_algorithms": p2["integrity_algorithms"],
                "phase2_dh_group_numbers": p2["dh_group_numbers"],
                "phase2_lifetime_seconds": p2["lifetime_seconds"],
                "phase2_additional_key_exchanges": p2.get("additional_key_exchanges"),
                "ike_versions": [t["ike_version"]],
                "rekey_margin_time_seconds": t["rekey"]["margin_time_seconds"],
                "rekey_fuzz_percentage": t["rekey"]["fuzz_percentage"],
                "replay_window_size": t["replay_window_size"],
                "dpd_timeout_seconds": t["dpd"]["timeout_seconds"],
                "dpd_timeout_action": t["dpd"]["action"],
                "startup_action": t["startup_action"],
            }})
    return {"id": plan["vpn_connection_id"], "state": "available",
            "gateway": plan.get("vpn_gateway_id") or plan.get("transit_gateway_id"),
            "amazon_asn": plan.get("peer_asn") or 64512, "cgw_asn": plan.get("local_asn") or 65000,
            "cgw_ip": plan["tunnels"][0]["local_outside_ip"], "static": plan["routing"] == "static",
            "routes": plan.get("connection_routes") or [],
            "vpc_cidrs": plan.get("vpc_prefixes") or [A.DEFAULT_VPC_CIDR],
            "site_prefixes": plan.get("site_prefixes") or [], "tunnels": tunnels}


def _set_inside_address(ns: str, dev: str, addr: str) -> None:
    out = run([IP, "-n", ns, "-4", "-o", "addr", "show", "dev", dev]).stdout
    if f" {addr} " not in out:
        ip_batch(ns, [f"addr flush dev {dev}", f"addr add {addr} dev {dev}"])
    ip_batch(ns, [f"link set {dev} up"])


def configure_site(state: State, name: str, conn: dict) -> list[tuple[Path, str]]:
    """LAB HARNESS: configure SITE's device for CONN (normalized lab API view).

    Returns the (box dir, child) pairs to bring up with :func:`bring_up`, which the caller
    runs without holding the state lock (the edge agent needs it to follow the lab API)."""
    site = _site(state, name)
    if len(conn["tunnels"]) != 2:
        raise LabError("a VPN connection has two tunnels")
    dev = site["ns"]
    nat_pre, started, reload, pending = [], [], [], []
    for i, t in enumerate(conn["tunnels"], 1):
        box = site["boxes"][str(i)]
        box_dir = Path(box["dir"])
        box_dir.mkdir(parents=True, exist_ok=True)
        updown = box_dir / "updown.sh"
        updown.write_text(strongswan.render_updown(t["cgw_inside_ip"], "in0", A.BOX_INNER_TABLE))
        updown.chmod(0o755)
        _set_inside_address(dev, f"vti{i}", f"{t['cgw_inside_ip']}/30")
        ip_batch(box["ns"], [f"route replace {t['outside_ip']}/32 via {box['dev_addr']} dev out0"])
        nat_pre.append(f"        ip saddr {t['outside_ip']} udp dport {{ 500, 4500 }} dnat to {box['box_addr']}")
        key = f"charon:{box['ns']}"
        conf = _device_swanctl(site, conn, t, i, box)
        old = box_dir / "swanctl.conf"
        pending.append((box_dir, f"tunnel{i}"))
        if state.pid_of(key):
            if not (old.exists() and old.read_text() == conf):
                reload.append((box_dir, f"tunnel{i}", conf))
        else:
            strongswan.start_charon(state, key, box["ns"], box_dir, strongswan.render_strongswan_conf(box_dir))
            started.append((box_dir, f"tunnel{i}", conf))
    boxes_net = ipaddress.IPv4Network(f"{A.box_link(site['index'], 1)[0]}/29", strict=False)
    nft_apply(dev, "svl_nat", "table ip svl_nat {\n"
              "    chain pre {\n        type nat hook prerouting priority -100; policy accept;\n"
              + "\n".join(nat_pre) + "\n    }\n"
              "    chain post {\n        type nat hook postrouting priority 100; policy accept;\n"
              f"        ip saddr {boxes_net} oifname \"pub0\" snat to {site['cgw_ip']}\n"
              "    }\n}\n")
    for box_dir, _child, conf in started + reload:
        strongswan.load_swanctl(box_dir, conf)
    for box_dir, child, _conf in reload:
        strongswan.terminate(box_dir, child, timeout=2)
    conf_dir = state.root / "sites" / name / "frr"
    config = device_frr_config(site, conn, dev)
    if state.pid_of(f"frr:{dev}:bgpd"):
        frr.apply(dev, conf_dir, config)
    else:
        frr.start(state, dev, dev, conf_dir, config)
    site["vpn_connection_id"] = conn["id"]
    return pending


def bring_up(pending: list[tuple[Path, str]], timeout: float = 30) -> None:
    """Initiate until every CHILD_SA is installed: the AWS side may not have loaded its
    configuration yet, and an initiation refused with NO_PROPOSAL_CHOSEN is not retried."""
    deadline = time.monotonic() + timeout
    for box_dir, child in pending:
        while strongswan.tunnel_status(box_dir)["child"] != "INSTALLED":
            if time.monotonic() > deadline:
                raise LabError(f"{child} did not come up; see {box_dir}/charon.log")
            if not strongswan.initiate(box_dir, child, timeout=3):
                time.sleep(0.5)


def configure_and_wait(state_dir: str, name: str, conn: dict, timeout: float = 30) -> None:
    with locked(state_dir) as state:
        pending = configure_site(state, name, conn)
    bring_up(pending, timeout)
