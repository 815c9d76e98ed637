# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A VPN connection's (or a VPN concentrator's) transit gateway attachment: its route table
association and propagations. amazon.aws and community.aws manage VPC attachments only.

Wrappers raise ``AnsibleEC2Error``; a request to refuse raises ``VpnError``; the module decides.
"""

from __future__ import annotations

import time
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError

VPN_RESOURCE_TYPES = ("vpn", "vpn-concentrator")


class EC2TransitGatewayAttachmentErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEC2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["InvalidTransitGatewayAttachmentID.NotFound", "InvalidAssociation.NotFound",
                                    "InvalidRouteTablePropagation.NotFound"])


@EC2TransitGatewayAttachmentErrorHandler.list_error_handler("describe transit gateway attachments", [])
@AWSRetry.jittered_backoff()
def describe_transit_gateway_attachments(client, **params: Any) -> List[Dict[str, Any]]:
    paginator = client.get_paginator("describe_transit_gateway_attachments")
    return paginator.paginate(**params).build_full_result()["TransitGatewayAttachments"]


@EC2TransitGatewayAttachmentErrorHandler.list_error_handler("get transit gateway attachment propagations", [])
@AWSRetry.jittered_backoff()
def get_transit_gateway_attachment_propagations(client, attachment_id: str) -> List[Dict[str, Any]]:
    paginator = client.get_paginator("get_transit_gateway_attachment_propagations")
    result = paginator.paginate(TransitGatewayAttachmentId=attachment_id).build_full_result()
    return result["TransitGatewayAttachmentPropagations"]


def _route_table_request(operation: str, handler):
    """A call that ties an attachment to a route table (associate, propagate, or their undoing);
    IncorrectState, the attachment or table still changing, is retried. Returns True."""

    @handler(operation.replace("_", " "))
    @AWSRetry.jittered_backoff(catch_extra_error_codes=["IncorrectState"])
    def request(client, attachment_id: str, route_table_id: str) -> bool:
        getattr(client, operation)(TransitGatewayAttachmentId=attachment_id, TransitGatewayRouteTableId=route_table_id)
        return True

    return request


_handlers = EC2TransitGatewayAttachmentErrorHandler
associate_route_table = _route_table_request("associate_transit_gateway_route_table", _handlers.common_error_handler)
disassociate_route_table = _route_table_request("disassociate_transit_gateway_route_table", _handlers.deletion_error_handler)
enable_propagation = _route_table_request("enable_transit_gateway_route_table_propagation", _handlers.common_error_handler)
disable_propagation = _route_table_request("disable_transit_gateway_route_table_propagation", _handlers.deletion_error_handler)


def find_vpn_attachment(client, attachment_id=None, vpn_connection_id=None) -> Dict[str, Any]:
    """The live attachment by ID, or the one of a VPN connection; refused when missing or not a VPN one."""
    if attachment_id:
        found = describe_transit_gateway_attachments(client, TransitGatewayAttachmentIds=[attachment_id])
    else:
        filters = {"resource-id": vpn_connection_id, "resource-type": "vpn"}
        found = describe_transit_gateway_attachments(client, Filters=ansible_dict_to_boto3_filter_list(filters))
    found = [a for a in found if a.get("State") not in ("deleting", "deleted", "failed", "rejected")]
    if not found:
        what = f"transit_gateway_attachment_id: {attachment_id}" if attachment_id else f"vpn_connection_id: {vpn_connection_id}"
        raise VpnError(f"{what} has no live transit gateway attachment (a VPN connection on a VPN gateway has none; "
                       "one on a VPN concentrator shares the concentrator's)")
    attachment = found[0]
    if attachment.get("ResourceType") not in VPN_RESOURCE_TYPES:
        raise VpnError(f"{attachment['TransitGatewayAttachmentId']} is a {attachment.get('ResourceType')} attachment, "
                       "not a VPN connection's or a VPN concentrator's")
    return attachment


def attachment_view(attachment: Dict[str, Any], propagations: List[str]) -> Dict[str, Any]:
    association = attachment.get("Association") or {}
    return {
        "transit_gateway_attachment_id": attachment["TransitGatewayAttachmentId"],
        "association_route_table_id": association.get("TransitGatewayRouteTableId")
        if association.get("State") in ("associating", "associated") else None,
        "propagation_route_table_ids": sorted(propagations),
    }


def _wait_unassociated(client, attachment_id: str, timeout: int) -> None:
    """AWS associates a new table only after the old association is gone."""
    deadline = time.monotonic() + timeout
    while True:
        found = describe_transit_gateway_attachments(client, TransitGatewayAttachmentIds=[attachment_id])
        if not found or (found[0].get("Association") or {}).get("State") not in ("associating", "associated", "disassociating"):
            return
        if time.monotonic() + 2 > deadline:
            raise VpnError(f"{attachment_id} is still associated after {timeout} s")
        time.sleep(2)


def ensure_attachment_routing(client, module, attachment: Dict[str, Any], propagating: Optional[List[str]] = None) -> Tuple[bool, Dict[str, Any]]:
    """Association and propagations as asked: (changed, diff). ``propagating``: the tables it
    propagates to, when the caller read them already (many attachments, one read per table)."""
    p = module.params
    attachment_id = attachment["TransitGatewayAttachmentId"]
    if propagating is None:
        propagating = [x["TransitGatewayRouteTableId"] for x in get_transit_gateway_attachment_propagations(client, attachment_id)
                       if x.get("State") in ("enabling", "enabled")]
    before = attachment_view(attachment, propagating)
    after = dict(before)
    changed = False

    wanted = p.get("association_route_table_id")
    current = before["association_route_table_id"]
    if wanted is not None and wanted != (current or ""):
        changed = True
        if not module.check_mode:
            if current:
                disassociate_route_table(client, attachment_id, current)
            if wanted:
                if current:
                    _wait_unassociated(client, attachment_id, p["wait_timeout"])
                associate_route_table(client, attachment_id, wanted)
        after["association_route_table_id"] = wanted or None

    tables = p.get("propagation_route_table_ids")
    if tables is not None:
        to_enable = [t for t in tables if t not in propagating]
        to_disable = [t for t in propagating if t not in tables] if p.get("purge_propagations") else []
        if to_enable or to_disable:
            changed = True
            if not module.check_mode:
                for table in to_disable:
                    disable_propagation(client, attachment_id, table)
                for table in to_enable:
                    enable_propagation(client, attachment_id, table)
            after["propagation_route_table_ids"] = sorted(set(propagating) - set(to_disable) | set(to_enable))
    return changed, {"before": before, "after": after}


def result_of(diff: Dict[str, Any], attachment: Dict[str, Any]) -> Dict[str, Optional[Any]]:
    return dict(diff["after"], transit_gateway_id=attachment.get("TransitGatewayId"), resource_id=attachment.get("ResourceId"),
                resource_type=attachment.get("ResourceType"))
