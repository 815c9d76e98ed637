# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The inputs of one site's VPN, checked together before any AWS call.

The modules check their own arguments, but a role calls several of them in turn: without this
check a bad customer gateway IP would be refused only after the VPC and the VPN gateway were
made. Errors name the inventory variable (``sitevpn_cgw_ip``) that holds the bad value.
"""

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import (
    TunnelOptionError,
    validate_tunnel_options,
)
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import (
    ValidationError,
    prefixes_overlap,
    validate_amazon_side_asn,
    validate_asn,
    validate_cidr,
    validate_cidrs,
    validate_ipv4_address,
)


def site_errors(site, other_sites=None):
    """Every problem of ``site`` as ``"field: message"`` strings (empty when it is good).

    ``site`` holds the inventory variables of one site: sitevpn_cgw_ip, sitevpn_bgp_asn,
    sitevpn_prefixes, sitevpn_tunnel_options, and the shared sitevpn_vpc_cidr and
    sitevpn_amazon_side_asn when set. ``other_sites`` maps the other sites' names to their
    sitevpn_prefixes: two sites reaching the VPC over the same prefix would steal each other's
    traffic.
    """
    errors = []

    def check(func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except TunnelOptionError as exc:
            errors.extend(f"{field}: {message}" for field, message in exc.errors)
        except ValidationError as exc:
            errors.append(str(exc))
        return None

    check(validate_ipv4_address, site.get("sitevpn_cgw_ip"), "sitevpn_cgw_ip", public=True)
    check(validate_asn, site.get("sitevpn_bgp_asn"), "sitevpn_bgp_asn")
    if site.get("sitevpn_amazon_side_asn") not in (None, ""):
        check(validate_amazon_side_asn, site["sitevpn_amazon_side_asn"], "sitevpn_amazon_side_asn")
    vpc_cidr = None
    if site.get("sitevpn_vpc_cidr") not in (None, ""):
        vpc_cidr = check(validate_cidr, site["sitevpn_vpc_cidr"], "sitevpn_vpc_cidr")
    prefixes = check(validate_cidrs, site.get("sitevpn_prefixes") or [], "sitevpn_prefixes") or []
    if site.get("sitevpn_static_routes_only") and not prefixes and not errors:
        errors.append("sitevpn_prefixes: a static connection needs at least one prefix to route")
    for prefix in prefixes:
        if vpc_cidr and prefixes_overlap(prefix, vpc_cidr):
            errors.append(f"sitevpn_prefixes: {prefix} overlaps the VPC's {vpc_cidr}")
        for name, theirs in sorted((other_sites or {}).items()):
            for other in theirs or []:
                try:
                    clash = prefixes_overlap(prefix, other)
                except ValueError:
                    continue  # that site reports its own bad prefix
                if clash:
                    errors.append(f"sitevpn_prefixes: {prefix} overlaps {other} of site {name}")
    check(validate_tunnel_options, site.get("sitevpn_tunnel_options") or [], name="sitevpn_tunnel_options")
    return errors
