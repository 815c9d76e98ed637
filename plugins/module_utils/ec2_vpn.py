# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""EC2 calls for Site-to-Site VPN that amazon.aws lacks, and the logic the VPN modules share.

The wrappers follow amazon.aws's ``module_utils/ec2.py``: an error-handler class naming the
"not found" codes on top of ``AWSRetry.jittered_backoff``, raising ``AnsibleEC2Error``.
amazon.aws wraps its VPN connection calls in the VPC handler, so a missing VPN connection is not
recognised there; the connection wrappers here use a handler that knows the VPN codes.

The ``ensure_*`` functions hold the idempotent logic (find, compare, change, wait) so that the
modules stay thin. They take the module for check mode, warnings and failing, and return
``(changed, resource, diff)``. An idempotent run makes a single describe call per resource.
"""

from __future__ import annotations

import itertools
import time
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

try:
    import botocore
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import EC2VpcRouteTableErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import add_ec2_tags
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import attach_vpn_gateway
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import create_vpn_gateway
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import delete_vpn_gateway
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import describe_route_tables
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import describe_vpcs
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import describe_vpn_gateways
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import detach_vpn_gateway
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import enable_vgw_route_propagation
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import remove_ec2_tags
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list
from ansible_collections.amazon.aws.plugins.module_utils.waiters import get_waiter

from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_api import from_api
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_api import to_api
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_defaults import tunnel_changes
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_defaults import with_defaults
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import MODIFIABLE_IN_PLACE
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import merge_tunnels
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import customer_gateway_asn_params

LIVE_STATES = ("pending", "available")
VPN_LIVE_STATES = ("pending", "available", "modifying")
# Keys that identify a tunnel of an existing connection (never its position in a list).
TUNNEL_MATCH_KEYS = ("tunnel_inside_cidr", "tunnel_inside_ipv6_cidr", "pre_shared_key")
SECRET_KEYS = ("pre_shared_key", "PreSharedKey")


# ---------------------------------------------------------------------------------------------
# Error handlers
# ---------------------------------------------------------------------------------------------
class EC2CustomerGatewayErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEC2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("InvalidCustomerGatewayID.NotFound")


class EC2VpnConnectionErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEC2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["InvalidVpnConnectionID.NotFound", "InvalidRoute.NotFound"])


# ---------------------------------------------------------------------------------------------
# Customer gateways
# ---------------------------------------------------------------------------------------------
@EC2CustomerGatewayErrorHandler.list_error_handler("describe customer gateways", [])
@AWSRetry.jittered_backoff()
def describe_customer_gateways(client, **params: Any) -> List[Dict[str, Any]]:
    # The paginator does not exist for `describe_customer_gateways`
    return client.describe_customer_gateways(**params)["CustomerGateways"]


@EC2CustomerGatewayErrorHandler.common_error_handler("create customer gateway")
@AWSRetry.jittered_backoff()
def create_customer_gateway(client, **params: Any) -> Dict[str, Any]:
    return client.create_customer_gateway(**params)["CustomerGateway"]


@EC2CustomerGatewayErrorHandler.deletion_error_handler("delete customer gateway")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["IncorrectState"])
def delete_customer_gateway(client, customer_gateway_id: str) -> bool:
    client.delete_customer_gateway(CustomerGatewayId=customer_gateway_id)
    return True


# ---------------------------------------------------------------------------------------------
# VPN connections (amazon.aws has these behind the VPC handler; ours know the VPN codes)
# ---------------------------------------------------------------------------------------------
@EC2VpnConnectionErrorHandler.list_error_handler("describe vpn connections", [])
@AWSRetry.jittered_backoff()
def describe_vpn_connections(client, **params: Any) -> List[Dict[str, Any]]:
    # The paginator does not exist for `describe_vpn_connections`
    return client.describe_vpn_connections(**params)["VpnConnections"]


@EC2VpnConnectionErrorHandler.common_error_handler("create vpn connection")
@AWSRetry.jittered_backoff()
def create_vpn_connection(client, **params: Any) -> Dict[str, Any]:
    return client.create_vpn_connection(**params)["VpnConnection"]


@EC2VpnConnectionErrorHandler.deletion_error_handler("delete vpn connection")
@AWSRetry.jittered_backoff()
def delete_vpn_connection(client, vpn_connection_id: str) -> bool:
    client.delete_vpn_connection(VpnConnectionId=vpn_connection_id)
    return True


@EC2VpnConnectionErrorHandler.common_error_handler("create vpn connection route")
@AWSRetry.jittered_backoff()
def create_vpn_connection_route(client, vpn_connection_id: str, cidr: str) -> bool:
    client.create_vpn_connection_route(VpnConnectionId=vpn_connection_id, DestinationCidrBlock=cidr)
    return True


@EC2VpnConnectionErrorHandler.deletion_error_handler("delete vpn connection route")
@AWSRetry.jittered_backoff()
def delete_vpn_connection_route(client, vpn_connection_id: str, cidr: str) -> bool:
    client.delete_vpn_connection_route(VpnConnectionId=vpn_connection_id, DestinationCidrBlock=cidr)
    return True


# A connection that is still pending or modifying answers IncorrectState: retry those.
@EC2VpnConnectionErrorHandler.common_error_handler("modify vpn tunnel options")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["IncorrectState", "VpnConnectionNotAvailable"])
def modify_vpn_tunnel_options(client, vpn_connection_id: str, outside_ip: str, **params: Any) -> Dict[str, Any]:
    return client.modify_vpn_tunnel_options(
        VpnConnectionId=vpn_connection_id, VpnTunnelOutsideIpAddress=outside_ip, **params
    )["VpnConnection"]


@EC2VpnConnectionErrorHandler.common_error_handler("modify vpn connection options")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["IncorrectState"])
def modify_vpn_connection_options(client, vpn_connection_id: str, **params: Any) -> Dict[str, Any]:
    return client.modify_vpn_connection_options(VpnConnectionId=vpn_connection_id, **params)["VpnConnection"]


@EC2VpnConnectionErrorHandler.common_error_handler("modify vpn connection")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["IncorrectState"])
def modify_vpn_connection(client, vpn_connection_id: str, **params: Any) -> Dict[str, Any]:
    return client.modify_vpn_connection(VpnConnectionId=vpn_connection_id, **params)["VpnConnection"]


@EC2VpnConnectionErrorHandler.common_error_handler("replace vpn tunnel")
@AWSRetry.jittered_backoff()
def replace_vpn_tunnel(
    client, vpn_connection_id: str, outside_ip: str, apply_pending_maintenance: bool = False
) -> bool:
    return client.replace_vpn_tunnel(
        VpnConnectionId=vpn_connection_id,
        VpnTunnelOutsideIpAddress=outside_ip,
        ApplyPendingMaintenance=apply_pending_maintenance,
    ).get("Return", True)


@EC2VpnConnectionErrorHandler.list_error_handler("get vpn connection device sample configuration")
@AWSRetry.jittered_backoff()
def get_vpn_connection_device_sample_configuration(
    client, vpn_connection_id: str, device_type_id: str, **params: Any
) -> Optional[str]:
    return client.get_vpn_connection_device_sample_configuration(
        VpnConnectionId=vpn_connection_id, VpnConnectionDeviceTypeId=device_type_id, **params
    ).get("VpnConnectionDeviceSampleConfiguration")


@AWSRetry.jittered_backoff()
def _get_vpn_connection_device_types(client, **params: Any) -> Dict[str, Any]:
    return client.get_vpn_connection_device_types(**params)


@EC2VpnConnectionErrorHandler.common_error_handler("get vpn connection device types")
def get_vpn_connection_device_types(client) -> List[Dict[str, Any]]:
    # Paginated by NextToken; no botocore paginator is guaranteed for it.
    device_types, params = [], {}
    while True:
        page = _get_vpn_connection_device_types(client, **params)
        device_types.extend(page.get("VpnConnectionDeviceTypes", []))
        if not page.get("NextToken"):
            return device_types
        params["NextToken"] = page["NextToken"]


# ---------------------------------------------------------------------------------------------
# Route propagation (amazon.aws has only the enable call)
# ---------------------------------------------------------------------------------------------
@EC2VpcRouteTableErrorHandler.common_error_handler("disable vgw route propagation")
@AWSRetry.jittered_backoff()
def disable_vgw_route_propagation(client, gateway_id: str, route_table_id: str) -> bool:
    client.disable_vgw_route_propagation(RouteTableId=route_table_id, GatewayId=gateway_id)
    return True


# ---------------------------------------------------------------------------------------------
# Small shared helpers
# ---------------------------------------------------------------------------------------------
def wait_for(client, module, waiter_name: str, timeout: int, **params: Any) -> None:
    """Wait with an amazon.aws waiter when it has one (VPN gateways), else boto3's own.

    The poll interval scales with the timeout (1 to 5 s) so that short timeouts (a lab) poll fast
    and a change that is done is noticed within seconds on AWS too.
    """
    delay = max(1, min(5, int(timeout) // 60))
    try:
        waiter = get_waiter(client, waiter_name)
    except NotImplementedError:
        waiter = client.get_waiter(waiter_name)
    deadline = time.monotonic() + int(timeout)
    while True:
        attempts = max(1, round(deadline - time.monotonic()) // delay)
        try:
            waiter.wait(WaiterConfig={"Delay": delay, "MaxAttempts": attempts}, **params)
            return
        except botocore.exceptions.WaiterError as e:
            # boto3's own waiters give up on a throttled or failed poll (amazon.aws injects retry
            # acceptors into its waiters for the same reason): keep waiting while time is left.
            code = ((e.last_response or {}).get("Error") or {}).get("Code")
            if code and AWSRetry.found(code) and time.monotonic() + delay < deadline:
                time.sleep(delay)
                continue
            module.fail_json_aws(e, msg=f"Timeout waiting for '{waiter_name}' ({timeout} s)")
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Failed waiting for '{waiter_name}'")


def tags_of(resource: Optional[Dict[str, Any]]) -> Dict[str, str]:
    return boto3_tag_list_to_ansible_dict((resource or {}).get("Tags", []))


def desired_tags(tags: Optional[Dict[str, str]], name: Optional[str]) -> Optional[Dict[str, str]]:
    """The module's ``tags`` with ``name`` as the Name tag; None when neither is given."""
    if tags is None and name is None:
        return None
    result = dict(tags or {})
    if name is not None:
        result["Name"] = name
    return result


def ensure_tags(
    client, module, resource: Dict[str, Any], resource_id: str, tags, purge_tags: bool
) -> Tuple[bool, Dict[str, str]]:
    """Tag changes computed from the describe output already at hand (no DescribeTags call)."""
    current = tags_of(resource)
    if tags is None:
        return False, current
    to_set, to_unset = compare_aws_tags(current, tags, purge_tags)
    if not (to_set or to_unset):
        return False, current
    # add/remove_ec2_tags skip the call in check mode themselves.
    remove_ec2_tags(client, module, resource_id, to_unset)
    add_ec2_tags(client, module, resource_id, to_set)
    after = {k: v for k, v in current.items() if k not in to_unset}
    after.update({k: str(v) for k, v in to_set.items()})
    return True, after


def snake_resource(resource: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """snake_case keys except the tags, which become a plain dict (amazon.aws convention)."""
    if not resource:
        return {}
    result = camel_dict_to_snake_dict(resource, ignore_list=["Tags"])
    result["tags"] = tags_of(resource)
    return result


def redact_secrets(value: Any) -> Any:
    """A copy of value without pre-shared keys anywhere (keys removed, not masked)."""
    if isinstance(value, dict):
        return {k: redact_secrets(v) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, list):
        return [redact_secrets(v) for v in value]
    return value


def _int_or_none(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# Customer gateway logic
# ---------------------------------------------------------------------------------------------
def customer_gateway_asn(cgw: Dict[str, Any]) -> Optional[int]:
    return _int_or_none(cgw.get("BgpAsnExtended")) or _int_or_none(cgw.get("BgpAsn"))


def find_customer_gateway(
    client,
    module,
    ip_address: Optional[str],
    bgp_asn: int,
    device_name: Optional[str] = None,
    name: Optional[str] = None,
    certificate_arn: Optional[str] = None,
) -> Optional[Dict[str, Any]]:
    """The live customer gateway with this IP (or certificate) and ASN, as AWS itself dedupes.

    The device name separates gateways that share IP and ASN; the Name tag only breaks ties.
    Server-side filters narrow the call; the same conditions are checked here, because not every
    endpoint implements every filter.
    """
    filters = {"state": list(LIVE_STATES)}
    if ip_address:
        filters["ip-address"] = ip_address
    try:
        gateways = describe_customer_gateways(client, Filters=ansible_dict_to_boto3_filter_list(filters))
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    matches = [
        g
        for g in gateways
        if g.get("State") in LIVE_STATES
        and customer_gateway_asn(g) == bgp_asn
        and (not ip_address or g.get("IpAddress") == ip_address)
        and (ip_address or g.get("CertificateArn") == certificate_arn)
        and (g.get("DeviceName") or None) == (device_name or None)
    ]
    if len(matches) > 1 and name is not None:
        named = [g for g in matches if tags_of(g).get("Name") == name]
        matches = named or matches
    if len(matches) > 1:
        ids = ", ".join(sorted(g["CustomerGatewayId"] for g in matches))
        module.fail_json(
            msg=f"Several customer gateways match ip_address, bgp_asn and device_name ({ids}); give each a distinct name"
        )
    return matches[0] if matches else None


def ensure_customer_gateway(
    client, module, existing: Optional[Dict[str, Any]]
) -> Tuple[bool, Dict[str, Any], Dict[str, Any]]:
    p = module.params
    tags = desired_tags(p.get("tags"), p.get("name"))
    if existing:
        if p.get("certificate_arn") and existing.get("CertificateArn") != p["certificate_arn"]:
            module.fail_json(
                msg=(
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
    if p.get("ip_address"):
        params["IpAddress"] = p["ip_address"]
    if p.get("certificate_arn"):
        params["CertificateArn"] = p["certificate_arn"]
    if p.get("device_name"):
        params["DeviceName"] = p["device_name"]
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
    try:
        created = create_customer_gateway(client, **params)
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    if p.get("wait") and created.get("State") != "available":
        wait_for(
            client,
            module,
            "customer_gateway_available",
            p["wait_timeout"],
            CustomerGatewayIds=[created["CustomerGatewayId"]],
        )
        created["State"] = "available"
    if not created.get("Tags") and tags:
        created["Tags"] = planned["Tags"]
    return True, created, {"before": {}, "after": cgw_view(created)}


def connections_using(client, module, filters: Dict[str, Any]) -> List[str]:
    """IDs of the live VPN connections matching ``filters`` (a gateway's users)."""
    filters = dict(filters, state=list(VPN_LIVE_STATES))
    try:
        found = describe_vpn_connections(client, Filters=ansible_dict_to_boto3_filter_list(filters))
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    key, value = next((k, v) for k, v in filters.items() if k != "state")
    api_key = {"customer-gateway-id": "CustomerGatewayId", "vpn-gateway-id": "VpnGatewayId"}[key]
    return sorted(c["VpnConnectionId"] for c in found if c.get("State") in VPN_LIVE_STATES and c.get(api_key) == value)


def find_customer_gateway_namesake(client, module, name: str) -> List[Dict[str, Any]]:
    """Live customer gateways tagged Name=name (whatever their IP, ASN or device name)."""
    filters = {"state": list(LIVE_STATES), "tag:Name": name}
    try:
        gateways = describe_customer_gateways(client, Filters=ansible_dict_to_boto3_filter_list(filters))
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    return [g for g in gateways if g.get("State") in LIVE_STATES and tags_of(g).get("Name") == name]


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
    if not existing:
        return False, {"before": {}, "after": {}}
    diff = {"before": cgw_view(existing), "after": {}}
    users = connections_using(client, module, {"customer-gateway-id": existing["CustomerGatewayId"]})
    if users:
        # AWS answers IncorrectState until the connections are gone: say so now rather than retry.
        module.fail_json(
            msg=f"{existing['CustomerGatewayId']} is used by VPN connection(s) {', '.join(users)}; delete them first",
            vpn_connection_ids=users,
        )
    if module.check_mode:
        return True, diff
    try:
        delete_customer_gateway(client, existing["CustomerGatewayId"])
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    return True, diff


# ---------------------------------------------------------------------------------------------
# VPN gateway logic
# ---------------------------------------------------------------------------------------------
def vgw_attached_vpc(vgw: Dict[str, Any]) -> Optional[str]:
    for att in vgw.get("VpcAttachments", []):
        if att.get("State") in ("attaching", "attached"):
            return att.get("VpcId")
    return None


def find_vpn_gateway(
    client, module, vpn_gateway_id=None, name=None, tags=None, amazon_side_asn=None, vpc_id=None
) -> Optional[Dict[str, Any]]:
    """By id; else by Name tag (or all given tags), the ASN breaking ties; else the one attached to vpc_id."""
    params: Dict[str, Any] = {}
    filters: Dict[str, Any] = {"state": list(LIVE_STATES)}
    if vpn_gateway_id:
        params["VpnGatewayIds"] = [vpn_gateway_id]
    elif name is not None:
        filters["tag:Name"] = name
    elif tags:
        filters.update({f"tag:{k}": str(v) for k, v in tags.items()})
    elif vpc_id:
        filters["attachment.vpc-id"] = vpc_id
    else:
        module.fail_json(msg="One of vpn_gateway_id, name, tags or vpc_id is needed to find the VPN gateway")
    params["Filters"] = ansible_dict_to_boto3_filter_list(filters)
    try:
        gateways = describe_vpn_gateways(client, **params)
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)

    def wanted(g):
        if g.get("State") not in LIVE_STATES:
            return False
        if vpn_gateway_id:
            return g.get("VpnGatewayId") == vpn_gateway_id
        gtags = tags_of(g)
        if name is not None:
            return gtags.get("Name") == name
        if tags:
            return all(gtags.get(k) == str(v) for k, v in tags.items())
        return vgw_attached_vpc(g) == vpc_id

    matches = [g for g in gateways if wanted(g)]
    # The ASN tells apart namesakes; a single namesake with another ASN is reported by
    # ensure_vpn_gateway (it cannot change in place) rather than duplicated.
    if len(matches) > 1 and amazon_side_asn is not None:
        matches = [g for g in matches if _int_or_none(g.get("AmazonSideAsn")) == amazon_side_asn] or matches
    if len(matches) > 1:
        ids = ", ".join(sorted(g["VpnGatewayId"] for g in matches))
        module.fail_json(msg=f"Several VPN gateways match ({ids}); give vpn_gateway_id or a distinct name")
    return matches[0] if matches else None


def vgw_view(vgw: Dict[str, Any], propagating: Optional[List[str]] = None) -> Dict[str, Any]:
    if not vgw:
        return {}
    view = {
        "vpn_gateway_id": vgw.get("VpnGatewayId"),
        "amazon_side_asn": _int_or_none(vgw.get("AmazonSideAsn")),
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
        if asn is not None and _int_or_none(existing.get("AmazonSideAsn")) != asn:
            module.fail_json(
                msg=(
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
            try:
                vgw = create_vpn_gateway(client, **params)
            except AnsibleEC2Error as e:
                module.fail_json_aws_error(e)
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
        module.fail_json(
            msg="route_table_ids: route propagation needs the gateway attached to a VPC: set vpc_id", field="route_table_ids"
        )
    if not vpc_id or vpc_id == current:
        return
    try:
        if not describe_vpcs(client, VpcIds=[vpc_id]):
            module.fail_json(msg=f"vpc_id: {vpc_id} does not exist", field="vpc_id")
        others = describe_vpn_gateways(
            client, Filters=ansible_dict_to_boto3_filter_list({"attachment.vpc-id": vpc_id, "state": list(LIVE_STATES)})
        )
        tables = describe_route_tables(client, Filters=ansible_dict_to_boto3_filter_list({"vpc-id": vpc_id})) if rt_ids else []
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    own = (existing or {}).get("VpnGatewayId")
    taken = sorted(g["VpnGatewayId"] for g in others if g.get("VpnGatewayId") != own and vgw_attached_vpc(g) == vpc_id)
    if taken:
        module.fail_json(
            msg=f"vpc_id: {vpc_id} already has VPN gateway {', '.join(taken)} attached (a VPC has at most one); nothing was changed",
            field="vpc_id",
        )
    unknown = sorted(set(rt_ids or []) - {rt["RouteTableId"] for rt in tables})
    if unknown:
        module.fail_json(msg=f"route_table_ids: {', '.join(unknown)} not found in {vpc_id}", field="route_table_ids")


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
    try:
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
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    return True, vgw


def _wait_vgw(client, module, vgw, waiter_name, vpc_id):
    wait_for(
        client,
        module,
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
            module.fail_json(msg="route_table_ids needs the VPN gateway attached to a VPC (set vpc_id)")
        return False, [], []
    if vgw_id is None:  # check mode, gateway not created yet
        return bool(wanted), [], sorted(wanted)
    try:
        tables = describe_route_tables(client, Filters=ansible_dict_to_boto3_filter_list({"vpc-id": vpc_id}))
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    known = {rt["RouteTableId"] for rt in tables}
    unknown = sorted(wanted - known)
    if unknown:
        module.fail_json(
            msg=f"route_table_ids: {', '.join(unknown)} not found in {vpc_id}, the VPC the gateway is attached to"
        )
    current = set(_route_tables_propagating(tables, vgw_id))
    to_enable = sorted(wanted - current)
    to_disable = sorted(current - wanted) if purge else []
    after = sorted((current | wanted) - set(to_disable))
    if (to_enable or to_disable) and not module.check_mode:
        try:
            for rt in to_enable:
                enable_vgw_route_propagation(client, vgw_id, rt)
            for rt in to_disable:
                disable_vgw_route_propagation(client, vgw_id, rt)
        except AnsibleEC2Error as e:
            module.fail_json_aws_error(e)
    return bool(to_enable or to_disable), sorted(current), after


def remove_vpn_gateway(client, module, existing: Optional[Dict[str, Any]]) -> Tuple[bool, Dict[str, Any]]:
    if not existing:
        return False, {"before": {}, "after": {}}
    diff = {"before": vgw_view(existing), "after": {}}
    if module.check_mode:
        return True, diff
    vpc_id = vgw_attached_vpc(existing)
    try:
        if vpc_id:
            detach_vpn_gateway(client, vpc_id, existing["VpnGatewayId"])
            # Deleting needs the detach finished, so this wait is not optional.
            _wait_vgw(client, module, existing, "vpn_gateway_detached", vpc_id)
        delete_vpn_gateway(client, existing["VpnGatewayId"])
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    return True, diff


# ---------------------------------------------------------------------------------------------
# VPN connection logic
# ---------------------------------------------------------------------------------------------
def find_vpn_connection(
    client,
    module,
    vpn_connection_id=None,
    customer_gateway_id=None,
    vpn_gateway_id=None,
    transit_gateway_id=None,
    name=None,
) -> Optional[Dict[str, Any]]:
    """By id; else the live connection between this customer gateway and this VGW/TGW."""
    params: Dict[str, Any] = {}
    filters: Dict[str, Any] = {"state": list(VPN_LIVE_STATES)}
    if vpn_connection_id:
        params["VpnConnectionIds"] = [vpn_connection_id]
    else:
        if not customer_gateway_id:
            module.fail_json(msg="customer_gateway_id (or vpn_connection_id) is needed to find the VPN connection")
        filters["customer-gateway-id"] = customer_gateway_id
        if vpn_gateway_id:
            filters["vpn-gateway-id"] = vpn_gateway_id
        if transit_gateway_id:
            filters["transit-gateway-id"] = transit_gateway_id
    params["Filters"] = ansible_dict_to_boto3_filter_list(filters)
    try:
        connections = describe_vpn_connections(client, **params)
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)

    def wanted(c):
        if c.get("State") not in VPN_LIVE_STATES:
            return False
        if vpn_connection_id:
            return c.get("VpnConnectionId") == vpn_connection_id
        return (
            c.get("CustomerGatewayId") == customer_gateway_id
            and (not vpn_gateway_id or c.get("VpnGatewayId") == vpn_gateway_id)
            and (not transit_gateway_id or c.get("TransitGatewayId") == transit_gateway_id)
        )

    matches = [c for c in connections if wanted(c)]
    if len(matches) > 1 and name is not None:
        matches = [c for c in matches if tags_of(c).get("Name") == name] or matches
    if len(matches) > 1:
        ids = ", ".join(sorted(c["VpnConnectionId"] for c in matches))
        module.fail_json(msg=f"Several VPN connections match ({ids}); give vpn_connection_id or a distinct name")
    return matches[0] if matches else None


def current_tunnels(connection: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Each tunnel's options as the spec sees them, with its outside IP, in describe order."""
    result = []
    for entry in (connection.get("Options") or {}).get("TunnelOptions") or []:
        opts = from_api(entry)
        opts["outside_ip_address"] = entry.get("OutsideIpAddress")
        result.append(opts)
    return result


def _tunnel_fields(entry: Dict[str, Any]) -> Dict[str, Any]:
    """Only the spec's fields that were given (module params carry None for the rest)."""
    return {k: v for k, v in entry.items() if k in FIELDS and v is not None}


def _changes(desired: Dict[str, Any], current: Dict[str, Any]) -> Dict[str, Tuple[Any, Any]]:
    wanted = _tunnel_fields(desired)
    # SecretsManager storage: describe carries no PSK, so a given PSK cannot be compared.
    if current.get("pre_shared_key") is None:
        wanted.pop("pre_shared_key", None)
    return tunnel_changes(wanted, current)


def match_tunnels(
    desired: List[Dict[str, Any]], current: List[Dict[str, Any]]
) -> List[Tuple[int, Dict[str, Any], Dict[str, Any]]]:
    """Pair tunnel_options entries with the connection's tunnels, never by list position.

    An entry names its tunnel by ``outside_ip_address``, or by an inside CIDR or PSK that exactly one
    tunnel has. Entries that name none are paired so that the fewest options change; when two
    pairings tie with different changes the entries are ambiguous and this raises ValueError.
    Returns ``[(entry_index, entry, tunnel)]``.
    """
    pairs: List[Tuple[int, Dict[str, Any], Dict[str, Any]]] = []
    free = list(current)
    rest = []
    for idx, entry in enumerate(desired):
        ip = entry.get("outside_ip_address")
        if ip:
            found = [t for t in free if t.get("outside_ip_address") == ip]
            if not found:
                ips = ", ".join(str(t.get("outside_ip_address")) for t in current)
                raise ValueError(
                    f"tunnel_options[{idx + 1}].outside_ip_address: {ip} is not an outside IP of this connection ({ips})"
                )
            pairs.append((idx, entry, found[0]))
            free.remove(found[0])
            continue
        rest.append((idx, entry))
    unnamed = []
    for idx, entry in rest:
        found = []
        for key in TUNNEL_MATCH_KEYS:
            if entry.get(key):
                found = [t for t in free if tunnel_changes({key: entry[key]}, t) == {}]
                if len(found) == 1:
                    break
        if len(found) == 1:
            pairs.append((idx, entry, found[0]))
            free.remove(found[0])
        else:
            unnamed.append((idx, entry))
    if len(unnamed) > len(free):
        raise ValueError(f"tunnel_options has {len(desired)} entries for {len(current)} tunnels")
    if unnamed:
        scored = []
        for perm in itertools.permutations(free, len(unnamed)):
            changes = [_changes(entry, tun) for (idx, entry), tun in zip(unnamed, perm)]
            outcome = sorted(
                (tun.get("outside_ip_address"), sorted(ch.items(), key=repr)) for ch, tun in zip(changes, perm)
            )
            scored.append((sum(len(c) for c in changes), repr(outcome), perm))
        best = min(s[0] for s in scored)
        outcomes = {s[1] for s in scored if s[0] == best}
        if len(outcomes) > 1:
            raise ValueError(
                "tunnel_options: cannot tell which entry is for which tunnel (both pairings change the same "
                "number of options); add outside_ip_address (or tunnel_inside_cidr) to each entry"
            )
        perm = next(s[2] for s in scored if s[0] == best)
        pairs.extend((idx, entry, tun) for (idx, entry), tun in zip(unnamed, perm))
    return sorted(pairs, key=lambda p: p[0])


def vpn_view(connection: Dict[str, Any]) -> Dict[str, Any]:
    """What diff mode shows: options, tunnels (no PSKs), routes, tags."""
    if not connection:
        return {}
    options = connection.get("Options") or {}
    tunnels = []
    for t in current_tunnels(connection):
        t = with_defaults(dict(t))
        tunnels.append(redact_secrets(t))
    view = {
        "vpn_connection_id": connection.get("VpnConnectionId"),
        "customer_gateway_id": connection.get("CustomerGatewayId"),
        "vpn_gateway_id": connection.get("VpnGatewayId"),
        "transit_gateway_id": connection.get("TransitGatewayId"),
        "static_routes_only": options.get("StaticRoutesOnly"),
        "pre_shared_key_storage": psk_storage(connection),
    }
    # Every option the module can change is in the view, or diff mode would hide the change.
    view.update({opt: options.get(key, default) for opt, key, default in MODIFIABLE_CONNECTION_OPTIONS})
    return dict(
        view,
        routes=sorted(
            r["DestinationCidrBlock"]
            for r in connection.get("Routes") or []
            if r.get("State") not in ("deleting", "deleted")
        ),
        tunnels=sorted(tunnels, key=lambda t: str(t.get("outside_ip_address"))),
        tags=tags_of(connection),
    )


def mark_key_changes(view: Dict[str, Any], outside_ips) -> Dict[str, Any]:
    """The view with ``pre_shared_key: changed`` on the tunnels whose key changes (never the key)."""
    tunnels = [
        dict(t, pre_shared_key="changed") if t.get("outside_ip_address") in outside_ips else t
        for t in view.get("tunnels") or []
    ]
    return dict(view, tunnels=tunnels)


def key_changes(plan: Dict[str, Any]) -> List[str]:
    """Outside IPs of the tunnels whose pre-shared key the plan changes (or moves to another storage)."""
    ips = [ip for ip, changes in plan["tunnels"] if "pre_shared_key" in changes]
    return ips


# Connection options AWS fixes at creation: (module option, Options key, AWS default).
FIXED_CONNECTION_OPTIONS = (
    ("static_routes_only", "StaticRoutesOnly", False),
    ("tunnel_inside_ip_version", "TunnelInsideIpVersion", "ipv4"),
    ("outside_ip_address_type", "OutsideIpAddressType", "PublicIpv4"),
    ("enable_acceleration", "EnableAcceleration", False),
    ("transport_transit_gateway_attachment_id", "TransportTransitGatewayAttachmentId", None),
)
# Changed with ModifyVpnConnectionOptions: (module option, Options key, AWS default).
MODIFIABLE_CONNECTION_OPTIONS = (
    ("local_ipv4_network_cidr", "LocalIpv4NetworkCidr", "0.0.0.0/0"),
    ("remote_ipv4_network_cidr", "RemoteIpv4NetworkCidr", "0.0.0.0/0"),
    ("local_ipv6_network_cidr", "LocalIpv6NetworkCidr", "::/0"),
    ("remote_ipv6_network_cidr", "RemoteIpv6NetworkCidr", "::/0"),
    ("tunnel_bandwidth", "TunnelBandwidth", "standard"),
)

# Changed with ModifyVpnConnection: (module option, connection key).
TARGET_OPTIONS = (
    ("customer_gateway_id", "CustomerGatewayId"),
    ("vpn_gateway_id", "VpnGatewayId"),
    ("transit_gateway_id", "TransitGatewayId"),
)


def psk_storage(connection: Dict[str, Any]) -> str:
    return "SecretsManager" if connection.get("PreSharedKeyArn") else "Standard"


def plan_vpn_connection(params: Dict[str, Any], connection: Dict[str, Any]) -> Dict[str, Any]:
    """Compare the module params with an existing connection; pure, so unit tests need no AWS.

    Returns {"errors": [...], "connection_options": {ApiKey: value}, "tunnels": [(outside_ip,
    {field: (current, desired)})], "psk_storage": value or None, "routes_add": [...],
    "routes_remove": [...]}. Errors are differences AWS cannot apply in place.
    """
    options = connection.get("Options") or {}
    conn_id = connection.get("VpnConnectionId")
    plan: Dict[str, Any] = {
        "errors": [],
        "connection_options": {},
        "tunnels": [],
        "psk_storage": None,
        "routes_add": [],
        "routes_remove": [],
        "target": {},
    }
    for opt, key, default in FIXED_CONNECTION_OPTIONS:
        want = params.get(opt)
        have = options.get(key, default)
        if want is not None and want != have:
            plan["errors"].append(
                f"{opt}: {conn_id} has {have!r}, {want!r} wanted; AWS cannot modify this in place "
                "(only a new connection, with new outside IPs and PSKs, can have it: delete it explicitly with state=absent first)"
            )
    # Found by vpn_connection_id, a connection can move to another gateway (ModifyVpnConnection).
    for opt, key in TARGET_OPTIONS:
        want = params.get(opt)
        if want and want != connection.get(key):
            plan["target"][key] = want
    for opt, key, default in MODIFIABLE_CONNECTION_OPTIONS:
        want = params.get(opt)
        if want is not None and want != options.get(key, default):
            plan["connection_options"][key] = want

    if params.get("pre_shared_key_storage") and params["pre_shared_key_storage"] != psk_storage(connection):
        plan["psk_storage"] = params["pre_shared_key_storage"]

    desired = params.get("tunnel_options") or []
    if desired:
        tunnels = current_tunnels(connection)
        try:
            pairs = match_tunnels(desired, tunnels)
        except ValueError as e:
            plan["errors"].append(str(e))
            pairs = []
        for idx, entry, tunnel in pairs:
            changes = _changes(entry, tunnel)
            fixed = sorted(f for f in changes if f not in MODIFIABLE_IN_PLACE)
            if fixed:
                plan["errors"].append(
                    f"tunnel_options[{idx + 1}] ({tunnel.get('outside_ip_address')}): {', '.join(fixed)} cannot be modified in place by AWS"
                )
            elif changes:
                plan["tunnels"].append((tunnel.get("outside_ip_address"), changes))

    if params.get("routes") is not None:
        have = {
            r["DestinationCidrBlock"]
            for r in connection.get("Routes") or []
            if r.get("State") not in ("deleting", "deleted")
        }
        want = set(params["routes"])
        plan["routes_add"] = sorted(want - have)
        if params.get("purge_routes", True):
            plan["routes_remove"] = sorted(have - want)
    return plan


def create_vpn_connection_params(params: Dict[str, Any], tags: Optional[Dict[str, str]]) -> Dict[str, Any]:
    """CreateVpnConnection's parameters from the module params."""
    api: Dict[str, Any] = {
        "Type": params.get("connection_type") or "ipsec.1",
        "CustomerGatewayId": params["customer_gateway_id"],
    }
    if params.get("vpn_gateway_id"):
        api["VpnGatewayId"] = params["vpn_gateway_id"]
    if params.get("transit_gateway_id"):
        api["TransitGatewayId"] = params["transit_gateway_id"]
    if params.get("pre_shared_key_storage"):
        api["PreSharedKeyStorage"] = params["pre_shared_key_storage"]
    options: Dict[str, Any] = {}
    for opt, key, dummy in FIXED_CONNECTION_OPTIONS + MODIFIABLE_CONNECTION_OPTIONS:
        if params.get(opt) is not None:
            options[key] = params[opt]
    if params.get("tunnel_options"):
        options["TunnelOptions"] = [to_api(_tunnel_fields(t)) for t in params["tunnel_options"]]
    if options:
        api["Options"] = options
    if tags:
        api["TagSpecifications"] = boto3_tag_specifications(tags, types="vpn-connection")
    return api


def _describe_one(client, module, vpn_connection_id: str) -> Dict[str, Any]:
    try:
        found = describe_vpn_connections(client, VpnConnectionIds=[vpn_connection_id])
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    if not found:
        module.fail_json(msg=f"VPN connection {vpn_connection_id} disappeared")
    return found[0]


def _wait_available(client, module, vpn_connection_id: str) -> None:
    wait_for(
        client, module, "vpn_connection_available", module.params["wait_timeout"], VpnConnectionIds=[vpn_connection_id]
    )


def ensure_vpn_connection(
    client, module, existing: Optional[Dict[str, Any]]
) -> Tuple[bool, Dict[str, Any], Dict[str, Any]]:
    p = module.params
    tags = desired_tags(p.get("tags"), p.get("name"))
    wait = p.get("wait")
    if not existing:
        for idx, entry in enumerate(p.get("tunnel_options") or []):
            if entry.get("outside_ip_address"):
                module.fail_json(
                    msg=f"tunnel_options[{idx + 1}].outside_ip_address: no VPN connection exists yet, and AWS assigns outside IPs at creation"
                )
        api = create_vpn_connection_params(p, tags)
        routes = sorted(set(p.get("routes") or []))
        after = {
            "vpn_connection_id": None,
            "customer_gateway_id": api["CustomerGatewayId"],
            "vpn_gateway_id": api.get("VpnGatewayId"),
            "transit_gateway_id": api.get("TransitGatewayId"),
            "static_routes_only": bool(p.get("static_routes_only")),
            "routes": routes,
            "tunnels": [redact_secrets(with_defaults(_tunnel_fields(t))) for t in p.get("tunnel_options") or []],
            "tags": tags or {},
        }
        if module.check_mode:
            return True, {}, {"before": {}, "after": after}
        try:
            created = create_vpn_connection(client, **api)
            for cidr in routes:
                create_vpn_connection_route(client, created["VpnConnectionId"], cidr)
        except AnsibleEC2Error as e:
            module.fail_json_aws_error(e)
        conn_id = created["VpnConnectionId"]
        if wait:
            _wait_available(client, module, conn_id)
        connection = _describe_one(client, module, conn_id)
        return True, connection, {"before": {}, "after": vpn_view(connection)}

    conn_id = existing["VpnConnectionId"]
    plan = plan_vpn_connection(p, existing)
    if plan["errors"]:
        module.fail_json(msg="; ".join(plan["errors"]), vpn_connection_id=conn_id)

    changed = False
    before = vpn_view(existing)
    if any(plan[k] for k in ("target", "connection_options", "tunnels", "psk_storage", "routes_add", "routes_remove")):
        changed = True
    tag_changed, after_tags = ensure_tags(client, module, existing, conn_id, tags, p["purge_tags"])
    changed |= tag_changed

    if module.check_mode or not changed:
        after = _planned_view(before, plan, after_tags)
        return (
            changed,
            dict(existing, Tags=[{"Key": k, "Value": v} for k, v in after_tags.items()]),
            {"before": before, "after": after},
        )

    try:
        if plan["target"]:
            modify_vpn_connection(client, conn_id, **plan["target"])
            _wait_available(client, module, conn_id)
        for cidr in plan["routes_add"]:
            create_vpn_connection_route(client, conn_id, cidr)
        for cidr in plan["routes_remove"]:
            delete_vpn_connection_route(client, conn_id, cidr)
        if plan["connection_options"]:
            if existing.get("State") != "available":
                _wait_available(client, module, conn_id)
            modify_vpn_connection_options(client, conn_id, **plan["connection_options"])
            if wait or plan["tunnels"] or plan["psk_storage"]:
                _wait_available(client, module, conn_id)
        tunnel_plan = plan["tunnels"]
        if plan["psk_storage"]:
            # Moving the PSKs is a per-tunnel modification: every tunnel gets one.
            touched = {ip for ip, dummy in tunnel_plan}
            tunnel_plan = tunnel_plan + [
                (t["outside_ip_address"], {})
                for t in current_tunnels(existing)
                if t["outside_ip_address"] not in touched
            ]
        # Known available: the describe said so, or the wait after the options change did.
        available = existing.get("State") == "available"
        for outside_ip, changes in tunnel_plan:
            # One tunnel at a time, the other keeps carrying traffic: AWS refuses a second
            # modification before the connection is available again anyway.
            if not available:
                _wait_available(client, module, conn_id)
            available = False
            desired = {field: want for field, (dummy, want) in changes.items()}
            extra = {"PreSharedKeyStorage": plan["psk_storage"]} if plan["psk_storage"] else {}
            modify_vpn_tunnel_options(
                client, conn_id, outside_ip, TunnelOptions=to_api(desired, modify=True), **extra
            )
        if tunnel_plan and wait:
            _wait_available(client, module, conn_id)
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    connection = _describe_one(client, module, conn_id)
    return True, connection, {"before": before, "after": mark_key_changes(vpn_view(connection), key_changes(plan))}


def _planned_view(before: Dict[str, Any], plan: Dict[str, Any], tags: Dict[str, str]) -> Dict[str, Any]:
    after = dict(before, tags=tags)
    names = {key: opt for opt, key, dummy in MODIFIABLE_CONNECTION_OPTIONS}
    for key, value in plan["connection_options"].items():
        after[names[key]] = value
    if plan["psk_storage"]:
        after["pre_shared_key_storage"] = plan["psk_storage"]
    for opt, key in TARGET_OPTIONS:
        if key in plan["target"]:
            after[opt] = plan["target"][key]
    routes = (set(before.get("routes") or []) | set(plan["routes_add"])) - set(plan["routes_remove"])
    after["routes"] = sorted(routes)
    changes_by_ip = dict(plan["tunnels"])
    tunnels = []
    for tun in before.get("tunnels") or []:
        tun = dict(tun)
        for field, (dummy, want) in changes_by_ip.get(tun.get("outside_ip_address"), {}).items():
            if field not in SECRET_KEYS:
                tun[field] = want
        tunnels.append(tun)
    after["tunnels"] = tunnels
    return mark_key_changes(after, key_changes(plan))


def remove_vpn_connection(client, module, existing: Optional[Dict[str, Any]]) -> Tuple[bool, Dict[str, Any]]:
    if not existing:
        return False, {"before": {}, "after": {}}
    diff = {"before": vpn_view(existing), "after": {}}
    if module.check_mode:
        return True, diff
    try:
        delete_vpn_connection(client, existing["VpnConnectionId"])
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    if module.params.get("wait"):
        wait_for(
            client,
            module,
            "vpn_connection_deleted",
            module.params["wait_timeout"],
            VpnConnectionIds=[existing["VpnConnectionId"]],
        )
    return True, diff


def vpn_connection_result(connection: Dict[str, Any], return_secrets: bool = False) -> Dict[str, Any]:
    """The module's return: the connection in snake_case plus the merged ``tunnels``.

    Without return_secrets the PSKs are removed everywhere, and the CustomerGatewayConfiguration
    XML (which carries them) is left out: ``tunnels`` has everything it holds.
    """
    if not connection:
        return {"vpn_connection": {}, "tunnels": []}
    tunnels = merge_tunnels(connection)
    raw = dict(connection)
    if not return_secrets:
        raw.pop("CustomerGatewayConfiguration", None)
    result = snake_resource(raw)
    if not return_secrets:
        result = redact_secrets(result)
        tunnels = redact_secrets(tunnels)
    return {"vpn_connection": result, "tunnels": tunnels}
