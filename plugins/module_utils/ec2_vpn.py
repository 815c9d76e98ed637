# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""EC2 calls for Site-to-Site VPN that amazon.aws lacks, and the small helpers the VPN logic shares.

The wrappers follow amazon.aws's ``module_utils/ec2.py``: an error-handler class naming the
"not found" codes on top of ``AWSRetry.jittered_backoff``, raising ``AnsibleEC2Error``.
amazon.aws wraps its VPN connection calls in the VPC handler, so a missing VPN connection is not
recognised there; the connection wrappers here use a handler that knows the VPN codes.

Nothing here fails the module: AWS errors raise ``AnsibleEC2Error`` and a request the VPN logic
must refuse raises :class:`VpnError`; the modules catch both and decide (``fail_json``).
The logic lives beside this file: ``customer_gateways``, ``vpn_gateways``, ``vpn_connections``
and the pure connection change set ``vpn_changes``.
"""

from __future__ import annotations

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
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import remove_ec2_tags
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list
from ansible_collections.amazon.aws.plugins.module_utils.waiters import get_waiter

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_calls import create_call
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_calls import delete_call
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_calls import describe_call

LIVE_STATES = ("pending", "available")
VPN_LIVE_STATES = ("pending", "available", "modifying")
SECRET_KEYS = ("pre_shared_key", "PreSharedKey")


class VpnError(Exception):
    """A request the VPN logic refuses (AWS would fail half-way, or it is ambiguous).

    ``details`` go into the module's failure result next to ``msg`` (e.g. ``field``).
    """

    def __init__(self, message: str, **details: Any):
        super().__init__(message)
        self.message = message
        self.details = details


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
describe_customer_gateways = describe_call(EC2CustomerGatewayErrorHandler, "describe_customer_gateways", "CustomerGateways")
create_customer_gateway = create_call(EC2CustomerGatewayErrorHandler, "create_customer_gateway", "CustomerGateway")


delete_customer_gateway = delete_call(EC2CustomerGatewayErrorHandler, "delete_customer_gateway", "CustomerGatewayId", ["IncorrectState"])


# ---------------------------------------------------------------------------------------------
# VPN connections (amazon.aws has these behind the VPC handler; ours know the VPN codes)
# ---------------------------------------------------------------------------------------------
describe_vpn_connections = describe_call(EC2VpnConnectionErrorHandler, "describe_vpn_connections", "VpnConnections")
create_vpn_connection = create_call(EC2VpnConnectionErrorHandler, "create_vpn_connection", "VpnConnection")


delete_vpn_connection = delete_call(EC2VpnConnectionErrorHandler, "delete_vpn_connection", "VpnConnectionId")


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


@EC2VpnConnectionErrorHandler.common_error_handler("get vpn tunnel replacement status")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["IncorrectState"])
def get_vpn_tunnel_replacement_status(client, vpn_connection_id: str, outside_ip: str) -> Dict[str, Any]:
    return client.get_vpn_tunnel_replacement_status(
        VpnConnectionId=vpn_connection_id, VpnTunnelOutsideIpAddress=outside_ip
    )


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
# Secrets Manager (the keys of a connection with PreSharedKeyStorage SecretsManager)
# ---------------------------------------------------------------------------------------------
class SecretsManagerErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEC2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


@SecretsManagerErrorHandler.common_error_handler("get secret value")
@AWSRetry.jittered_backoff()
def get_secret_string(client, secret_id: str) -> Optional[str]:
    return client.get_secret_value(SecretId=secret_id).get("SecretString")


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
def wait_for(client, waiter_name: str, timeout: int, **params: Any) -> None:
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
            raise AnsibleEC2Error(message=f"Timeout waiting for '{waiter_name}' ({timeout} s)", exception=e) from e
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise AnsibleEC2Error(message=f"Failed waiting for '{waiter_name}'", exception=e) from e


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


def given_params(params: Dict[str, Any], api_names: Dict[str, str]) -> Dict[str, Any]:
    """The API parameters of the module options that were given a value (``api_names``: option -> API name)."""
    return {api: params[opt] for opt, api in api_names.items() if params.get(opt)}


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


def int_or_none(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def tag_filters(name: Optional[str], tags: Optional[Dict[str, Any]]) -> Dict[str, str]:
    """The Describe filters of a resource found by its Name tag, else by all of ``tags``."""
    if name is not None:
        return {"tag:Name": name}
    return {f"tag:{k}": str(v) for k, v in (tags or {}).items()}


def has_tags(resource: Dict[str, Any], name: Optional[str], tags: Optional[Dict[str, Any]]) -> bool:
    """The resource carries Name=``name``, else (no name) every tag of ``tags``: ``tag_filters`` checked here."""
    have = tags_of(resource)
    if name is not None:
        return have.get("Name") == name
    return all(have.get(k) == str(v) for k, v in (tags or {}).items())


def find_live(describe, client, id_key: str, resource_id: Optional[str], filters: Dict[str, Any], wanted, live_states=LIVE_STATES):
    """The live resources ``describe`` returns for ``resource_id`` (its ``id_key``), else for
    ``filters``, that are that ID, else that ``wanted`` accepts. Server-side filters narrow the call;
    the same conditions are checked here, because not every endpoint implements every filter."""
    params: Dict[str, Any] = {f"{id_key}s": [resource_id]} if resource_id else {}
    params["Filters"] = ansible_dict_to_boto3_filter_list(dict({} if resource_id else filters, state=list(live_states)))
    return [
        r
        for r in describe(client, **params)
        if r.get("State") in live_states and (r.get(id_key) == resource_id if resource_id else wanted(r))
    ]


def removed(module, existing: Optional[Dict[str, Any]], view, delete) -> Tuple[bool, Dict[str, Any]]:
    """Delete ``existing`` with ``delete(existing)``, not in check mode: (changed, the diff as ``view``
    shows the resource). Nothing to delete: unchanged."""
    if not existing:
        return False, {"before": {}, "after": {}}
    if not module.check_mode:
        delete(existing)
    return True, {"before": view(existing), "after": {}}


def connections_using(client, filters: Dict[str, Any]) -> List[str]:
    """IDs of the live VPN connections matching ``filters`` (a gateway's users)."""
    filters = dict(filters, state=list(VPN_LIVE_STATES))
    found = describe_vpn_connections(client, Filters=ansible_dict_to_boto3_filter_list(filters))
    key, value = next((k, v) for k, v in filters.items() if k != "state")
    api_key = {"customer-gateway-id": "CustomerGatewayId", "vpn-gateway-id": "VpnGatewayId"}[key]
    return sorted(c["VpnConnectionId"] for c in found if c.get("State") in VPN_LIVE_STATES and c.get(api_key) == value)
