# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AWS side of every site of one VPN gateway in one process (action plugin ``vpn_sites``).

Each resource kind is described once (``DescribeOnce``); the planners the modules use
(customer_gateways, vpn_gateways, vpn_connections, vpn_quotas) then run per site unchanged, their
describes answered from those reads. One site's error is kept in its result; the others go on.
"""

from __future__ import annotations

import copy
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import LIVE_STATES
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VPN_LIVE_STATES
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import snake_resource
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import tags_of

# describe method -> (response key, ID key): the kinds read once per run.
_KINDS = {
    "describe_customer_gateways": ("CustomerGateways", "CustomerGatewayId"),
    "describe_vpn_connections": ("VpnConnections", "VpnConnectionId"),
    "describe_vpn_gateways": ("VpnGateways", "VpnGatewayId"),
}
_FIELDS = {
    "state": lambda r: [r.get("State")],
    "ip-address": lambda r: [r.get("IpAddress")],
    "customer-gateway-id": lambda r: [r.get("CustomerGatewayId")],
    "vpn-gateway-id": lambda r: [r.get("VpnGatewayId")],
    "transit-gateway-id": lambda r: [r.get("TransitGatewayId")],
    "attachment.vpc-id": lambda r: [a.get("VpcId") for a in r.get("VpcAttachments") or []],
    "attachment.state": lambda r: [a.get("State") for a in r.get("VpcAttachments") or []],
}


def _values(resource: Dict[str, Any], name: str) -> Optional[List[Any]]:
    if name.startswith("tag:"):
        return [tags_of(resource).get(name[4:])]
    field = _FIELDS.get(name)
    return field(resource) if field else None


def _filter_dict(filters) -> Dict[str, List[str]]:
    return {f["Name"]: [str(v) for v in f.get("Values") or []] for f in filters or []}


class DescribeOnce(RetryingBotoClientWrapper):
    """An EC2 client whose describes of the kinds in ``_KINDS`` are answered from one read each.

    A describe is answered locally only when its filters are known here and narrow the read's own
    (the same name with a subset of its values); anything else, and every write, goes to AWS.
    Creates, deletes and describes by ID keep the local copy current for the sites that follow.
    """

    # a RetryingBotoClientWrapper, as AnsibleAWSModule.client gives the planners: aws_retry=True and
    # amazon.aws's waiters work on it
    def __init__(self, client):
        super().__init__(client, AWSRetry.jittered_backoff())
        self._read: Dict[str, Any] = {}

    def _through(self, method: str, params: Dict[str, Any]) -> Dict[str, Any]:
        call = getattr(self.client, method)
        if params.pop("aws_retry", False):
            call = self.retry(call)
        return call(**params)

    def read(self, method: str, filters: Dict[str, Any]) -> List[Dict[str, Any]]:
        key, id_key = _KINDS[method]
        found = self._through(method, {"Filters": ansible_dict_to_boto3_filter_list(filters), "aws_retry": True})[key]
        wanted = _filter_dict(ansible_dict_to_boto3_filter_list(filters))
        self._read[method] = (wanted, {r[id_key]: r for r in found})
        return list(found)

    def _local(self, method: str, params: Dict[str, Any]) -> Optional[List[Dict[str, Any]]]:
        if method not in self._read or set(params) - {"Filters"}:
            return None
        wanted, items = self._read[method]
        asked = _filter_dict(params.get("Filters"))
        if any(name not in asked or not set(asked[name]) <= set(values) for name, values in wanted.items()):
            return None
        if any(_FIELDS.get(name) is None and not name.startswith("tag:") for name in asked):
            return None
        return [
            copy.deepcopy(r) for r in items.values()
            if all(set(map(str, _values(r, name) or [])) & set(values) for name, values in asked.items())
        ]

    def _remember(self, method: str, resources: List[Dict[str, Any]]) -> None:
        if method in self._read:
            id_key = _KINDS[method][1]
            for resource in resources:
                self._read[method][1][resource[id_key]] = copy.deepcopy(resource)

    def _describe(self, method: str, params: Dict[str, Any]) -> Dict[str, Any]:
        key = _KINDS[method][0]
        params = dict(params)
        retry = params.pop("aws_retry", False)
        local = self._local(method, params)
        if local is not None:
            return {key: local}
        response = self._through(method, dict(params, aws_retry=retry))
        self._remember(method, response.get(key) or [])
        return response

    def describe_customer_gateways(self, **params):
        return self._describe("describe_customer_gateways", params)

    def describe_vpn_connections(self, **params):
        return self._describe("describe_vpn_connections", params)

    def describe_vpn_gateways(self, **params):
        return self._describe("describe_vpn_gateways", params)

    def create_customer_gateway(self, **params):
        response = self._through("create_customer_gateway", dict(params))
        self._remember("describe_customer_gateways", [response["CustomerGateway"]])
        return response

    def create_vpn_connection(self, **params):
        response = self._through("create_vpn_connection", dict(params))
        self._remember("describe_vpn_connections", [response["VpnConnection"]])
        return response

    def delete_customer_gateway(self, **params):
        response = self._through("delete_customer_gateway", dict(params))
        self._gone("describe_customer_gateways", params["CustomerGatewayId"])
        return response

    def delete_vpn_connection(self, **params):
        response = self._through("delete_vpn_connection", dict(params))
        self._gone("describe_vpn_connections", params["VpnConnectionId"])
        return response

    def _gone(self, method: str, resource_id: str) -> None:
        if method in self._read and resource_id in self._read[method][1]:
            self._read[method][1][resource_id]["State"] = "deleted"


class SiteModule:
    """What the planners read of a module: params, check_mode, region, warn; failures raise VpnError."""

    def __init__(self, params: Dict[str, Any], check_mode: bool, region: Optional[str] = None):
        self.params = params
        self.check_mode = check_mode
        self.region = region
        self.warnings: List[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def fail_json(self, msg: str, **details):
        raise VpnError(msg, **details)

    def fail_json_aws(self, exception, msg: Optional[str] = None, **details):
        raise VpnError(f"{msg}: {exception}" if msg else str(exception), **details)


def read_all(client: DescribeOnce, vgw_name: str) -> Dict[str, List[Dict[str, Any]]]:
    """The three reads every run makes, whatever the number of sites."""
    return {
        "vpn_connections": client.read("describe_vpn_connections", {"state": list(VPN_LIVE_STATES)}),
        "customer_gateways": client.read("describe_customer_gateways", {"state": list(LIVE_STATES)}),
        "vpn_gateways": client.read("describe_vpn_gateways", {"tag:Name": vgw_name, "state": list(LIVE_STATES)}),
    }


def quota_existing(found: Dict[str, List[Dict[str, Any]]]) -> Dict[str, List[Dict[str, Any]]]:
    """The reads as the _info modules return them (what vpn_quotas.plan_quota_errors takes)."""
    return {kind: [snake_resource(r) for r in found[kind]] for kind in ("vpn_connections", "customer_gateways")}


def quota_hub(found: Dict[str, List[Dict[str, Any]]], names: List[str], vgw_name: str) -> str:
    """The gateway the sites share: the one found by name, else the one their connections are on, else its name."""
    ours = [c.get("VpnGatewayId") for c in found["vpn_connections"] if tags_of(c).get("Name") in names]
    return ([g["VpnGatewayId"] for g in found["vpn_gateways"]] + [c for c in ours if c] + [vgw_name])[0]


def lab_vpc(client, module: SiteModule, name_prefix: str, cidr: str, tags: Dict[str, str]) -> Dict[str, Any]:
    """The lab VPC found through its route table's Name tag (one read), else created with that tag.

    Runs that overlapped may have tagged two VPCs' route tables: the one the VPN gateway propagates
    into wins, else the lowest VPC ID; ``candidates`` lists them all for the role's duplicate clean-up.
    """
    tables = client.describe_route_tables(Filters=ansible_dict_to_boto3_filter_list({"tag:Name": f"{name_prefix}-rt"}))
    tables = tables.get("RouteTables") or []
    if tables:
        found = sorted([t for t in tables if t.get("PropagatingVgws")] or tables, key=lambda t: t["VpcId"])
        vpc_id = found[0]["VpcId"]
        return {
            "vpc_id": vpc_id,
            "route_table_ids": [t["RouteTableId"] for t in found if t["VpcId"] == vpc_id],
            "created": False,
            "candidates": sorted({t["VpcId"] for t in tables}),
        }
    if module.check_mode:
        # a new VPC has no ID in check mode: there is nothing to look at yet
        return {"vpc_id": "", "route_table_ids": [], "created": True, "candidates": []}
    vpc_tags = dict(tags, Name=f"{name_prefix}-vpc")
    vpc = client.create_vpc(CidrBlock=cidr, TagSpecifications=boto3_tag_specifications(vpc_tags, types="vpc"))["Vpc"]
    # as amazon.aws.ec2_vpc_net creates it (dns_hostnames defaults to true there)
    client.modify_vpc_attribute(VpcId=vpc["VpcId"], EnableDnsHostnames={"Value": True})
    main = client.describe_route_tables(
        Filters=ansible_dict_to_boto3_filter_list({"vpc-id": vpc["VpcId"], "association.main": "true"})
    ).get("RouteTables") or []
    rt_ids = [t["RouteTableId"] for t in main]
    if rt_ids:
        rt_tags = dict(tags, Name=f"{name_prefix}-rt")
        client.create_tags(Resources=rt_ids[:1], Tags=[{"Key": k, "Value": str(v)} for k, v in rt_tags.items()])
    return {"vpc_id": vpc["VpcId"], "route_table_ids": rt_ids[:1], "created": True, "candidates": [vpc["VpcId"]]}
