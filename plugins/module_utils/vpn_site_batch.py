# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The steps of the customer_gateway, vpn_gateway and vpn_connection modules for many sites of one
VPN gateway, on a ``vpn_sites.DescribeOnce`` client: the same planners and checks, the module's
result per site. Errors are raised for the hub (every site needs it) and kept per site otherwise.
"""

from __future__ import annotations

from typing import Any
from typing import Callable
from typing import Dict

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error

from ansible_collections.sitevpn.aws.plugins.module_utils.customer_gateways import converge_customer_gateways
from ansible_collections.sitevpn.aws.plugins.module_utils.customer_gateways import ensure_customer_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.customer_gateways import find_customer_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.customer_gateways import find_customer_gateway_namesake
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.site_model import build_site_model
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_args import module_argument_spec
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import AMAZON_SIDE_ASN_DEFAULT
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_amazon_side_asn
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_customer_gateway_asn
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_outside_address
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connection_checks import existing_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connection_spec import defaults as vpn_connection_defaults
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connection_checks import validation_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import converge_vpn_connections
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import ensure_vpn_connection
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import find_vpn_connection
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import vpn_connection_result
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_connections import with_secret_keys
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import converged_result
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import find_converged
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_duplicates import resource_result
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_gateways import converge_vpn_gateways
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_gateways import find_vpn_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_gateways import present_vpn_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites import SiteModule


def hub_params(args: Dict[str, Any], vpc: Dict[str, Any]) -> Dict[str, Any]:
    """vpn_gateway's parameters as roles/aws_vpn gives them."""
    try:
        asn = validate_amazon_side_asn(args.get("amazon_side_asn", AMAZON_SIDE_ASN_DEFAULT), "amazon_side_asn")
    except ValidationError as e:
        raise VpnError(str(e), field=e.field) from None
    return {
        "vpn_gateway_id": None,
        "name": f"{args['name_prefix']}-vgw",
        "type": "ipsec.1",
        "amazon_side_asn": asn,
        "vpc_id": vpc.get("vpc_id") or None,
        "route_table_ids": vpc.get("route_table_ids") or None,
        "purge_route_tables": False,
        "tags": dict(args.get("tags") or {}),
        "purge_tags": True,
        "state": "present",
        "wait": True,
        "wait_timeout": int(args.get("wait_timeout", 900)),
    }


def ensure_hub(client, module: SiteModule) -> Dict[str, Any]:
    """The VPN gateway every site shares, as the vpn_gateway module makes it (raises on an error)."""
    p = module.params
    existing, report = find_converged(
        find_vpn_gateway,
        lambda matches: converge_vpn_gateways(client, module, matches),
        client, name=p["name"], tags=p["tags"], amazon_side_asn=p["amazon_side_asn"], vpc_id=p["vpc_id"],
    )
    return present_vpn_gateway(client, module, existing, report)


def _customer_gateway(client, module: SiteModule) -> Dict[str, Any]:
    """customer_gateway's present path for a gateway given by name, IP and ASN."""
    p = module.params
    try:
        p["ip_address"] = validate_outside_address(p["ip_address"], "ip_address")
        p["bgp_asn"] = validate_customer_gateway_asn(p["bgp_asn"], "bgp_asn", region=module.region)
    except ValidationError as e:
        raise VpnError(str(e), field=e.field) from None
    existing, report = find_converged(
        find_customer_gateway,
        lambda matches: converge_customer_gateways(client, module, matches),
        client, p["ip_address"], p["bgp_asn"], device_name=None, name=p["name"], certificate_arn=None, tags=p["tags"],
    )
    if not existing:
        others = find_customer_gateway_namesake(client, p["name"])
        if others:
            # the module's rule (replace=false): a gateway cannot change its address or ASN
            ids = ", ".join(sorted(g["CustomerGatewayId"] for g in others))
            raise VpnError(
                f"name: customer gateway(s) {ids} named {p['name']!r} have another ip_address or bgp_asn; a gateway cannot "
                "change its address or ASN: use sitevpn.aws.customer_gateway with replace=true, or another name",
                field="name",
            )
    changed, gateway, diff = ensure_customer_gateway(client, module, existing)
    return resource_result(report, changed, diff, "customer_gateway", gateway)


def tunnel_options_params(entries):
    """The tunnel_options as the module's argument spec leaves them (defaults filled), or VpnError naming the entry."""
    if not entries:
        return None
    spec = module_argument_spec()
    for sub in spec["options"].values():
        sub.setdefault("no_log", False)
    validated = ArgumentSpecValidator({"tunnel_options": spec}).validate({"tunnel_options": entries})
    if validated.error_messages:
        raise VpnError("; ".join(f"tunnel_options: {m}" for m in validated.error_messages), field="tunnel_options")
    return validated.validated_parameters["tunnel_options"]


def _vpn_connection(client, module: SiteModule, secrets: Callable[[], Any]) -> Dict[str, Any]:
    """vpn_connection's present path between the site's customer gateway and the hub."""
    p = module.params
    errors = validation_errors(p)
    if errors:
        raise VpnError("; ".join(f"{f}: {m}" for f, m in errors), field=errors[0][0])
    # on a transit gateway hub the site's connection is found on any gateway (its customer gateway
    # is the site's own) and moved in place (ModifyVpnConnection): a site leaves a full VPN gateway
    existing, report = find_converged(
        find_vpn_connection,
        lambda matches: converge_vpn_connections(client, module, matches),
        client, customer_gateway_id=p["customer_gateway_id"], vpn_gateway_id=p["vpn_gateway_id"],
        transit_gateway_id=p["transit_gateway_id"] if p["vpn_concentrator_id"] else None, name=p["name"], tags=p["tags"],
    )
    errors = existing_errors(p, existing)
    if errors:
        raise VpnError("; ".join(f"{f}: {m}" for f, m in errors), field=errors[0][0])
    changed, connection, diff = ensure_vpn_connection(client, module, existing)
    if p["return_secrets"] and connection.get("PreSharedKeyArn"):
        connection, warning = with_secret_keys(secrets(), connection)
        if warning:
            module.warn(warning)
    result = vpn_connection_result(connection, p["return_secrets"], None)
    return converged_result(report, changed, diff, vpn_connection_id=connection.get("VpnConnectionId"), **result)


def _step(step, client, module: SiteModule, *more) -> Dict[str, Any]:
    """One module's step for one site: its result, or failed with the module's message."""
    try:
        result = step(client, module, *more)
    except VpnError as e:
        result = dict(e.details, failed=True, msg=e.message)
    except AnsibleEC2Error as e:
        result = {"failed": True, "msg": str(e)}
    except Exception as e:  # pylint: disable=broad-exception-caught
        # botocore's errors from calls no wrapper handles: this site fails, the others go on
        if not type(e).__module__.startswith("botocore"):
            raise
        result = {"failed": True, "msg": f"{type(e).__name__}: {e}"}
    if module.warnings:
        result["warnings"] = list(module.warnings)
    return result


def ensure_site(client, site: Dict[str, Any], hub: Dict[str, Any], options: Dict[str, Any], secrets) -> Dict[str, Any]:
    """One site: {"customer_gateway": result, "vpn_connection": result}, each as the module returns it.

    ``site``: name, cgw_ip, bgp_asn, static_routes_only, prefixes, tunnel_options, pre_shared_key_storage,
    tags; ``options``: check_mode, region, wait, wait_timeout.
    """
    check_mode, timeout = bool(options.get("check_mode")), int(options.get("wait_timeout", 900))
    cgw_module = SiteModule(
        {
            "name": site["name"],
            "ip_address": site.get("cgw_ip"),
            "bgp_asn": site.get("bgp_asn", 65000),
            "certificate_arn": None,
            "device_name": None,
            "customer_gateway_id": None,
            "replace": False,
            "tags": dict(site.get("tags") or {}),
            "purge_tags": True,
            "state": "present",
            "wait": True,
            "wait_timeout": timeout,
        },
        check_mode,
        options.get("region"),
    )
    cgw = _step(_customer_gateway, client, cgw_module)
    if cgw.get("failed"):
        return {"customer_gateway": cgw, "vpn_connection": {"failed": True, "msg": "the site's customer gateway failed"}}
    on_concentrator = hub.get("hub_type") == "vpn_concentrator"
    if cgw.get("customer_gateway_id") is None or not (hub.get("vpn_gateway_id") or hub.get("transit_gateway_id")) or (
        on_concentrator and not hub.get("vpn_concentrator_id")
    ):
        # check mode: new gateways have no IDs yet (the role's task was skipped so)
        return {"customer_gateway": cgw, "vpn_connection": {"skipped": True, "changed": False, "skip_reason": "new gateways have no IDs in check mode"}}
    static = bool(site.get("static_routes_only"))
    prefixes = list(site.get("prefixes") or [])
    # the module's defaults for what the role leaves unset (vpn_connection_spec)
    params = dict(
        vpn_connection_defaults(),
        name=site["name"],
        customer_gateway_id=cgw["customer_gateway_id"],
        vpn_gateway_id=hub.get("vpn_gateway_id"),
        # a transit gateway's static routes live in its route table (vpn_hub_batch), not on the connection
        transit_gateway_id=hub.get("transit_gateway_id"),
        vpn_concentrator_id=hub.get("vpn_concentrator_id"),
        # each site of a concentrator has its own CIDR (the inventory check keeps it to one prefix)
        local_ipv4_network_cidr=prefixes[0] if on_concentrator and prefixes else None,
        enable_acceleration=hub.get("enable_acceleration"),
        tunnel_bandwidth=hub.get("tunnel_bandwidth"),
        static_routes_only=static,
        routes=prefixes if static and hub.get("vpn_gateway_id") else None,
        pre_shared_key_storage=site.get("pre_shared_key_storage"),
        tags=dict(site.get("tags") or {}),
        return_secrets=True,
        wait=bool(options.get("wait", False)),
        wait_timeout=timeout,
    )
    vpn_module = SiteModule(params, check_mode, options.get("region"))
    try:
        params["tunnel_options"] = tunnel_options_params(site.get("tunnel_options"))
    except VpnError as e:
        return {"customer_gateway": cgw, "vpn_connection": dict(e.details, failed=True, msg=e.message)}
    return {"customer_gateway": cgw, "vpn_connection": _step(_vpn_connection, client, vpn_module, secrets)}


def _shows(diff: Dict[str, Any]) -> bool:
    """Whether diff mode prints anything for ``diff`` (a before/after pair that differs, or more)."""
    return diff.get("before") != diff.get("after") or any(k not in ("before", "after", "before_header", "after_header") for k in diff)


def site_report(site_result: Dict[str, Any]) -> Dict[str, Any]:
    """What the site's own host shows of its two steps: changed, failed and msg, diff, warnings; no keys.

    The vpn_connection diff is the module's (pre-shared keys never in it); the connection itself goes
    to the host's facts, not to this result.
    """
    cgw, vpn = site_result["customer_gateway"], site_result["vpn_connection"]
    routing = site_result.get("routing") or {}
    parts = (cgw, vpn, routing)
    report: Dict[str, Any] = {"changed": any(bool(part.get("changed")) for part in parts)}
    failed = next((part for part in parts if part.get("failed")), None)
    if failed is not None:
        report.update(failed=True, msg=failed.get("msg"))
        if failed.get("field"):
            report["field"] = failed["field"]
    # a diff whose before and after are equal shows nothing: an idempotent run carries none (each
    # site's report is templated again on its host, issue 18)
    diffs = [part["diff"] for part in parts if part.get("diff") and _shows(part["diff"])]
    if diffs:
        report["diff"] = diffs
    warnings = list(cgw.get("warnings") or []) + list(vpn.get("warnings") or [])
    if warnings:
        report["warnings"] = warnings
    for key, part in (("customer_gateway_id", cgw), ("vpn_connection_id", vpn)):
        if part.get(key):
            report[key] = part[key]
    return report


def site_facts(host: str, site_result: Dict[str, Any], vpc: Dict[str, Any]) -> Dict[str, Any]:
    """What the later stages keep of a provisioned site, or {} when it has no connection (check mode).

    ``connection``: the connection (snake_case, with its keys) with its tunnels, the site, the VPC and
    its route tables, the site's and the VPC's prefixes and the hub's keys (``site_result["hub"]``);
    ``site_model``: the site model (module_utils/site_model.py) of it for ``site_result["input"]["model"]``,
    when the inputs have one and the connection its configuration (check mode's has none). Built here,
    once per site in the batch's process, rather than by a templated loop step (issue 18). Raises
    VpnConfigError or ValidationError when the model cannot be built.
    """
    vpn = site_result.get("vpn_connection") or {}
    if "vpn_connection" not in vpn:
        return {}
    inputs = site_result.get("input") or {}
    vpc_cidr = inputs["vpc_cidr"] if "vpc_cidr" in inputs else vpc.get("cidr")
    connection = dict(
        vpn["vpn_connection"],
        tunnels=vpn.get("tunnels"),
        site=host,
        vpc_id=vpc["vpc_id"],
        route_table_ids=vpc["route_table_ids"],
        site_prefixes=inputs.get("prefixes"),
        vpc_prefixes=[vpc_cidr],
    )
    connection.update(site_result.get("hub") or {})
    facts = {"site": host, "connection": connection}
    if inputs.get("model") is not None and connection.get("customer_gateway_configuration"):
        facts["site_model"] = build_site_model(connection, inputs["model"])
    return facts
