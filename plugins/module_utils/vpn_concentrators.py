# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Site-to-Site VPN Concentrators: the EC2 calls (amazon.aws has none) and find, create, tag, delete.

A concentrator is one transit gateway attachment shared by many BGP sites. Wrappers raise
``AnsibleEC2Error`` (amazon.aws's error handler pattern), a request to refuse raises ``VpnError``;
the module decides.
"""

from __future__ import annotations

import time
from typing import Any
from typing import Dict
from typing import Optional
from typing import Tuple

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_calls import create_call
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_calls import delete_call
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_calls import describe_call
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import desired_tags
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import ensure_tags
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import find_live
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import has_tags
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import removed
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import tag_filters
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import tags_of


class EC2VpnConcentratorErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEC2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("InvalidVpnConcentratorID.NotFound")


describe_vpn_concentrators = describe_call(EC2VpnConcentratorErrorHandler, "describe_vpn_concentrators", "VpnConcentrators")
create_vpn_concentrator = create_call(EC2VpnConcentratorErrorHandler, "create_vpn_concentrator", "VpnConcentrator")
delete_vpn_concentrator = delete_call(EC2VpnConcentratorErrorHandler, "delete_vpn_concentrator", "VpnConcentratorId")


def find_vpn_concentrator(client, vpn_concentrator_id=None, name=None, tags=None) -> Optional[Dict[str, Any]]:
    """By ID; else by Name tag (or all given tags), on any transit gateway (so that a changed
    transit_gateway_id is refused, not answered with a second concentrator). Two matches: refused."""
    found = find_live(
        describe_vpn_concentrators, client, "VpnConcentratorId", vpn_concentrator_id, tag_filters(name, tags), lambda c: has_tags(c, name, tags)
    )
    if len(found) > 1:
        ids = ", ".join(sorted(c["VpnConcentratorId"] for c in found))
        raise VpnError(f"several VPN concentrators match ({ids}); give vpn_concentrator_id", vpn_concentrator_ids=ids.split(", "))
    return found[0] if found else None


def concentrator_view(concentrator: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    if not concentrator:
        return {}
    return {
        "vpn_concentrator_id": concentrator.get("VpnConcentratorId"),
        "transit_gateway_id": concentrator.get("TransitGatewayId"),
        "type": concentrator.get("Type"),
        "tags": tags_of(concentrator),
    }


def wait_vpn_concentrator(client, vpn_concentrator_id: str, states: Tuple[str, ...], timeout: int) -> Dict[str, Any]:
    """Poll until the concentrator is in one of ``states`` (there is no botocore waiter for it)."""
    deadline = time.monotonic() + timeout
    delay = min(5.0, max(1.0, timeout / 60.0))
    while True:
        found = describe_vpn_concentrators(client, VpnConcentratorIds=[vpn_concentrator_id])
        current = found[0] if found else {"VpnConcentratorId": vpn_concentrator_id, "State": "deleted"}
        if current.get("State") in states:
            return current
        if time.monotonic() + delay > deadline:
            raise VpnError(f"{vpn_concentrator_id} is still {current.get('State')} after {timeout} s (wanted {' or '.join(states)})")
        time.sleep(delay)


def ensure_vpn_concentrator(client, module, existing: Optional[Dict[str, Any]]) -> Tuple[bool, Dict[str, Any], Dict[str, Any]]:
    """Create or tag the concentrator: (changed, concentrator, diff)."""
    p = module.params
    tags = desired_tags(p.get("tags"), p.get("name"))
    if existing:
        tgw = p.get("transit_gateway_id")
        if tgw and tgw != existing.get("TransitGatewayId"):
            raise VpnError(
                f"transit_gateway_id {tgw} differs from {existing['VpnConcentratorId']}'s {existing.get('TransitGatewayId')}; "
                "a concentrator cannot move: delete it (and its connections) and create it again",
                field="transit_gateway_id",
            )
        changed, after_tags = ensure_tags(client, module, existing, existing["VpnConcentratorId"], tags, p["purge_tags"])
        after = dict(existing, Tags=[{"Key": k, "Value": v} for k, v in after_tags.items()])
        return changed, after, {"before": concentrator_view(existing), "after": concentrator_view(after)}
    if not p.get("transit_gateway_id"):
        raise VpnError("transit_gateway_id: a new VPN concentrator needs the transit gateway it attaches to", field="transit_gateway_id")
    params: Dict[str, Any] = {"Type": p.get("type") or "ipsec.1", "TransitGatewayId": p["transit_gateway_id"]}
    if tags:
        params["TagSpecifications"] = boto3_tag_specifications(tags, types="vpn-concentrator")
    if module.check_mode:
        made = {"VpnConcentratorId": None, "State": "pending", "TransitGatewayId": params["TransitGatewayId"], "Type": params["Type"],
                "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}
    else:
        made = create_vpn_concentrator(client, **params)
        if p.get("wait"):
            made = wait_vpn_concentrator(client, made["VpnConcentratorId"], ("available",), p["wait_timeout"])
    return True, made, {"before": {}, "after": concentrator_view(made)}


def remove_vpn_concentrator(client, module, existing: Optional[Dict[str, Any]]) -> Tuple[bool, Dict[str, Any]]:
    def delete(concentrator):
        delete_vpn_concentrator(client, concentrator["VpnConcentratorId"])
        if module.params.get("wait"):
            wait_vpn_concentrator(client, concentrator["VpnConcentratorId"], ("deleted",), module.params["wait_timeout"])

    return removed(module, existing, concentrator_view, delete)
