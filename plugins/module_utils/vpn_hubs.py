# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hub a site's VPN connection ends on (inventory variable ``sitevpn_hub``), checked and grouped.

``vpn_gateway`` (absent ``sitevpn_hub``): the one virtual private gateway of the VPC, as before.
``transit_gateway``: a transit gateway the VPC is attached to, each site's VPN attachment associated
and propagated in one of its route tables. ``vpn_concentrator``: one concentrator attachment on a
transit gateway shared by many BGP sites, each with its own CIDR. Pure Python: the inventory check
(filter) and the action plugin both use it, before any AWS call.
"""

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils.validation import AMAZON_SIDE_ASN_DEFAULT
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_amazon_side_asn
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_cidrs

HUB_TYPES = ("vpn_gateway", "transit_gateway", "vpn_concentrator")
# The keys each type takes (type itself aside); a key of another type is a mistake, not ignored.
_TGW_KEYS = (
    "name", "transit_gateway_id", "amazon_side_asn", "route_table", "ecmp", "dns", "vpc_route_summaries",
    "enable_acceleration", "tunnel_bandwidth", "default_route_table_association", "default_route_table_propagation",
    "subnet_ids",
)
HUB_KEYS = {
    "vpn_gateway": (),
    "transit_gateway": _TGW_KEYS,
    # name: the concentrator's; transit_gateway_name: the transit gateway it is on
    "vpn_concentrator": _TGW_KEYS + ("transit_gateway_name", "vpn_concentrator_id"),
}
_BOOL_KEYS = ("ecmp", "dns", "enable_acceleration", "default_route_table_association", "default_route_table_propagation")
TUNNEL_BANDWIDTHS = ("standard", "large")
# AWS's defaults for a new transit gateway (CreateTransitGateway): ECMP and DNS support on.
_TGW_DEFAULTS = {
    "ecmp": True, "dns": True, "default_route_table_association": True, "default_route_table_propagation": True,
    "amazon_side_asn": None, "route_table": None, "vpc_route_summaries": None, "enable_acceleration": None,
    "tunnel_bandwidth": None, "transit_gateway_id": None, "subnet_ids": None, "vpn_concentrator_id": None,
}


def hub_errors(hub):
    """Every problem of one ``sitevpn_hub`` value, as ``"sitevpn_hub: ..."`` strings."""
    if hub in (None, "", {}):
        return []
    if not isinstance(hub, dict):
        return [f"sitevpn_hub: must be a dict (type, name, ...), got {hub!r}"]
    kind = hub.get("type", "vpn_gateway")
    if kind not in HUB_TYPES:
        return [f"sitevpn_hub.type: {kind!r} is not one of {', '.join(HUB_TYPES)}"]
    errors = []
    for key in sorted(set(hub) - {"type"} - set(HUB_KEYS[kind])):
        errors.append(f"sitevpn_hub.{key}: does not apply to a {kind} hub (it takes: {', '.join(HUB_KEYS[kind]) or 'type only'})")
    for key in _BOOL_KEYS:
        if key in hub and not isinstance(hub[key], bool):
            errors.append(f"sitevpn_hub.{key}: must be true or false, got {hub[key]!r}")
    for key in ("name", "route_table", "transit_gateway_name"):
        if key in hub and (not isinstance(hub[key], str) or not hub[key]):
            errors.append(f"sitevpn_hub.{key}: must be a non-empty string, got {hub[key]!r}")
    for key, prefix in (("transit_gateway_id", "tgw-"), ("vpn_concentrator_id", "vpn-concentrator-")):
        if key in hub and (not isinstance(hub[key], str) or not hub[key].startswith(prefix)):
            errors.append(f"sitevpn_hub.{key}: must be an ID starting with {prefix}, got {hub[key]!r}")
    if "subnet_ids" in hub and (not isinstance(hub["subnet_ids"], list) or not all(str(s).startswith("subnet-") for s in hub["subnet_ids"])):
        errors.append(f"sitevpn_hub.subnet_ids: must be a list of subnet IDs (one per Availability Zone), got {hub['subnet_ids']!r}")
    if "tunnel_bandwidth" in hub and hub["tunnel_bandwidth"] not in TUNNEL_BANDWIDTHS:
        errors.append(f"sitevpn_hub.tunnel_bandwidth: {hub['tunnel_bandwidth']!r} is not one of {', '.join(TUNNEL_BANDWIDTHS)}")
    # the keys the shared validators check, in the order their errors are reported
    for key, validate in (("amazon_side_asn", validate_amazon_side_asn), ("vpc_route_summaries", validate_cidrs)):
        if key in hub:
            try:
                validate(hub[key], f"sitevpn_hub.{key}")
            except ValidationError as e:
                errors.append(str(e))
    return errors


def hub_config(hub, name_prefix="sitevpn"):
    """One ``sitevpn_hub`` (checked by hub_errors) with every key and its default; ``key`` names the hub."""
    hub = dict(hub or {})
    kind = hub.get("type", "vpn_gateway")
    if kind == "vpn_gateway":
        return {"type": kind, "name": f"{name_prefix}-vgw", "key": f"vpn_gateway:{name_prefix}-vgw"}
    config = dict(_TGW_DEFAULTS, **hub)
    config["type"] = kind
    config["given"] = sorted(set(hub) - {"type"})  # an adopted transit gateway gets only these
    if kind == "transit_gateway":
        config["name"] = hub.get("name") or f"{name_prefix}-tgw"
        config["transit_gateway_name"] = config["name"]
    else:
        config["name"] = hub.get("name") or f"{name_prefix}-vpnc"
        config["transit_gateway_name"] = hub.get("transit_gateway_name") or f"{name_prefix}-tgw"
    config["key"] = f"{kind}:{config.get('vpn_concentrator_id') or config.get('transit_gateway_id') or config['name']}"
    return config


def group_by_hub(sites, name_prefix="sitevpn"):
    """``{hub key: (config, [site, ...])}`` from ``{site: {"hub": sitevpn_hub, ...}}`` (sorted sites)."""
    groups = {}
    for site, values in sorted(sites.items()):
        config = hub_config(values.get("hub"), name_prefix)
        groups.setdefault(config["key"], (config, []))[1].append(site)
    return groups


def quota_plan_hubs(groups, vgw_hub, found=None):
    """``plan["hubs"]`` for vpn_quotas.plan_quota_errors: the VGW's ID (or name), a concentrator's ID
    (given, or ``found``: hub key -> the ID of the one found), else the name each hub will be made under."""
    hubs = {}
    for config, hosts in groups.values():
        if config["type"] == "vpn_gateway":
            hub_id = vgw_hub
        elif config["type"] == "vpn_concentrator":
            hub_id = config.get("vpn_concentrator_id") or (found or {}).get(config["key"]) or config["name"]
        else:
            hub_id = config["name"]
        hubs.setdefault(hub_id, {"type": config["type"], "sites": []})["sites"].extend(hosts)
    return hubs


def hub_site_errors(sites, name_prefix="sitevpn"):
    """What a hub refuses of its sites, and hubs named alike but set differently; ``sites`` maps
    each site to ``{"hub", "static", "prefixes"}``. Each message names the site and the variable."""
    errors = []
    seen = {}
    for site, values in sorted(sites.items()):
        hub = values.get("hub") or {}
        config = hub_config(hub, name_prefix)
        setting = "" if config["type"] == "vpn_gateway" else repr(sorted(hub.items()))
        seen.setdefault(config["key"], {}).setdefault(setting, []).append(site)
        if config["type"] != "vpn_concentrator":
            continue
        if values.get("static"):
            errors.append(f"{site}: sitevpn_static_routes_only: the sites of VPN concentrator hub {config['name']} use BGP only "
                          "(AWS refuses static routing on a concentrator); use a transit_gateway hub for a static site")
        if len(values.get("prefixes") or []) != 1:
            errors.append(f"{site}: sitevpn_prefixes: a site on VPN concentrator hub {config['name']} needs exactly one prefix, "
                          "its own CIDR among the concentrator's sites (summarise the site's networks)")
    for key, settings in sorted(seen.items()):
        if len(settings) > 1:
            detail = "; ".join(", ".join(s) for s in settings.values())
            errors.append(f"sitevpn_hub: hub {key.split(':', 1)[1]} is set differently on its sites ({detail}): "
                          "set it once, in the group vars of the hub's group")
    return errors


def hub_amazon_side_asn(hub, site_asn_setting):
    """The Amazon side's ASN of the site's hub as far as the inventory knows it (None: an adopted one's)."""
    config = hub if isinstance(hub, dict) else {}
    if config.get("type", "vpn_gateway") == "vpn_gateway":
        return site_asn_setting
    if config.get("amazon_side_asn") is not None:
        return config["amazon_side_asn"]
    return None if config.get("transit_gateway_id") else AMAZON_SIDE_ASN_DEFAULT
