# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the filters lives in device_config.yml, device_config_text.yml,
# parse_device_status.yml and device_type_error.yml.

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.module_utils.devices import cisco_ios
from ansible_collections.sitevpn.aws.plugins.module_utils.devices import fortios
from ansible_collections.sitevpn.aws.plugins.module_utils.devices import junos
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import DEVICE_TYPES
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import PLATFORMS
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import redact
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import secrets_of
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.fortios import merge_router_bgp
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import config_text
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import render_device_config
from ansible_collections.sitevpn.aws.plugins.module_utils.device_status import parse_device_status as _parse_device_status
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError
from ansible_collections.sitevpn.aws.plugins.plugin_utils.filter_calls import call


def device_config(plan, device_type, options=None):
    """What the device role pushes for the plan, per vendor module."""
    if options is not None and not isinstance(options, dict):
        raise AnsibleFilterError(f"device_config: options must be a dict, got {type(options).__name__}")
    return call("device_config", render_device_config, plan, device_type, options, errors=ValidationError)


def device_config_text(rendered):
    """The configuration lines of a device_config result as text (IOS blocks, Junos set lines)."""
    if not isinstance(rendered, dict) or rendered.get("platform") not in ("cisco_ios", "junos"):
        raise AnsibleFilterError("device_config_text expects a cisco_ios or junos device_config result")
    return config_text(rendered)


def fortios_bgp_merge(current, rendered):
    """The FortiGate's BGP object with the connection's neighbors and networks merged in."""
    return call("fortios_bgp_merge", merge_router_bgp, current, rendered, errors=ValidationError)


def device_taken_ids(facts, device_type, vpn_connection_id, existing=None, rendered=None):
    """The IDs the device uses for other configuration, from the vendor's facts, with ``existing``."""
    facts = facts or {}
    if device_type == "cisco_ios":
        found = cisco_ios.taken_ids(facts.get("interfaces"), vpn_connection_id, facts.get("running_config"), rendered)
    elif device_type == "junos":
        found = junos.taken_ids(facts.get("configuration"), vpn_connection_id)
    elif device_type == "fortios":
        found = fortios.taken_ids(facts.get("firewall_policy"), facts.get("router_static"), vpn_connection_id)
    else:
        raise AnsibleFilterError(f"device_taken_ids: no facts reader for {device_type!r} ({', '.join(PLATFORMS)})")
    merged = {k: list(v) for k, v in (existing or {}).items()}
    for key, ids in found.items():
        if ids or key in merged:
            merged[key] = merged.get(key, []) + [i for i in ids if i not in merged.get(key, [])]
    return merged


def device_redact(message, *holders):
    """``message`` with every pre-shared key of ``holders`` (connections, plans, renderings) and
    every key a device command echoes replaced by ********."""
    secrets = []
    for holder in holders:
        secrets += secrets_of(holder)
    return redact(message, secrets)


def device_failure(result):
    """What failed in a task result (``ansible_failed_result``): its message, or per failed loop item
    the item's label and message.  Not redacted: pipe it into device_redact."""
    if not isinstance(result, dict):
        return str(result)
    if isinstance(result.get("results"), list):
        failed = [r for r in result["results"] if isinstance(r, dict) and r.get("failed")]
        if failed:
            return "; ".join(f"{r.get('_ansible_item_label', r.get('item'))}: {r.get('msg') or r.get('stderr') or 'failed'}" for r in failed)
    return str(result.get("msg") or result.get("stderr") or "failed")


def parse_device_status(outputs, device_type, tunnels):
    """Per-tunnel status from the device's show-command outputs."""
    return call("parse_device_status", _parse_device_status, device_type, outputs, tunnels, errors=ValidationError)


def device_type_error(device_type, platforms_only=False):
    """'' when the collection configures ``device_type`` (every type, or with ``platforms_only`` the
    network platforms only: not strongswan), else the message saying which it knows."""
    known = PLATFORMS if platforms_only else DEVICE_TYPES
    if isinstance(device_type, str) and device_type in known:
        return ""
    return f"vpn_device_type {device_type} is not one of {', '.join(known)}"


class FilterModule:
    def filters(self):
        return {
            "device_config": device_config,
            "device_config_text": device_config_text,
            "fortios_bgp_merge": fortios_bgp_merge,
            "device_taken_ids": device_taken_ids,
            "device_redact": device_redact,
            "device_failure": device_failure,
            "parse_device_status": parse_device_status,
            "device_type_error": device_type_error,
        }
