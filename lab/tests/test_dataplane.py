"""Unit tests of the lab data plane's pure parts (no root, no daemons)."""
from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lab.dataplane import addressing as A
from lab.dataplane import connections, device, edge, frr, state, strongswan
from lab.dataplane.netns import LabError
from lab.tests.connection_records import connection


def conn(**kw):
    return connections.normalize(connection("vpn-1", "203.0.113.10", ("198.51.100.11", "198.51.100.12"),
                                            ("169.254.10.0/30", "169.254.11.0/30"), **kw))


def test_names_fit_interface_and_prefix_rules():
    for name in (A.edge_ns(9999), A.vgw_ns(9999), A.device_box_ns(9999, 2), A.lan_host_ns(9999)):
        assert name.startswith(A.PREFIX)
    for dev in (A.edge_inet_dev(9999), A.vgw_tunnel_dev(9999), A.device_inet_dev(9999)):
        assert len(dev) <= 15


def test_box_links_are_private_disjoint_and_per_site():
    seen = set()
    for s in (1, 2, 255, 16383):
        for t in (1, 2):
            dev, box = A.box_link(s, t)
            net = ipaddress.IPv4Network(f"{dev}/30", strict=False)
            assert ipaddress.IPv4Address(box) in net
            assert net.subnet_of(ipaddress.IPv4Network("100.64.0.0/10"))
            assert net not in seen
            seen.add(net)
    with pytest.raises(ValueError):
        A.box_link(0, 1)


def test_inside_pair_and_public_ranges():
    assert A.inside_pair("169.254.10.0/30") == ("169.254.10.1", "169.254.10.2")
    assert A.router_and_host("172.16.0.0/16") == ("172.16.0.1", "172.16.0.10", 16)
    assert A.is_public("203.0.113.10") and A.is_public("198.51.100.11")
    assert not A.is_public("8.8.8.8") and not A.is_public("10.0.0.1")


def test_proposals_split_aead_and_classic():
    assert strongswan.proposals(["AES128", "AES256-GCM-16"], ["SHA1", "SHA2-256"], [14, 19], ike=True) == [
        "aes128-sha1-sha256-modp2048-ecp256", "aes256gcm16-prfsha1-prfsha256-modp2048-ecp256"]
    assert strongswan.proposals(["AES256-GCM-16"], ["SHA1"], [14], ike=False) == ["aes256gcm16-modp2048"]
    with pytest.raises(KeyError):
        strongswan.proposals(["DES"], ["SHA1"], [14], ike=True)


def test_normalize_accepts_value_dicts_and_fills_aws_defaults():
    raw = connection("vpn-2", "203.0.113.20", ("198.51.100.21", "198.51.100.22"),
                     ("169.254.20.0/30", "169.254.21.0/30"),
                     options={"phase1_encryption_algorithms": [{"value": "AES256"}], "ike_versions": ["ikev2"]})
    c = connections.normalize(raw)
    t = c["tunnels"][0]
    assert t["options"]["phase1_encryption_algorithms"] == ["AES256"]
    assert t["options"]["dpd_timeout_seconds"] == 30          # AWS default filled in
    assert (t["vgw_inside_ip"], t["cgw_inside_ip"]) == ("169.254.20.1", "169.254.20.2")
    assert c["cgw_asn"] == 65000 and not c["static"]
    assert connections.active([c, {**c, "state": "deleted"}]) == [c]


def test_edge_swanctl_follows_tunnel_options(tmp_path):
    c = conn(options={"ike_versions": ["ikev2"], "dpd_timeout_seconds": 40, "dpd_timeout_action": "restart",
                      "startup_action": "start", "phase1_encryption_algorithms": ["AES256"],
                      "phase1_integrity_algorithms": ["SHA2-256"], "phase1_dh_group_numbers": [14]})
    conf, sconf = edge.tunnel_swanctl(c, c["tunnels"][0], tmp_path)
    assert "version = 2" in conf
    assert "proposals = aes256-sha256-modp2048" in conf
    assert "dpd_action = restart" in conf and "start_action = start" in conf
    assert 'secret = "labsecret11"' in conf and "id = 203.0.113.10" in conf
    # IKEv2's DPD timeout is the retransmission schedule: 5 equal waits of 8 s
    assert "retransmit_timeout = 8.0" in sconf and "retransmit_base = 1.0" in sconf
    assert "load_modular = yes" in sconf and "kernel-libipsec" in sconf or strongswan.available()
    c2 = conn(options={"dpd_timeout_action": "none"})
    conf2 = edge.tunnel_swanctl(c2, c2["tunnels"][0], tmp_path)[0]
    assert "dpd_delay = 0s" in conf2 and "version = 0" in conf2 and "start_action = none" in conf2


def test_vgw_frr_config_bgp_and_static():
    bgp = conn()
    static = connections.normalize(connection("vpn-s", "203.0.113.20", ("198.51.100.21", "198.51.100.22"),
                                              ("169.254.20.0/30", "169.254.21.0/30"), static=True,
                                              routes=["172.17.0.0/16"]))
    text = edge.vgw_frr_config("vgw-1", 64512, "svl-g1", [bgp, static])
    assert "router bgp 64512" in text and "no bgp ebgp-requires-policy" in text
    assert " neighbor 169.254.10.2 remote-as 65000" in text and " neighbor 169.254.10.2 timers 10 30" in text
    assert "169.254.20.2 remote-as" not in text              # static connection: no BGP
    assert "  network 10.0.0.0/16" in text
    assert "ip route" not in text                             # static routes are kernel routes
    tunnels = {"198.51.100.21": {"n": 3}, "198.51.100.22": {"n": 4}, "198.51.100.11": {"n": 1}, "198.51.100.12": {"n": 2}}
    assert edge.vgw_static_routes([bgp, static], tunnels) == [
        "172.17.0.0/16 via 169.254.20.2 dev t3 onlink metric 1", "172.17.0.0/16 via 169.254.21.2 dev t4 onlink metric 2"]


def test_fallback_routes_are_each_bgp_tunnels_received_prefixes():
    """The VGW router's fallback table: what each BGP tunnel's peer sends, via that tunnel, tunnel 1
    first; static connections have their kernel routes already, a gateway without BGP view nothing."""
    tunnels = {"198.51.100.11": {"n": 1, "gw": "vgw-1", "tunnel": 1, "cgw_inside_ip": "169.254.10.2", "static": False},
               "198.51.100.12": {"n": 2, "gw": "vgw-1", "tunnel": 2, "cgw_inside_ip": "169.254.11.2", "static": False},
               "198.51.100.21": {"n": 3, "gw": "vgw-1", "tunnel": 1, "cgw_inside_ip": "169.254.20.2", "static": True},
               "198.51.100.31": {"n": 5, "gw": "tgw-2", "tunnel": 1, "cgw_inside_ip": "169.254.30.2", "static": False}}
    views = {"vgw-1": ({}, {"169.254.10.2": ["172.16.0.0/16", "172.16.1.0/24"], "169.254.11.2": ["172.16.0.0/16"],
                            "169.254.20.2": ["172.17.0.0/16"]})}
    assert edge.fallback_routes(tunnels, views) == {"vgw-1": [
        "172.16.0.0/16 via 169.254.10.2 dev t1 metric 1001 onlink",
        "172.16.0.0/16 via 169.254.11.2 dev t2 metric 2002 onlink",
        "172.16.1.0/24 via 169.254.10.2 dev t1 metric 1001 onlink"]}
    # a peer whose session is down sends nothing: its tunnel has no fallback route
    views["vgw-1"][1].pop("169.254.11.2")
    assert [r for r in edge.fallback_routes(tunnels, views)["vgw-1"] if "dev t2" in r] == []


def test_updown_removes_table_220_and_follows_child_sa():
    text = strongswan.render_updown("169.254.10.1")
    assert "ip rule del priority 220" in text
    assert "up-client)" in text and "ip link set in0 up" in text
    assert "down-client)" in text and "ip link set in0 down" in text


def test_vici_message_roundtrip():
    msg = {"a": "1", "sec": {"b": "x", "lst": ["p", "q"], "inner": {"c": "3"}}}
    assert strongswan._decode(strongswan._encode(msg)) == msg


def test_state_dir_refuses_run_and_records(tmp_path):
    with pytest.raises(ValueError):
        state.check_state_dir("/run/sitevpn-lab")
    with state.locked(tmp_path) as st:
        st.add_namespace("svl-x1")
        assert st.index("site", "a") == 1 and st.index("site", "b") == 2
        st.release_index("site", "a")
        assert st.index("site", "c") == 1
    again = state.read(tmp_path)
    assert again.namespaces == ["svl-x1"]
    assert state.pid_alive(1) and not state.pid_alive(1, start_time=-5)


def test_additional_key_exchanges_need_strongswan_6(monkeypatch):
    rounds = [{"round": 1, "requirement": "required", "methods": [36]},
              {"round": 2, "requirement": "optional", "methods": [37]}]
    monkeypatch.setattr(strongswan, "version", lambda: (5, 9, 8))
    with pytest.raises(strongswan.LabError, match="strongSwan 6.0 or later; this host has 5.9.8"):
        strongswan.proposals(["AES256"], ["SHA2-256"], [20], ike=True, additional=rounds)
    monkeypatch.setattr(strongswan, "version", lambda: (6, 0, 1))
    assert strongswan.proposals(["AES256"], ["SHA2-256"], [20], ike=True, additional=rounds) == [
        "aes256-sha256-ecp384-ke1_mlkem768-ke2_mlkem1024-ke2_none"]
    assert strongswan.proposals(["AES256"], ["SHA2-256"], [20], ike=True) == ["aes256-sha256-ecp384"]


def test_bgp_view_reads_neighbors_and_received_routes_from_one_vtysh(monkeypatch):
    summary = {"peers": {"169.254.17.202": {"state": "Established", "pfxRcd": 1},
                         "169.254.170.238": {"state": "Active", "pfxRcd": 0}}}
    table = {"routes": {
        "10.0.0.0/16": [{"valid": True, "peerId": "(unspec)"}],
        "172.16.0.0/16": [{"valid": True, "peerId": "169.254.17.202"}, {"valid": False, "peerId": "169.254.170.238"}],
        "172.20.0.0/16": [{"valid": True, "peerId": "169.254.17.202"}]}}
    calls = []

    def vtysh(name, *commands, timeout=10):
        calls.append((name, commands))
        # vtysh prints each command's JSON in turn (and may warn about its missing vtysh.conf)
        return json.dumps(summary, indent=1) + "\n" + json.dumps(table) + "\n% Can't open configuration file\n"

    monkeypatch.setattr(frr, "vtysh", vtysh)
    neighbors, received = frr.bgp_view("g1")
    assert len(calls) == 1
    assert neighbors == {"169.254.17.202": {"state": "Established", "pfx_rcd": 1},
                         "169.254.170.238": {"state": "Active", "pfx_rcd": 0}}
    assert received == {"169.254.17.202": ["172.16.0.0/16", "172.20.0.0/16"]}
    monkeypatch.setattr(frr, "vtysh", lambda name, *commands, timeout=10: "% bgpd is not running\n")
    assert frr.bgp_view("g1") == ({}, {})


def test_device_inventory_is_the_collections_inventory_of_the_lab_sites(tmp_path):
    """sitevpn-lab site configure runs the collection's configure_devices.yml over this inventory:
    each site a host of group sites, reached in its device namespace, its prefix and CGW the lab's."""
    st = state.State(tmp_path, {"sites": {"b1": {"ns": "svl-d1", "cgw_ip": "203.0.113.10", "lan": "172.16.0.0/16"}}})
    inv = device.inventory(st, "http://127.0.0.1:4599", ["b1"], name_prefix="lab")
    (tmp_path / "inventory.json").write_text(json.dumps(inv))
    out = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(tmp_path / "inventory.json"), "--list"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    listed = json.loads(out)
    assert listed["sites"]["hosts"] == ["b1"]
    host = listed["_meta"]["hostvars"]["b1"]
    assert (host["ansible_connection"], host["sitevpn_netns"], host["sitevpn_cgw_ip"], host["sitevpn_prefixes"]) == (
        "sitevpn.aws.netns", "svl-d1", "203.0.113.10", ["172.16.0.0/16"])
    assert (host["sitevpn_name_prefix"], host["sitevpn_aws_endpoint_url"], host["sitevpn_lab_state_dir"]) == (
        "lab", "http://127.0.0.1:4599", str(tmp_path))
    # the lab inventory's group variables (the lab VPC, region, fake credentials) are the one home of those
    assert (host["sitevpn_vpc_cidr"], host["sitevpn_aws_region"]) == ("10.0.0.0/16", "us-east-1")
    with pytest.raises(LabError, match="no lab site 'b2'"):
        device.inventory(st, "http://127.0.0.1:4599", ["b2"])
