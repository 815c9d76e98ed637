# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""VPN connections: find one, create it, apply its change set tunnel by tunnel, delete it, and
the module's result (no pre-shared keys unless asked).

Errors are raised (``VpnError`` for a request to refuse, ``AnsibleEC2Error`` from AWS); the module decides.
"""

from __future__ import annotations

import json
from typing import Any
from typing import Dict
from typing import Optional
from typing import Tuple

from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VPN_LIVE_STATES
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import create_vpn_connection
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import create_vpn_connection_route
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import delete_vpn_connection
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import delete_vpn_connection_route
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import describe_vpn_connections
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import desired_tags
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import ensure_tags
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import find_live
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import get_secret_string
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import modify_vpn_connection
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import modify_vpn_connection_options
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import modify_vpn_tunnel_options
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import redact_secrets
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import removed
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import snake_resource
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import wait_for
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_attachments import describe_transit_gateway_attachments
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_api import to_api
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_defaults import with_defaults
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import merge_tunnels
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import create_vpn_connection_params
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import current_tunnels
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import key_changes
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import mark_key_changes
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import planned_view
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import tunnel_fields
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import vpn_connection_changes
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_changes import vpn_view
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import VPN_CONNECTIONS
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import converge
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import one_match
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import tunnels_up


def find_vpn_connection(
    client,
    vpn_connection_id=None,
    customer_gateway_id=None,
    vpn_gateway_id=None,
    transit_gateway_id=None,
    name=None,
    tags=None,
) -> Optional[Dict[str, Any]]:
    """By id; else the live connection between this customer gateway and this VGW/TGW.

    Several that are all the collection's (Name and ``tags``) raise DuplicatesFound.
    """
    if not (vpn_connection_id or customer_gateway_id):
        raise VpnError("customer_gateway_id (or vpn_connection_id) is needed to find the VPN connection")
    filters = {"customer-gateway-id": customer_gateway_id}
    if vpn_gateway_id:
        filters["vpn-gateway-id"] = vpn_gateway_id
    if transit_gateway_id:
        filters["transit-gateway-id"] = transit_gateway_id

    ends = {"CustomerGatewayId": customer_gateway_id, "VpnGatewayId": vpn_gateway_id, "TransitGatewayId": transit_gateway_id}

    def between(c):
        return all(c.get(key) == value for key, value in ends.items() if value)

    matches = find_live(describe_vpn_connections, client, "VpnConnectionId", vpn_connection_id, filters, between, VPN_LIVE_STATES)
    return one_match(matches, VPN_CONNECTIONS, "give vpn_connection_id or a distinct name", name, tags)


def _describe_one(client, vpn_connection_id: str) -> Dict[str, Any]:
    found = describe_vpn_connections(client, VpnConnectionIds=[vpn_connection_id])
    if not found:
        raise VpnError(f"VPN connection {vpn_connection_id} disappeared")
    return found[0]


def _wait_available(client, module, vpn_connection_id: str) -> None:
    wait_for(
        client, "vpn_connection_available", module.params["wait_timeout"], VpnConnectionIds=[vpn_connection_id]
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
                raise VpnError(
                    f"tunnel_options[{idx + 1}].outside_ip_address: no VPN connection exists yet, and AWS assigns outside IPs at creation"
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
            "tunnels": [redact_secrets(with_defaults(tunnel_fields(t))) for t in p.get("tunnel_options") or []],
            "tags": tags or {},
        }
        if module.check_mode:
            return True, {}, {"before": {}, "after": after}
        created = create_vpn_connection(client, **api)
        for cidr in routes:
            create_vpn_connection_route(client, created["VpnConnectionId"], cidr)
        conn_id = created["VpnConnectionId"]
        if wait:
            _wait_available(client, module, conn_id)
        connection = _describe_one(client, conn_id)
        return True, connection, {"before": {}, "after": vpn_view(connection)}

    conn_id = existing["VpnConnectionId"]
    change_set = vpn_connection_changes(p, existing)
    if change_set["errors"]:
        raise VpnError("; ".join(change_set["errors"]), vpn_connection_id=conn_id)

    changed = False
    before = vpn_view(existing)
    if any(change_set[k] for k in ("target", "connection_options", "tunnels", "psk_storage", "routes_add", "routes_remove")):
        changed = True
    tag_changed, after_tags = ensure_tags(client, module, existing, conn_id, tags, p["purge_tags"])
    changed |= tag_changed

    if module.check_mode or not changed:
        after = planned_view(before, change_set, after_tags)
        return (
            changed,
            dict(existing, Tags=[{"Key": k, "Value": v} for k, v in after_tags.items()]),
            {"before": before, "after": after},
        )

    if change_set["target"]:
        modify_vpn_connection(client, conn_id, **change_set["target"])
        _wait_available(client, module, conn_id)
    for cidr in change_set["routes_add"]:
        create_vpn_connection_route(client, conn_id, cidr)
    for cidr in change_set["routes_remove"]:
        delete_vpn_connection_route(client, conn_id, cidr)
    if change_set["connection_options"]:
        if existing.get("State") != "available":
            _wait_available(client, module, conn_id)
        modify_vpn_connection_options(client, conn_id, **change_set["connection_options"])
        if wait or change_set["tunnels"] or change_set["psk_storage"]:
            _wait_available(client, module, conn_id)
    per_tunnel = change_set["tunnels"]
    if change_set["psk_storage"]:
        # Moving the PSKs is a per-tunnel modification: every tunnel gets one.
        touched = {ip for ip, dummy in per_tunnel}
        per_tunnel = per_tunnel + [
            (t["outside_ip_address"], {})
            for t in current_tunnels(existing)
            if t["outside_ip_address"] not in touched
        ]
    # Known available: the describe said so, or the wait after the options change did.
    available = existing.get("State") == "available"
    for outside_ip, changes in per_tunnel:
        # One tunnel at a time, the other keeps carrying traffic: AWS refuses a second
        # modification before the connection is available again anyway.
        if not available:
            _wait_available(client, module, conn_id)
        available = False
        desired = {field: want for field, (dummy, want) in changes.items()}
        extra = {"PreSharedKeyStorage": change_set["psk_storage"]} if change_set["psk_storage"] else {}
        modify_vpn_tunnel_options(
            client, conn_id, outside_ip, TunnelOptions=to_api(desired, modify=True), **extra
        )
    if per_tunnel and wait:
        _wait_available(client, module, conn_id)
    connection = _describe_one(client, conn_id)
    return True, connection, {"before": before, "after": mark_key_changes(vpn_view(connection), key_changes(change_set))}


def remove_vpn_connection(client, module, existing: Optional[Dict[str, Any]]) -> Tuple[bool, Dict[str, Any]]:
    def delete(connection):
        delete_vpn_connection(client, connection["VpnConnectionId"])
        if module.params.get("wait"):
            wait_for(client, "vpn_connection_deleted", module.params["wait_timeout"], VpnConnectionIds=[connection["VpnConnectionId"]])

    return removed(module, existing, vpn_view, delete)


def transit_gateway_attachment_id(client, connection: Dict[str, Any]) -> Optional[str]:
    """The transit gateway attachment AWS made for a connection on a transit gateway (None on a VGW)."""
    if not (connection.get("TransitGatewayId") and connection.get("VpnConnectionId")):
        return None
    filters = {"resource-id": connection["VpnConnectionId"], "resource-type": "vpn"}
    found = describe_transit_gateway_attachments(client, Filters=ansible_dict_to_boto3_filter_list(filters))
    found = [
        a
        for a in found
        if a.get("ResourceId") == connection["VpnConnectionId"] and a.get("State") not in ("deleting", "deleted", "failed")
    ]
    return found[0]["TransitGatewayAttachmentId"] if found else None


def with_secret_keys(secrets_client, connection: Dict[str, Any]) -> Tuple[Dict[str, Any], Optional[str]]:
    """(a copy of the connection with each tunnel's PreSharedKey read from Secrets Manager, a warning or None).

    The secret's SecretString maps each tunnel's outside IP to its key (a JSON object). Only for
    return_secrets: the keys then go where Standard storage has them, so the device roles see no difference.
    """
    arn = connection.get("PreSharedKeyArn")
    if not arn:
        return connection, None
    text = get_secret_string(secrets_client, arn)
    try:
        keys = json.loads(text or "")
    except ValueError:
        keys = None
    if not isinstance(keys, dict):
        return connection, f"the secret {arn} is not a JSON object of outside IP -> pre-shared key: the keys are not returned"
    options = dict(connection.get("Options") or {})
    tunnels = []
    for tunnel in options.get("TunnelOptions") or []:
        key = keys.get(tunnel.get("OutsideIpAddress"))
        tunnels.append(dict(tunnel, PreSharedKey=key) if isinstance(key, str) and key else tunnel)
    options["TunnelOptions"] = tunnels
    missing = [t.get("OutsideIpAddress") for t in tunnels if not t.get("PreSharedKey")]
    warning = f"the secret {arn} has no key for tunnel(s) {', '.join(map(str, missing))}" if missing else None
    return dict(connection, Options=options), warning


def vpn_connection_result(
    connection: Dict[str, Any], return_secrets: bool = False, attachment_id: Optional[str] = None
) -> Dict[str, Any]:
    """The module's return: the connection in snake_case plus the merged ``tunnels``.

    Without return_secrets the PSKs are removed everywhere, and the CustomerGatewayConfiguration
    XML (which carries them) is left out: ``tunnels`` has everything it holds.
    """
    if not connection:
        return {"vpn_connection": {}, "tunnels": []}
    tunnels = merge_tunnels(connection)
    raw = dict(connection)
    if attachment_id:
        raw["TransitGatewayAttachmentId"] = attachment_id
    if not return_secrets:
        raw.pop("CustomerGatewayConfiguration", None)
    result = snake_resource(raw)
    if not return_secrets:
        result = redact_secrets(result)
        tunnels = redact_secrets(tunnels)
    return {"vpn_connection": result, "tunnels": tunnels}


def converge_vpn_connections(client, module, matches):
    """Duplicates between the same gateways: keep one with a tunnel UP, else an available one (rule in vpn_duplicates)."""
    in_use = {c["VpnConnectionId"]: tunnels_up(c) > 0 for c in matches}

    def delete(c):
        delete_vpn_connection(client, c["VpnConnectionId"])

    return converge(module, matches, VPN_CONNECTIONS, in_use, delete, prefer=lambda c: (-tunnels_up(c), c.get("State") != "available"))
