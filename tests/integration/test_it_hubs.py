"""Hub types of the aws_vpn role (issue 17), API only: 11 sites are refused on one VPN gateway before
any AWS call and provisioned on a transit gateway hub (every connection on it, each attachment
associated with and propagating into its route table, the static site's prefix a static route
there, the VPC's route table routing the site prefixes to it); a second run changes nothing; a
VPN concentrator hub with a static site is refused before any write, one with BGP sites provisions;
teardown removes the transit gateway hub; a site moves to a transit gateway hub in place beside a
site that stays on the VPN gateway (two hubs in one inventory)."""

from __future__ import annotations

import yaml

from tests.integration.sitevpn_playbook import ROOT, run_playbook, writes

PLAYBOOK = ROOT / "playbooks" / "provision.yml"
EXTRA = {"sitevpn_aws_region": "us-east-1", "sitevpn_vpc_cidr": "10.0.0.0/16", "sitevpn_aws_access_key": "testing", "sitevpn_aws_secret_key": "testing",
         "sitevpn_name_prefix": "hub", "sitevpn_aws_wait_timeout": 30}
STATIC = "site00"


def _inventory(tmp_path, hub=None, count=11):
    hosts = {
        f"site{i:02d}": {"sitevpn_cgw_ip": f"203.0.113.{i + 10}", "sitevpn_bgp_asn": 65001 + i, "sitevpn_prefixes": [f"10.{i + 50}.0.0/24"]}
        for i in range(count)
    }
    hosts[STATIC]["sitevpn_static_routes_only"] = True
    group = {"hosts": hosts}
    if hub is not None:
        group["vars"] = {"sitevpn_hub": hub}
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"sites": group}))
    return path


def concentrator_tgw(ec2, concentrator):
    return ec2.describe_transit_gateways(TransitGatewayIds=[concentrator["TransitGatewayId"]])["TransitGateways"][0]


def _live(items):
    return [i for i in items if i["State"] in ("pending", "available")]


def test_eleven_sites_refused_on_a_vgw_and_provisioned_on_a_transit_gateway(lab, tmp_path):
    lab.clear_requests()
    run = run_playbook(PLAYBOOK, lab.url, EXTRA, inventory=_inventory(tmp_path))
    assert run.rc != 0
    assert ("11 sites on hub-vgw exceeds 10 VPN connections per virtual private gateway; "
            "use a transit gateway hub or ask AWS for more") in run.output, run.output[-3000:]
    assert writes(lab) == []

    inventory = _inventory(tmp_path, {"type": "transit_gateway", "amazon_side_asn": 64513, "ecmp": True})
    lab.clear_requests()
    run = run_playbook(PLAYBOOK, lab.url, EXTRA, inventory=inventory, check=True, diff=True)
    assert run.rc == 0 and run.changed["site03"] > 0, run.output[-3000:]
    assert writes(lab) == []
    run = run_playbook(PLAYBOOK, lab.url, EXTRA, inventory=inventory)
    assert run.rc == 0, run.failures + run.output[-3000:]
    ec2 = lab.client("ec2")
    tgws = _live(ec2.describe_transit_gateways()["TransitGateways"])
    assert len(tgws) == 1 and tgws[0]["Options"]["AmazonSideAsn"] == 64513
    tgw = tgws[0]["TransitGatewayId"]
    table = tgws[0]["Options"]["AssociationDefaultRouteTableId"]
    conns = _live(ec2.describe_vpn_connections()["VpnConnections"])
    assert len(conns) == 11 and {c.get("TransitGatewayId") for c in conns} == {tgw} and not any(c.get("VpnGatewayId") for c in conns)
    assert _live(ec2.describe_vpn_gateways()["VpnGateways"]) == []
    attachments = ec2.describe_transit_gateway_attachments(
        Filters=[{"Name": "resource-type", "Values": ["vpn"]}])["TransitGatewayAttachments"]
    assert sorted(a["ResourceId"] for a in attachments) == sorted(c["VpnConnectionId"] for c in conns)
    assert {a["Association"]["TransitGatewayRouteTableId"] for a in attachments} == {table}
    propagating = ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=table)["TransitGatewayRouteTablePropagations"]
    assert {p["TransitGatewayAttachmentId"] for p in propagating} >= {a["TransitGatewayAttachmentId"] for a in attachments}
    static = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=table, Filters=[{"Name": "type", "Values": ["static"]}])["Routes"]
    assert [r["DestinationCidrBlock"] for r in static] == ["10.50.0.0/24"]
    assert ec2.describe_transit_gateway_vpc_attachments()["TransitGatewayVpcAttachments"][0]["TransitGatewayId"] == tgw
    tables = ec2.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": ["hub-rt"]}])["RouteTables"]
    to_tgw = {r["DestinationCidrBlock"] for t in tables for r in t["Routes"] if r.get("TransitGatewayId") == tgw}
    assert to_tgw == {f"10.{i + 50}.0.0/24" for i in range(11)}

    # the second run through a playbook that shows what the device roles get of the hub
    playbook = tmp_path / "provision_and_show.yml"
    playbook.write_text(yaml.safe_dump([
        {"import_playbook": str(PLAYBOOK)},
        {"name": "Show the hub", "hosts": "site00", "gather_facts": False, "tasks": [{"ansible.builtin.debug": {
            "msg": "HUB {{ [sitevpn_vpn_connection.hub_type, sitevpn_vpn_connection.transit_gateway_id,"
                   " sitevpn_vpn_connection.transit_gateway_route_table_id, sitevpn_vpn_connection.amazon_side_asn] | join(' ') }}"}}]},
    ]))
    lab.clear_requests()
    run = run_playbook(playbook, lab.url, EXTRA, inventory=inventory)
    assert run.rc == 0 and run.total_changed == 0, run.output[-3000:]
    assert f"HUB transit_gateway {tgw} {table} 64513" in run.output, run.output[-3000:]
    # the lab's request log counts every action not named Describe/Get/List as a write: Search* reads
    assert [w for w in writes(lab) if not w.startswith("Search")] == []
    assert sum(lab.requests()["counts"].values()) <= 12, lab.requests()["counts"]


def test_concentrator_with_a_static_site_refused_before_any_call(lab, tmp_path):
    lab.clear_requests()
    run = run_playbook(PLAYBOOK, lab.url, EXTRA, inventory=_inventory(tmp_path, {"type": "vpn_concentrator"}, count=2))
    assert run.rc != 0
    assert (f"{STATIC}: sitevpn_static_routes_only: the sites of VPN concentrator hub hub-vpnc use BGP only") in run.output, run.output[-3000:]
    assert lab.requests()["counts"] == {}


def test_concentrator_hub_provisions_bgp_sites(lab, tmp_path):
    path = _inventory(tmp_path, {"type": "vpn_concentrator", "route_table": "hub-sites"}, count=3)
    inventory = yaml.safe_load(path.read_text())
    inventory["sites"]["hosts"][STATIC]["sitevpn_static_routes_only"] = False
    path.write_text(yaml.safe_dump(inventory))
    run = run_playbook(PLAYBOOK, lab.url, EXTRA, inventory=path)
    assert run.rc == 0, run.failures + run.output[-3000:]
    ec2 = lab.client("ec2")
    concentrators = _live(ec2.describe_vpn_concentrators()["VpnConcentrators"])
    assert len(concentrators) == 1
    concentrator = concentrators[0]
    conns = _live(ec2.describe_vpn_connections()["VpnConnections"])
    assert len(conns) == 3 and {c.get("TransitGatewayId") for c in conns} == {concentrator["TransitGatewayId"]}
    assert {c.get("VpnConcentratorId") for c in conns} == {concentrator["VpnConcentratorId"]}
    assert sorted(c["Options"]["LocalIpv4NetworkCidr"] for c in conns) == [f"10.{i + 50}.0.0/24" for i in range(3)]
    # the lab ignores a tag filter on DescribeTransitGatewayRouteTables: by the tag here
    table, = [t["TransitGatewayRouteTableId"] for t in ec2.describe_transit_gateway_route_tables()["TransitGatewayRouteTables"]
              if {"Key": "Name", "Value": "hub-sites"} in t.get("Tags", [])]
    assert table != concentrator_tgw(ec2, concentrator)["Options"]["AssociationDefaultRouteTableId"]
    attachment = ec2.describe_transit_gateway_attachments(
        TransitGatewayAttachmentIds=[concentrator["TransitGatewayAttachmentId"]])["TransitGatewayAttachments"][0]
    assert attachment["Association"]["TransitGatewayRouteTableId"] == table
    propagating = ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=table)["TransitGatewayRouteTablePropagations"]
    assert concentrator["TransitGatewayAttachmentId"] in {p["TransitGatewayAttachmentId"] for p in propagating}

    lab.clear_requests()
    run = run_playbook(PLAYBOOK, lab.url, EXTRA, inventory=path)
    assert run.rc == 0 and run.total_changed == 0, run.output[-3000:]


def test_teardown_removes_the_transit_gateway_hub(lab, tmp_path):
    inventory = _inventory(tmp_path, {"type": "transit_gateway"}, count=2)
    run = run_playbook(PLAYBOOK, lab.url, EXTRA, inventory=inventory)
    assert run.rc == 0, run.failures + run.output[-3000:]
    ec2 = lab.client("ec2")
    # a transit gateway of someone else's with the hub's name stays (not the collection's tags)
    other = ec2.create_transit_gateway(TagSpecifications=[{"ResourceType": "transit-gateway", "Tags": [{"Key": "Name", "Value": "hub-tgw"}]}])
    run = run_playbook(PLAYBOOK, lab.url, dict(EXTRA, aws_vpn_state="absent"), inventory=inventory)
    assert run.rc == 0, run.failures + run.output[-3000:]
    assert _live(ec2.describe_vpn_connections()["VpnConnections"]) == []
    assert _live(ec2.describe_customer_gateways()["CustomerGateways"]) == []
    assert [a for a in ec2.describe_transit_gateway_vpc_attachments()["TransitGatewayVpcAttachments"] if a["State"] != "deleted"] == []
    assert [t["TransitGatewayId"] for t in _live(ec2.describe_transit_gateways()["TransitGateways"])] == [other["TransitGateway"]["TransitGatewayId"]]
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["hub-vpc"]}])["Vpcs"] == []


def test_one_site_moves_to_a_transit_gateway_hub_in_place_beside_the_vpn_gateway(lab, tmp_path):
    inventory = _inventory(tmp_path, count=2)
    run = run_playbook(PLAYBOOK, lab.url, EXTRA, inventory=inventory)
    assert run.rc == 0, run.failures + run.output[-3000:]
    ec2 = lab.client("ec2")
    before = {c["VpnConnectionId"]: c for c in _live(ec2.describe_vpn_connections()["VpnConnections"])}
    assert len(before) == 2 and all(c.get("VpnGatewayId") for c in before.values())

    # two hubs in one inventory: site00's group on a transit gateway, site01's still on the VPN gateway
    hosts = yaml.safe_load(inventory.read_text())["sites"]["hosts"]
    inventory.write_text(yaml.safe_dump({"sites": {"children": {
        "east": {"hosts": {"site00": hosts["site00"]}, "vars": {"sitevpn_hub": {"type": "transit_gateway"}}},
        "west": {"hosts": {"site01": hosts["site01"]}},
    }}}))
    run = run_playbook(PLAYBOOK, lab.url, EXTRA, inventory=inventory)
    assert run.rc == 0, run.failures + run.output[-3000:]
    tgw = _live(ec2.describe_transit_gateways()["TransitGateways"])[0]["TransitGatewayId"]
    after = {c["VpnConnectionId"]: c for c in _live(ec2.describe_vpn_connections()["VpnConnections"])}
    # the same connections (IDs, tunnel addresses); site00's now on the transit gateway
    assert sorted(after) == sorted(before)
    on = {dict((t["Key"], t["Value"]) for t in c["Tags"])["Site"]: (c.get("TransitGatewayId"), c.get("VpnGatewayId")) for c in after.values()}
    assert on["site00"] == (tgw, None) and on["site01"][0] is None and on["site01"][1].startswith("vgw-")
    outside = {i: sorted(t["OutsideIpAddress"] for t in c["Options"]["TunnelOptions"]) for i, c in before.items()}
    assert {i: sorted(t["OutsideIpAddress"] for t in c["Options"]["TunnelOptions"]) for i, c in after.items()} == outside
    run = run_playbook(PLAYBOOK, lab.url, EXTRA, inventory=inventory)
    assert run.rc == 0 and run.total_changed == 0, run.output[-3000:]
