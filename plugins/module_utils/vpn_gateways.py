# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Virtual private gateways: find, create, attach to a VPC, propagate routes, detach and delete.

Errors are raised (``VpnError`` for a request to refuse, ``AnsibleEC2Error`` from AWS); the module decides.
"""

from __future__ import annotations

from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import attach_vpn_gateway
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import create_vpn_gateway
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import delete_vpn_gateway
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import describe_route_tables
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import describe_vpcs
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import describe_vpn_gateways
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import detach_vpn_gateway
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import enable_vgw_route_propagation
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import LIVE_STATES
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import desired_tags
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import disable_vgw_route_propagation
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import ensure_tags
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import find_live
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import has_tags
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import int_or_none
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import removed
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import tag_filters
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import tags_of
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import wait_for
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import connections_using
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import VPN_GATEWAYS
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import converge
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import one_match
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import resource_result


def vgw_attached_vpc(vgw: Dict[str, Any]) -> Optional[str]:
    for att in vgw.get("VpcAttachments", []):
        if att.get("State") in ("attaching", "attached"):
            return att.get("VpcId")
    return None


def find_vpn_gateway(
    client, vpn_gateway_id=None, name=None, tags=None, amazon_side_asn=None, vpc_id=None
) -> Optional[Dict[str, Any]]:
    """By id; else by Name tag (or all given tags), the ASN breaking ties; else the one attached to vpc_id."""
    if not (vpn_gateway_id or name is not None or tags or vpc_id):
        raise VpnError("One of vpn_gateway_id, name, tags or vpc_id is needed to find the VPN gateway")
    by_tags = name is not None or bool(tags)
    filters = tag_filters(name, tags) if by_tags else {"attachment.vpc-id": vpc_id}

    def wanted(g):
        return has_tags(g, name, tags) if by_tags else vgw_attached_vpc(g) == vpc_id

    matches = find_live(describe_vpn_gateways, client, "VpnGatewayId", vpn_gateway_id, filters, wanted)
    # The ASN tells apart namesakes; a single namesake with another ASN is reported by
    # ensure_vpn_gateway (it cannot change in place) rather than duplicated.
    same_asn = None if amazon_side_asn is None else lambda g: int_or_none(g.get("AmazonSideAsn")) == amazon_side_asn
    return one_match(matches, VPN_GATEWAYS, "give vpn_gateway_id or a distinct name", name, tags, same_asn)


def vgw_view(vgw: Dict[str, Any], propagating: Optional[List[str]] = None) -> Dict[str, Any]:
    if not vgw:
        return {}
    view = {
        "vpn_gateway_id": vgw.get("VpnGatewayId"),
        "amazon_side_asn": int_or_none(vgw.get("AmazonSideAsn")),
        "vpc_id": vgw_attached_vpc(vgw),
        "tags": tags_of(vgw),
    }
    if propagating is not None:
        view["route_table_ids"] = sorted(propagating)
    return view


def _route_tables_propagating(route_tables: List[Dict[str, Any]], vgw_id: str) -> List[str]:
    return [
        rt["RouteTableId"]
        for rt in route_tables
        if any(p.get("GatewayId") == vgw_id for p in rt.get("PropagatingVgws", []))
    ]


def ensure_vpn_gateway(
    client, module, existing: Optional[Dict[str, Any]]
) -> Tuple[bool, Dict[str, Any], Dict[str, Any]]:
    p = module.params
    tags = desired_tags(p.get("tags"), p.get("name"))
    changed = False
    if existing:
        asn = p.get("amazon_side_asn")
        if asn is not None and int_or_none(existing.get("AmazonSideAsn")) != asn:
            raise VpnError(
                (
                    f"amazon_side_asn {asn} differs from {existing['VpnGatewayId']}'s "
                    f"{existing.get('AmazonSideAsn')}; the ASN of a VPN gateway cannot be modified in place"
                )
            )
        vgw = existing
        changed, after_tags = ensure_tags(client, module, vgw, vgw["VpnGatewayId"], tags, p["purge_tags"])
        vgw = dict(vgw, Tags=[{"Key": k, "Value": v} for k, v in after_tags.items()])
    else:
        params: Dict[str, Any] = {"Type": p.get("type") or "ipsec.1"}
        if p.get("amazon_side_asn") is not None:
            params["AmazonSideAsn"] = p["amazon_side_asn"]
        if tags:
            params["TagSpecifications"] = boto3_tag_specifications(tags, types="vpn-gateway")
        changed = True
        if module.check_mode:
            vgw = {
                "VpnGatewayId": None,
                "Type": params["Type"],
                "State": "available",
                "AmazonSideAsn": p.get("amazon_side_asn"),
                "VpcAttachments": [],
                "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
            }
        else:
            vgw = create_vpn_gateway(client, **params)
            if not vgw.get("Tags") and tags:
                vgw["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]

    before_view = vgw_view(existing) if existing else {}
    att_changed, vgw = _ensure_vgw_attachment(client, module, vgw, p.get("vpc_id"))
    changed |= att_changed

    rt_ids = p.get("route_table_ids")
    if rt_ids is not None:
        rt_changed, before_rt, after_rt = _ensure_route_propagation(
            client, module, vgw, rt_ids, p.get("purge_route_tables", True)
        )
        changed |= rt_changed
        if existing:
            before_view["route_table_ids"] = sorted(before_rt)
        vgw_after = vgw_view(vgw, after_rt)
    else:
        vgw_after = vgw_view(vgw)
    return changed, vgw, {"before": before_view, "after": vgw_after}


def check_vpn_gateway_target(client, module, existing: Optional[Dict[str, Any]]) -> None:
    """Refuse, before any write, what would fail half-way: no VPC to attach to, a VPC that does not
    exist or already has a gateway (AWS allows one), route tables outside the VPC."""
    p = module.params
    vpc_id, rt_ids = p.get("vpc_id"), p.get("route_table_ids")
    current = vgw_attached_vpc(existing) if existing else None
    target = current if vpc_id is None else vpc_id
    if rt_ids and not target:
        raise VpnError(
            "route_table_ids: route propagation needs the gateway attached to a VPC: set vpc_id", field="route_table_ids"
        )
    if not vpc_id or vpc_id == current:
        return
    if not describe_vpcs(client, VpcIds=[vpc_id]):
        raise VpnError(f"vpc_id: {vpc_id} does not exist", field="vpc_id")
    others = describe_vpn_gateways(
        client, Filters=ansible_dict_to_boto3_filter_list({"attachment.vpc-id": vpc_id, "state": list(LIVE_STATES)})
    )
    tables = describe_route_tables(client, Filters=ansible_dict_to_boto3_filter_list({"vpc-id": vpc_id})) if rt_ids else []
    own = (existing or {}).get("VpnGatewayId")
    taken = sorted(g["VpnGatewayId"] for g in others if g.get("VpnGatewayId") != own and vgw_attached_vpc(g) == vpc_id)
    if taken:
        raise VpnError(
            f"vpc_id: {vpc_id} already has VPN gateway {', '.join(taken)} attached (a VPC has at most one); nothing was changed",
            field="vpc_id",
        )
    unknown = sorted(set(rt_ids or []) - {rt["RouteTableId"] for rt in tables})
    if unknown:
        raise VpnError(f"route_table_ids: {', '.join(unknown)} not found in {vpc_id}", field="route_table_ids")


def present_vpn_gateway(client, module, existing: Optional[Dict[str, Any]], report: Dict[str, Any]) -> Dict[str, Any]:
    """The vpn_gateway module's present path once the gateway is found: its result (``report``:
    what converging duplicates found)."""
    check_vpn_gateway_target(client, module, existing)
    changed, gateway, diff = ensure_vpn_gateway(client, module, existing)
    return resource_result(report, changed, diff, "vpn_gateway", gateway, vpc_id=vgw_attached_vpc(gateway))


def _ensure_vgw_attachment(client, module, vgw: Dict[str, Any], vpc_id: Optional[str]) -> Tuple[bool, Dict[str, Any]]:
    """vpc_id None keeps the attachment, '' detaches, a VPC id attaches (detaching from another)."""
    if vpc_id is None:
        return False, vgw
    current = vgw_attached_vpc(vgw)
    if (current or "") == vpc_id:
        # Still attaching: wait, so that route propagation that follows can be enabled.
        if vpc_id and not module.check_mode and module.params.get("wait"):
            if any(a.get("State") == "attaching" for a in vgw.get("VpcAttachments", [])):
                vgw = _wait_vgw(client, module, vgw, "vpn_gateway_attached", vpc_id)
        return False, vgw
    gw_id = vgw.get("VpnGatewayId")
    attachments = [a for a in vgw.get("VpcAttachments", []) if a.get("VpcId") != current]
    if module.check_mode:
        if vpc_id:
            attachments.append({"VpcId": vpc_id, "State": "attached"})
        return True, dict(vgw, VpcAttachments=attachments)
    wait = module.params.get("wait")
    if current:
        detach_vpn_gateway(client, current, gw_id)
        if wait:
            _wait_vgw(client, module, vgw, "vpn_gateway_detached", current)
    if vpc_id:
        attach_vpn_gateway(client, vpc_id, gw_id)
        attachments.append({"VpcId": vpc_id, "State": "attaching"})
        vgw = dict(vgw, VpcAttachments=attachments)
        if wait:
            vgw = _wait_vgw(client, module, vgw, "vpn_gateway_attached", vpc_id)
    else:
        vgw = dict(vgw, VpcAttachments=attachments)
    return True, vgw


def _wait_vgw(client, module, vgw, waiter_name, vpc_id):
    wait_for(
        client,
        waiter_name,
        module.params["wait_timeout"],
        VpnGatewayIds=[vgw["VpnGatewayId"]],
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}],
    )
    state = "attached" if waiter_name == "vpn_gateway_attached" else "detached"
    others = [a for a in vgw.get("VpcAttachments", []) if a.get("VpcId") != vpc_id]
    if state == "attached":
        others.append({"VpcId": vpc_id, "State": state})
    return dict(vgw, VpcAttachments=others)


def _ensure_route_propagation(
    client, module, vgw, route_table_ids: List[str], purge: bool
) -> Tuple[bool, List[str], List[str]]:
    vgw_id = vgw.get("VpnGatewayId")
    vpc_id = vgw_attached_vpc(vgw)
    wanted = set(route_table_ids)
    if not vpc_id:
        if wanted:
            raise VpnError("route_table_ids needs the VPN gateway attached to a VPC (set vpc_id)")
        return False, [], []
    if vgw_id is None:  # check mode, gateway not created yet
        return bool(wanted), [], sorted(wanted)
    tables = describe_route_tables(client, Filters=ansible_dict_to_boto3_filter_list({"vpc-id": vpc_id}))
    known = {rt["RouteTableId"] for rt in tables}
    unknown = sorted(wanted - known)
    if unknown:
        raise VpnError(
            f"route_table_ids: {', '.join(unknown)} not found in {vpc_id}, the VPC the gateway is attached to"
        )
    current = set(_route_tables_propagating(tables, vgw_id))
    to_enable = sorted(wanted - current)
    to_disable = sorted(current - wanted) if purge else []
    after = sorted((current | wanted) - set(to_disable))
    if (to_enable or to_disable) and not module.check_mode:
        for rt in to_enable:
            enable_vgw_route_propagation(client, vgw_id, rt)
        for rt in to_disable:
            disable_vgw_route_propagation(client, vgw_id, rt)
    return bool(to_enable or to_disable), sorted(current), after


def remove_vpn_gateway(client, module, existing: Optional[Dict[str, Any]]) -> Tuple[bool, Dict[str, Any]]:
    def delete(vgw):
        vpc_id = vgw_attached_vpc(vgw)
        if vpc_id:
            detach_vpn_gateway(client, vpc_id, vgw["VpnGatewayId"])
            # Deleting needs the detach finished, so this wait is not optional.
            _wait_vgw(client, module, vgw, "vpn_gateway_detached", vpc_id)
        delete_vpn_gateway(client, vgw["VpnGatewayId"])

    return removed(module, existing, vgw_view, delete)


def converge_vpn_gateways(client, module, matches):
    """Namesakes of the collection: keep the one live VPN connections use, else the one attached to
    the wanted VPC (rule in vpn_duplicates); an unused one is detached and deleted."""
    in_use = {g["VpnGatewayId"]: bool(connections_using(client, {"vpn-gateway-id": g["VpnGatewayId"]})) for g in matches}
    vpc_id = module.params.get("vpc_id")

    def prefer(g):
        attached = vgw_attached_vpc(g)
        return (attached != vpc_id) if vpc_id else (attached is None)

    return converge(module, matches, VPN_GATEWAYS, in_use, lambda g: remove_vpn_gateway(client, module, g), prefer=prefer)
