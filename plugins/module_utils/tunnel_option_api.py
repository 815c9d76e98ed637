# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tunnel options between their snake form and the EC2 API's (request and describe forms)."""

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import API_TO_FIELD
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import CLOUDWATCH_LOG_FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import DESCRIBE_TO_FIELD
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import MATCH_KEYS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import MODIFIABLE_IN_PLACE
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import TunnelOptionError


def _values(items):
    """Flatten ``[{"Value": x}]`` (or camel_dict_to_snake_dict's ``[{"value": x}]``)."""
    result = []
    for item in items or []:
        if isinstance(item, dict):
            result.append(item.get("Value", item.get("value")))
        else:
            result.append(item)
    return result


def _log_options_to_api(value):
    cw = (value or {}).get("cloudwatch_log_options") or {}
    api = {spec[0]: cw[key] for key, spec in CLOUDWATCH_LOG_FIELDS.items() if cw.get(key) is not None}
    return {"CloudWatchLogOptions": api}


def _log_options_from_api(value):
    cw = value.get("CloudWatchLogOptions", value.get("cloud_watch_log_options", value.get("cloudwatch_log_options")))
    if cw is None:
        return {"cloudwatch_log_options": {}}
    result = {}
    for key, spec in CLOUDWATCH_LOG_FIELDS.items():
        if spec[0] in cw:
            result[key] = cw[spec[0]]
        elif key in cw:
            result[key] = cw[key]
    return {"cloudwatch_log_options": result}


def _key_exchanges_to_api(rounds):
    api = []
    for r in rounds or []:
        item = {"AdditionalKeyExchangeRound": r["round"]}
        if r.get("requirement") is not None:
            item["Requirement"] = r["requirement"]
        if r.get("methods") is not None:
            item["KeyExchangeMethods"] = [{"Value": m} for m in r["methods"]]
        api.append(item)
    return api


def _key_exchanges_from_api(rounds):
    result = []
    for r in rounds or []:
        item = {
            "round": r.get("AdditionalKeyExchangeRound", r.get("additional_key_exchange_round", r.get("round"))),
            "requirement": r.get("Requirement", r.get("requirement")),
            "methods": _values(r.get("KeyExchangeMethods", r.get("key_exchange_methods", r.get("methods")))),
        }
        result.append(item)
    return result


def to_api(options, modify=False):
    """Snake options -> a VpnTunnelOptionsSpecification (or the Modify spec with ``modify=True``).

    Unset (None) options are left out, so AWS keeps its default / current value.  Match keys
    (``outside_ip_address``) are dropped.  An unknown key raises :class:`TunnelOptionError`.
    """
    api = {}
    for name, value in (options or {}).items():
        if value is None or name in MATCH_KEYS:
            continue
        field = FIELDS.get(name)
        if field is None:
            raise TunnelOptionError(name, "is not a tunnel option")
        if modify and name not in MODIFIABLE_IN_PLACE:
            raise TunnelOptionError(name, "cannot be modified in place by ModifyVpnTunnelOptions")
        if field.kind in ("list_str", "list_int"):
            api[field.api_name] = [{"Value": v} for v in value]
        elif field.kind == "dict":
            api[field.api_name] = _log_options_to_api(value)
        elif field.kind == "list_dict":
            api[field.api_name] = _key_exchanges_to_api(value)
        else:
            api[field.api_name] = value
    return api


def from_api(tunnel_option):
    """A DescribeVpnConnections ``TunnelOptions`` entry -> snake dict of the options present.

    Accepts boto3's CamelCase or camel_dict_to_snake_dict's snake_case.  Lists are flattened;
    ``outside_ip_address`` is included when present.  Absent options stay absent: use
    :func:`with_defaults` for effective values.
    """
    result = {}
    for key, value in (tunnel_option or {}).items():
        if key in ("OutsideIpAddress", "outside_ip_address"):
            result["outside_ip_address"] = value
            continue
        field = DESCRIBE_TO_FIELD.get(key) or API_TO_FIELD.get(key) or FIELDS.get(key)
        if field is None or value is None:
            continue
        if field.kind in ("list_str", "list_int"):
            value = _values(value)
        elif field.kind == "dict":
            value = _log_options_from_api(value)
        elif field.kind == "list_dict":
            value = _key_exchanges_from_api(value)
        result[field.name] = value
    return result
