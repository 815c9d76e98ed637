# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The inputs of one site's VPN, checked together before any AWS call.

The modules check their own arguments, but a role calls several of them in turn: without this
check a bad customer gateway IP would be refused only after the VPC and the VPN gateway were
made. Errors name the inventory variable (``sitevpn_cgw_ip``) that holds the bad value.
"""

from __future__ import annotations

import difflib

from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_validation import validate_tunnel_options
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import TunnelOptionError
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import hub_amazon_side_asn
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import hub_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_hubs import hub_site_errors
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import (
    AMAZON_SIDE_ASN_DEFAULT,
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


# Every sitevpn_* variable the collection reads (roles, playbooks, lab inventory); anything else
# with the prefix is a typo. A unit test keeps this list in step with the tree.
KNOWN_VARIABLES = frozenset(
    """
    sitevpn_amazon_side_asn sitevpn_aws_access_key sitevpn_aws_endpoint_url sitevpn_aws_region
    sitevpn_aws_secret_key sitevpn_aws_tags sitevpn_aws_wait_timeout sitevpn_backup_target sitevpn_bgp_asn
    sitevpn_bgp_timers sitevpn_cgw_ip sitevpn_device_existing sitevpn_drift_fail sitevpn_eda_access_key sitevpn_eda_endpoint_url
    sitevpn_eda_escalation_playbook sitevpn_eda_queue_name sitevpn_eda_region sitevpn_eda_secret_key
    sitevpn_escalation_dir sitevpn_escalation_event sitevpn_escalation_old sitevpn_escalation_records
    sitevpn_event sitevpn_event_connection sitevpn_event_found sitevpn_event_hosts sitevpn_event_plan
    sitevpn_event_site_known sitevpn_event_vpc_prefixes sitevpn_example sitevpn_failover_test sitevpn_failover_test_skip_unasked sitevpn_hub
    sitevpn_lab sitevpn_lab_bin_dir sitevpn_lab_dataplane sitevpn_lab_probes sitevpn_lab_sites
    sitevpn_lab_eda_state sitevpn_lab_state_dir sitevpn_lan_probe sitevpn_lan_probe_target sitevpn_lock_dir sitevpn_lock_timeout
    sitevpn_local_address sitevpn_local_preference_primary sitevpn_maintenance_all
    sitevpn_monitoring sitevpn_monitoring_subscriptions sitevpn_name_prefix sitevpn_netns
    sitevpn_notification_emails sitevpn_outside_interface sitevpn_prefixes sitevpn_pre_shared_key_storage sitevpn_quotas
    sitevpn_reports_dir sitevpn_route_failover sitevpn_route_table_ids sitevpn_site sitevpn_site_model sitevpn_static_routes_only
    sitevpn_strict_inventory sitevpn_strongswan sitevpn_teardown_confirm sitevpn_tunnel_options sitevpn_tunnel_profile sitevpn_vpc_cidr sitevpn_vpc_id
    sitevpn_vpc_prefixes sitevpn_vpc_probe sitevpn_vpc_probe_target sitevpn_vpn_connection
    """.split()
)
# Settings of the one VPC and VPN gateway the sites share: every host must agree.
SHARED_VARIABLES = (
    "sitevpn_amazon_side_asn",
    "sitevpn_vpc_id",
    "sitevpn_vpc_cidr",
    "sitevpn_route_table_ids",
    "sitevpn_name_prefix",
    "sitevpn_aws_region",
    "sitevpn_aws_endpoint_url",
    "sitevpn_aws_tags",
    "sitevpn_quotas",
)
PSK_STORAGES = ("Standard", "SecretsManager")
TUNNEL_PROFILES = ("strong", "aws_defaults")
_BOOL_WORDS = {"true": True, "false": False, "yes": True, "no": False}
_INT_VARIABLES = ("sitevpn_bgp_asn", "sitevpn_amazon_side_asn", "sitevpn_aws_wait_timeout", "sitevpn_lock_timeout")


def _type_errors(values, source_text):
    """Types of one site's variables, before any rule: what the role's modules would choke on."""
    errors = []
    for name in _INT_VARIABLES:
        value = values.get(name)
        if value is None:
            continue
        text = source_text(name, value)
        if isinstance(value, bool) or not isinstance(value, (int, str)) or (isinstance(value, str) and not value.strip().isdigit()):
            errors.append(f"{name}: must be a whole number, got {value!r}")
        elif (text or str(value)).strip().startswith("0") and len((text or str(value)).strip()) > 1:
            errors.append(f"{name}: {text or value} has a leading 0, which YAML reads as octal ({int(value)}); write it without")
    flag = values.get("sitevpn_static_routes_only")
    if flag is not None and not isinstance(flag, bool) and str(flag).strip().lower() not in _BOOL_WORDS:
        errors.append(f"sitevpn_static_routes_only: must be true or false, got {flag!r}")
    for name in ("sitevpn_prefixes", "sitevpn_route_table_ids"):
        value = values.get(name)
        if value is not None and (not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value)):
            errors.append(f"{name}: must be a list of strings, got {value!r}")
    options = values.get("sitevpn_tunnel_options")
    if options is not None and (not isinstance(options, (list, tuple)) or not all(isinstance(v, dict) for v in options)):
        errors.append(f"sitevpn_tunnel_options: must be a list of at most 2 dicts (one per tunnel), got {type(options).__name__}")
    profile = values.get("sitevpn_tunnel_profile")
    if profile is not None and profile not in TUNNEL_PROFILES:
        errors.append(f"sitevpn_tunnel_profile: {profile!r} is not one of {', '.join(TUNNEL_PROFILES)}")
    storage = values.get("sitevpn_pre_shared_key_storage")
    if storage is not None and storage not in PSK_STORAGES:
        errors.append(f"sitevpn_pre_shared_key_storage: {storage!r} is not one of {', '.join(PSK_STORAGES)}")
    for name in ("sitevpn_cgw_ip", "sitevpn_vpc_id", "sitevpn_vpc_cidr", "sitevpn_name_prefix", "sitevpn_aws_region"):
        if values.get(name) is not None and not isinstance(values[name], str):
            errors.append(f"{name}: must be a string, got {values[name]!r}")
    if values.get("sitevpn_aws_tags") is not None and not isinstance(values["sitevpn_aws_tags"], dict):
        errors.append(f"sitevpn_aws_tags: must be a dict of tags, got {values['sitevpn_aws_tags']!r}")
    errors.extend(hub_errors(values.get("sitevpn_hub")))
    return errors


def _as_bool(value):
    return value if isinstance(value, bool) else _BOOL_WORDS.get(str(value).strip().lower(), False)


def inventory_errors(sites, source_text=None):
    """Every problem of a whole inventory, as ``(errors, unknown)``; each error names site and variable.

    ``sites`` maps each site (host) to its ``sitevpn_*`` variables;
    ``source_text(site, name, value)`` may give the text a value was written as (to see the leading 0 of an octal-looking number).
    ``unknown`` lists ``(site, variable, suggestion)`` for sitevpn_* names the collection never reads.
    """
    source_text = source_text or (lambda site, name, value: None)
    errors, unknown, typed = [], [], {}
    for site, values in sorted(sites.items()):
        for name in sorted(values):
            if name.startswith("sitevpn_") and not name.startswith("sitevpn__") and name not in KNOWN_VARIABLES:
                close = difflib.get_close_matches(name, sorted(KNOWN_VARIABLES), n=1)
                unknown.append((site, name, close[0] if close else None))
        if values.get("sitevpn_cgw_ip") in (None, ""):
            errors.append(f"{site}: sitevpn_cgw_ip: is required (the site device's public address)")
        problems = _type_errors(values, lambda n, v, s=site: source_text(s, n, v))
        errors.extend(f"{site}: {p}" for p in problems)
        if not problems:
            typed[site] = values
    for name in SHARED_VARIABLES:
        seen = {}
        for site, values in sorted(sites.items()):
            seen.setdefault(repr(values[name]) if name in values else "unset", []).append(site)
        if len(seen) > 1:
            detail = "; ".join(f"{v} on {', '.join(s)}" for v, s in seen.items())
            errors.append(f"{name}: the sites share one VPC and VPN gateway, but the hosts differ ({detail}): set it once for all")
    others = {site: values.get("sitevpn_prefixes") or [] for site, values in typed.items()}
    for site, values in sorted(typed.items()):
        check = dict(values, sitevpn_static_routes_only=_as_bool(values.get("sitevpn_static_routes_only", False)))
        check.setdefault("sitevpn_bgp_asn", 65000)
        rest = {name: prefixes for name, prefixes in others.items() if name != site}
        errors.extend(f"{site}: {e}" for e in site_errors(check, rest) if not e.startswith("sitevpn_cgw_ip") or values.get("sitevpn_cgw_ip"))
        amazon = hub_amazon_side_asn(values.get("sitevpn_hub"), values.get("sitevpn_amazon_side_asn", AMAZON_SIDE_ASN_DEFAULT))
        if not check["sitevpn_static_routes_only"] and str(check["sitevpn_bgp_asn"]) == str(amazon):
            where = "sitevpn_amazon_side_asn" if (values.get("sitevpn_hub") or {}).get("type", "vpn_gateway") == "vpn_gateway" else "sitevpn_hub"
            errors.append(f"{site}: sitevpn_bgp_asn: {check['sitevpn_bgp_asn']} is the Amazon side's ASN ({where}); BGP needs two")
    hubs = {
        site: {"hub": values.get("sitevpn_hub"), "static": _as_bool(values.get("sitevpn_static_routes_only", False)),
               "prefixes": values.get("sitevpn_prefixes") or []}
        for site, values in typed.items()
    }
    name_prefixes = {str(values.get("sitevpn_name_prefix") or "sitevpn") for values in typed.values()}
    errors.extend(hub_site_errors(hubs, sorted(name_prefixes)[0] if name_prefixes else "sitevpn"))
    errors.extend(_duplicates(typed))
    return errors, unknown


def _duplicates(sites):
    """One customer gateway address per site, one inside CIDR per tunnel of the shared VPN gateway."""
    errors = []
    for name, label in (("sitevpn_cgw_ip", "customer gateway address"), ("tunnel_inside_cidr", "tunnel inside CIDR")):
        owners = {}
        for site, values in sorted(sites.items()):
            if name == "sitevpn_cgw_ip":
                found = [values.get(name)] if values.get(name) else []
            else:
                found = [t.get(name) for t in values.get("sitevpn_tunnel_options") or [] if isinstance(t, dict) and t.get(name)]
            for value in found:
                owners.setdefault(str(value), []).append(site)
        for value, owner in sorted(owners.items()):
            if len(owner) > 1:
                where = name if name == "sitevpn_cgw_ip" else f"sitevpn_tunnel_options[].{name}"
                errors.append(f"{', '.join(owner)}: {where}: {value} is used by several sites; each {label} belongs to one site")
    return errors
