# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Customer gateways: find one as AWS dedupes them, create or tag it, delete it when unused.

Errors are raised (``VpnError`` for a request to refuse, ``AnsibleEC2Error`` from AWS); the module decides.
"""

from __future__ import annotations

from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import connections_using
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import create_customer_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import delete_customer_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import describe_customer_gateways
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import desired_tags
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import ensure_tags
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import find_live
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import given_params
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import has_tags
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import int_or_none
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import removed
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import tag_filters
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import tags_of
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import wait_for
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import customer_gateway_asn_params
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import CUSTOMER_GATEWAYS
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import converge
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import one_match


def customer_gateway_asn(cgw: Dict[str, Any]) -> Optional[int]:
    return int_or_none(cgw.get("BgpAsnExtended")) or int_or_none(cgw.get("BgpAsn"))


def find_customer_gateway(
    client,
    ip_address: Optional[str],
    bgp_asn: int,
    device_name: Optional[str] = None,
    name: Optional[str] = None,
    certificate_arn: Optional[str] = None,
    tags: Optional[Dict[str, Any]] = None,
) -> Optional[Dict[str, Any]]:
    """The live customer gateway with this IP (or certificate) and ASN, as AWS itself dedupes.

    The device name separates gateways that share IP and ASN; the Name tag only breaks ties.
    Server-side filters narrow the call; the same conditions are checked here, because not every
    endpoint implements every filter.
    """
    matches = find_live(
        describe_customer_gateways,
        client,
        "CustomerGatewayId",
        None,
        {"ip-address": ip_address} if ip_address else {},
        lambda g: customer_gateway_asn(g) == bgp_asn
        and (not ip_address or g.get("IpAddress") == ip_address)
        and (ip_address or g.get("CertificateArn") == certificate_arn)
        and (g.get("DeviceName") or None) == (device_name or None),
    )
    hint = "give each a distinct name (they share ip_address, bgp_asn and device_name)"
    return one_match(matches, CUSTOMER_GATEWAYS, hint, name, tags)


def ensure_customer_gateway(
    client, module, existing: Optional[Dict[str, Any]]
) -> Tuple[bool, Dict[str, Any], Dict[str, Any]]:
    p = module.params
    tags = desired_tags(p.get("tags"), p.get("name"))
    if existing:
        if p.get("certificate_arn") and existing.get("CertificateArn") != p["certificate_arn"]:
            raise VpnError(
                (
                    f"certificate_arn differs from {existing['CustomerGatewayId']} "
                    f"({existing.get('CertificateArn')}); a customer gateway cannot be modified in place: "
                    "create a new one (different device_name) and move the VPN connection to it"
                )
            )
        changed, after_tags = ensure_tags(
            client, module, existing, existing["CustomerGatewayId"], tags, p["purge_tags"]
        )
        after = dict(existing, Tags=[{"Key": k, "Value": v} for k, v in after_tags.items()])
        return changed, after, {"before": cgw_view(existing), "after": cgw_view(after)}

    asn = p["bgp_asn"]
    params = {"Type": "ipsec.1"}
    params.update(customer_gateway_asn_params(asn))
    params.update(given_params(p, {"ip_address": "IpAddress", "certificate_arn": "CertificateArn", "device_name": "DeviceName"}))
    if tags:
        params["TagSpecifications"] = boto3_tag_specifications(tags, types="customer-gateway")
    planned = {
        "BgpAsn": str(asn),
        "IpAddress": p.get("ip_address"),
        "CertificateArn": p.get("certificate_arn"),
        "DeviceName": p.get("device_name"),
        "Type": "ipsec.1",
        "State": "available",
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }
    if module.check_mode:
        return True, planned, {"before": {}, "after": cgw_view(planned)}
    created = create_customer_gateway(client, **params)
    if p.get("wait") and created.get("State") != "available":
        wait_for(
            client,
            "customer_gateway_available",
            p["wait_timeout"],
            CustomerGatewayIds=[created["CustomerGatewayId"]],
        )
        created["State"] = "available"
    if not created.get("Tags") and tags:
        created["Tags"] = planned["Tags"]
    return True, created, {"before": {}, "after": cgw_view(created)}


def find_customer_gateway_namesake(client, name: str) -> List[Dict[str, Any]]:
    """Live customer gateways tagged Name=name (whatever their IP, ASN or device name)."""
    return find_live(describe_customer_gateways, client, "CustomerGatewayId", None, tag_filters(name, None), lambda g: has_tags(g, name, None))


def cgw_view(cgw: Dict[str, Any]) -> Dict[str, Any]:
    if not cgw:
        return {}
    return {
        "customer_gateway_id": cgw.get("CustomerGatewayId"),
        "ip_address": cgw.get("IpAddress"),
        "bgp_asn": customer_gateway_asn(cgw),
        "certificate_arn": cgw.get("CertificateArn"),
        "device_name": cgw.get("DeviceName"),
        "tags": tags_of(cgw),
    }


def remove_customer_gateway(client, module, existing: Optional[Dict[str, Any]]) -> Tuple[bool, Dict[str, Any]]:
    users = connections_using(client, {"customer-gateway-id": existing["CustomerGatewayId"]}) if existing else []
    if users:
        message = f"{existing['CustomerGatewayId']} is used by VPN connection(s) {', '.join(users)}; delete them first"
        if not module.check_mode:
            # AWS answers IncorrectState until the connections are gone: say so now rather than retry.
            raise VpnError(message, vpn_connection_ids=users)
        # check mode cannot know whether an earlier task of the run deletes them (teardown does)
        module.warn(message + " (check mode: a real run fails here unless they are deleted before)")
    return removed(module, existing, cgw_view, lambda g: delete_customer_gateway(client, g["CustomerGatewayId"]))


def converge_customer_gateways(client, module, matches):
    """Duplicates of one gateway: keep the one a live VPN connection uses (rule in vpn_duplicates)."""
    in_use = {
        g["CustomerGatewayId"]: bool(connections_using(client, {"customer-gateway-id": g["CustomerGatewayId"]}))
        for g in matches
    }

    def delete(g):
        delete_customer_gateway(client, g["CustomerGatewayId"])

    return converge(module, matches, CUSTOMER_GATEWAYS, in_use, delete, prefer=lambda g: g.get("State") != "available")


def customer_gateway_by_id(client, customer_gateway_id: str) -> Optional[Dict[str, Any]]:
    """The live customer gateway with this ID, or None (a missing ID is not an error here)."""
    live = find_live(describe_customer_gateways, client, "CustomerGatewayId", customer_gateway_id, {}, None)
    return live[0] if live else None


def identity_errors(p: Dict[str, Any], existing: Optional[Dict[str, Any]]) -> List[Tuple[str, str]]:
    """What the task gives that differs from the gateway found by ID (none of it can change in place)."""
    if not existing:
        return []
    gw_id = existing["CustomerGatewayId"]
    have = {
        "ip_address": existing.get("IpAddress"),
        "bgp_asn": customer_gateway_asn(existing),
        "certificate_arn": existing.get("CertificateArn"),
        "device_name": existing.get("DeviceName"),
    }
    return [
        (field, f"{gw_id} has {field} {have[field]!r}, not {p[field]!r}; a customer gateway cannot be modified in place")
        for field in have
        if p.get(field) is not None and p[field] != have[field]
    ]
