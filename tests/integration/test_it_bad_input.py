"""Bad input is refused before any write, with a message naming the field (issue 9).

Every case runs against the lab API: the module cases in-process (a module-level harness: the
module's ``main()`` with real boto3 calls to the lab, exit/fail turned into exceptions), the role
cases as ``ansible-playbook playbooks/provision.yml`` on a generated inventory. For each case the
lab's request log (/_lab/requests) must show 0 write calls and the failure message must name the
field. All cases run once, in a module-scoped fixture (< 60 s); each is asserted on its own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.sitevpn.aws.plugins.modules import customer_gateway
from ansible_collections.sitevpn.aws.plugins.modules import vpn_connection
from ansible_collections.sitevpn.aws.plugins.modules import vpn_gateway

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODULES = {"customer_gateway": customer_gateway, "vpn_gateway": vpn_gateway, "vpn_connection": vpn_connection}
CGW = {"ip_address": "203.0.113.10", "bgp_asn": 65000}
VGW = {"name": "badinput-vgw"}
VPN = {"customer_gateway_id": "cgw-0123456789abcdef0", "vpn_gateway_id": "vgw-0123456789abcdef0", "wait": False}
KX_REQUIRED = [{"round": 1, "requirement": "required", "methods": [36]}]


def tun(**options):
    """vpn_connection args with one tunnel_options entry."""
    return dict(VPN, tunnel_options=[options])


# (case id, module, args, the field the message must name)
MODULE_CASES = [
    # customer_gateway: addresses and ASNs
    ("cgw-ip-octet-256", "customer_gateway", dict(CGW, ip_address="203.0.113.256"), "ip_address"),
    ("cgw-ip-text", "customer_gateway", dict(CGW, ip_address="not-an-ip"), "ip_address"),
    ("cgw-ip-v6", "customer_gateway", dict(CGW, ip_address="2001:db8::1"), "ip_address"),
    ("cgw-asn-0", "customer_gateway", dict(CGW, bgp_asn=0), "bgp_asn"),
    ("cgw-asn-4294967295", "customer_gateway", dict(CGW, bgp_asn=4294967295), "bgp_asn"),
    ("cgw-asn-negative", "customer_gateway", dict(CGW, bgp_asn=-1), "bgp_asn"),
    ("cgw-asn-text", "customer_gateway", dict(CGW, bgp_asn="sixty-five-thousand"), "bgp_asn"),
    # vpn_gateway: Amazon-side ASN
    ("vgw-asn-public", "vpn_gateway", dict(VGW, amazon_side_asn=100), "amazon_side_asn"),
    ("vgw-asn-0", "vpn_gateway", dict(VGW, amazon_side_asn=0), "amazon_side_asn"),
    ("vgw-asn-4294967295", "vpn_gateway", dict(VGW, amazon_side_asn=4294967295), "amazon_side_asn"),
    ("vgw-asn-text", "vpn_gateway", dict(VGW, amazon_side_asn="private"), "amazon_side_asn"),
    ("vgw-rt-detached", "vpn_gateway", dict(VGW, vpc_id="", route_table_ids=["rtb-0123456789abcdef0"]), "route_table_ids"),
    # vpn_connection: gateways, routes, connection options
    ("vpn-vgw-and-tgw", "vpn_connection", dict(VPN, transit_gateway_id="tgw-0123456789abcdef0"), "transit_gateway_id"),
    ("vpn-three-tunnels", "vpn_connection", dict(VPN, tunnel_options=[{}, {}, {}]), "tunnel_options"),
    ("vpn-route-bad-cidr", "vpn_connection", dict(VPN, static_routes_only=True, routes=["172.16.0.0/33"]), "routes"),
    ("vpn-route-overlap", "vpn_connection", dict(VPN, static_routes_only=True, routes=["172.16.0.0/16", "172.16.4.0/24"]), "routes"),
    ("vpn-route-bgp", "vpn_connection", dict(VPN, static_routes_only=False, routes=["172.16.0.0/16"]), "routes"),
    ("vpn-local-cidr", "vpn_connection", dict(VPN, local_ipv4_network_cidr="10.0.0.0/33"), "local_ipv4_network_cidr"),
    ("vpn-remote-cidr-v6", "vpn_connection", dict(VPN, remote_ipv4_network_cidr="fd00::/8"), "remote_ipv4_network_cidr"),
    ("vpn-acceleration-vgw", "vpn_connection", dict(VPN, enable_acceleration=True), "enable_acceleration"),
    # tunnel inside CIDRs
    ("inside-cidr-29", "vpn_connection", tun(tunnel_inside_cidr="169.254.10.0/29"), "tunnel_inside_cidr"),
    ("inside-cidr-reserved-0", "vpn_connection", tun(tunnel_inside_cidr="169.254.0.0/30"), "tunnel_inside_cidr"),
    ("inside-cidr-reserved-5", "vpn_connection", tun(tunnel_inside_cidr="169.254.5.0/30"), "tunnel_inside_cidr"),
    ("inside-cidr-reserved-169", "vpn_connection", tun(tunnel_inside_cidr="169.254.169.252/30"), "tunnel_inside_cidr"),
    ("inside-cidr-not-link-local", "vpn_connection", tun(tunnel_inside_cidr="10.0.0.0/30"), "tunnel_inside_cidr"),
    ("inside-cidr-host-bits", "vpn_connection", tun(tunnel_inside_cidr="169.254.10.1/30"), "tunnel_inside_cidr"),
    ("inside-cidr-text", "vpn_connection", tun(tunnel_inside_cidr="banana"), "tunnel_inside_cidr"),
    (
        "inside-cidr-twice",
        "vpn_connection",
        dict(VPN, tunnel_options=[{"tunnel_inside_cidr": "169.254.10.0/30"}, {"tunnel_inside_cidr": "169.254.10.0/30"}]),
        "tunnel_inside_cidr",
    ),
    ("inside-ipv6-not-126", "vpn_connection", tun(tunnel_inside_ipv6_cidr="fd00::/64"), "tunnel_inside_ipv6_cidr"),
    ("inside-ipv6-not-fd00", "vpn_connection", tun(tunnel_inside_ipv6_cidr="2001:db8::/126"), "tunnel_inside_ipv6_cidr"),
    # pre-shared keys
    ("psk-short", "vpn_connection", tun(pre_shared_key="abc1234"), "pre_shared_key"),
    ("psk-long", "vpn_connection", tun(pre_shared_key="a" * 65), "pre_shared_key"),
    ("psk-bad-chars", "vpn_connection", tun(pre_shared_key="bad-key!xyz"), "pre_shared_key"),
    ("psk-leading-0", "vpn_connection", tun(pre_shared_key="0abcdefgh"), "pre_shared_key"),
    # algorithms and DH groups
    ("p1-encryption-des", "vpn_connection", tun(phase1_encryption_algorithms=["DES"]), "phase1_encryption_algorithms"),
    ("p2-encryption-empty", "vpn_connection", tun(phase2_encryption_algorithms=[]), "phase2_encryption_algorithms"),
    ("p2-integrity-md5", "vpn_connection", tun(phase2_integrity_algorithms=["MD5"]), "phase2_integrity_algorithms"),
    ("p1-dh-5", "vpn_connection", tun(phase1_dh_group_numbers=[5]), "phase1_dh_group_numbers"),
    ("p2-dh-1", "vpn_connection", tun(phase2_dh_group_numbers=[1]), "phase2_dh_group_numbers"),
    ("p1-dh-25", "vpn_connection", tun(phase1_dh_group_numbers=[14, 25]), "phase1_dh_group_numbers"),
    # lifetimes, rekey, replay window, DPD, startup, IKE versions
    ("p1-lifetime-899", "vpn_connection", tun(phase1_lifetime_seconds=899), "phase1_lifetime_seconds"),
    ("p1-lifetime-28801", "vpn_connection", tun(phase1_lifetime_seconds=28801), "phase1_lifetime_seconds"),
    ("p2-lifetime-3601", "vpn_connection", tun(phase2_lifetime_seconds=3601), "phase2_lifetime_seconds"),
    (
        "p2-lifetime-not-below-p1",
        "vpn_connection",
        tun(phase1_lifetime_seconds=900, phase2_lifetime_seconds=900),
        "phase2_lifetime_seconds",
    ),
    ("p2-lifetime-text", "vpn_connection", tun(phase2_lifetime_seconds="an hour"), "phase2_lifetime_seconds"),
    ("rekey-margin-59", "vpn_connection", tun(rekey_margin_time_seconds=59), "rekey_margin_time_seconds"),
    (
        "rekey-margin-over-half",
        "vpn_connection",
        tun(phase2_lifetime_seconds=900, rekey_margin_time_seconds=451),
        "rekey_margin_time_seconds",
    ),
    ("rekey-fuzz-101", "vpn_connection", tun(rekey_fuzz_percentage=101), "rekey_fuzz_percentage"),
    ("rekey-fuzz-negative", "vpn_connection", tun(rekey_fuzz_percentage=-1), "rekey_fuzz_percentage"),
    ("replay-window-63", "vpn_connection", tun(replay_window_size=63), "replay_window_size"),
    ("replay-window-2049", "vpn_connection", tun(replay_window_size=2049), "replay_window_size"),
    ("dpd-timeout-29", "vpn_connection", tun(dpd_timeout_seconds=29), "dpd_timeout_seconds"),
    ("dpd-action-reset", "vpn_connection", tun(dpd_timeout_action="reset"), "dpd_timeout_action"),
    ("startup-action-begin", "vpn_connection", tun(startup_action="begin"), "startup_action"),
    ("ike-version-3", "vpn_connection", tun(ike_versions=["ikev3"]), "ike_versions"),
    ("unknown-tunnel-option", "vpn_connection", tun(dpd_interval=10), "dpd_interval"),
    ("outside-ip-bad", "vpn_connection", tun(outside_ip_address="198.51.100.300"), "outside_ip_address"),
    # additional key exchanges (RFC 9370)
    (
        "kx-with-ikev1-only",
        "vpn_connection",
        tun(ike_versions=["ikev1"], phase1_additional_key_exchanges=KX_REQUIRED),
        "phase1_additional_key_exchanges",
    ),
    (
        "kx-required-ikev1-allowed",
        "vpn_connection",
        tun(phase2_additional_key_exchanges=KX_REQUIRED),
        "phase2_additional_key_exchanges",
    ),
    (
        "kx-round-8",
        "vpn_connection",
        tun(ike_versions=["ikev2"], phase1_additional_key_exchanges=[{"round": 8, "requirement": "optional", "methods": [36]}]),
        "round",
    ),
    (
        "kx-round-twice",
        "vpn_connection",
        tun(ike_versions=["ikev2"], phase1_additional_key_exchanges=KX_REQUIRED + KX_REQUIRED),
        "round",
    ),
    (
        "kx-required-no-method",
        "vpn_connection",
        tun(ike_versions=["ikev2"], phase1_additional_key_exchanges=[{"round": 1, "requirement": "required", "methods": []}]),
        "methods",
    ),
    (
        "log-enabled-no-group",
        "vpn_connection",
        tun(log_options={"cloudwatch_log_options": {"log_enabled": True}}),
        "log_group_arn",
    ),
]

# Role cases: (case id, hosts {name: host vars}, the field the message must name). Every host is a
# good site unless its vars say otherwise.
GOOD_SITE = {"sitevpn_cgw_ip": "203.0.113.10", "sitevpn_bgp_asn": 65000, "sitevpn_prefixes": ["172.16.0.0/16"]}
ROLE_CASES = [
    (
        "role-overlapping-site-prefixes",
        {
            "site-a": GOOD_SITE,
            "site-b": {"sitevpn_cgw_ip": "203.0.113.20", "sitevpn_bgp_asn": 65001, "sitevpn_prefixes": ["172.16.4.0/24"]},
        },
        "prefixes",
    ),
    ("role-amazon-side-asn-public", {"site-a": dict(GOOD_SITE, sitevpn_amazon_side_asn=100)}, "amazon_side_asn"),
    ("role-amazon-side-asn-text", {"site-a": dict(GOOD_SITE, sitevpn_amazon_side_asn="private")}, "amazon_side_asn"),
    ("role-cgw-ip-bad", {"site-a": dict(GOOD_SITE, sitevpn_cgw_ip="203.0.113.256")}, "ip"),
    ("role-bgp-asn-0", {"site-a": dict(GOOD_SITE, sitevpn_bgp_asn=0)}, "asn"),
    ("role-bgp-asn-text", {"site-a": dict(GOOD_SITE, sitevpn_bgp_asn="my-asn")}, "asn"),
    ("role-vpc-cidr-bad", {"site-a": dict(GOOD_SITE, sitevpn_vpc_cidr="10.0.0.0/33")}, "cidr"),
    (
        "role-static-prefix-bad",
        {"site-a": dict(GOOD_SITE, sitevpn_static_routes_only=True, sitevpn_prefixes=["172.16.0.0/33"])},
        "prefixes",
    ),
    (
        "role-psk-short",
        {"site-a": dict(GOOD_SITE, sitevpn_tunnel_options=[{"pre_shared_key": "short"}])},
        "pre_shared_key",
    ),
]

# Cases the code under test does not refuse as it should: {case id: reason}, marked xfail(strict)
# so that a fix makes the suite say so. Empty: every case is refused before any write.
KNOWN_BUGS: dict[str, str] = {}


class _Exit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


def _raise_exit(self, **kwargs):
    raise _Exit(dict(kwargs, failed=False))


def _raise_fail(self, **kwargs):
    raise _Exit(dict(kwargs, failed=True))


def run_module_case(module, args, url):
    """The module's main() against the lab: (failed, msg)."""
    args = dict(args, endpoint_url=url, region="us-east-1", access_key="testing", secret_key="testing")
    with patch_module_args(args):
        try:
            MODULES[module].main()
        except _Exit as e:
            return e.result["failed"], str(e.result.get("msg", ""))
        except SystemExit as e:  # pragma: no cover - a module exiting without exit_json/fail_json
            return True, f"SystemExit({e.code})"
    return False, "the module returned without exit_json/fail_json"


def run_role_case(hosts, url, tmp_path):
    """playbooks/provision.yml on an inventory of these hosts: (failed, failure text)."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"sites": {"hosts": hosts}}))
    extra = {
        "sitevpn_aws_endpoint_url": url,
        "sitevpn_aws_region": "us-east-1",
        "sitevpn_aws_access_key": "testing",
        "sitevpn_aws_secret_key": "testing",
        "sitevpn_aws_wait_timeout": 20,
    }
    cmd = [str(BIN / "ansible-playbook"), str(ROOT / "playbooks" / "provision.yml"), "-i", str(inventory)]
    cmd += ["-e", json.dumps(extra)]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_STDOUT_CALLBACK", None)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    output = proc.stdout + proc.stderr
    # The failure text: from the first failed task (or the play error) on, without the recap.
    match = re.search(r"^(fatal:|failed:|ERROR|\[ERROR\])", output, re.M)
    text = output[match.start():] if match else ""
    text = text.split("PLAY RECAP", 1)[0]
    return proc.returncode != 0, text or output


@pytest.fixture(scope="module")
def outcomes(lab_api, tmp_path_factory, monkeypatch_module):
    """Every case run once: {case id: {"failed", "msg", "writes"}}."""
    for cls in (AnsibleAWSModule, basic.AnsibleModule):
        monkeypatch_module.setattr(cls, "exit_json", _raise_exit)
        monkeypatch_module.setattr(cls, "fail_json", _raise_fail)
    lab_api.reset()
    results = {}
    for case_id, module, args, dummy in MODULE_CASES:
        lab_api.clear_requests()
        failed, msg = run_module_case(module, args, lab_api.url)
        results[case_id] = {"failed": failed, "msg": msg, "writes": _writes(lab_api)}
    for case_id, hosts, dummy in ROLE_CASES:
        lab_api.clear_requests()
        failed, msg = run_role_case(hosts, lab_api.url, tmp_path_factory.mktemp(case_id))
        results[case_id] = {"failed": failed, "msg": msg, "writes": _writes(lab_api)}
        # A case the role did not refuse may have built something: start the next one clean.
        if results[case_id]["writes"]:
            lab_api.reset()
    lab_api.reset()
    return results


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _writes(lab):
    return [r["action"] for r in lab.requests()["requests"] if r["write"]]


def _params():
    cases = [(c[0], c[-1]) for c in MODULE_CASES] + [(c[0], c[-1]) for c in ROLE_CASES]
    return [
        pytest.param(case_id, field, id=case_id, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case_id])])
        if case_id in KNOWN_BUGS
        else pytest.param(case_id, field, id=case_id)
        for case_id, field in cases
    ]


def test_enough_cases():
    assert len(MODULE_CASES) + len(ROLE_CASES) >= 40
    assert len({c[0] for c in MODULE_CASES + ROLE_CASES}) == len(MODULE_CASES) + len(ROLE_CASES)


@pytest.mark.parametrize("case_id, field", _params())
def test_bad_input_refused_before_any_write(outcomes, case_id, field):
    result = outcomes[case_id]
    assert result["failed"], f"{case_id}: not refused: {result['msg'][:500]}"
    assert result["writes"] == [], f"{case_id}: write calls before the refusal: {result['writes']}"
    assert field in result["msg"], f"{case_id}: the message does not name {field!r}: {result['msg'][:800]}"
