# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the filters lives in vpn_tunnels.yml, vpn_tunnel_plan.yml, site_model.yml, site_names.yml
# and device_layout.yml.

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sitevpn.aws.plugins.module_utils import site_names as names
from ansible_collections.sitevpn.aws.plugins.module_utils.site_model import build_site_model
from ansible_collections.sitevpn.aws.plugins.module_utils.site_model import device_layout as _device_layout
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import merge_tunnels
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_config import VpnConfigError
from ansible_collections.sitevpn.aws.plugins.plugin_utils.filter_calls import call
from ansible_collections.sitevpn.aws.plugins.plugin_utils.filter_calls import expect

# What the plan builders raise on a connection or site they cannot read
_PLAN_ERRORS = (VpnConfigError, ValidationError)


def _connection(value, name):
    # Accept the whole describe_vpn_connections result when it holds exactly one connection.
    if isinstance(value, dict):
        for key in ("VpnConnections", "vpn_connections"):
            if key in value and "VpnConnectionId" not in value and "vpn_connection_id" not in value:
                value = value[key]
                break
    if isinstance(value, list):
        if len(value) != 1:
            raise AnsibleFilterError(f"{name} expects one VPN connection, got a list of {len(value)}")
        value = value[0]
    return expect(name, value, dict, "a VPN connection (dict)")


def _has_secrets(connection):
    """The XML, a key in the tunnel options, or keys kept in Secrets Manager (the device roles read them there)."""
    if connection.get("CustomerGatewayConfiguration") or connection.get("customer_gateway_configuration"):
        return True
    if connection.get("PreSharedKeyArn") or connection.get("pre_shared_key_arn"):
        return True
    options = connection.get("Options") or connection.get("options") or {}
    tunnels = options.get("TunnelOptions") or options.get("tunnel_options") or []
    return any(t.get("PreSharedKey") or t.get("pre_shared_key") for t in tunnels if isinstance(t, dict))


def vpn_tunnels(connection):
    """The connection's tunnels merged from XML, TunnelOptions and VgwTelemetry."""
    return call("vpn_tunnels", merge_tunnels, _connection(connection, "vpn_tunnels"), errors=_PLAN_ERRORS)


def _with_secrets(connection, name):
    connection = _connection(connection, name)
    if not _has_secrets(connection):
        raise AnsibleFilterError(
            f"{name}: the connection has no customer_gateway_configuration and no pre-shared keys: "
            "sitevpn.aws.vpn_connection returns them only with return_secrets: true (set no_log: true on that task)"
        )
    return connection


def vpn_tunnel_plan(connection, site=None):
    """The vendor-neutral device plan of the connection for a site."""
    connection = _with_secrets(connection, "vpn_tunnel_plan")
    if site is not None and not isinstance(site, dict):
        raise AnsibleFilterError(f"vpn_tunnel_plan: site must be a dict, got {type(site).__name__}")
    return call("vpn_tunnel_plan", build_tunnel_plan, connection, site, errors=_PLAN_ERRORS)


def site_model(connection, site):
    """The site model (module_utils/site_model.py): the plan plus the site's names and device layout."""
    return call("site_model", build_site_model, _with_secrets(connection, "site_model"), site, errors=_PLAN_ERRORS)


def site_names(site, name_prefix=None, alarm_prefix=None, tunnel_count=2, region=None):
    """The AWS-side names of a site (module_utils/site_names.py), before its connection exists."""
    if not isinstance(site, str) or not site:
        raise AnsibleFilterError(f"site_names: the site must be a name, got {site!r}")
    return call("site_names", names.site_names, name_prefix, site, tunnel_count, alarm_prefix, region)


def device_layout(tunnels, dataplane=None, box_prefix=None, run_dir=None):
    """The strongSwan device layout (the site model's ``device``) of tunnel indexes, without a connection."""
    expect("device_layout", tunnels, list, "a list of tunnel indexes or of the plan's tunnels")
    return call("device_layout", _device_layout, tunnels, None, dataplane, box_prefix, run_dir, errors=_PLAN_ERRORS)


class FilterModule:
    def filters(self):
        return {"vpn_tunnels": vpn_tunnels, "vpn_tunnel_plan": vpn_tunnel_plan, "site_model": site_model, "site_names": site_names,
                "device_layout": device_layout}
