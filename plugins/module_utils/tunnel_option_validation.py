# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS's rules for tunnel options: every broken rule is reported, with the field it is about."""

from __future__ import annotations

import ipaddress

from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_defaults import normalize
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_option_defaults import with_defaults
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import CLOUDWATCH_LOG_FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import INSIDE_CIDR_RANGE
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import INSIDE_IPV6_RANGE
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import KEY_EXCHANGE_FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import KEY_EXCHANGE_METHODS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import KEY_EXCHANGE_REQUIREMENTS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import MATCH_KEYS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import MAX_TUNNELS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import PSK_PATTERN
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import RESERVED_INSIDE_CIDRS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import TunnelOptionError
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_ipv4_address


def _raise_all(errors):
    if errors:
        raise TunnelOptionError(errors[0][0], errors[0][1], errors)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_scalar(field, value, where, errors):
    kind = field.kind
    if kind == "int":
        if not _is_int(value):
            errors.append((where, f"must be an integer, got {value!r}"))
            return
        if field.minimum is not None and value < field.minimum:
            errors.append((where, f"{value} is below the minimum {field.minimum}"))
        if field.maximum is not None and value > field.maximum:
            errors.append((where, f"{value} is above the maximum {field.maximum}"))
    elif kind == "bool":
        if not isinstance(value, bool):
            errors.append((where, f"must be a boolean, got {value!r}"))
    elif kind == "str":
        if not isinstance(value, str):
            errors.append((where, f"must be a string, got {value!r}"))
            return
        if field.choices and value not in field.choices:
            errors.append((where, f"{value!r} is not one of {', '.join(field.choices)}"))


def _check_list(field, value, where, errors):
    if not isinstance(value, (list, tuple)):
        errors.append((where, f"must be a list, got {value!r}"))
        return
    if not value:
        errors.append((where, "must not be empty (leave it unset for AWS's default)"))
        return
    seen = set()
    for item in value:
        if field.kind == "list_int" and not _is_int(item):
            errors.append((where, f"{item!r} is not an integer"))
            continue
        if field.kind == "list_str" and not isinstance(item, str):
            errors.append((where, f"{item!r} is not a string"))
            continue
        if item not in field.choices:
            allowed = ", ".join(str(c) for c in field.choices)
            errors.append((where, f"{item!r} is not allowed (allowed: {allowed})"))
        if item in seen:
            errors.append((where, f"{item!r} is listed twice"))
        seen.add(item)


def _check_log_options(value, where, errors):
    if not isinstance(value, dict):
        errors.append((where, f"must be a dict, got {value!r}"))
        return
    unknown = set(value) - {"cloudwatch_log_options"}
    if unknown:
        errors.append((where, f"unknown keys {', '.join(sorted(unknown))} (allowed: cloudwatch_log_options)"))
    cw = value.get("cloudwatch_log_options")
    if cw is None:
        return
    cw_where = f"{where}.cloudwatch_log_options"
    if not isinstance(cw, dict):
        errors.append((cw_where, f"must be a dict, got {cw!r}"))
        return
    for key, item in cw.items():
        spec = CLOUDWATCH_LOG_FIELDS.get(key)
        if spec is None:
            errors.append((f"{cw_where}.{key}", f"is not a log option (allowed: {', '.join(CLOUDWATCH_LOG_FIELDS)})"))
            continue
        if item is None:
            continue
        if spec[1] == "bool" and not isinstance(item, bool):
            errors.append((f"{cw_where}.{key}", f"must be a boolean, got {item!r}"))
        elif spec[1] == "str":
            if not isinstance(item, str):
                errors.append((f"{cw_where}.{key}", f"must be a string, got {item!r}"))
            elif spec[2] and item not in spec[2]:
                errors.append((f"{cw_where}.{key}", f"{item!r} is not one of {', '.join(spec[2])}"))
    if cw.get("log_enabled") and not cw.get("log_group_arn"):
        errors.append((f"{cw_where}.log_group_arn", "is required when log_enabled is true"))
    if cw.get("bgp_log_enabled") and not cw.get("bgp_log_group_arn"):
        errors.append((f"{cw_where}.bgp_log_group_arn", "is required when bgp_log_enabled is true"))


def _check_key_exchanges(value, where, errors):
    """Shape of additional key exchange rounds; the cross-field rules come later."""
    if not isinstance(value, (list, tuple)):
        errors.append((where, f"must be a list, got {value!r}"))
        return
    rounds = set()
    for i, r in enumerate(value):
        rw = f"{where}[{i}]"
        if not isinstance(r, dict):
            errors.append((rw, f"must be a dict with round, requirement, methods, got {r!r}"))
            continue
        unknown = set(r) - set(KEY_EXCHANGE_FIELDS)
        if unknown:
            errors.append((rw, f"unknown keys {', '.join(sorted(unknown))} (allowed: round, requirement, methods)"))
        number = r.get("round")
        if not _is_int(number) or not 1 <= number <= 7:
            errors.append((f"{rw}.round", f"must be a round number 1-7, got {number!r}"))
        elif number in rounds:
            errors.append((f"{rw}.round", f"round {number} is given twice; round numbers must be unique"))
        else:
            rounds.add(number)
        requirement = r.get("requirement") or "required"
        if requirement not in KEY_EXCHANGE_REQUIREMENTS:
            errors.append((f"{rw}.requirement", f"{requirement!r} is not one of required, optional"))
        methods = r.get("methods") or []
        if not isinstance(methods, (list, tuple)):
            errors.append((f"{rw}.methods", f"must be a list of key exchange method IDs, got {methods!r}"))
            continue
        for m in methods:
            if not _is_int(m) or m not in KEY_EXCHANGE_METHODS:
                allowed = ", ".join(str(x) for x in KEY_EXCHANGE_METHODS)
                errors.append((f"{rw}.methods", f"{m!r} is not a key exchange method AWS allows ({allowed})"))
        if len(set(methods)) != len(methods):
            errors.append((f"{rw}.methods", "lists a method twice"))
        if requirement == "required" and not methods:
            errors.append((f"{rw}.methods", "a required round must name at least one method"))


def _distinct_methods_possible(candidate_sets):
    """Can one distinct method be picked from each set?  (Bipartite matching, tiny sizes.)"""
    match = {}

    def assign(i, seen):
        for m in candidate_sets[i]:
            if m in seen:
                continue
            seen.add(m)
            if m not in match or assign(match[m], seen):
                match[m] = i
                return True
        return False

    return all(assign(i, set()) for i in range(len(candidate_sets)))


# The inside network of a tunnel, per address family: (IP version, prefix length, range, reserved).
_INSIDE_NETWORKS = {
    "tunnel_inside_cidr": (4, 30, INSIDE_CIDR_RANGE, RESERVED_INSIDE_CIDRS),
    "tunnel_inside_ipv6_cidr": (6, 126, INSIDE_IPV6_RANGE, ()),
}


def _check_inside_network(name, value, where, errors):
    version, prefixlen, allowed, reserved = _INSIDE_NETWORKS[name]
    if not isinstance(value, str):
        errors.append((where, f"must be a CIDR string, got {value!r}"))
        return
    try:
        net = (ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network)(value, strict=True)
    except ValueError as e:
        errors.append((where, f"{value!r} is not an IPv{version} network address with prefix ({e})"))
        return
    if net.prefixlen != prefixlen:
        errors.append((where, f"{value} must be a /{prefixlen}"))
    elif not net.subnet_of(allowed):
        errors.append((where, f"{value} is not in {allowed}"))
    elif net in reserved:
        errors.append((where, f"{value} is reserved by AWS (169.254.0.0/30 to 169.254.5.0/30, 169.254.169.252/30)"))


def _check_psk(value, where, errors):
    if not isinstance(value, str):
        errors.append((where, "must be a string"))
        return
    # Never echo the key itself into an error message.
    if not 8 <= len(value) <= 64:
        errors.append((where, f"must be 8-64 characters long, got {len(value)}"))
    elif not PSK_PATTERN.match(value):
        errors.append((where, "may contain only letters, digits, periods (.) and underscores (_)"))
    if value.startswith("0"):
        errors.append((where, "must not start with 0"))


def tunnel_errors(options, prefix="tunnel_options[1]", base=None):
    """Every rule ``options`` breaks, as a list of ``(field, message)``; empty when valid.

    Cross-field rules use effective values: options not given come from ``base`` (the
    current options of an existing tunnel) or AWS's defaults.
    """
    errors = []
    if not isinstance(options, dict):
        return [(prefix, f"must be a dict of tunnel options, got {options!r}")]
    for name, value in options.items():
        where = f"{prefix}.{name}"
        if name in MATCH_KEYS:
            if value is not None:
                try:
                    validate_ipv4_address(value, where)
                except ValidationError as e:
                    errors.append((e.field, e.message))
            continue
        field = FIELDS.get(name)
        if field is None:
            errors.append((where, "is not a tunnel option"))
            continue
        if value is None:
            continue
        if name in _INSIDE_NETWORKS:
            _check_inside_network(name, value, where, errors)
        elif name == "pre_shared_key":
            _check_psk(value, where, errors)
        elif field.kind in ("list_str", "list_int"):
            _check_list(field, value, where, errors)
        elif field.kind == "dict":
            _check_log_options(value, where, errors)
        elif field.kind == "list_dict":
            _check_key_exchanges(value, where, errors)
        else:
            _check_scalar(field, value, where, errors)
    if errors:
        # Cross-field rules need well-formed values.
        return errors

    eff = with_defaults(options, base)

    def given(name):
        return "" if options.get(name) is not None else " by default" if base is None else " currently"

    p1, p2 = eff["phase1_lifetime_seconds"], eff["phase2_lifetime_seconds"]
    if p2 >= p1:
        errors.append(
            (
                f"{prefix}.phase2_lifetime_seconds",
                f"{p2}{given('phase2_lifetime_seconds')} must be less than phase1_lifetime_seconds "
                f"({p1}{given('phase1_lifetime_seconds')})",
            )
        )
    margin = eff["rekey_margin_time_seconds"]
    if margin > p2 // 2:
        errors.append(
            (
                f"{prefix}.rekey_margin_time_seconds",
                f"{margin}{given('rekey_margin_time_seconds')} must be at most half of phase2_lifetime_seconds "
                f"({p2}{given('phase2_lifetime_seconds')}), i.e. {p2 // 2}",
            )
        )

    ike = set(eff["ike_versions"])
    for phase in ("phase1", "phase2"):
        name = f"{phase}_additional_key_exchanges"
        rounds = eff[name] or []
        if not rounds:
            continue
        where = f"{prefix}.{name}"
        if "ikev2" not in ike:
            errors.append((where, "additional key exchanges need IKEv2, but ike_versions allows only ikev1"))
        required = [r for r in rounds if (r.get("requirement") or "required") == "required"]
        if required and "ikev1" in ike:
            errors.append(
                (
                    where,
                    "a required round cannot be negotiated over IKEv1, which ike_versions allows"
                    f"{given('ike_versions')}: set ike_versions to [ikev2] or make the round optional",
                )
            )
        initial = set(eff[f"{phase}_dh_group_numbers"])
        sets = [initial] + [set(r.get("methods") or ()) for r in required]
        if required and not _distinct_methods_possible(sets):
            errors.append(
                (
                    where,
                    f"the initial exchange ({phase}_dh_group_numbers) and each required round must be able to "
                    "use a different key exchange method",
                )
            )
    return errors


def validate_tunnel(options, prefix="tunnel_options[1]", base=None):
    """Raise :class:`TunnelOptionError` listing every rule one tunnel's options break."""
    _raise_all(tunnel_errors(options, prefix, base))


def validate_tunnel_options(tunnel_options, bases=None, name="tunnel_options"):
    """Validate the ``tunnel_options`` list: at most two entries, each valid, no shared inside CIDR.

    ``bases`` optionally gives, per entry, the current options of the tunnel it applies to.
    Raises one :class:`TunnelOptionError` listing every problem found.
    """
    if tunnel_options is None:
        return
    if not isinstance(tunnel_options, (list, tuple)):
        _raise_all([(name, f"must be a list of at most {MAX_TUNNELS} dicts, got {tunnel_options!r}")])
    errors = []
    if len(tunnel_options) > MAX_TUNNELS:
        errors.append((name, f"has {len(tunnel_options)} entries; a VPN connection has {MAX_TUNNELS} tunnels"))
    for i, options in enumerate(tunnel_options):
        base = bases[i] if bases and i < len(bases) else None
        errors.extend(tunnel_errors(options, f"{name}[{i + 1}]", base))
    for key in ("tunnel_inside_cidr", "tunnel_inside_ipv6_cidr", "outside_ip_address"):
        seen = {}
        for i, options in enumerate(tunnel_options):
            if not isinstance(options, dict) or options.get(key) is None:
                continue
            value = normalize(key, options[key]) if key in FIELDS else options[key]
            if value in seen:
                errors.append(
                    (
                        f"{name}[{i + 1}].{key}",
                        f"{options[key]} is already used by {name}[{seen[value] + 1}]; each tunnel needs its own",
                    )
                )
            else:
                seen[value] = i
    _raise_all(errors)
