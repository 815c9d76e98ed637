# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A transit gateway hub (vpn_hubs): the transit gateway, its VPC attachment, the VPC's routes to it,
its route table, and each site's attachment routing in that table (association, propagation,
static routes). In the controller's batch (action plugin ``vpn_sites``): one describe per kind per
hub, whatever the number of sites.

Wrappers raise ``AnsibleEC2Error``; a request to refuse raises ``VpnError``; the caller decides.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_calls import create_call
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_calls import describe_call
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import LIVE_STATES
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import tags_of
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_attachments import describe_transit_gateway_attachments
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_attachments import ensure_attachment_routing
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import AMAZON_SIDE_ASN_DEFAULT

_ATTACHMENT_LIVE = ("initiating", "pendingAcceptance", "pending", "available", "modifying")


class EC2TransitGatewayHubErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEC2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["InvalidTransitGatewayID.NotFound", "InvalidRouteTableID.NotFound", "InvalidSubnetID.NotFound"])


_H = EC2TransitGatewayHubErrorHandler
describe_transit_gateways = describe_call(_H, "describe_transit_gateways", "TransitGateways")
create_transit_gateway = create_call(_H, "create_transit_gateway", "TransitGateway")
modify_transit_gateway = create_call(_H, "modify_transit_gateway", "TransitGateway")
describe_vpc_attachments = describe_call(_H, "describe_transit_gateway_vpc_attachments", "TransitGatewayVpcAttachments")
create_vpc_attachment = create_call(_H, "create_transit_gateway_vpc_attachment", "TransitGatewayVpcAttachment")
describe_tgw_route_tables = describe_call(_H, "describe_transit_gateway_route_tables", "TransitGatewayRouteTables")
create_tgw_route_table = create_call(_H, "create_transit_gateway_route_table", "TransitGatewayRouteTable")
table_propagations = describe_call(_H, "get_transit_gateway_route_table_propagations", "TransitGatewayRouteTablePropagations")
search_tgw_routes = describe_call(_H, "search_transit_gateway_routes", "Routes")
create_tgw_route = create_call(_H, "create_transit_gateway_route", "Route")
replace_tgw_route = create_call(_H, "replace_transit_gateway_route", "Route")
describe_subnets = describe_call(_H, "describe_subnets", "Subnets")
create_subnet = create_call(_H, "create_subnet", "Subnet")
describe_vpcs = describe_call(_H, "describe_vpcs", "Vpcs")
describe_route_tables = describe_call(_H, "describe_route_tables", "RouteTables")
create_route = create_call(_H, "create_route", "Return")

# hub option -> transit gateway option (CreateTransitGateway / ModifyTransitGateway)
_OPTIONS = (
    ("ecmp", "VpnEcmpSupport"),
    ("dns", "DnsSupport"),
    ("default_route_table_association", "DefaultRouteTableAssociation"),
    ("default_route_table_propagation", "DefaultRouteTablePropagation"),
)


def _filters(values: Dict[str, Any]):
    return ansible_dict_to_boto3_filter_list(values)


def _wait(describe, key: str, resource_id: str, timeout: int) -> Dict[str, Any]:
    """Poll a new resource until available (no botocore waiter takes these on every version)."""
    deadline = time.monotonic() + timeout
    while True:
        found = describe(**{key: [resource_id]})
        if found and found[0].get("State") == "available":
            return found[0]
        if time.monotonic() + 2 > deadline:
            raise VpnError(f"{resource_id} is not available after {timeout} s")
        time.sleep(2)


def tgw_view(tgw: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    if not tgw:
        return {}
    options = tgw.get("Options") or {}
    view = {"transit_gateway_id": tgw.get("TransitGatewayId"), "amazon_side_asn": options.get("AmazonSideAsn"), "tags": tags_of(tgw)}
    view.update({hub_key: options.get(api) == "enable" for hub_key, api in _OPTIONS})
    return view


def _option_values(config: Dict[str, Any], keys) -> Dict[str, str]:
    return {api: "enable" if config[hub_key] else "disable" for hub_key, api in _OPTIONS if hub_key in keys}


def ensure_transit_gateway(client, module, config: Dict[str, Any], tags: Dict[str, str]) -> Tuple[bool, Dict[str, Any], Dict[str, Any]]:
    """The hub's transit gateway, adopted by ID or Name tag, else created: (changed, transit gateway, diff).

    An adopted one keeps its tags and gets only the options the inventory sets; its ASN cannot change.
    """
    if config.get("transit_gateway_id"):
        found = describe_transit_gateways(client, TransitGatewayIds=[config["transit_gateway_id"]])
        found = [t for t in found if t.get("State") in LIVE_STATES]
        if not found:
            raise VpnError(f"sitevpn_hub.transit_gateway_id: {config['transit_gateway_id']} is not a live transit gateway")
    else:
        found = describe_transit_gateways(client, Filters=_filters({"tag:Name": config["transit_gateway_name"], "state": list(LIVE_STATES)}))
        # the filters again here: the lab ignores some
        found = [t for t in found if tags_of(t).get("Name") == config["transit_gateway_name"] and t.get("State") in LIVE_STATES]
        if len(found) > 1:
            ids = ", ".join(sorted(t["TransitGatewayId"] for t in found))
            raise VpnError(f"several transit gateways are named {config['transit_gateway_name']} ({ids}): give sitevpn_hub.transit_gateway_id")
    timeout = int(module.params.get("wait_timeout", 900))
    if found:
        tgw = found[0]
        asn = (tgw.get("Options") or {}).get("AmazonSideAsn")
        if config.get("amazon_side_asn") is not None and int(config["amazon_side_asn"]) != int(asn or 0):
            raise VpnError(f"sitevpn_hub.amazon_side_asn: {config['amazon_side_asn']} differs from {tgw['TransitGatewayId']}'s {asn}; "
                           "a transit gateway in use keeps its ASN: set {asn} or use another hub".replace("{asn}", str(asn)))
        wanted = _option_values(config, config.get("given") or ())
        options = tgw.get("Options") or {}
        change = {api: value for api, value in wanted.items() if options.get(api) != value}
        if not change:
            return False, tgw, {"before": tgw_view(tgw), "after": tgw_view(tgw)}
        after = dict(tgw, Options=dict(options, **change))
        if not module.check_mode:
            modify_transit_gateway(client, TransitGatewayId=tgw["TransitGatewayId"], Options=change)
        return True, after, {"before": tgw_view(tgw), "after": tgw_view(after)}
    options = _option_values(config, [k for k, dummy in _OPTIONS])
    options["AmazonSideAsn"] = int(config.get("amazon_side_asn") or AMAZON_SIDE_ASN_DEFAULT)
    all_tags = dict(tags, Name=config["transit_gateway_name"])
    if module.check_mode:
        made = {"TransitGatewayId": None, "State": "pending", "Options": options, "Tags": [{"Key": k, "Value": v} for k, v in all_tags.items()]}
    else:
        made = create_transit_gateway(client, Description=f"sitevpn.aws hub {config['transit_gateway_name']}", Options=options,
                                      TagSpecifications=boto3_tag_specifications(all_tags, types="transit-gateway"))
        # attachments need it available (IncorrectState before)
        made = _wait(lambda **kw: describe_transit_gateways(client, **kw), "TransitGatewayIds", made["TransitGatewayId"], timeout)
    return True, made, {"before": {}, "after": tgw_view(made)}


def _attachment_subnets(client, module, vpc: Dict[str, Any], config: Dict[str, Any], tags: Dict[str, str]) -> Tuple[bool, List[str]]:
    """One subnet per Availability Zone: the hub's, else the VPC's, else a /28 at the VPC's end
    (AWS's advice: a small subnet of its own for the transit gateway's interfaces)."""
    if config.get("subnet_ids"):
        return False, list(config["subnet_ids"])
    subnets = describe_subnets(client, Filters=_filters({"vpc-id": vpc["vpc_id"]}))
    by_zone: Dict[str, str] = {}
    for subnet in sorted(subnets, key=lambda s: (tags_of(s).get("Name") != f"{vpc['name_prefix']}-tgw", s["SubnetId"])):
        by_zone.setdefault(subnet.get("AvailabilityZone"), subnet["SubnetId"])
    if by_zone:
        return False, sorted(by_zone.values())
    if module.check_mode:
        return True, []
    cidr = vpc.get("cidr") or describe_vpcs(client, VpcIds=[vpc["vpc_id"]])[0]["CidrBlock"]
    last = list(ipaddress.ip_network(cidr).subnets(new_prefix=28))[-1]
    made = create_subnet(client, VpcId=vpc["vpc_id"], CidrBlock=str(last),
                         TagSpecifications=boto3_tag_specifications(dict(tags, Name=f"{vpc['name_prefix']}-tgw"), types="subnet"))
    return True, [made["SubnetId"]]


def ensure_vpc_attachment(client, module, tgw_id: str, vpc: Dict[str, Any], config: Dict[str, Any], tags: Dict[str, str]):
    """The transit gateway's attachment to the VPC: (changed, attachment ID or None in check mode)."""
    wanted = {"transit-gateway-id": tgw_id, "vpc-id": vpc["vpc_id"], "state": list(_ATTACHMENT_LIVE)}
    found = [a for a in describe_vpc_attachments(client, Filters=_filters(wanted))
             if a.get("TransitGatewayId") == tgw_id and a.get("VpcId") == vpc["vpc_id"] and a.get("State") in _ATTACHMENT_LIVE]
    if found:
        return False, found[0]["TransitGatewayAttachmentId"]
    dummy, subnet_ids = _attachment_subnets(client, module, vpc, config, tags)
    if module.check_mode:
        return True, None
    made = create_vpc_attachment(client, TransitGatewayId=tgw_id, VpcId=vpc["vpc_id"], SubnetIds=subnet_ids,
                                 TagSpecifications=boto3_tag_specifications(dict(tags, Name=f"{config['transit_gateway_name']}-vpc"),
                                                                            types="transit-gateway-attachment"))
    timeout = int(module.params.get("wait_timeout", 900))
    _wait(lambda **kw: describe_vpc_attachments(client, **kw), "TransitGatewayAttachmentIds", made["TransitGatewayAttachmentId"], timeout)
    return True, made["TransitGatewayAttachmentId"]


def ensure_vpc_routes(client, module, route_table_ids: List[str], cidrs: List[str], tgw_id: str) -> Tuple[bool, List[Dict[str, str]]]:
    """A route to the transit gateway for each CIDR in each VPC route table: (changed, routes added).
    A CIDR routed elsewhere is refused, not taken over."""
    if not route_table_ids or not cidrs:
        return False, []
    added = []
    for table in describe_route_tables(client, RouteTableIds=list(route_table_ids)):
        # a route a VPN gateway propagates gives way to a static one (AWS: the static route wins)
        routes = {r.get("DestinationCidrBlock"): r for r in table.get("Routes") or [] if r.get("Origin") != "EnableVgwRoutePropagation"}
        for cidr in cidrs:
            route = routes.get(cidr)
            if route and route.get("TransitGatewayId") == tgw_id:
                continue
            if route and route.get("State") != "blackhole":
                target = next((v for k, v in sorted(route.items()) if k.endswith("Id") and v), "another target")
                raise VpnError(f"route table {table['RouteTableId']} routes {cidr} to {target}, not to {tgw_id}: remove that route, "
                               "or route the sites through sitevpn_hub.vpc_route_summaries that do not clash")
            added.append({"route_table_id": table["RouteTableId"], "destination": cidr})
            if not module.check_mode:
                if route:
                    client.replace_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock=cidr, TransitGatewayId=tgw_id)
                else:
                    create_route(client, RouteTableId=table["RouteTableId"], DestinationCidrBlock=cidr, TransitGatewayId=tgw_id)
    return bool(added), added


def hub_route_table(client, module, tgw: Dict[str, Any], config: Dict[str, Any], tags: Dict[str, str]) -> Tuple[bool, Optional[str]]:
    """The route table the sites' attachments go in: named (found, else made), by ID, else the default one."""
    wanted = config.get("route_table")
    tgw_id = tgw.get("TransitGatewayId")
    if not wanted:
        table = (tgw.get("Options") or {}).get("AssociationDefaultRouteTableId")
        if not table and tgw_id:
            raise VpnError(f"{tgw_id} has no default route table (default route table association is off): "
                           "name one in sitevpn_hub.route_table")
        return False, table
    if not tgw_id:
        return True, None  # check mode, a new transit gateway
    if wanted.startswith("tgw-rtb-"):
        found = describe_tgw_route_tables(client, TransitGatewayRouteTableIds=[wanted])
        if not found or found[0].get("TransitGatewayId") != tgw_id:
            raise VpnError(f"sitevpn_hub.route_table: {wanted} is not a route table of {tgw_id}")
        return False, wanted
    named = {"transit-gateway-id": tgw_id, "tag:Name": wanted, "state": ["pending", "available"]}
    found = [t for t in describe_tgw_route_tables(client, Filters=_filters(named))
             if t.get("TransitGatewayId") == tgw_id and tags_of(t).get("Name") == wanted and t.get("State") in ("pending", "available")]
    if found:
        return False, found[0]["TransitGatewayRouteTableId"]
    if module.check_mode:
        return True, None
    made = create_tgw_route_table(client, TransitGatewayId=tgw_id,
                                  TagSpecifications=boto3_tag_specifications(dict(tags, Name=wanted), types="transit-gateway-route-table"))
    return True, made["TransitGatewayRouteTableId"]


def routing_state(client, tgw_id: str, table_id: str, with_static: bool) -> Dict[str, Any]:
    """One read each: the hub's VPN attachments by resource, the table's propagations and static routes."""
    attachments = describe_transit_gateway_attachments(
        client, Filters=_filters({"transit-gateway-id": tgw_id, "resource-type": ["vpn", "vpn-concentrator"], "state": list(_ATTACHMENT_LIVE)}))
    propagating = {p["TransitGatewayAttachmentId"] for p in table_propagations(client, TransitGatewayRouteTableId=table_id)
                   if p.get("State") in ("enabling", "enabled")}
    static = {}
    if with_static:
        static = {r["DestinationCidrBlock"]: r for r in search_tgw_routes(
            client, TransitGatewayRouteTableId=table_id, Filters=_filters({"type": "static", "state": ["active", "blackhole"]}))}
    attachments = [a for a in attachments if a.get("TransitGatewayId") == tgw_id and a.get("ResourceType") in ("vpn", "vpn-concentrator")]
    return {"attachments": {a.get("ResourceId"): a for a in attachments}, "propagating": propagating, "static": static}


def ensure_site_routing(client, module, state: Dict[str, Any], resource_id: str, table_id: str,
                        static_prefixes: List[str]) -> Tuple[bool, Dict[str, Any]]:
    """A site's attachment (its connection's, or its concentrator's) associated with and propagating
    into the hub's route table, and its static prefixes routed to it there: (changed, diff)."""
    attachment = state["attachments"].get(resource_id)
    if attachment is None:
        raise VpnError(f"{resource_id} has no transit gateway attachment yet: run again when it is there")
    attachment_id = attachment["TransitGatewayAttachmentId"]
    module.params.update(association_route_table_id=table_id, propagation_route_table_ids=[table_id], purge_propagations=False)
    propagating = [table_id] if attachment_id in state["propagating"] else []
    changed, diff = ensure_attachment_routing(client, module, attachment, propagating=propagating)
    routes = []
    for prefix in static_prefixes:
        route = state["static"].get(prefix)
        targets = [a.get("TransitGatewayAttachmentId") for a in (route or {}).get("TransitGatewayAttachments") or []]
        if route and (attachment_id in targets or not targets) and route.get("State") == "active":
            continue  # the lab lists no attachments on a static route; AWS lists its one
        routes.append(prefix)
        if not module.check_mode:
            call = replace_tgw_route if route else create_tgw_route
            call(client, DestinationCidrBlock=prefix, TransitGatewayRouteTableId=table_id, TransitGatewayAttachmentId=attachment_id)
    diff["after"] = dict(diff["after"], static_routes_added=routes)
    return changed or bool(routes), diff


def connection_routes(client, connection: Dict[str, Any], table_id: Optional[str] = None,
                      filters: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """A VPN connection's routes in a transit gateway route table: those through its attachment (its
    own, or its concentrator's), in ``table_id`` or else the table the attachment is associated with.
    One DescribeTransitGatewayAttachments, one SearchTransitGatewayRoutes."""
    vpn_id = connection["VpnConnectionId"]
    if not connection.get("TransitGatewayId"):
        raise VpnError(f"{vpn_id} is not on a transit gateway", vpn_connection_id=vpn_id)
    resource = connection.get("VpnConcentratorId") or vpn_id
    found = describe_transit_gateway_attachments(client, Filters=_filters({"resource-id": resource, "state": list(_ATTACHMENT_LIVE)}))
    if not found:
        raise VpnError(f"{resource} has no transit gateway attachment", vpn_connection_id=vpn_id)
    attachment_id = found[0]["TransitGatewayAttachmentId"]
    table_id = table_id or (found[0].get("Association") or {}).get("TransitGatewayRouteTableId")
    if not table_id:
        raise VpnError(f"{attachment_id} is associated with no route table: name the table to read", vpn_connection_id=vpn_id)
    wanted = dict({"state": ["active", "blackhole"]}, **(filters or {}))
    wanted["attachment.transit-gateway-attachment-id"] = attachment_id
    routes = search_tgw_routes(client, TransitGatewayRouteTableId=table_id, Filters=_filters(wanted))
    return {"transit_gateway_attachment_id": attachment_id, "transit_gateway_route_table_id": table_id, "routes": routes}
