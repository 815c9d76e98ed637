"""playbooks/provision.yml on inventories/lab against the lab API: one site first (API calls of a
first run and of an idempotent re-run, from the lab's request log), then both sites, check mode,
and removal with aws_vpn_state=absent."""

from __future__ import annotations

from sitevpn_playbook import LAB_VGW_SITES, run_playbook, writes

INVENTORY = LAB_VGW_SITES
# amazon.aws/community.aws modules on plain moto: 30 calls first, 14 on an idempotent re-run.
RERUN_BUDGET = 6


def provision(lab, check=False, limit=None, extra=None):
    run = run_playbook("provision/main.yml", lab.url, extra, check=check, inventory=INVENTORY, limit=limit)
    assert run.rc == 0, run.failures + run.output
    return run


def test_provision_one_site_then_both(lab, record_property):
    # Check mode on an empty account: reports the creations, writes nothing, does not fail.
    lab.clear_requests()
    assert provision(lab, check=True, limit="site-bgp").changed["site-bgp"] > 0
    assert writes(lab) == []

    lab.clear_requests()
    first = provision(lab, limit="site-bgp")
    assert first.changed["site-bgp"] > 0
    first_calls = sum(lab.requests()["counts"].values())

    lab.clear_requests()
    again = provision(lab, limit="site-bgp")
    assert again.total_changed == 0
    counts = lab.requests()["counts"]
    rerun_calls = sum(counts.values())
    assert writes(lab) == []
    assert rerun_calls <= RERUN_BUDGET, counts
    record_property("api_calls_first_run", first_calls)
    record_property("api_calls_rerun", rerun_calls)
    print(f"\nprovision one site: first run {first_calls} API calls, idempotent re-run {rerun_calls}: {counts}")

    # Both sites: only site-static's gateway and connection are new.
    lab.clear_requests()
    both = provision(lab)
    # one task per site reports its customer gateway and connection (sitevpn.aws.vpn_sites)
    assert both.changed == {"site-bgp": 0, "site-static": 1}
    assert sorted(writes(lab)) == ["CreateCustomerGateway", "CreateVpnConnection", "CreateVpnConnectionRoute"]

    conns = {c["customer_gateway_ip"]: c for c in lab.vpn_connections() if c["state"] in ("pending", "available")}
    assert set(conns) == {"203.0.113.10", "203.0.113.20"}
    assert (
        conns["203.0.113.10"]["static_routes_only"] is False
        and conns["203.0.113.10"]["customer_gateway_bgp_asn"] == 65000
    )
    assert conns["203.0.113.20"]["static_routes"] == ["172.17.0.0/16"]
    assert conns["203.0.113.10"]["vpn_gateway_id"] == conns["203.0.113.20"]["vpn_gateway_id"]
    tables = lab.client("ec2").describe_route_tables(Filters=[{"Name": "tag:Name", "Values": ["sitevpn-rt"]}])[
        "RouteTables"
    ]
    assert [p["GatewayId"] for p in tables[0]["PropagatingVgws"]] == [conns["203.0.113.10"]["vpn_gateway_id"]]

    # Both sites in place: check mode finds nothing to do and writes nothing.
    lab.clear_requests()
    assert provision(lab, check=True).total_changed == 0
    assert writes(lab) == []

    provision(lab, extra={"aws_vpn_state": "absent"})
    assert [c for c in lab.vpn_connections() if c["state"] != "deleted"] == []
    ec2 = lab.client("ec2")
    assert [g for g in ec2.describe_vpn_gateways()["VpnGateways"] if g["State"] != "deleted"] == []
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["sitevpn-vpc"]}])["Vpcs"] == []
