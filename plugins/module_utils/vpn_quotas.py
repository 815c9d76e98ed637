# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A whole run's plan checked against AWS's Site-to-Site VPN quotas, before any AWS write.

Without it the 11th site on one virtual private gateway fails halfway through a run, after ten
connections were made. The counts add what the account already has (read before) to what the run
adds, and do not count twice a site whose connection or customer gateway is already there.
"""

from __future__ import annotations

# AWS's defaults, "AWS Site-to-Site VPN quotas" (Site-to-Site VPN User Guide,
# https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-limits.html): all adjustable, so the
# inventory's sitevpn_quotas overrides them once AWS has raised one for the account.
DEFAULT_QUOTAS = {
    "vpn_connections_per_vgw": 10,
    "vpn_connections_per_region": 50,
    "customer_gateways_per_region": 50,
    "routes_per_vpn_connection": 100,
    "vpn_connections_per_concentrator": 100,
}
QUOTA_NAMES = {
    "vpn_connections_per_vgw": "VPN connections per virtual private gateway",
    "vpn_connections_per_region": "VPN connections per Region",
    "customer_gateways_per_region": "customer gateways per Region",
    "routes_per_vpn_connection": "routes per VPN connection (static)",
    "vpn_connections_per_concentrator": "VPN connections per VPN concentrator",
}
_LIVE = ("pending", "available")


def quota_values(overrides):
    """AWS's defaults with ``overrides`` (sitevpn_quotas) on top, as ``(quotas, errors)``."""
    quotas, errors = dict(DEFAULT_QUOTAS), []
    if overrides in (None, ""):
        return quotas, errors
    if not isinstance(overrides, dict):
        return quotas, [f"sitevpn_quotas: must be a dict of quota name -> count, got {overrides!r}"]
    for name, value in sorted(overrides.items()):
        if name not in DEFAULT_QUOTAS:
            errors.append(f"sitevpn_quotas: unknown quota {name!r}; known: {', '.join(sorted(DEFAULT_QUOTAS))}")
        elif isinstance(value, bool) or not str(value).strip().isdigit() or int(value) < 1:
            errors.append(f"sitevpn_quotas: {name} must be a whole number of at least 1, got {value!r}")
        else:
            quotas[name] = int(value)
    return quotas, errors


def _live(items):
    return [i for i in items or [] if i.get("state", "available") in _LIVE]


def plan_quota_errors(plan, quotas, existing=None):
    """Every quota the run would exceed, one message each (empty when it fits).

    ``plan``: ``hub`` (the VGW's ID, or the name the role will create it under), ``region`` and
    ``sites``: ``{site: {"name": Name tag, "cgw_ip", "bgp_asn", "static": bool, "prefixes": [...]}}``;
    with several hubs, ``hubs``: ``{hub ID or name: {"type": vpn_gateway | transit_gateway |
    vpn_concentrator, "sites": [site, ...]}}`` instead of ``hub`` (a transit gateway's own quota,
    5000 attachments, is out of a site inventory's reach).
    ``existing``: what the account already holds in the Region, read before: ``vpn_connections``
    and ``customer_gateways`` as the ``_info`` modules return them (snake_case, tags as a dict).
    """
    existing = existing or {}
    sites = plan.get("sites") or {}
    names = {values.get("name") for values in sites.values()}
    addresses = {(str(v.get("cgw_ip")), str(v.get("bgp_asn"))) for v in sites.values()}
    hub, region = plan.get("hub"), plan.get("region")

    def ours(resource):
        return (resource.get("tags") or {}).get("Name") in names

    conns = [c for c in _live(existing.get("vpn_connections")) if not ours(c)]
    cgws = [
        g for g in _live(existing.get("customer_gateways"))
        if not ours(g) and (str(g.get("ip_address")), str(g.get("bgp_asn"))) not in addresses
    ]
    errors = []
    hubs = plan.get("hubs") or {hub: {"type": "vpn_gateway", "sites": list(sites)}}
    for hub_id, values in hubs.items():
        kind = values.get("type", "vpn_gateway")
        if kind == "vpn_gateway":
            quota, field, advice = "vpn_connections_per_vgw", "vpn_gateway_id", "use a transit gateway hub or ask AWS for more"
        elif kind == "vpn_concentrator":
            quota, field, advice = "vpn_connections_per_concentrator", "vpn_concentrator_id", "use another concentrator or ask AWS for more"
        else:
            continue
        limit = quotas[quota]
        on_hub = len(values.get("sites") or []) + sum(1 for c in conns if hub_id and c.get(field) == hub_id)
        if on_hub > limit:
            errors.append(f"{on_hub} sites on {hub_id} exceeds {limit} {QUOTA_NAMES[quota]}; {advice}")
    limit = quotas["vpn_connections_per_region"]
    in_region = len(sites) + len(conns)
    if in_region > limit:
        errors.append(f"{in_region} sites in {region} exceeds {limit} {QUOTA_NAMES['vpn_connections_per_region']}; "
                      "spread the sites over Regions or ask AWS for more")
    limit = quotas["customer_gateways_per_region"]
    gateways = len(sites) + len(cgws)
    if gateways > limit:
        errors.append(f"{gateways} customer gateways in {region} exceeds {limit} {QUOTA_NAMES['customer_gateways_per_region']}; "
                      "delete unused customer gateways or ask AWS for more")
    limit = quotas["routes_per_vpn_connection"]
    for site, values in sorted(sites.items()):
        routes = len(values.get("prefixes") or [])
        if values.get("static") and routes > limit:
            errors.append(f"{site}: {routes} static routes exceeds {limit} {QUOTA_NAMES['routes_per_vpn_connection']}; "
                          "summarise sitevpn_prefixes, use BGP or ask AWS for more")
    return errors
