"""roles/strongswan for real, in the lab: provision.yml against a LabServer, the lab's AWS edge
and both sites (``sitevpn-lab up`` / ``site add``), then playbooks/configure_devices.yml reaching
each device through the ``sitevpn.aws.netns`` connection with the libipsec data plane.

Checks: every tunnel UP in the lab API's VgwTelemetry, both BGP sessions Established on
site-bgp with the VPC prefix learned and the site's prefix propagated into the VPC route table, the
LAN hosts reaching the VPC host, a second run with changed=0; the path following BGP (tunnel 1
primary, both ways; the lab's AWS side's fallback table); MTU 1399 and the TCP MSS clamp (1359) on
the tunnel interfaces; an in-place ModifyVpnTunnelOptions on tunnel 1 that the lab's AWS edge and then
the device (reload) follow; the day-2 playbooks rotate_keys.yml, change_tunnel_options.yml and
tunnel_maintenance.yml (roles/lockstep; their checks in lockstep_checks.py); drift.yml naming a change made
on the device and one made on AWS behind the collection's back; playbooks/teardown.yml's device play (``--tags devices``: the role's
absent path) removing what the role put on both devices - check mode first, then for real, then
again with changed=0; a VPN connection deleted behind the collection's back leaving the lab's AWS
edge; the lab's AWS side sending on tunnel 1 only and following an added static route; and
``sitevpn-lab down`` leaving no namespace and no process of this test's prefix, even with its agent killed.
Own state dir and namespace prefix, so it runs beside a lab that is up. Skips unless root with
strongSwan (kernel-libipsec), FRR and nftables installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import lockstep_checks
from sitevpn_playbook import BIN, ROOT, run_playbook

from lab.dataplane import addressing as A
from lab.dataplane import bounds
from lab.dataplane import lab as dataplane
from lab.dataplane import state as lab_state
from lab.dataplane import strongswan

WHY = dataplane.missing_tools()
pytestmark = pytest.mark.skipif(WHY is not None, reason=f"the lab data plane cannot run here: {WHY}")

PREFIX = f"svlt{os.getpid() % 100}-"
SITES = {"site-bgp": ("203.0.113.10", "172.16.0.0/16"), "site-static": ("203.0.113.20", "172.17.0.0/16")}
VPC_HOST = "10.0.0.10"


def wait(pred, timeout, what, interval=0.3, seen=None):
    return bounds.wait_until(pred, timeout, what, interval=interval, seen=seen)


def lab_cli(*argv, check=True):
    proc = subprocess.run([str(BIN / "sitevpn-lab"), *argv], capture_output=True, text=True, timeout=120, check=False)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else None


def netns(ns, *argv):
    return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True, timeout=30, check=False)


def our_namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    return sorted(line.split()[0] for line in out.splitlines() if line.startswith(PREFIX))


def remove_device_files():
    """What the role and the netns connection leave on the host for this prefix's devices."""
    for base in ("/etc/netns", "/etc/frr", "/run/frr", "/var/lib/sitevpn-strongswan"):
        for p in Path(base).glob(f"{PREFIX}*"):
            shutil.rmtree(p, ignore_errors=True)


@pytest.fixture(scope="module")
def lab_env(tmp_path_factory):
    from lab.api.server import LabServer

    tmp = tmp_path_factory.mktemp("strongswan-it")
    state_dir = tmp / "state"
    old = {k: os.environ.get(k) for k in ("SITEVPN_LAB_STATE_DIR", "SITEVPN_LAB_NS_PREFIX")}
    os.environ.update(SITEVPN_LAB_STATE_DIR=str(state_dir), SITEVPN_LAB_NS_PREFIX=PREFIX)
    inventory = tmp / "inventory"
    shutil.copytree(ROOT / "inventories" / "lab", inventory)
    (inventory / "hubs.yml").unlink()   # day 2 on the two VGW sites; test_it_site runs the hub site
    server = LabServer(host="127.0.0.1", port=0)
    server.start()
    # moto's state is per process: start from an empty account, whatever ran before in this pytest
    lab_reset(server.url)
    times = {}
    try:
        t0 = time.monotonic()
        run = run_playbook(ROOT / "playbooks" / "provision.yml", server.url, inventory=inventory, timeout=300)
        assert run.rc == 0, run.failures + run.output
        times["provision"] = time.monotonic() - t0
        t1 = time.monotonic()
        lab_cli("up", "--api", server.url, "--interval", "0.5")
        for name, (cgw, lan) in SITES.items():
            lab_cli("site", "add", name, "--cgw-ip", cgw, "--lan", lan)
        times["lab_up"] = time.monotonic() - t1
        yield {"url": server.url, "inventory": inventory, "state_dir": state_dir, "times": times}
    finally:
        # SITEVPN_IT_KEEP=1 leaves the data plane up for debugging
        if not os.environ.get("SITEVPN_IT_KEEP"):
            lab_cli("down", check=False)
            remove_device_files()
        lab_reset(server.url)
        server.stop()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def lab_reset(url):
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(f"{url}/_lab/reset", method="POST"), timeout=10):
        pass


def configure(env, check=False):
    return run_playbook(ROOT / "playbooks" / "configure_devices.yml", env["url"], inventory=env["inventory"],
                        extra_vars={"sitevpn_lab_state_dir": str(env["state_dir"])}, check=check, timeout=300)


def changed_tasks(output):
    """The tasks (and handlers) that reported a change, with the host."""
    found, task = [], None
    for line in output.splitlines():
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            task = line.split("[", 1)[1].rsplit("]", 1)[0]
        elif line.startswith("changed: ["):
            found.append(f"{task}: {line}")
    return found


def telemetry(url):
    import urllib.request

    with urllib.request.urlopen(f"{url}/_lab/vpn-connections", timeout=5) as resp:
        conns = json.load(resp)["vpn_connections"]
    return conns


def test_configure_devices_brings_up_both_sites(lab_env, record_property):
    env = lab_env
    t0 = time.monotonic()
    first = configure(env)
    assert first.rc == 0, first.failures + first.output
    configure_s = time.monotonic() - t0
    assert first.changed["site-bgp"] > 0 and first.changed["site-static"] > 0
    # PSKs never printed
    for conn in telemetry(env["url"]):
        for t in conn["tunnels"]:
            assert t["psk"] not in first.output

    import boto3

    ec2 = boto3.client("ec2", endpoint_url=env["url"], region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")

    def all_up():
        conns = [c for c in ec2.describe_vpn_connections()["VpnConnections"] if c["State"] == "available"]
        status = [t["Status"] for c in conns for t in c["VgwTelemetry"]]
        return len(conns) == 2 and len(status) == 4 and all(s == "UP" for s in status)

    wait(all_up, bounds.LAB_CONVERGED, "four tunnels UP in VgwTelemetry")
    tunnels_up_s = time.monotonic() - t0

    sites = lab_cli("status")["sites"]
    bgp_dev = sites["site-bgp"]["device"]

    wait(lambda: bgp_established(bgp_dev), bounds.LAB_CONVERGED, "both BGP sessions Established on site-bgp")
    bgp_s = time.monotonic() - t0

    def vpc_route():
        out = netns(bgp_dev, "vtysh", "-N", bgp_dev, "-c", "show ip route 10.0.0.0/16 json").stdout
        return "10.0.0.0/16" in json.loads(out or "{}")

    wait(vpc_route, bounds.BGP_ESTABLISHED, "the VPC prefix learned over BGP on site-bgp")

    def propagated():
        return [r for t in ec2.describe_route_tables()["RouteTables"] for r in t["Routes"]
                if r.get("DestinationCidrBlock") == SITES["site-bgp"][1]]
    # the site's prefix, learned by the lab's AWS side over BGP, in the VPC's route table (propagation)
    routes = wait(propagated, bounds.BGP_ESTABLISHED, "site-bgp's prefix propagated into the VPC route table")
    assert [r["Origin"] for r in routes] == ["EnableVgwRoutePropagation"], routes

    for name in SITES:
        lan_host = sites[name]["lan_host"]
        wait(lambda ns=lan_host: netns(ns, "ping", "-c", "1", "-W", "1", VPC_HOST).returncode == 0, bounds.ROUTES_FOLLOW,
             f"{name}'s LAN host reaches {VPC_HOST}")
        assert netns(lan_host, "ping", "-c", "3", "-i", "0.2", "-W", "1", VPC_HOST).returncode == 0

    # the PSK files are private to each device (/etc/netns/<device>/...) and mode 0600
    for name in SITES:
        secrets = Path("/etc/netns") / sites[name]["device"] / "sitevpn-strongswan" / "tunnel1" / "secrets.conf"
        assert secrets.stat().st_mode & 0o777 == 0o600

    t2 = time.monotonic()
    again = configure(env)
    assert again.rc == 0, again.failures + again.output
    assert again.changed == {"site-bgp": 0, "site-static": 0}, changed_tasks(again.output)
    rerun_s = time.monotonic() - t2

    check = configure(env, check=True)
    assert check.rc == 0 and check.total_changed == 0, check.output

    times = dict(env["times"], configure=configure_s, tunnels_up=tunnels_up_s, bgp_established=bgp_s, rerun=rerun_s)
    for k, v in times.items():
        record_property(f"{k}_s", round(v, 1))
    print("\nstrongswan lab: " + ", ".join(f"{k} {v:.1f}s" for k, v in times.items()))


def bgp_established(dev):
    """Both of the device's BGP sessions Established."""
    out = netns(dev, "vtysh", "-N", dev, "-c", "show bgp ipv4 unicast summary json").stdout
    data = json.loads(out or "{}")
    peers = data.get("ipv4Unicast", data).get("peers") or {}
    return len(peers) == 2 and all(p.get("state") == "Established" for p in peers.values())


def bgp_device(env):
    """site-bgp's device namespace, the lab's VGW router namespace and its VPN connection ID."""
    status = lab_cli("status")
    site = status["sites"]["site-bgp"]
    vgw = [ns for ns in status["namespaces"] if ns.startswith(f"{PREFIX}g")]
    assert len(vgw) == 1, status["namespaces"]
    vpn = [c["vpn_connection_id"] for c in telemetry(env["url"]) if c["customer_gateway_ip"] == SITES["site-bgp"][0]]
    assert len(vpn) == 1, vpn
    return site["device"], vgw[0], vpn[0]


def inside_ip(dev, ifname):
    out = netns(dev, "ip", "-4", "-o", "addr", "show", "dev", ifname).stdout.split()
    return out[3].split("/")[0] if len(out) > 3 else None


def test_path_follows_bgp_tunnel1_primary(lab_env):
    """Tunnel 1 is primary both ways: the device routes the VPC over vti1 and the VGW prefers
    tunnel 1 for the site's prefix (tunnel 2 is AS_PATH-prepended)."""
    dev, vgw, _vpn = bgp_device(lab_env)
    t1_ip = inside_ip(dev, "vti1")
    assert t1_ip and t1_ip.startswith("169.254."), t1_ip
    wait(lambda: " dev vti1 " in netns(dev, "ip", "route", "get", VPC_HOST).stdout + " ", bounds.ROUTES_FOLLOW,
         "the device routes the VPC host over vti1")
    wait(lambda: f" via {t1_ip} " in netns(vgw, "ip", "route", "get", "172.16.0.10").stdout, bounds.ROUTES_FOLLOW,
         f"the VGW routes the site's LAN over tunnel 1 ({t1_ip})")
    best = json.loads(netns(vgw, "vtysh", "-N", vgw, "-c", "show ip bgp 172.16.0.0/16 json").stdout or "{}")
    paths = best.get("paths", [])
    assert len(paths) == 2, best
    chosen = [p for p in paths if p.get("bestpath", {}).get("overall")]
    assert [h["ip"] for p in chosen for h in p["nexthops"]] == [t1_ip], paths
    # the lab's AWS side keeps both paths in its fallback table, tunnel 1 first: a tunnel whose link
    # goes down is left at once, as AWS does, not after bgpd's ~75 ms
    t2_ip = inside_ip(dev, "vti2")

    def fallback():
        out = netns(vgw, "ip", "-4", "route", "show", "table", str(A.VGW_FALLBACK_TABLE)).stdout
        return [line.split(" via ")[1].split()[0] for line in out.splitlines() if line.startswith("172.16.0.0/16 ")]
    wait(lambda: fallback() == [t1_ip, t2_ip], bounds.ROUTES_FOLLOW, "the site's prefix in the VGW's fallback table via both tunnels",
         seen=fallback)
    # real packets: ESP bytes grow on tunnel 1's AWS end only
    boxes = {t["tunnel"]: Path(t["dir"]) for t in edge_tunnels(lab_env).values() if t["vpn"] == _vpn}
    before = {n: strongswan.tunnel_status(box)["bytes_in"] for n, box in boxes.items()}
    lan_host = lab_cli("status")["sites"]["site-bgp"]["lan_host"]
    assert netns(lan_host, "ping", "-c", "20", "-i", "0.05", "-W", "1", "-s", "1000", VPC_HOST).returncode == 0
    grew = {n: strongswan.tunnel_status(box)["bytes_in"] - before[n] for n, box in boxes.items()}
    assert grew[1] >= 20 * 1000 > grew[2], grew


def edge_tunnels(env):
    """The lab's AWS end of every tunnel (its state file): outside IP -> connection, tunnel, box."""
    return json.loads(Path(env["state_dir"], "state.json").read_text())["edge"]["tunnels"]


def test_static_route_added_is_followed_by_the_edge(lab_env):
    """CreateVpnConnectionRoute on site-static's connection: the lab's VGW router routes the new
    prefix over the same (tunnel 1) path as the connection's first route, and drops it with the route."""
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=lab_env["url"], region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    vpn = [c["vpn_connection_id"] for c in telemetry(lab_env["url"]) if c["customer_gateway_ip"] == SITES["site-static"][0]][0]
    vgw = bgp_device(lab_env)[1]

    def dev_of(dst):
        out = netns(vgw, "ip", "-o", "route", "get", dst).stdout
        return out.split(" dev ")[1].split()[0] if " dev " in out else None
    t1 = dev_of("172.17.0.1")
    assert t1, "the VGW routes site-static's first prefix"
    ec2.create_vpn_connection_route(VpnConnectionId=vpn, DestinationCidrBlock="172.19.0.0/16")
    try:
        wait(lambda: dev_of("172.19.0.1") == t1, bounds.ROUTES_FOLLOW, "the new static route on the VGW, via tunnel 1",
             seen=lambda: dev_of("172.19.0.1"))
    finally:
        ec2.delete_vpn_connection_route(VpnConnectionId=vpn, DestinationCidrBlock="172.19.0.0/16")
    wait(lambda: "172.19.0.0/16" not in netns(vgw, "ip", "route").stdout, bounds.ROUTES_FOLLOW, "the deleted route gone from the VGW")


def test_mtu_and_mss_clamp_on_tunnel_interfaces(lab_env):
    """The plan's MTU on both ends of each vti pair and its TCP MSS (1359) clamped in the device's table.

    1399/1359: aws_vpn's strong default allows AES256-CBC with SHA2-384/512 (AWS's your-cgw.md)."""
    for name in SITES:
        status = lab_cli("status")
        dev = status["sites"][name]["device"]
        for i in (1, 2):
            link = netns(dev, "ip", "-o", "link", "show", "dev", f"vti{i}").stdout
            assert " mtu 1399 " in link, link
        rules = netns(dev, "nft", "list", "chain", "ip", "sitevpn_strongswan", "mss").stdout
        # nftables 1.0 (Debian 12) prints the SYN match as "syn / syn,rst", 1.1 (Debian 13) as "& (syn | rst) == syn"
        rules = rules.replace("tcp flags & (syn | rst) == syn", "tcp flags syn / syn,rst")
        for i in (1, 2):
            for d in ("oifname", "iifname"):
                assert f'{d} "vti{i}" tcp flags syn / syn,rst tcp option maxseg size set 1359' in rules, rules
        box = [ns for ns in status["namespaces"] if ns.startswith(dev) and ns != dev]
        assert len(box) == 2, status["namespaces"]
        for ns in box:
            assert " mtu 1399 " in netns(ns, "ip", "-o", "link", "show", "dev", "in0").stdout


def test_tunnel_option_change_followed_by_both_ends(lab_env, record_property):
    """ModifyVpnTunnelOptions on tunnel 1 (AES256/SHA2-256/DH 14, new PSK): the lab's AWS edge
    follows by itself, configure_devices.yml makes the device follow with a reload (same charon),
    tunnel 1 is UP again with the new proposal, and the next run changes nothing."""
    env = lab_env
    dev, _vgw, vpn = bgp_device(env)
    conf = (Path("/etc/netns") / dev / "sitevpn-strongswan" / "tunnel1" / "swanctl.conf").read_text()
    peer = re.search(r"remote_addrs = (\S+)", conf).group(1)
    box = f"{dev}t1"
    pid_file = Path("/var/lib/sitevpn-strongswan") / box / "charon.pid"
    charon_pid = pid_file.read_text().strip()
    psk = "it_psk_modified_" + str(os.getpid())

    t0 = time.monotonic()
    mod = run_playbook("strongswan_modify/main.yml", env["url"],
                       extra_vars={"vpn_connection_id": vpn, "outside_ip": peer, "psk": psk})
    assert mod.rc == 0, mod.failures + mod.output
    assert psk not in mod.output

    # the AWS edge follows: its tunnel 1 is re-keyed and the device's old proposal no longer fits
    def edge_has_new_psk():
        return any(t["outside_ip"] == peer and t["psk"] == psk and "AES256" in str(t.get("phase1_encryption_algorithms"))
                   for c in telemetry(env["url"]) for t in c["tunnels"])

    wait(edge_has_new_psk, bounds.EDGE_FOLLOWS, "the lab API's data-plane view carries tunnel 1's new options")

    t1 = time.monotonic()
    run = configure(env)
    assert run.rc == 0, run.failures + run.output
    assert psk not in run.output
    tasks = changed_tasks(run.output)
    assert any("Load the strongSwan configuration" in t for t in tasks), tasks
    assert not any("Start charon" in t for t in tasks), tasks

    import boto3

    ec2 = boto3.client("ec2", endpoint_url=env["url"], region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")

    def tunnel1_up():
        conn = ec2.describe_vpn_connections(VpnConnectionIds=[vpn])["VpnConnections"][0]
        return [t for t in conn["VgwTelemetry"] if t["OutsideIpAddress"] == peer and t["Status"] == "UP"]

    wait(tunnel1_up, bounds.TUNNEL_NEGOTIATED, "tunnel 1 UP again in VgwTelemetry after the modify", interval=0.2)
    back_s = time.monotonic() - t0
    after_configure_s = time.monotonic() - t1

    uri = f"unix:///var/lib/sitevpn-strongswan/{box}/charon.vici"
    sas = netns(box, "swanctl", "--list-sas", "--uri", uri).stdout
    assert "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048" in sas, sas
    assert "ESP:AES_CBC-256/HMAC_SHA2_256_128" in sas, sas
    # the CHILD_SA of IKE_AUTH has no DH of its own: a rekey shows phase 2's group 14 (PFS) agreed with the edge
    assert netns(box, "swanctl", "--rekey", "--child", "tunnel1", "--uri", uri).returncode == 0
    wait(lambda: "ESP:AES_CBC-256/HMAC_SHA2_256_128/MODP_2048" in netns(box, "swanctl", "--list-sas", "--uri", uri).stdout,
         15, "tunnel 1's CHILD_SA rekeyed with AES_CBC-256/HMAC_SHA2_256_128/MODP_2048")
    # reloaded, not restarted: the same charon serves the tunnel
    assert pid_file.read_text().strip() == charon_pid

    again = configure(env)
    assert again.rc == 0, again.failures + again.output
    assert again.changed == {"site-bgp": 0, "site-static": 0}, changed_tasks(again.output)

    record_property("modify_tunnel1_up_s", round(back_s, 1))
    record_property("modify_tunnel1_up_after_configure_s", round(after_configure_s, 1))
    print(f"\nmodify: tunnel 1 UP {back_s:.1f}s after ModifyVpnTunnelOptions, {after_configure_s:.1f}s after configure started")


def teardown_devices(env, check=False):
    """playbooks/teardown.yml's device play only (the role's absent path in each device namespace)."""
    old = os.environ.get("ANSIBLE_RUN_TAGS")
    os.environ["ANSIBLE_RUN_TAGS"] = "devices"
    try:
        return run_playbook(ROOT / "playbooks" / "teardown.yml", env["url"], inventory=env["inventory"],
                            extra_vars={"sitevpn_lab_state_dir": str(env["state_dir"])}, check=check, timeout=300)
    finally:
        if old is None:
            os.environ.pop("ANSIBLE_RUN_TAGS")
        else:
            os.environ["ANSIBLE_RUN_TAGS"] = old


def alive(pid):
    """A live process (not a zombie: PID 1 here may not reap)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes() != b""
    except OSError:
        return False


def device_leftovers(devices):
    """What of roles/strongswan (and tunnel_event) is still on each device, by kind; empty when all is gone."""
    left = {}
    present = set(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout.split())
    for dev in devices:
        found = {
            "boxes": [b for b in (f"{dev}t1", f"{dev}t2") if b in present],
            "links": [ln for ln in ("o1", "o2", "vti1", "vti2")
                      if netns(dev, "ip", "link", "show", "dev", ln).returncode == 0],
            "nft": [t for t in ("ip sitevpn_strongswan", "inet sitevpn")
                    if t in netns(dev, "nft", "list", "tables").stdout],
            "routes": netns(dev, "ip", "-4", "route", "show", "proto", "77").stdout.split()
            + netns(dev, "ip", "-4", "route", "show", "proto", "bgp").stdout.split()
            + netns(dev, "ip", "-4", "route", "show", "proto", "static").stdout.split(),
            "files": sorted(str(p) for p in (Path("/etc/netns") / dev / "sitevpn-strongswan").rglob("*"))
            + [str(p) for p in (Path("/etc/frr") / dev, Path("/run/frr") / dev,
                                Path("/var/lib/sitevpn-strongswan") / dev,
                                Path("/var/lib/sitevpn-strongswan") / f"{dev}t1",
                                Path("/var/lib/sitevpn-strongswan") / f"{dev}t2") if p.exists()],
        }
        left.update({f"{dev} {k}": v for k, v in found.items() if v})
    return left


def test_rotate_keys_in_lockstep(lab_env, tmp_path):
    """playbooks/rotate_keys.yml (roles/lockstep): refused unless asked for; then every key changed on
    AWS and on the device (a configure run afterwards changes nothing), within the loss bounds."""
    env, reports = lab_env, tmp_path / "reports"
    before = lockstep_checks.keys(telemetry(env["url"]))
    sites = lab_cli("status")["sites"]
    ips = lockstep_checks.tunnel_ips({name: sites[name]["device"] for name in SITES})
    refused = lockstep_checks.day2(env, "rotate_keys.yml", reports, {"sitevpn_failover_test": False})
    assert refused.rc != 0 and "runs only when asked for" in refused.output, refused.output
    assert lockstep_checks.keys(telemetry(env["url"])) == before

    run = lockstep_checks.day2(env, "rotate_keys.yml", reports)
    assert run.rc == 0, run.failures + run.output
    after = lockstep_checks.keys(telemetry(env["url"]))
    assert set(after) == set(before) and all(after[ip] != before[ip] for ip in before), "every key changed"
    for site in SITES:
        rep = lockstep_checks.check_report(reports, site, "rotate_keys.json", ips[site], run.output,
                                           [*before.values(), *after.values()])
        print(f"\nrotate_keys {site}: lost {rep['lost']} in {rep['ended'] - rep['started']:.0f}s")
    again = configure(env)
    assert again.rc == 0 and again.total_changed == 0, changed_tasks(again.output)


def test_change_tunnel_options_in_lockstep(lab_env, tmp_path):
    """playbooks/change_tunnel_options.yml on both sites: DH group 20 on both tunnels, AWS and device,
    within the loss bounds (BGP: none; static: at most 1 s per direction)."""
    env, reports = lab_env, tmp_path / "reports"
    sites = lab_cli("status")["sites"]
    ips = lockstep_checks.tunnel_ips({name: sites[name]["device"] for name in SITES})
    run = lockstep_checks.day2(env, "change_tunnel_options.yml", reports, {"sitevpn_tunnel_options": lockstep_checks.NEW_OPTIONS})
    assert run.rc == 0, run.failures + run.output
    for t in (t for c in telemetry(env["url"]) for t in c["tunnels"]):
        assert t.get("phase1_dh_group_numbers") == [20] and t.get("phase2_dh_group_numbers") == [20], t
    for name in SITES:
        rep = lockstep_checks.check_report(reports, name, "change_tunnel_options.json", ips[name], run.output,
                                           lockstep_checks.keys(telemetry(env["url"])).values())
        print(f"\nchange_tunnel_options {name}: lost {rep['lost']} in {rep['ended'] - rep['started']:.0f}s")
        for i in (1, 2):
            box = f"{sites[name]['device']}t{i}"
            sas = netns(box, "swanctl", "--list-sas", "--uri", f"unix:///var/lib/sitevpn-strongswan/{box}/charon.vici").stdout
            assert "ECP_384" in sas, sas


def test_tunnel_maintenance_in_lockstep(lab_env, tmp_path):
    """playbooks/tunnel_maintenance.yml on both sites: maintenance announced on every tunnel through the
    lab's control API; all replaced (ReplaceVpnTunnel with ApplyPendingMaintenance restarts that tunnel's
    AWS end), per site the backup first, each drained first; all UP again, BGP Established, within the
    bounds (BGP: at most one ping lost per direction; static: at most 1 s)."""
    from lab.api.testing import LabAPI

    env, reports = lab_env, tmp_path / "reports"
    lab = LabAPI(env["url"])
    sites = lab_cli("status")["sites"]
    ips = lockstep_checks.tunnel_ips({name: sites[name]["device"] for name in SITES})
    vpns = {name: next(c["vpn_connection_id"] for c in telemetry(env["url"]) if c["customer_gateway_ip"] == cgw)
            for name, (cgw, _lan) in SITES.items()}
    for name in SITES:
        for ip in ips[name]:
            lab.maintenance(ip, vpn_connection_id=vpns[name], pending="Endpoint upgrade",
                            auto_applied_after="2031-05-01T02:00:00Z")
    before = {t["outside_ip"]: t["replacements"] for c in telemetry(env["url"]) for t in c["tunnels"]}

    run = lockstep_checks.day2(env, "tunnel_maintenance.yml", reports)
    assert run.rc == 0, run.failures + run.output
    after = {t["outside_ip"]: t["replacements"] for c in telemetry(env["url"]) for t in c["tunnels"]}
    every = [ip for name in SITES for ip in ips[name]]
    assert {ip: after[ip] - before[ip] for ip in every} == dict.fromkeys(every, 1), (before, after)
    ec2 = lab.client("ec2")
    for name in SITES:
        for ip in ips[name]:
            details = ec2.get_vpn_tunnel_replacement_status(VpnConnectionId=vpns[name],
                                                            VpnTunnelOutsideIpAddress=ip)["MaintenanceDetails"]
            assert "PendingMaintenance" not in details and details.get("LastMaintenanceApplied"), details
        now = ec2.describe_vpn_connections(VpnConnectionIds=[vpns[name]])["VpnConnections"][0]["VgwTelemetry"]
        assert sorted(t["Status"] for t in now) == ["UP", "UP"], now
        rep = lockstep_checks.check_report(reports, name, "tunnel_maintenance.json", ips[name], run.output,
                                           lockstep_checks.keys(telemetry(env["url"])).values(),
                                           steps=lockstep_checks.MAINTENANCE_STEPS, bgp_bound=1)
        assert sorted(rep["pending"]) == sorted(ips[name]) and rep["report_only"] is False
        assert [r["outside_ip"] for r in rep["replaced"]] == [ips[name][1], ips[name][0]], rep["replaced"]
        print(f"\ntunnel_maintenance {name}: lost {rep['lost']} in {rep['ended'] - rep['started']:.0f}s")
    assert bgp_established(sites["site-bgp"]["device"])


def test_drift_names_a_device_and_an_aws_change(lab_env, tmp_path):
    """playbooks/drift.yml on the BGP site, clean first; then behind the collection's back tunnel 2's IKE
    proposals rewritten on the device (AES-GCM dropped, swanctl --load-conns) and tunnel 2's phase 2 lifetime
    changed on AWS (ModifyVpnTunnelOptions): drift.json names both fields with both values and the wrong
    side. Both are put back afterwards, for the tests after this one."""
    from lab.api.testing import LabAPI

    env, reports = lab_env, tmp_path / "reports"
    dev, _vgw, vpn = bgp_device(env)
    t1, t2 = lockstep_checks.tunnel_ips({"site-bgp": dev})["site-bgp"]
    ec2 = LabAPI(env["url"]).client("ec2")

    def connection():
        return ec2.describe_vpn_connections(VpnConnectionIds=[vpn])["VpnConnections"][0]

    lifetimes = {o["OutsideIpAddress"]: o.get("Phase2LifetimeSeconds", 3600) for o in connection()["Options"]["TunnelOptions"]}
    lifetime = lifetimes[t2]
    # the inventory names the lifetime (and each tunnel by its outside IP), so that AWS has something to be wrong against
    desired = [{"outside_ip_address": ip, "phase2_lifetime_seconds": lifetimes[ip]} for ip in (t1, t2)]

    def drift():
        run = run_playbook(ROOT / "playbooks" / "drift.yml", env["url"], inventory=env["inventory"], limit="site-bgp",
                           timeout=300, extra_vars={"sitevpn_lab_state_dir": str(env["state_dir"]),
                                                    "drift_reports_dir": str(reports), "sitevpn_tunnel_options": desired})
        assert run.rc == 0, run.failures + run.output
        return json.loads((reports / "site-bgp" / "drift.json").read_text())

    def modify(seconds):
        wait(lambda: connection()["State"] == "available", bounds.EDGE_FOLLOWS, "the connection available")
        ec2.modify_vpn_tunnel_options(VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=t2,
                                      TunnelOptions={"Phase2LifetimeSeconds": seconds})
        wait(lambda: connection()["State"] == "available", bounds.EDGE_FOLLOWS, "the connection available again")

    conf = Path("/etc/netns") / dev / "sitevpn-strongswan" / "tunnel2" / "swanctl.conf"
    original = conf.read_text()

    def load(text):
        conf.write_text(text)
        proc = netns(dev, "swanctl", "--load-conns", "--file", "/etc/sitevpn-strongswan/tunnel2/swanctl.conf",
                     "--uri", f"unix:///var/lib/sitevpn-strongswan/{dev}t2/charon.vici")
        assert proc.returncode == 0, proc.stdout + proc.stderr

    clean = drift()
    assert clean["ok"] is True and clean["differences"] == [], clean

    # the AES-GCM proposal dropped: the device offers AES256 (CBC) only, which AWS still allows
    line = re.search(r"^\s*proposals = (\S+)$", original, re.M).group(1)
    narrowed = ",".join(p for p in line.split(",") if "gcm" not in p)
    assert narrowed and narrowed != line, line
    try:
        load(original.replace(f"proposals = {line}", f"proposals = {narrowed}"))
        modify(1800)
        rep = drift()
        by_field = {(d["tunnel"], d["field"]): d for d in rep["differences"]}
        assert set(by_field) == {(t2, "phase1_encryption_algorithms"), (t2, "phase2_lifetime_seconds")}, rep
        enc = by_field[(t2, "phase1_encryption_algorithms")]
        assert enc["wrong"] == "device" and enc["desired"] is None, enc
        assert enc["device"] and not any("GCM" in a for a in enc["device"]), enc
        assert set(enc["device"]) < set(enc["aws"]) and any("GCM" in a for a in enc["aws"]), enc
        life = by_field[(t2, "phase2_lifetime_seconds")]
        assert (life["desired"], life["aws"], life["wrong"]) == (lifetime, 1800, "aws"), life
        assert rep["ok"] is False and "2 differences" in (reports / "site-bgp" / "verify.html").read_text()
    finally:
        load(original)
        modify(lifetime)
        wait(lambda: any(t["outside_ip"] == t2 and t.get("phase2_lifetime_seconds") in (lifetime, None)
                         for c in telemetry(env["url"]) for t in c["tunnels"]), bounds.EDGE_FOLLOWS,
             "the lab's AWS edge carries tunnel 2's lifetime again")
        # two exchanges: the device's first may meet the edge's charon mid-reload (the lifetime put
        # back) and fail; its next keying try (keyingtries = 0) follows
        wait(lambda: len([t for t in connection()["VgwTelemetry"] if t["Status"] == "UP"]) == 2,
             2 * bounds.TUNNEL_NEGOTIATED, "both tunnels UP in VgwTelemetry after the restore", interval=0.2,
             seen=lambda: (connection()["VgwTelemetry"],
                           netns(dev, "swanctl", "--list-sas", "--uri", f"unix:///var/lib/sitevpn-strongswan/{dev}t2/charon.vici").stdout,
                           edge_view(env["state_dir"], t2)))
        wait(lambda: bgp_established(dev), bounds.BGP_ESTABLISHED, "both BGP sessions Established after the restore")


def edge_view(state_dir, outside_ip):
    """What the lab's AWS edge holds for one tunnel (its CHILD_SA and its BGP neighbour), the two
    things it reports UP from: for a timed-out wait's message."""
    from lab.dataplane import frr, strongswan
    from lab.dataplane.state import read

    try:
        edge = read(state_dir).data["edge"]
        rec = edge["tunnels"][outside_ip]
        peer = frr.bgp_neighbors(edge["gateways"][rec["gw"]]["ns"]).get(rec["cgw_inside_ip"])
        return {"sa": strongswan.tunnel_status(Path(rec["dir"])), "bgp": peer}
    except Exception as exc:  # a message helper: never hide the wait's own failure
        return f"edge not read: {exc!r}"


def test_teardown_removes_the_device_configuration(lab_env, record_property):
    """teardown.yml --tags devices: check mode changes nothing; then every charon and FRR daemon the
    role started is stopped (by pidfile), the crypto boxes, veths, nftables tables (the role's and
    tunnel_event's), routes, files and run directories are gone, the lab's own namespaces stay; a
    second run changes nothing."""
    env = lab_env
    sites = lab_cli("status")["sites"]
    devices = [sites[name]["device"] for name in SITES]
    pids = []
    for dev in devices:
        pids += [int(p.read_text()) for p in (Path("/var/lib/sitevpn-strongswan") / f"{dev}t1",
                                              Path("/var/lib/sitevpn-strongswan") / f"{dev}t2")
                 for p in [p / "charon.pid"]]
        pids += [int(p.read_text()) for p in (Path("/run/frr") / dev).glob("*.pid")]
    assert len(pids) >= 2 * (2 + 3) and all(alive(p) for p in pids), pids
    # what the tunnel_event role leaves on a device after an event
    bgp_dev = sites["site-bgp"]["device"]
    assert netns(bgp_dev, "nft", "add", "table", "inet", "sitevpn").returncode == 0
    assert netns(bgp_dev, "ip", "route", "add", "10.99.0.0/24", "dev", "lan0", "proto", "77").returncode == 0
    before = device_leftovers(devices)
    assert all(f"{dev} {k}" in before for dev in devices for k in ("boxes", "links", "nft", "files")), before

    t0 = time.monotonic()
    check = teardown_devices(env, check=True)
    assert check.rc == 0, check.failures + check.output
    check_s = time.monotonic() - t0
    assert check.changed["site-bgp"] > 0 and check.changed["site-static"] > 0, check.output
    assert device_leftovers(devices) == before and all(alive(p) for p in pids)

    t1 = time.monotonic()
    down = teardown_devices(env)
    assert down.rc == 0, down.failures + down.output
    down_s = time.monotonic() - t1
    assert device_leftovers(devices) == {}, down.output
    assert [p for p in pids if alive(p)] == []
    # the lab's device and LAN host namespaces are the lab's: lab down removes them
    present = our_namespaces()
    assert all(sites[name][k] in present for name in SITES for k in ("device", "lan_host")), present

    t2 = time.monotonic()
    again = teardown_devices(env)
    assert again.rc == 0, again.failures + again.output
    assert again.total_changed == 0, changed_tasks(again.output)
    again_s = time.monotonic() - t2
    for k, v in {"teardown_devices_check": check_s, "teardown_devices": down_s, "teardown_devices_again": again_s}.items():
        record_property(f"{k}_s", round(v, 1))
    print(f"\nteardown --tags devices: check {check_s:.1f}s, run {down_s:.1f}s, again {again_s:.1f}s")


def test_deleted_connection_is_torn_down_at_the_edge(lab_env):
    """DeleteVpnConnection behind the collection's back: the lab's agent removes AWS's end of both
    tunnels (their crypto boxes) and keeps the other connection's."""
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=lab_env["url"], region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    _dev, _vgw, vpn = bgp_device(lab_env)
    tunnels = json.loads(Path(lab_env["state_dir"], "state.json").read_text())["edge"]["tunnels"]
    gone = {t["ns"] for t in tunnels.values() if t["vpn"] == vpn}
    kept = {t["ns"] for t in tunnels.values() if t["vpn"] != vpn}
    assert len(gone) == 2 and len(kept) == 2, tunnels
    ec2.delete_vpn_connection(VpnConnectionId=vpn)
    wait(lambda: not gone & set(our_namespaces()), bounds.TUNNEL_NEGOTIATED, "AWS's end of the deleted VPN gone",
         seen=lambda: sorted(gone & set(our_namespaces())))
    assert kept <= set(our_namespaces())


def test_lab_down_leaves_nothing_even_without_the_agent(lab_env):
    assert our_namespaces(), "the lab should be up before this test"
    st = lab_state.read(str(lab_env["state_dir"]))
    recorded = [(r["pid"], r["start"]) for r in st.pids.values()]
    os.kill(st.pid_of("agent"), signal.SIGKILL)       # the agent died: down must not need it
    out = lab_cli("down")
    assert our_namespaces() == [], out
    assert not [pid for pid, start in recorded if lab_state.pid_alive(pid, start)]
    again = lab_cli("down")                                           # idempotent
    assert (again["killed"], again["namespaces"]) == ([], []), again
