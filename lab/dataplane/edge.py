"""The AWS side of every VPN connection, built and kept in line with the lab API.

Per tunnel outside IP a crypto box ``svl-e<N>`` (charon as AWS's endpoint: the tunnel's
proposals, PSK, IKE versions, lifetimes, DPD timeout/action, startup action); per VPN gateway a
router ``svl-g<V>`` (FRR with the Amazon-side ASN, hold 30 / keepalive 10, advertising the VPC
CIDR; kernel routes for static connections, tunnel 1 first) and a VPC host ``svl-h<V>``.

A tunnel whose SA is deleted takes its veth down at once (updown.sh), and the router sends on the
other tunnel at once, as AWS does: static connections by metric, BGP connections through the
fallback table :func:`follow_bgp` keeps (bgpd alone needs ~75 ms, its work-queue holds, to move
a path off a link that went down, and would lose pings a graceful failover need not lose).

:func:`reconcile` is idempotent: unchanged tunnels are left alone; a tunnel whose options
changed gets its charon reloaded with the new configuration and its SA closed with a DELETE, so
the customer side re-negotiates at once (AWS too interrupts a tunnel it modifies); a DPD timeout
change restarts that tunnel's charon (its retransmission schedule is a daemon setting);
tunnels and gateways that disappeared are torn down. :func:`telemetry` reads
charon (VICI) and FRR (:func:`bgp_views`) and returns what the agent posts to the lab API.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from . import addressing as A
from . import boxes, frr, strongswan
from .connections import values
from .netns import IP, LabError, create_ns, delete_ns, ip_batch, run, sysctl, veth
from .state import State


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _edge(state: State) -> dict:
    e = state.data["edge"]
    e.setdefault("tunnels", {})
    e.setdefault("gateways", {})
    return e


def tunnel_swanctl(conn: dict, t: dict, box_dir: Path) -> tuple[str, str]:
    """(swanctl.conf, strongswan.conf) of AWS's endpoint for tunnel T."""
    o = t["options"]
    ike = set(values(o["ike_versions"]))
    version = 2 if ike == {"ikev2"} else 1 if ike == {"ikev1"} else 0
    dpd = max(int(o["dpd_timeout_seconds"]), 5)
    # 1 s spared: charon keeps the time of the last packet in whole seconds
    dpd_delay = max(1, dpd // 5 - 1)
    dpd_wait = round((dpd - dpd // 5) / 4, 2)
    p1, p2 = int(o["phase1_lifetime_seconds"]), int(o["phase2_lifetime_seconds"])
    margin = int(o["rekey_margin_time_seconds"])
    fuzz = int(o["rekey_fuzz_percentage"])
    action = str(o["dpd_timeout_action"]).lower()
    conf = strongswan.render_swanctl_conf({
        "name": "aws",
        "local_addrs": t["outside_ip"], "remote_addrs": conn["cgw_ip"],
        "local_id": t["outside_ip"], "remote_id": conn["cgw_ip"], "psk": t["psk"],
        "version": version,
        "ike_proposals": strongswan.option_proposals(o, 1),
        "esp_proposals": strongswan.option_proposals(o, 2),
        "ike_rekey_time": max(p1 - margin, 60), "ike_over_time": margin,
        "rekey_time": max(p2 - margin, 60), "life_time": p2,
        "rand_time": max(1, min(margin * fuzz // 100, margin - 1)),
        "replay_window": int(o["replay_window_size"]),
        # DPD goes out dpd/5 - 1 s after the last packet received, then 4 equal waits of dpd/5
        # (below): the peer is declared dead within DPD-timeout seconds of going silent
        "dpd_delay": 0 if action == "none" else dpd_delay,
        "dpd_action": "restart" if action == "restart" else "clear",
        "start_action": "start" if str(o["startup_action"]).lower() == "start" else "none",
        "keyingtries": 0,
        "updown": str(box_dir / "updown.sh"),
    })
    # IKEv2 has no DPD timeout setting: the retransmission schedule is the timeout, and it is
    # per daemon, so each tunnel gets its own (base 1.0: the DPD delay and tries+1 equal waits
    # add up to it)
    sconf = strongswan.render_strongswan_conf(box_dir, retransmit_timeout=dpd_wait,
                                              retransmit_tries=3, retransmit_base=1.0)
    return conf, sconf


def vgw_frr_config(gw: str, asn: int, name: str, conns: list[dict]) -> str:
    vpc = conns[0]["vpc_cidrs"] if conns else [A.DEFAULT_VPC_CIDR]
    router_id = A.router_and_host(vpc[0])[0]
    lines = ["frr defaults traditional", f"hostname {name}", "!",
             f"router bgp {asn}", f" bgp router-id {router_id}", " no bgp ebgp-requires-policy",
             " bgp log-neighbor-changes"]
    bgp_peers = []
    for c in conns:
        if c["static"]:
            continue
        for i, t in enumerate(c["tunnels"], 1):
            peer = t["cgw_inside_ip"]
            bgp_peers.append(peer)
            lines += [f" neighbor {peer} remote-as {c['cgw_asn']}",
                      f" neighbor {peer} description {c['id']} tunnel {i}",
                      f" neighbor {peer} timers 10 30",
                      f" neighbor {peer} timers connect 2"]
    lines += [" address-family ipv4 unicast"]
    lines += [f"  network {cidr}" for cidr in vpc]
    lines += [" exit-address-family", "exit", "!", "end", ""]
    return "\n".join(lines)


def vgw_static_routes(conns: list[dict], tunnels: dict) -> list[str]:
    """The kernel routes of the static connections on their VGW router: per tunnel, metric = tunnel
    number, so tunnel 1 is used while its link is up (``ignore_routes_with_linkdown``: a tunnel whose
    CHILD_SA is gone has its veth down, updown.sh) and tunnel 2 at once when it is not - as AWS sends on
    an UP tunnel. Kernel routes rather than FRR static routes: zebra, with its kernel nexthop objects,
    lost both routes for many seconds when a tunnel's link flapped while it was busy."""
    routes = []
    for c in conns:
        if not c["static"]:
            continue
        for i, t in enumerate(c["tunnels"], 1):
            dev = A.vgw_tunnel_dev(tunnels[t["outside_ip"]]["n"])
            routes += [f"{r} via {t['cgw_inside_ip']} dev {dev} onlink metric {i}" for r in c["routes"]]
    return sorted(routes)


def _apply_static_routes(grec: dict, routes: list[str]) -> None:
    """Delete the routes no longer wanted (gone already with a removed box: no error), then replace
    every wanted one each time (a rebuilt tunnel box took its routes with it)."""
    gone = [f"route del {r}" for r in grec.get("static_routes", []) if r not in routes]
    if gone:
        run([IP, "-n", grec["ns"], "-force", "-batch", "-"], input="\n".join(gone) + "\n", check=False)
    ip_batch(grec["ns"], [f"route replace {r}" for r in routes])
    grec["static_routes"] = routes


def _ensure_gateway(state: State, gw: str, conns: list[dict]) -> dict:
    e = _edge(state)
    v = state.index("gw", gw)
    ns, host = A.vgw_ns(v), A.vpc_host_ns(v)
    rec = e["gateways"].setdefault(gw, {"v": v, "ns": ns})
    vpc = conns[0]["vpc_cidrs"][0]
    router_ip, host_ip, plen = A.router_and_host(vpc)
    if create_ns(state, ns):
        sysctl(ns, {"net.ipv4.ip_forward": 1, "net.ipv4.conf.all.ignore_routes_with_linkdown": 1,
                    "net.ipv4.conf.default.ignore_routes_with_linkdown": 1})
        ip_batch(ns, [f"rule add priority {A.VGW_FALLBACK_PRIORITY} lookup {A.VGW_FALLBACK_TABLE}"])
    create_ns(state, host)
    veth(ns, "vpc0", host, "eth0")
    ip_batch(ns, [f"addr replace {router_ip}/{plen} dev vpc0", "link set vpc0 up"])
    ip_batch(host, [f"addr replace {host_ip}/{plen} dev eth0", "link set eth0 up",
                    f"route replace default via {router_ip} dev eth0"])
    rec.update({"vpc_host": host, "vpc_host_ip": host_ip})
    return rec


def reconcile(state: State, conns: list[dict]) -> dict:
    """Make the AWS edge match CONNS (already filtered to active ones). Returns a summary."""
    e = _edge(state)
    root = state.root / "edge"
    changed = {"started": [], "reloaded": [], "restarted": [], "removed": [], "gateways": [], "errors": []}
    by_gw: dict[str, list[dict]] = {}
    for c in conns:
        by_gw.setdefault(c["gateway"], []).append(c)

    wanted = {}
    for gw, gconns in sorted(by_gw.items()):
        grec = _ensure_gateway(state, gw, gconns)
        for c in gconns:
            for i, t in enumerate(c["tunnels"], 1):
                wanted[t["outside_ip"]] = (gw, grec, c, i, t)

    # tear down first what is gone (frees outside IPs a new connection may reuse)
    for ip in sorted(set(e["tunnels"]) - set(wanted)):
        _remove_tunnel(state, ip)
        changed["removed"].append(ip)

    for ip, (gw, grec, c, i, t) in sorted(wanted.items()):
        n = state.index("edge", ip)
        ns, box_dir = A.edge_ns(n), root / f"e{n}"
        rec = e["tunnels"].get(ip)
        if rec and rec.get("inside_cidr") != t["inside_cidr"]:
            _remove_tunnel(state, ip, keep_index=True)   # new inside addresses: rebuild
            rec = None
        if rec is None:
            boxes.build_box(state, ns, grec["ns"], A.vgw_tunnel_dev(n), t["vgw_inside_ip"], box_dir)
            boxes.attach_public(ns, A.edge_inet_dev(n), ip)
            ip_batch(grec["ns"], [f"addr replace {t['vgw_inside_ip']}/30 dev {A.vgw_tunnel_dev(n)}",
                                  f"link set {A.vgw_tunnel_dev(n)} up"])
            rec = e["tunnels"][ip] = {"n": n, "ns": ns, "gw": gw, "dir": str(box_dir)}
        rec.update({"vpn": c["id"], "tunnel": i, "inside_cidr": t["inside_cidr"], "cgw_ip": c["cgw_ip"],
                    "cgw_inside_ip": t["cgw_inside_ip"], "vgw_inside_ip": t["vgw_inside_ip"],
                    "static": c["static"], "routes": c["routes"]})
        try:
            conf, sconf = tunnel_swanctl(c, t, box_dir)
        except (LabError, ValueError, KeyError) as exc:
            # this tunnel's options cannot be served here (e.g. ML-KEM on strongSwan 5.9): it
            # stays DOWN and says why in ``status``; the other tunnels go on
            if rec.get("error") != str(exc):
                changed["errors"].append(f"{ip}: {exc}")
            rec["error"] = str(exc)
            strongswan.stop(state, f"charon:{ns}")
            rec.pop("hash_conf", None)
            continue
        rec.pop("error", None)
        # ReplaceVpnTunnel (e.g. applying AWS's tunnel maintenance) replaces the endpoint: its
        # count is part of the daemon's digest, so that tunnel's charon alone is restarted below
        h_conf, h_sconf = _digest(conf), _digest(sconf + f"# replacements {t['replacements']}")
        key = f"charon:{ns}"
        alive = state.pid_of(key)
        if alive and rec.get("hash_sconf") == h_sconf:
            if rec.get("hash_conf") != h_conf:
                # new proposals/PSK/lifetimes: reload, then close the SA with a DELETE so the
                # customer side re-negotiates against the new configuration at once
                strongswan.load_swanctl(box_dir, conf)
                strongswan.terminate(box_dir, "aws", timeout=2)
                if "start_action = start" in conf:
                    strongswan.initiate(box_dir, "aws", timeout=0)
                rec["hash_conf"] = h_conf
                changed["reloaded"].append(ip)
            continue
        if alive:
            # daemon settings (DPD timeout -> retransmission schedule) need a new charon
            strongswan.terminate(box_dir, "aws", timeout=2)
            strongswan.stop(state, key)
            ip_batch(ns, ["link set in0 down"])
            changed["restarted"].append(ip)
        else:
            changed["started"].append(ip)
        strongswan.start_charon(state, key, ns, box_dir, sconf)
        strongswan.load_swanctl(box_dir, conf)
        rec["hash_conf"], rec["hash_sconf"] = h_conf, h_sconf

    # routers last: their BGP neighbours and static routes follow the tunnels
    for gw, gconns in sorted(by_gw.items()):
        grec = e["gateways"][gw]
        asn = gconns[0]["amazon_asn"]
        name = grec["ns"]
        config = vgw_frr_config(gw, asn, name, gconns)
        conf_dir = root / name
        if not state.pid_of(f"frr:{name}:bgpd") or grec.get("asn") != asn:
            frr.stop(state, name)
            frr.start(state, name, name, conf_dir, config)
            changed["gateways"].append(gw)
        elif frr.apply(name, conf_dir, config):
            changed["gateways"].append(gw)
        grec["asn"] = asn
        routes = vgw_static_routes(gconns, e["tunnels"])
        if routes != grec.get("static_routes") and gw not in changed["gateways"]:
            changed["gateways"].append(gw)
        _apply_static_routes(grec, routes)
    for gw in sorted(set(e["gateways"]) - set(by_gw)):
        _remove_gateway(state, gw)
        changed["gateways"].append(gw)
    return changed


def _remove_tunnel(state: State, ip: str, keep_index: bool = False) -> None:
    e = _edge(state)
    rec = e["tunnels"].pop(ip, None)
    if not rec:
        return
    strongswan.stop(state, f"charon:{rec['ns']}")
    delete_ns(rec["ns"])
    state.remove_namespace(rec["ns"])
    shutil.rmtree(rec["dir"], ignore_errors=True)
    if not keep_index:
        state.release_index("edge", ip)


def _remove_gateway(state: State, gw: str) -> None:
    e = _edge(state)
    rec = e["gateways"].pop(gw)
    frr.stop(state, rec["ns"])
    for ns in (rec["ns"], rec.get("vpc_host")):
        if ns:
            delete_ns(ns)
            state.remove_namespace(ns)
    shutil.rmtree(state.root / "edge" / rec["ns"], ignore_errors=True)
    state.release_index("gw", gw)


def bgp_views(state: State) -> dict[str, tuple[dict, dict]]:
    """Per VPN gateway, FRR's ({peer: {"state", "pfx_rcd"}}, {peer: [prefixes received]})."""
    views = {}
    for gw, grec in _edge(state)["gateways"].items():
        try:
            views[gw] = frr.bgp_view(grec["ns"])
        except Exception:  # bgpd restarting: report what charon says, BGP as down
            views[gw] = ({}, {})
    return views


def fallback_routes(tunnels: dict, views: dict) -> dict[str, list[str]]:
    """Per gateway, the fallback table's routes: each prefix a BGP tunnel's peer sends, via that
    tunnel; metric tunnel number first (then the tunnel's index, unique per router)."""
    routes: dict[str, list[str]] = {}
    for rec in tunnels.values():
        if rec.get("static") or rec["gw"] not in views:
            continue
        for prefix in views[rec["gw"]][1].get(rec["cgw_inside_ip"], []):
            routes.setdefault(rec["gw"], []).append(
                f"{prefix} via {rec['cgw_inside_ip']} dev {A.vgw_tunnel_dev(rec['n'])} "
                f"metric {rec['tunnel'] * 1000 + rec['n']} onlink")
    return {gw: sorted(r) for gw, r in routes.items()}


def _table_routes(ns: str) -> set[str]:
    """The fallback table as ``ip route`` prints it, without the link's state (``linkdown``)."""
    out = run([IP, "-n", ns, "-4", "route", "show", "table", str(A.VGW_FALLBACK_TABLE)], check=False).stdout
    return {" ".join(w for w in line.split() if w not in ("linkdown", "dead")) for line in out.splitlines() if line.strip()}


def follow_bgp(state: State, views: dict) -> None:
    """Keep each router's fallback table equal to :func:`fallback_routes` (a lost BGP path goes
    at the next round; until then its link is down, or the main table's path is used)."""
    wanted = fallback_routes(_edge(state)["tunnels"], views)
    for gw, grec in _edge(state)["gateways"].items():
        want = {" ".join(r.split()) for r in wanted.get(gw, [])}
        have = _table_routes(grec["ns"])
        table = f"table {A.VGW_FALLBACK_TABLE}"
        cmds = [f"route del {r} {table}" for r in sorted(have - want)] + [f"route replace {r} {table}" for r in sorted(want - have)]
        if cmds:
            run([IP, "-n", grec["ns"], "-force", "-batch", "-"], input="\n".join(cmds) + "\n", check=False)


def telemetry(state: State, views: dict | None = None) -> tuple[list[dict], list[dict]]:
    """([telemetry bodies per tunnel], [bgp-routes bodies per connection])."""
    e = _edge(state)
    views = bgp_views(state) if views is None else views
    neighbors = {gw: v[0] for gw, v in views.items()}
    received = {gw: v[1] for gw, v in views.items()}
    learned = {}
    tele = []
    for ip, rec in sorted(e["tunnels"].items()):
        st = strongswan.tunnel_status(Path(rec["dir"]))
        up_ipsec = st["child"] == "INSTALLED"
        if rec.get("static"):
            up = up_ipsec
            count = len(rec.get("routes") or [])
            msg = ""
        else:
            peer = neighbors.get(rec["gw"], {}).get(rec["cgw_inside_ip"], {})
            established = peer.get("state") == "Established"
            up = up_ipsec and established
            count = peer.get("pfx_rcd", 0) if established else 0
            msg = f"{count} BGP ROUTES" if up else ""
            if established:
                learned.setdefault(rec["vpn"], set()).update(received[rec["gw"]].get(rec["cgw_inside_ip"], []))
            else:
                learned.setdefault(rec["vpn"], set())
        tele.append({"outside_ip": ip, "status": "UP" if up else "DOWN", "status_message": msg,
                     "accepted_route_count": count, "data_in": st["bytes_in"], "data_out": st["bytes_out"]})
    routes = [{"vpn_connection_id": vpn, "prefixes": sorted(p)} for vpn, p in sorted(learned.items())]
    return tele, routes


def teardown(state: State) -> None:
    for ip in list(_edge(state)["tunnels"]):
        _remove_tunnel(state, ip)
    for gw in list(_edge(state)["gateways"]):
        _remove_gateway(state, gw)
