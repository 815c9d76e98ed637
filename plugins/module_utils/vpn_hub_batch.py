# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The transit gateway and VPN concentrator hubs of the ``vpn_sites`` batch: each hub once (its
transit gateway, VPC attachment, VPC routes, route table, concentrator), then the routing of its
sites' attachments once every connection is made (one read per kind per hub).

A hub's error is raised (every site of it needs the hub); a site's routing error is kept in the site.
"""

from __future__ import annotations

from typing import Any
from typing import Dict
from typing import List

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_hubs import ensure_site_routing
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_hubs import ensure_transit_gateway
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_hubs import ensure_vpc_attachment
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_hubs import ensure_vpc_routes
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_hubs import hub_route_table
from ansible_collections.sitevpn.aws.plugins.module_utils.transit_gateway_hubs import routing_state
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_concentrators import concentrator_view
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_concentrators import ensure_vpn_concentrator
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_concentrators import find_vpn_concentrator
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_sites import SiteModule


def found_concentrators(client, groups: Dict[str, Any]) -> Dict[str, str]:
    """hub key -> ID of the concentrator each concentrator hub named (not given by ID) already has, so
    that its quota counts the connections already on it (one read per such hub, none otherwise)."""
    found = {}
    for key, (config, dummy) in groups.items():
        if config["type"] == "vpn_concentrator" and not config.get("vpn_concentrator_id"):
            concentrator = find_vpn_concentrator(client, name=config["name"])
            if concentrator:
                found[key] = concentrator["VpnConcentratorId"]
    return found


def ensure_transit_hub(client, module: SiteModule, config: Dict[str, Any], vpc: Dict[str, Any], cidrs: List[str],
                       tags: Dict[str, str]) -> Dict[str, Any]:
    """A transit_gateway or vpn_concentrator hub before its sites' connections (raises on an error)."""
    changed, tgw, diff = ensure_transit_gateway(client, module, config, tags)
    tgw_id = tgw.get("TransitGatewayId")
    after = dict(diff["after"])
    if tgw_id and vpc.get("vpc_id"):
        made, attachment_id = ensure_vpc_attachment(client, module, tgw_id, vpc, config, tags)
        routed, routes = ensure_vpc_routes(client, module, vpc.get("route_table_ids") or [], config.get("vpc_route_summaries") or cidrs, tgw_id)
        changed = changed or made or routed
        after.update(vpc_attachment_id=attachment_id, vpc_routes_added=routes)
    made, table_id = hub_route_table(client, module, tgw, config, tags)
    changed = changed or made
    after["transit_gateway_route_table_id"] = table_id
    hub = {
        "hub_type": config["type"],
        "name": config["name"],
        "transit_gateway_id": tgw_id,
        "transit_gateway_route_table_id": table_id,
        "amazon_side_asn": (tgw.get("Options") or {}).get("AmazonSideAsn"),
        "enable_acceleration": config.get("enable_acceleration"),
        "tunnel_bandwidth": config.get("tunnel_bandwidth"),
    }
    if config["type"] == "vpn_concentrator":
        params = {"name": None if config.get("vpn_concentrator_id") else config["name"], "vpn_concentrator_id": config.get("vpn_concentrator_id"),
                  "transit_gateway_id": tgw_id, "type": "ipsec.1", "tags": None if config.get("vpn_concentrator_id") else tags,
                  "purge_tags": False, "wait": True, "wait_timeout": module.params.get("wait_timeout", 900)}
        concentrator_module = SiteModule(params, module.check_mode, module.region)
        existing = find_vpn_concentrator(client, params["vpn_concentrator_id"], name=config["name"])
        if not existing and not tgw_id:
            made, concentrator = True, {}  # check mode: a new transit gateway has no ID yet
        else:
            made, concentrator, dummy = ensure_vpn_concentrator(client, concentrator_module, existing)
        changed = changed or made
        hub["vpn_concentrator_id"] = concentrator.get("VpnConcentratorId")
        after["vpn_concentrator"] = concentrator_view(concentrator)
    return dict(hub, changed=changed, diff={"before": diff["before"], "after": after})


def route_hub_sites(client, hub: Dict[str, Any], sites: Dict[str, Any], results: Dict[str, Any], options: Dict[str, Any]) -> bool:
    """Each site's attachment routing in the hub's route table (the concentrator's once); a site's
    error fails that site. Returns whether the hub's own (concentrator) attachment changed."""
    table_id, tgw_id = hub.get("transit_gateway_route_table_id"), hub.get("transit_gateway_id")
    if not (table_id and tgw_id):
        return False  # check mode: nothing to look at yet
    check_mode = bool(options.get("check_mode"))
    params = {"wait_timeout": int(options.get("wait_timeout", 900))}
    static = {host: list(sites[host].get("prefixes") or []) for host in results if sites[host].get("static_routes_only")}
    state = routing_state(client, tgw_id, table_id, bool(static))
    if hub["hub_type"] == "vpn_concentrator":
        if not hub.get("vpn_concentrator_id"):
            return False
        changed, dummy = ensure_site_routing(client, SiteModule(dict(params), check_mode), state, hub["vpn_concentrator_id"], table_id, [])
        return changed
    for host, result in sorted(results.items()):
        vpn = result["vpn_connection"]
        if vpn.get("failed") or not vpn.get("vpn_connection_id"):
            continue
        module = SiteModule(dict(params), check_mode)
        try:
            changed, diff = ensure_site_routing(client, module, state, vpn["vpn_connection_id"], table_id, static.get(host, []))
        except (VpnError, AnsibleEC2Error) as e:
            result["routing"] = {"failed": True, "msg": getattr(e, "message", None) or str(e)}
            continue
        except Exception as e:  # pylint: disable=broad-exception-caught
            if not type(e).__module__.startswith("botocore"):
                raise
            result["routing"] = {"failed": True, "msg": f"{type(e).__name__}: {e}"}
            continue
        result["routing"] = {"changed": changed, "diff": diff}
    return False
