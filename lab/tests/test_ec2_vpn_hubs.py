"""Transit gateway VPN attachments, VPN Concentrators and GetActiveVpnTunnelStatus in the lab API
(issue 17): each AWS rule the lab enforces, with AWS's error code. API only: boto3 against a LabServer.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from lab.tests.ec2_helpers import customer_gateway_id, error_code


LAB_SETTINGS = {"state_delay_s": 0}  # resources reach their state at once


@pytest.fixture
def ec2(lab):
    return lab.client("ec2", max_attempts=1)


def _tgw(ec2, **options) -> dict:
    return ec2.create_transit_gateway(Description="hub", Options=dict({"AmazonSideAsn": 64600}, **options))["TransitGateway"]


def _attachment(ec2, vpn_id: str) -> dict:
    found = ec2.describe_transit_gateway_attachments(Filters=[{"Name": "resource-id", "Values": [vpn_id]}])["TransitGatewayAttachments"]
    assert len(found) == 1, found
    return found[0]


def _concentrator(ec2, tgw_id: str) -> str:
    return ec2.create_vpn_concentrator(Type="ipsec.1", TransitGatewayId=tgw_id)["VpnConcentrator"]["VpnConcentratorId"]


# --------------------------------------------------------------------------- transit gateway VPN attachments


def test_tgw_vpn_connection_gets_an_attachment_in_the_default_tables(ec2):
    tgw = _tgw(ec2)
    table = tgw["Options"]["AssociationDefaultRouteTableId"]
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2), TransitGatewayId=tgw["TransitGatewayId"])["VpnConnection"]
    attachment = _attachment(ec2, vpn["VpnConnectionId"])
    assert attachment["ResourceType"] == "vpn" and attachment["State"] == "available"
    assert attachment["Association"] == {"TransitGatewayRouteTableId": table, "State": "associated"}
    assoc = ec2.get_transit_gateway_route_table_associations(TransitGatewayRouteTableId=table)["Associations"]
    props = ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=table)["TransitGatewayRouteTablePropagations"]
    assert [a["TransitGatewayAttachmentId"] for a in assoc] == [attachment["TransitGatewayAttachmentId"]]
    assert [p["TransitGatewayAttachmentId"] for p in props] == [attachment["TransitGatewayAttachmentId"]]


def test_tgw_without_default_association_leaves_the_attachment_unassociated(ec2):
    tgw = _tgw(ec2, DefaultRouteTableAssociation="disable", DefaultRouteTablePropagation="disable")
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2), TransitGatewayId=tgw["TransitGatewayId"])["VpnConnection"]
    attachment = _attachment(ec2, vpn["VpnConnectionId"])
    assert "Association" not in attachment
    table = tgw["Options"]["AssociationDefaultRouteTableId"]
    assert ec2.get_transit_gateway_route_table_associations(TransitGatewayRouteTableId=table)["Associations"] == []


def _attached_vpn_and_second_table(ec2, default_key: str) -> tuple:
    """A TGW VPN attachment, the TGW's default table under default_key, and one more table."""
    tgw = _tgw(ec2)
    default = tgw["Options"][default_key]
    other = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw["TransitGatewayId"])["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2), TransitGatewayId=tgw["TransitGatewayId"])["VpnConnection"]
    att = _attachment(ec2, vpn["VpnConnectionId"])["TransitGatewayAttachmentId"]
    return default, other, vpn, att


def test_attachment_is_associated_with_one_route_table_at_a_time(ec2):
    default, other, vpn, att = _attached_vpn_and_second_table(ec2, "AssociationDefaultRouteTableId")
    with pytest.raises(ClientError) as exc:
        ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=other, TransitGatewayAttachmentId=att)
    assert error_code(exc) == "Resource.AlreadyAssociated"
    with pytest.raises(ClientError) as exc:
        ec2.disassociate_transit_gateway_route_table(TransitGatewayRouteTableId=other, TransitGatewayAttachmentId=att)
    assert error_code(exc) == "InvalidAssociation.NotFound"
    ec2.disassociate_transit_gateway_route_table(TransitGatewayRouteTableId=default, TransitGatewayAttachmentId=att)
    ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=other, TransitGatewayAttachmentId=att)
    assert _attachment(ec2, vpn["VpnConnectionId"])["Association"]["TransitGatewayRouteTableId"] == other


def test_propagation_twice_to_one_table_refused_and_several_tables_allowed(ec2):
    default, other, vpn, att = _attached_vpn_and_second_table(ec2, "PropagationDefaultRouteTableId")
    with pytest.raises(ClientError) as exc:
        ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=default, TransitGatewayAttachmentId=att)
    assert error_code(exc) == "TransitGatewayRouteTablePropagation.Duplicate"
    ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=other, TransitGatewayAttachmentId=att)
    ec2.disable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=default, TransitGatewayAttachmentId=att)
    props = ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=other)["TransitGatewayRouteTablePropagations"]
    assert [p["TransitGatewayAttachmentId"] for p in props] == [att]
    by_attachment = ec2.get_transit_gateway_attachment_propagations(TransitGatewayAttachmentId=att)["TransitGatewayAttachmentPropagations"]
    assert by_attachment == [{"TransitGatewayRouteTableId": other, "State": "enabled"}]
    with pytest.raises(ClientError) as exc:
        ec2.disable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=default, TransitGatewayAttachmentId=att)
    assert error_code(exc) == "InvalidRouteTablePropagation.NotFound"


def test_unknown_attachment_and_table_on_another_tgw(ec2):
    tgw, other_tgw = _tgw(ec2), _tgw(ec2)
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2), TransitGatewayId=tgw["TransitGatewayId"])["VpnConnection"]
    att = _attachment(ec2, vpn["VpnConnectionId"])["TransitGatewayAttachmentId"]
    with pytest.raises(ClientError) as exc:
        ec2.enable_transit_gateway_route_table_propagation(
            TransitGatewayRouteTableId=other_tgw["Options"]["PropagationDefaultRouteTableId"], TransitGatewayAttachmentId=att)
    assert error_code(exc) == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        ec2.associate_transit_gateway_route_table(
            TransitGatewayRouteTableId=tgw["Options"]["AssociationDefaultRouteTableId"], TransitGatewayAttachmentId="tgw-attach-0000000000000000")
    assert error_code(exc) == "InvalidTransitGatewayAttachmentID.NotFound"


def test_deleting_the_connection_removes_its_attachment_from_the_tables(ec2):
    tgw = _tgw(ec2)
    table = tgw["Options"]["AssociationDefaultRouteTableId"]
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2), TransitGatewayId=tgw["TransitGatewayId"])["VpnConnection"]
    ec2.delete_vpn_connection(VpnConnectionId=vpn["VpnConnectionId"])
    assert _attachment(ec2, vpn["VpnConnectionId"])["State"] == "deleted"
    assert ec2.get_transit_gateway_route_table_associations(TransitGatewayRouteTableId=table)["Associations"] == []


def test_transit_gateway_with_attachments_not_deleted_and_a_deleted_one_described(ec2):
    tgw = _tgw(ec2)["TransitGatewayId"]
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2), TransitGatewayId=tgw)["VpnConnection"]
    with pytest.raises(ClientError) as err:
        ec2.delete_transit_gateway(TransitGatewayId=tgw)
    assert error_code(err) == "IncorrectState"
    ec2.delete_vpn_connection(VpnConnectionId=vpn["VpnConnectionId"])
    assert ec2.delete_transit_gateway(TransitGatewayId=tgw)["TransitGateway"]["TransitGatewayId"] == tgw
    # AWS describes it, deleted, for a while (amazon.aws's transit_gateway_deleted waiter waits for that)
    assert [t["State"] for t in ec2.describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"]] == ["deleted"]
    for call in (lambda: ec2.delete_transit_gateway(TransitGatewayId=tgw),
                 lambda: ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2, 2), TransitGatewayId=tgw)):
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err) == "InvalidTransitGatewayID.NotFound"


def test_connection_moved_to_a_transit_gateway_gets_an_attachment_and_loses_it_moving_back(ec2):
    tgw = _tgw(ec2)
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2), VpnGatewayId=vgw)["VpnConnection"]["VpnConnectionId"]
    ec2.modify_vpn_connection(VpnConnectionId=vpn, TransitGatewayId=tgw["TransitGatewayId"])
    attachment = _attachment(ec2, vpn)
    assert attachment["TransitGatewayId"] == tgw["TransitGatewayId"] and attachment["State"] == "available"
    assert attachment["Association"]["TransitGatewayRouteTableId"] == tgw["Options"]["AssociationDefaultRouteTableId"]
    ec2.get_waiter("vpn_connection_available").wait(VpnConnectionIds=[vpn], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    ec2.modify_vpn_connection(VpnConnectionId=vpn, VpnGatewayId=vgw)
    found = ec2.describe_transit_gateway_attachments(Filters=[{"Name": "resource-id", "Values": [vpn]}])["TransitGatewayAttachments"]
    assert [a for a in found if a["State"] != "deleted"] == []


# --------------------------------------------------------------------------- VPN Concentrators


def test_concentrator_create_describe_delete(ec2):
    tgw = _tgw(ec2)
    made = ec2.create_vpn_concentrator(Type="ipsec.1", TransitGatewayId=tgw["TransitGatewayId"], TagSpecifications=[
        {"ResourceType": "vpn-concentrator", "Tags": [{"Key": "Name", "Value": "hub"}]}])["VpnConcentrator"]
    assert made["TransitGatewayId"] == tgw["TransitGatewayId"] and made["Type"] == "ipsec.1"
    assert made["Tags"] == [{"Key": "Name", "Value": "hub"}]
    attachment = ec2.describe_transit_gateway_attachments(
        TransitGatewayAttachmentIds=[made["TransitGatewayAttachmentId"]])["TransitGatewayAttachments"][0]
    assert attachment["ResourceType"] == "vpn-concentrator" and attachment["ResourceId"] == made["VpnConcentratorId"]
    found = ec2.describe_vpn_concentrators(Filters=[{"Name": "tag:Name", "Values": ["hub"]}])["VpnConcentrators"]
    assert [c["VpnConcentratorId"] for c in found] == [made["VpnConcentratorId"]] and found[0]["State"] == "available"
    assert ec2.describe_vpn_concentrators(Filters=[{"Name": "transit-gateway-id", "Values": ["tgw-other"]}])["VpnConcentrators"] == []
    assert ec2.delete_vpn_concentrator(VpnConcentratorId=made["VpnConcentratorId"])["Return"] is True
    assert ec2.describe_vpn_concentrators(VpnConcentratorIds=[made["VpnConcentratorId"]])["VpnConcentrators"][0]["State"] == "deleted"


def test_concentrator_needs_a_transit_gateway_and_type_ipsec1(ec2):
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_concentrator(Type="ipsec.1")
    assert error_code(exc) == "MissingParameter"
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_concentrator(Type="ipsec.1", TransitGatewayId="tgw-00000000000000000")
    assert error_code(exc) == "InvalidTransitGatewayID.NotFound"
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpn_concentrators(VpnConcentratorIds=["vpn-concentrator-0000"])
    assert error_code(exc) == "InvalidVpnConcentratorID.NotFound"


def test_concentrator_connection_is_bgp_only(ec2):
    conc = _concentrator(ec2, _tgw(ec2)["TransitGatewayId"])
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2), VpnConcentratorId=conc,
                                  Options={"StaticRoutesOnly": True, "LocalIpv4NetworkCidr": "10.1.0.0/24"})
    assert error_code(exc) == "InvalidParameterCombination"
    assert ec2.describe_vpn_connections()["VpnConnections"] == []


def test_concentrator_connection_is_on_its_transit_gateway_sharing_its_attachment(ec2):
    tgw = _tgw(ec2)["TransitGatewayId"]
    conc = _concentrator(ec2, tgw)
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2), VpnConcentratorId=conc,
                                    Options={"LocalIpv4NetworkCidr": "10.1.0.0/24"})["VpnConnection"]
    assert vpn["TransitGatewayId"] == tgw and vpn["VpnConcentratorId"] == conc
    attachments = ec2.describe_transit_gateway_attachments()["TransitGatewayAttachments"]
    assert [a["ResourceType"] for a in attachments] == ["vpn-concentrator"]  # no attachment of its own
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2, 2), VpnConcentratorId=conc,
                                  TransitGatewayId=_tgw(ec2)["TransitGatewayId"])
    assert error_code(exc) == "InvalidParameterValue"
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2, 2), VpnConcentratorId=conc,
                                  VpnGatewayId=vgw)
    assert error_code(exc) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as exc:  # in use
        ec2.delete_vpn_concentrator(VpnConcentratorId=conc)
    assert error_code(exc) == "IncorrectState"


def test_concentrator_sites_need_unique_cidrs(ec2):
    conc = _concentrator(ec2, _tgw(ec2)["TransitGatewayId"])
    ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2, 1), VpnConcentratorId=conc,
                              Options={"LocalIpv4NetworkCidr": "10.1.0.0/16"})
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2, 2), VpnConcentratorId=conc,
                                  Options={"LocalIpv4NetworkCidr": "10.1.2.0/24"})
    assert error_code(exc) == "InvalidParameterValue" and "10.1.0.0/16" in str(exc.value)
    with pytest.raises(ClientError) as exc:  # no CIDR: 0.0.0.0/0, which overlaps every site
        ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2, 3), VpnConcentratorId=conc)
    assert error_code(exc) == "InvalidParameterValue"
    ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2, 4), VpnConcentratorId=conc,
                              Options={"LocalIpv4NetworkCidr": "10.2.0.0/16"})


def test_concentrator_quota(lab, ec2):
    lab.set_settings({"quotas": {"vpn_connections_per_concentrator": 2}})
    conc = _concentrator(ec2, _tgw(ec2)["TransitGatewayId"])
    for n in (1, 2):
        ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2, n), VpnConcentratorId=conc,
                                  Options={"LocalIpv4NetworkCidr": f"10.{n}.0.0/16"})
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2, 3), VpnConcentratorId=conc,
                                  Options={"LocalIpv4NetworkCidr": "10.3.0.0/16"})
    assert error_code(exc) == "VpnConnectionLimitExceeded"


def test_unknown_concentrator_refused(ec2):
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2), VpnConcentratorId="vpn-concentrator-0000")
    assert error_code(exc) == "InvalidVpnConcentratorID.NotFound"


# --------------------------------------------------------------------------- GetActiveVpnTunnelStatus


def test_active_tunnel_status_is_the_first_proposal(ec2):
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    tunnel = {"Phase1EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}], "Phase1DHGroupNumbers": [{"Value": 21}, {"Value": 20}],
              "IKEVersions": [{"Value": "ikev2"}]}
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2), VpnGatewayId=vgw,
                                    Options={"TunnelOptions": [tunnel, {}]})["VpnConnection"]
    conn = ec2.describe_vpn_connections(VpnConnectionIds=[vpn["VpnConnectionId"]])["VpnConnections"][0]
    by_ip = {t["OutsideIpAddress"]: t for t in conn["Options"]["TunnelOptions"]}
    first = next(ip for ip, t in by_ip.items() if t.get("Phase1DHGroupNumbers"))
    status = ec2.get_active_vpn_tunnel_status(VpnConnectionId=vpn["VpnConnectionId"], VpnTunnelOutsideIpAddress=first)["ActiveVpnTunnelStatus"]
    assert (status["Phase1EncryptionAlgorithm"], status["Phase1DHGroup"], status["IkeVersion"]) == ("AES256-GCM-16", 21, "ikev2")
    assert status["Phase2EncryptionAlgorithm"] == "AES128" and status["ProvisioningStatus"] == "available"
    with pytest.raises(ClientError) as exc:
        ec2.get_active_vpn_tunnel_status(VpnConnectionId=vpn["VpnConnectionId"], VpnTunnelOutsideIpAddress="192.0.2.1")
    assert error_code(exc) == "InvalidParameterValue"


# --------------------------------------------------------------------------- reads of a transit gateway's tables


def test_route_tables_found_by_their_tags(ec2):
    tgw = _tgw(ec2)["TransitGatewayId"]
    spec = [{"ResourceType": "transit-gateway-route-table", "Tags": [{"Key": "Name", "Value": "sites"}]}]
    named = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw, TagSpecifications=spec)["TransitGatewayRouteTable"]

    def ids(*filters):
        found = ec2.describe_transit_gateway_route_tables(Filters=list(filters))["TransitGatewayRouteTables"]
        return sorted(t["TransitGatewayRouteTableId"] for t in found)

    tgw_filter = {"Name": "transit-gateway-id", "Values": [tgw]}
    assert len(ids(tgw_filter)) == 2  # the default table and the named one
    assert ids(tgw_filter, {"Name": "tag:Name", "Values": ["sites"]}) == [named["TransitGatewayRouteTableId"]]
    assert ids({"Name": "tag:Name", "Values": ["other"]}) == []
    assert ids({"Name": "tag-key", "Values": ["Name"]}) == [named["TransitGatewayRouteTableId"]]


def test_search_transit_gateway_routes_is_a_read(lab, ec2):
    tgw = _tgw(ec2)
    table = tgw["Options"]["AssociationDefaultRouteTableId"]
    lab.clear_requests()
    ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=table, Filters=[{"Name": "type", "Values": ["static"]}])
    log = lab.requests()
    assert log["counts"] == {"ec2:SearchTransitGatewayRoutes": 1} and log["writes"] == 0, log


def _routes(ec2, table, filters=None):
    spec = [{"Name": k, "Values": v} for k, v in (filters or {"state": ["active"]}).items()]
    return ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=table, Filters=spec)["Routes"]


def test_bgp_routes_learned_on_a_tgw_site_are_propagated_routes_of_its_table(lab, ec2):
    tgw = _tgw(ec2)
    table = tgw["Options"]["AssociationDefaultRouteTableId"]
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=customer_gateway_id(ec2),
                                    TransitGatewayId=tgw["TransitGatewayId"])["VpnConnection"]["VpnConnectionId"]
    attachment = _attachment(ec2, vpn)["TransitGatewayAttachmentId"]
    assert _routes(ec2, table) == []
    lab.bgp_routes(vpn, ["172.16.0.0/16"])
    [route] = _routes(ec2, table, {"type": ["propagated"]})
    assert route["DestinationCidrBlock"] == "172.16.0.0/16" and route["State"] == "active"
    assert route["TransitGatewayAttachments"] == [{"ResourceId": vpn, "ResourceType": "vpn", "TransitGatewayAttachmentId": attachment}]
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=table, DestinationCidrBlock="172.18.0.0/16",
                                     TransitGatewayAttachmentId=attachment)
    static = _routes(ec2, table, {"type": ["static"]})
    assert [(r["DestinationCidrBlock"], r["TransitGatewayAttachments"][0]["ResourceId"]) for r in static] == [("172.18.0.0/16", vpn)]
    assert {r["DestinationCidrBlock"] for r in _routes(ec2, table, {"attachment.resource-id": [vpn]})} == {"172.16.0.0/16", "172.18.0.0/16"}
    assert _routes(ec2, table, {"attachment.resource-id": ["vpn-00000000000000000"]}) == []
    # no propagation, no propagated route
    ec2.disable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=table, TransitGatewayAttachmentId=attachment)
    assert _routes(ec2, table, {"type": ["propagated"]}) == []


def test_search_routes_of_an_unknown_table_or_by_an_unknown_filter_refused(ec2):
    table = _tgw(ec2)["Options"]["AssociationDefaultRouteTableId"]
    with pytest.raises(ClientError) as err:
        _routes(ec2, "tgw-rtb-0123456789abcdef0")
    assert error_code(err) == "InvalidRouteTableID.NotFound"
    with pytest.raises(ClientError) as err:
        _routes(ec2, table, {"colour": ["blue"]})
    assert error_code(err) == "InvalidParameterValue"
