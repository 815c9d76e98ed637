# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The batch of the action sitevpn.aws.vpn_sites: the AWS side of every site of a play, in one
process with one boto3 client. Apart from the action so that the controller, which imports every
action plugin a play names, does not load boto3 and the EC2 model for it: a larger controller
process makes each fork of a worker (one per site for the per-site report) slower (issue 18).
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_config import VpnConfigError
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hub_batch import ensure_transit_hub
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hub_batch import found_concentrators
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hub_batch import route_hub_sites
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import group_by_hub
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import hub_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import hub_site_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import quota_plan_hubs
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_quotas import plan_quota_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_quotas import quota_values
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_site_batch import ensure_hub
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_site_batch import ensure_site
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_site_batch import hub_params
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_site_batch import site_facts
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_site_batch import site_report
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites import DescribeOnce
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites import SiteModule
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites import lab_vpc
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites import quota_existing
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites import quota_hub
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites import read_all

# The hub keys each site's result carries for the connection facts (roles/aws_vpn present.yml).
_SITE_HUB_KEYS = {
    "vpn_gateway": ("amazon_side_asn",),
    "transit_gateway": ("hub_type", "transit_gateway_id", "transit_gateway_route_table_id", "amazon_side_asn"),
    "vpn_concentrator": ("hub_type", "transit_gateway_id", "transit_gateway_route_table_id", "amazon_side_asn", "vpn_concentrator_id"),
}


def _session(args):
    try:
        import boto3  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise AnsibleActionFail("sitevpn.aws.vpn_sites needs boto3 on the control node") from None
    return boto3.session.Session(
        aws_access_key_id=args.get("access_key") or None,
        aws_secret_access_key=args.get("secret_key") or None,
        aws_session_token=args.get("session_token") or None,
        profile_name=args.get("profile") or None,
        region_name=args.get("region") or None,
    )


def _client(session, service, args):
    from botocore.config import Config  # pylint: disable=import-outside-toplevel

    config = Config(retries={"mode": "standard", "max_attempts": 10}, user_agent_extra="sitevpn.aws.vpn_sites")
    return session.client(service, endpoint_url=args.get("endpoint_url") or None, config=config)


def batch_result(args, sites, check_mode):
    """The action's result for a batch (``sites``: site -> inputs). An error every site shares (the
    quotas, the VPC, a hub, AWS) fails the task with ``on_error: fail``, or is returned as ``error``
    with no site's result (``on_error: report``); a site's own error stays in its result."""
    try:
        return batch(args, sites, check_mode)
    except (VpnError, AnsibleEC2Error) as e:
        error = getattr(e, "message", None) or str(e)
    except Exception as e:  # pylint: disable=broad-exception-caught
        if not type(e).__module__.startswith("botocore"):
            raise
        error = f"{type(e).__name__}: {e}"
    if args["on_error"] == "fail":
        raise AnsibleActionFail(error)
    # for a caller that hides this task's result (it holds the keys) but must show why it stopped
    return {"changed": False, "error": error, "sites": {}, "kept": {}}


def batch(args, sites, check_mode):
    """The AWS side of every site (``sites``: site -> inputs) in this process, the result of a batch.
    Raises VpnError (AnsibleEC2Error, botocore's errors) for what every site shares."""
    if not args.get("vpc_id") and not args.get("vpc_cidr"):
        # refused before any call: the collection has no default VPC CIDR
        raise VpnError("vpc_cidr is required without vpc_id (the CIDR of the VPC to create)")
    prefix, tags = args["name_prefix"], dict(args.get("tags") or {})
    session = _session(args)
    client = DescribeOnce(_client(session, "ec2", args))
    secrets = []

    def secrets_client():
        if not secrets:
            secrets.append(_client(session, "secretsmanager", args))
        return secrets[0]

    vgw_name = f"{prefix}-vgw"
    groups = group_by_hub({host: {"hub": s.get("hub")} for host, s in sites.items()}, prefix)
    # the inventory check's rules again, for a caller that skipped it: refused before any call
    errors = [e for s in sites.values() for e in hub_errors(s.get("hub"))]
    if not errors:
        errors = hub_site_errors({
            host: {"hub": s.get("hub"), "static": bool(s.get("static_routes_only")), "prefixes": s.get("prefixes") or []}
            for host, s in sites.items()
        }, prefix)
    if errors:
        raise VpnError("; ".join(sorted(set(errors))))
    found = read_all(client, vgw_name)
    limits, errors = quota_values(args.get("quotas"))
    if not errors:
        vgw_sites = [sites[h]["name"] for config, hosts in groups.values() if config["type"] == "vpn_gateway" for h in hosts]
        plan = {
            "hubs": quota_plan_hubs(groups, quota_hub(found, vgw_sites, vgw_name), found_concentrators(client, groups)),
            "region": args.get("region"),
            "sites": {
                host: {
                    "name": s["name"],
                    "cgw_ip": s.get("cgw_ip"),
                    "bgp_asn": s.get("bgp_asn", 65000),
                    "static": bool(s.get("static_routes_only")),
                    "prefixes": s.get("prefixes") or [],
                }
                for host, s in sites.items()
            },
        }
        existing = quota_existing(found)
        if not any(s["name"] not in {c["tags"].get("Name") for c in existing["vpn_connections"]} for s in sites.values()):
            # an idempotent run creates nothing a quota counts (the gateways are the sites' own)
            existing["customer_gateways"] = []
        errors = plan_quota_errors(plan, limits, existing)
    if errors:
        raise VpnError("; ".join(errors))

    hub_module = SiteModule({"wait_timeout": args["wait_timeout"]}, check_mode, args.get("region"))
    if args.get("vpc_id"):
        vpc = {"vpc_id": args["vpc_id"], "route_table_ids": list(args.get("route_table_ids") or []), "created": False, "candidates": []}
    else:
        vpc = lab_vpc(client, hub_module, prefix, args["vpc_cidr"], tags)
        vpc["cidr"] = args["vpc_cidr"]
    vpc["name_prefix"] = prefix
    hubs, vgw = {}, {"changed": False, "vpn_gateway_id": None, "vpn_gateway": {}, "diff": {}}
    for key, (config, hosts) in sorted(groups.items()):
        if config["type"] == "vpn_gateway":
            hub_module.params = hub_params(args, vpc)
            vgw = ensure_hub(client, hub_module)
            hubs[key] = {"hub_type": "vpn_gateway", "vpn_gateway_id": vgw["vpn_gateway_id"], "changed": vgw["changed"], "diff": vgw["diff"],
                         "amazon_side_asn": vgw["vpn_gateway"].get("amazon_side_asn")}
        else:
            cidrs = sorted({p for h in hosts for p in sites[h].get("prefixes") or []})
            hubs[key] = ensure_transit_hub(client, hub_module, config, vpc, cidrs, tags)
    options = {
        "check_mode": check_mode,
        "region": args.get("region"),
        "wait": args["wait"],
        "wait_timeout": args["wait_timeout"],
    }
    results, kept = {}, {}
    for key, (config, hosts) in sorted(groups.items()):
        hub = hubs[key]
        for host in hosts:
            results[host] = ensure_site(client, sites[host], hub, options, secrets_client)
        if config["type"] != "vpn_gateway":
            hub["changed"] |= route_hub_sites(client, hub, sites, {h: results[h] for h in hosts}, options)
        for host in hosts:
            results[host]["report"] = site_report(results[host])
            # the inputs as read (site_vars): what the role keeps with the connection
            results[host]["input"] = sites[host]
            # what the later stages read of the hub (a vpn_gateway site's facts are as before)
            results[host]["hub"] = {k: hub.get(k) for k in _SITE_HUB_KEYS[config["type"]]}
            if results[host]["report"].get("failed"):
                continue
            try:
                facts = site_facts(host, results[host], vpc)
            except (VpnConfigError, ValidationError) as e:
                # as the site_model filter says it, on this site's host only
                results[host]["report"].update(failed=True, msg=f"site_model: {e}")
                continue
            if facts:
                kept[host] = facts
    # the sites' changes are reported on their own hosts; this task reports the shared part
    return {
        "changed": bool(vpc["created"]) or any(h["changed"] for h in hubs.values()),
        "vpc_id": vpc["vpc_id"],
        "route_table_ids": vpc["route_table_ids"],
        "vpc_created": vpc["created"],
        "vpc_candidates": vpc["candidates"],
        "vpn_gateway_id": vgw["vpn_gateway_id"],
        "vpn_gateway": vgw["vpn_gateway"],
        "hubs": {key: {k: v for k, v in hub.items() if k != "diff"} for key, hub in hubs.items()},
        "warnings": hub_module.warnings,
        "diff": {key: hub["diff"] for key, hub in hubs.items()} if len(hubs) > 1 else next(iter(hubs.values()), {}).get("diff", {}),
        "sites": results,
        "kept": kept,
    }
