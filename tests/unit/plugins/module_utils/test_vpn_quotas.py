"""The run's plan against AWS's Site-to-Site VPN quotas (issue 17): counts, overrides, messages."""
from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.filter.vpn_quota_errors import vpn_quota_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_quotas import DEFAULT_QUOTAS, plan_quota_errors, quota_values


def sites(count, static=False, prefixes=1, first=0):
    return {
        f"s{i}": {"name": f"sitevpn-s{i}", "cgw_ip": f"203.0.113.{i + 1}", "bgp_asn": 65000,
                  "static": static, "prefixes": [f"10.{i}.{p}.0/24" for p in range(prefixes)]}
        for i in range(first, first + count)
    }


def conn(vgw, name, state="available"):
    return {"vpn_connection_id": f"vpn-{name}", "vpn_gateway_id": vgw, "state": state, "tags": {"Name": name}}


def test_eleven_sites_on_one_new_vgw_refused_with_the_issues_message():
    errors = plan_quota_errors({"hub": "sitevpn-vgw", "region": "us-east-1", "sites": sites(11)}, DEFAULT_QUOTAS)
    assert errors == ["11 sites on sitevpn-vgw exceeds 10 VPN connections per virtual private gateway; "
                      "use a transit gateway hub or ask AWS for more"]


def test_ten_sites_fit():
    assert plan_quota_errors({"hub": "vgw-1", "region": "us-east-1", "sites": sites(10)}, DEFAULT_QUOTAS) == []


def test_existing_connections_on_the_vgw_count_but_the_sites_own_do_not():
    existing = {"vpn_connections": [conn("vgw-1", "other-a"), conn("vgw-1", "other-b"), conn("vgw-1", "sitevpn-s0"),
                                    conn("vgw-2", "elsewhere"), conn("vgw-1", "gone", state="deleted")]}
    plan = {"hub": "vgw-1", "region": "us-east-1", "sites": sites(9)}
    errors = plan_quota_errors(plan, DEFAULT_QUOTAS, existing)
    assert errors == ["11 sites on vgw-1 exceeds 10 VPN connections per virtual private gateway; "
                      "use a transit gateway hub or ask AWS for more"]
    plan["sites"] = sites(8)
    assert plan_quota_errors(plan, DEFAULT_QUOTAS, existing) == []


def test_region_quotas_count_the_account():
    quotas = dict(DEFAULT_QUOTAS, vpn_connections_per_vgw=1000)
    existing = {
        "vpn_connections": [conn("vgw-9", f"x{i}") for i in range(45)],
        "customer_gateways": [{"ip_address": f"198.18.0.{i}", "bgp_asn": "65001", "tags": {}} for i in range(41)]
        + [{"ip_address": "203.0.113.1", "bgp_asn": "65000", "tags": {}}],  # s0's own, adopted: not counted
    }
    errors = plan_quota_errors({"hub": "vgw-1", "region": "eu-west-1", "sites": sites(10)}, quotas, existing)
    assert errors == [
        "55 sites in eu-west-1 exceeds 50 VPN connections per Region; spread the sites over Regions or ask AWS for more",
        "51 customer gateways in eu-west-1 exceeds 50 customer gateways per Region; delete unused customer gateways or ask AWS for more",
    ]


def test_static_routes_per_connection():
    plan = {"hub": "vgw-1", "region": "us-east-1", "sites": sites(1, static=True, prefixes=101)}
    assert plan_quota_errors(plan, DEFAULT_QUOTAS) == [
        "s0: 101 static routes exceeds 100 routes per VPN connection (static); summarise sitevpn_prefixes, use BGP or ask AWS for more"
    ]
    plan["sites"] = sites(1, static=False, prefixes=101)  # BGP: no static routes
    assert plan_quota_errors(plan, DEFAULT_QUOTAS) == []


def test_overrides_and_their_errors():
    quotas, errors = quota_values({"vpn_connections_per_vgw": 20})
    assert errors == [] and quotas["vpn_connections_per_vgw"] == 20 and quotas["vpn_connections_per_region"] == 50
    assert plan_quota_errors({"hub": "vgw-1", "region": "r", "sites": sites(11)}, quotas) == []
    assert quota_values({"vpn_connection_per_vgw": 20})[1][0].startswith("sitevpn_quotas: unknown quota 'vpn_connection_per_vgw'")
    assert quota_values({"vpn_connections_per_vgw": "ten"})[1] == [
        "sitevpn_quotas: vpn_connections_per_vgw must be a whole number of at least 1, got 'ten'"]
    assert quota_values([1])[1] == ["sitevpn_quotas: must be a dict of quota name -> count, got [1]"]


def test_filter_reads_the_hosts_sitevpn_variables():
    hostvars = {f"h{i}": {"sitevpn_cgw_ip": f"203.0.113.{i + 1}", "sitevpn_prefixes": [f"10.{i}.0.0/24"]} for i in range(11)}
    hostvars["h0"].update(sitevpn_static_routes_only="yes", sitevpn_prefixes=[f"10.0.{p}.0/24" for p in range(3)])
    errors = vpn_quota_errors(hostvars, sorted(hostvars), hub="lab-vgw", region="us-east-1", name_prefix="lab",
                              quotas={"routes_per_vpn_connection": 2})
    assert errors == [
        "11 sites on lab-vgw exceeds 10 VPN connections per virtual private gateway; use a transit gateway hub or ask AWS for more",
        "h0: 3 static routes exceeds 2 routes per VPN connection (static); summarise sitevpn_prefixes, use BGP or ask AWS for more",
    ]
    # the sites' own connections, found by the role's Name tag, are not counted twice
    run = [f"h{i}" for i in range(10)]
    existing = {"vpn_connections": [conn("vgw-1", f"lab-{host}") for host in run]}
    assert vpn_quota_errors(hostvars, run, hub="vgw-1", region="r", name_prefix="lab", existing=existing) == []
    # a connection of a site that left the inventory still holds its place on the gateway
    existing["vpn_connections"].append(conn("vgw-1", "lab-h10"))
    assert len(vpn_quota_errors(hostvars, run, hub="vgw-1", region="r", name_prefix="lab", existing=existing)) == 1


def test_filter_counts_each_site_on_its_hub():
    hostvars = {f"s{i:02d}": {"sitevpn_cgw_ip": f"203.0.113.{i + 1}"} for i in range(11)}
    run = sorted(hostvars)
    assert vpn_quota_errors(hostvars, run, hub="lab-vgw", region="r", name_prefix="lab") == [
        "11 sites on lab-vgw exceeds 10 VPN connections per virtual private gateway; use a transit gateway hub or ask AWS for more"]
    for values in hostvars.values():
        values["sitevpn_hub"] = {"type": "transit_gateway"}
    assert vpn_quota_errors(hostvars, run, hub="lab-vgw", region="r", name_prefix="lab") == []
