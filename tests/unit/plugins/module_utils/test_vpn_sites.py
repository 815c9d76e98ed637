"""The batched AWS side (module_utils vpn_sites and vpn_site_batch): describes answered from one read
per kind, and per site the modules' planners against the lab API (in-process, its request log):
one bad site fails alone, check mode writes nothing, an idempotent re-run writes nothing and makes
the same number of calls for one site as for three."""

from __future__ import annotations

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_site_batch import ensure_hub
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_site_batch import ensure_site
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_site_batch import hub_params
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites import DescribeOnce
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites import SiteModule
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites import lab_vpc
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites import read_all

GATEWAYS = [
    {"CustomerGatewayId": "cgw-1", "State": "available", "IpAddress": "203.0.113.10", "Tags": [{"Key": "Name", "Value": "a"}]},
    {"CustomerGatewayId": "cgw-2", "State": "pending", "IpAddress": "203.0.113.20", "Tags": []},
]


class FakeEC2:
    """Answers describe_customer_gateways from GATEWAYS (filters ignored) and counts the calls."""

    def __init__(self):
        self.calls = []

    def describe_customer_gateways(self, **params):
        self.calls.append(("describe_customer_gateways", params))
        return {"CustomerGateways": [dict(g) for g in GATEWAYS]}

    def create_customer_gateway(self, **params):
        self.calls.append(("create_customer_gateway", params))
        return {"CustomerGateway": {"CustomerGatewayId": "cgw-new", "State": "available", "IpAddress": params["IpAddress"]}}


def flt(**values):
    return [{"Name": k.replace("_", "-"), "Values": v} for k, v in values.items()]


def test_describes_within_the_read_are_answered_locally():
    fake = FakeEC2()
    client = DescribeOnce(fake)
    client.read("describe_customer_gateways", {"state": ["pending", "available"]})
    assert len(fake.calls) == 1
    found = client.describe_customer_gateways(Filters=flt(state=["available"], ip_address=["203.0.113.10"]))
    assert [g["CustomerGatewayId"] for g in found["CustomerGateways"]] == ["cgw-1"]
    found = client.describe_customer_gateways(Filters=[*flt(state=["pending", "available"]), {"Name": "tag:Name", "Values": ["a"]}], aws_retry=True)
    assert [g["CustomerGatewayId"] for g in found["CustomerGateways"]] == ["cgw-1"]
    assert len(fake.calls) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"Filters": flt(ip_address=["203.0.113.10"])},  # wider than the read (no state)
        {"Filters": flt(state=["deleted"])},  # values outside the read's
        {"Filters": flt(state=["available"], bgp_asn=["65000"])},  # a filter not known here
        {"CustomerGatewayIds": ["cgw-1"]},  # by ID: AWS's word
    ],
)
def test_other_describes_go_to_aws(params):
    fake = FakeEC2()
    client = DescribeOnce(fake)
    client.read("describe_customer_gateways", {"state": ["pending", "available"]})
    client.describe_customer_gateways(**params)
    assert [c[0] for c in fake.calls] == ["describe_customer_gateways"] * 2


def test_a_created_resource_is_found_by_the_next_site():
    fake = FakeEC2()
    client = DescribeOnce(fake)
    client.read("describe_customer_gateways", {"state": ["pending", "available"]})
    client.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.30", aws_retry=True)
    found = client.describe_customer_gateways(Filters=flt(state=["available"], ip_address=["203.0.113.30"]))
    assert [g["CustomerGatewayId"] for g in found["CustomerGateways"]] == ["cgw-new"]
    assert [c[0] for c in fake.calls] == ["describe_customer_gateways", "create_customer_gateway"]


def site(n, **more):
    return dict(
        {"name": f"t-site{n}", "cgw_ip": f"203.0.113.{10 + n}", "bgp_asn": 65000 + n, "static_routes_only": n == 2,
         "prefixes": [f"172.16.{n}.0/24"], "tunnel_options": [], "pre_shared_key_storage": "Standard",
         "tags": {"Project": "t", "Site": f"site{n}"}},
        **more,
    )


def provision(lab, sites, check_mode=False):
    """What the action plugin does after the quota check: VPC, hub, sites; returns (hub, results, calls, writes)."""
    lab.clear_requests()
    client = DescribeOnce(lab.client("ec2"))
    read_all(client, "t-vgw")
    module = SiteModule({}, check_mode, "us-east-1")
    vpc = lab_vpc(client, module, "t", "10.0.0.0/16", {"Project": "t"})
    module.params = hub_params({"name_prefix": "t", "tags": {"Project": "t"}, "wait_timeout": 30}, vpc)
    hub = ensure_hub(client, module)
    options = {"check_mode": check_mode, "region": "us-east-1", "wait": False, "wait_timeout": 30}
    results = {n: ensure_site(client, s, hub, options, lambda: lab.client("secretsmanager")) for n, s in sites.items()}
    log = lab.requests()
    return hub, results, sum(log["counts"].values()), [r["action"] for r in log["requests"] if r["write"]]


def test_check_mode_writes_nothing(lab):
    dummy, results, dummy_calls, writes = provision(lab, {"site1": site(1), "site2": site(2)}, check_mode=True)
    assert writes == []
    for result in results.values():
        assert result["customer_gateway"]["changed"] and result["customer_gateway"]["customer_gateway_id"] is None
        assert result["vpn_connection"].get("skipped")


def test_one_bad_site_fails_alone_and_a_rerun_is_o_of_kinds(lab):
    lab.client("ec2").create_customer_gateway(
        Type="ipsec.1", IpAddress="198.51.100.99", BgpAsn=65099,
        TagSpecifications=[{"ResourceType": "customer-gateway", "Tags": [{"Key": "Name", "Value": "t-site3"}]}],
    )
    sites = {"site1": site(1), "site2": site(2), "site3": site(3)}
    hub, results, dummy_calls, writes = provision(lab, sites)
    assert results["site3"]["customer_gateway"]["failed"]
    assert results["site3"]["customer_gateway"]["msg"].startswith("name: customer gateway(s)")
    assert results["site3"]["vpn_connection"]["failed"]
    for name in ("site1", "site2"):
        vpn = results[name]["vpn_connection"]
        assert vpn["changed"] and vpn["vpn_connection"]["vpn_gateway_id"] == hub["vpn_gateway_id"]
        assert vpn["vpn_connection"]["customer_gateway_configuration"] and vpn["tunnels"][0]["pre_shared_key"]
    assert results["site2"]["vpn_connection"]["vpn_connection"]["routes"][0]["destination_cidr_block"] == "172.16.2.0/24"
    assert writes.count("CreateVpnConnection") == 2

    good = {"site1": site(1), "site2": site(2)}
    dummy, results, calls_two, writes = provision(lab, good)
    assert writes == [] and not any(r["customer_gateway"]["changed"] or r["vpn_connection"]["changed"] for r in results.values())
    dummy, dummy_results, calls_one, writes = provision(lab, {"site1": site(1)})
    # the reads of each kind (connections, customer gateways, VPN gateway, route tables by name,
    # route tables of the VPC for the propagation), whatever the number of sites
    assert writes == [] and calls_one == calls_two == 5


def test_a_bad_tunnel_option_fails_its_site_only(lab):
    sites = {"site1": site(1, tunnel_options=[{"phase1_lifetime_seconds": "soon"}]), "site2": site(2)}
    dummy, results, dummy_calls, dummy_writes = provision(lab, sites)
    assert results["site1"]["vpn_connection"]["failed"] and "tunnel_options" in results["site1"]["vpn_connection"]["msg"]
    assert results["site2"]["vpn_connection"]["changed"]
