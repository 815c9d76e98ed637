# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Effective tunnel options: AWS's documented defaults filled in, and comparison.

Real AWS describe output carries only what was set; :func:`with_defaults` fills AWS's
documented defaults so that an option given with its default value is not a change.
"""

from __future__ import annotations

import copy
import ipaddress

from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import CLOUDWATCH_LOG_FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import FIELDS


def default_options():
    """Every option with AWS's documented default (None where AWS picks a value)."""
    return {name: copy.deepcopy(field.default) for name, field in FIELDS.items()}


def with_defaults(options, base=None):
    """``options`` with every unset (absent or None) option filled in.

    Unset options come from ``base`` when given (e.g. the current effective options of an
    existing tunnel), else AWS's defaults.  Keys outside the spec (``outside_ip_address``)
    are kept.  ``log_options`` is completed key by key.
    """
    fill = default_options() if base is None else with_defaults(base)
    result = {}
    options = options or {}
    for name in FIELDS:
        value = options.get(name)
        if value is None:
            value = copy.deepcopy(fill.get(name))
        elif name == "log_options":
            value = _log_options_with_defaults(value, fill.get(name))
        elif name in ("phase1_additional_key_exchanges", "phase2_additional_key_exchanges"):
            value = [_key_exchange_with_defaults(r) for r in value]
        else:
            value = copy.deepcopy(value)
        result[name] = value
    for key, value in options.items():
        if key not in FIELDS:
            result[key] = copy.deepcopy(value)
    return result


def _log_options_with_defaults(value, fill):
    fill_cw = ((fill or {}).get("cloudwatch_log_options") or {}) if isinstance(fill, dict) else {}
    given = (value or {}).get("cloudwatch_log_options") or {}
    merged = {}
    for key, spec in CLOUDWATCH_LOG_FIELDS.items():
        if given.get(key) is not None:
            merged[key] = given[key]
        elif key in fill_cw:
            merged[key] = fill_cw[key]
        else:
            merged[key] = spec[3]
    return {"cloudwatch_log_options": merged}


def _key_exchange_with_defaults(round_):
    result = dict(round_)
    if result.get("requirement") is None:
        result["requirement"] = "required"  # AWS's default for a round
    if result.get("methods") is None:
        result["methods"] = []
    return result


def normalize(name, value):
    """A comparable form: sets for lists where order does not matter, canonical CIDRs."""
    if value is None:
        return None
    kind = FIELDS[name].kind
    if kind in ("list_str", "list_int"):
        return frozenset(value)
    if kind == "list_dict":
        return frozenset(
            (r["round"], r.get("requirement") or "required", frozenset(r.get("methods") or ()))
            for r in value
        )
    if name in ("tunnel_inside_cidr", "tunnel_inside_ipv6_cidr"):
        try:
            return str(ipaddress.ip_network(value, strict=False))
        except ValueError:
            return value
    return value


def tunnel_changes(desired, current):
    """``{field: (current_effective, desired)}`` for the options of ``desired`` that differ.

    Only options given in ``desired`` (not None) count; ``current`` is a snake dict as
    :func:`from_api` returns and is completed with AWS's defaults, so an option given with
    its default value is not a change.  Lists compare as sets; CIDRs by network;
    ``log_options`` only on the sub-keys given.  An option with no default that AWS does not
    return (``pre_shared_key`` stored in Secrets Manager) compares against None: callers that
    know the value must put it into ``current``.
    """
    effective = with_defaults(current or {})
    changes = {}
    for name, value in (desired or {}).items():
        if value is None or name not in FIELDS:
            continue
        have = effective.get(name)
        if name == "log_options":
            want_cw = value.get("cloudwatch_log_options") or {}
            have_cw = (have or {}).get("cloudwatch_log_options") or {}
            if any(v is not None and have_cw.get(k) != v for k, v in want_cw.items()):
                changes[name] = (have, value)
            continue
        if name in ("phase1_additional_key_exchanges", "phase2_additional_key_exchanges"):
            value_cmp = [_key_exchange_with_defaults(r) for r in value]
        else:
            value_cmp = value
        if normalize(name, have) != normalize(name, value_cmp):
            changes[name] = (have, value)
    return changes
