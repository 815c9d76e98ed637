# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Site-to-Site VPN tunnel-option spec: one home for fields, AWS rules and defaults.

Snake-case options (what users write, what modules and renderers use) map 1:1 to the
EC2 API:

* ``VpnTunnelOptionsSpecification`` (CreateVpnConnection) and
  ``ModifyVpnTunnelOptionsSpecification`` (ModifyVpnTunnelOptions) use ``api_name``
  (``DPDTimeoutSeconds``, ``IKEVersions``);
* ``TunnelOption`` (DescribeVpnConnections) uses ``describe_name`` (``DpdTimeoutSeconds``,
  ``IkeVersions``) and adds ``OutsideIpAddress``.

Snake form of the structured fields:

* algorithm / DH group / IKE version lists: plain lists, ``["AES128", "AES256"]``,
  ``[14, 19]``, ``["ikev2"]`` (the API's ``[{"Value": x}]`` wrapping is added/removed here);
* ``log_options``: ``{"cloudwatch_log_options": {"log_enabled", "log_group_arn",
  "log_output_format", "bgp_log_enabled", "bgp_log_group_arn", "bgp_log_output_format"}}``;
* ``phase1_additional_key_exchanges`` / ``phase2_additional_key_exchanges``: lists of
  ``{"round": 1-7, "requirement": "required"|"optional", "methods": [36, ...]}`` mapping to
  ``AdditionalKeyExchangeRound``, ``Requirement``, ``KeyExchangeMethods`` (IANA IKEv2 key
  exchange method IDs; 36 = ML-KEM-768).

Real AWS describe output carries only what was set; :func:`with_defaults` fills AWS's
documented defaults so that an option given with its default value is not a change.

Pure Python: stdlib and this collection's ``validation`` only.
"""

from __future__ import annotations

import copy
import ipaddress
import re

from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import validate_ipv4_address

ENCRYPTION_ALGORITHMS = ("AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16")
INTEGRITY_ALGORITHMS = ("SHA1", "SHA2-256", "SHA2-384", "SHA2-512")
# Allowed values per the pinned botocore's API documentation (35-37 are ML-KEM-512/768/1024).
PHASE1_DH_GROUPS = (2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 35)
PHASE2_DH_GROUPS = (2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 35, 36, 37)
# What AWS negotiates when the option is unset: the classic groups (AWS user guide,
# Landing Zone Accelerator defaults); the ML-KEM groups are opt-in.
PHASE1_DH_GROUPS_DEFAULT = (2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
PHASE2_DH_GROUPS_DEFAULT = (2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
KEY_EXCHANGE_METHODS = (2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 35, 36, 37)
IKE_VERSIONS = ("ikev1", "ikev2")
DPD_TIMEOUT_ACTIONS = ("clear", "none", "restart")
STARTUP_ACTIONS = ("add", "start")
LOG_OUTPUT_FORMATS = ("json", "text")
KEY_EXCHANGE_REQUIREMENTS = ("required", "optional")

MAX_TUNNELS = 2
INSIDE_CIDR_RANGE = ipaddress.ip_network("169.254.0.0/16")
RESERVED_INSIDE_CIDRS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/30",
        "169.254.1.0/30",
        "169.254.2.0/30",
        "169.254.3.0/30",
        "169.254.4.0/30",
        "169.254.5.0/30",
        "169.254.169.252/30",
    )
)
INSIDE_IPV6_RANGE = ipaddress.ip_network("fd00::/8")
PSK_PATTERN = re.compile(r"^[A-Za-z0-9._]{8,64}$")

# Keys of a tunnel_options entry that are not tunnel options: they pick which existing
# tunnel the entry applies to and are never sent to AWS.
MATCH_KEYS = ("outside_ip_address",)


class OptionField:
    """One tunnel option: snake ``name``, API names, kind, AWS's allowed values and default."""

    __slots__ = (
        "name",
        "api_name",
        "describe_name",
        "kind",
        "choices",
        "minimum",
        "maximum",
        "default",
        "description",
        "no_log",
    )

    def __init__(
        self,
        name,
        api_name,
        kind,
        description,
        describe_name=None,
        choices=None,
        minimum=None,
        maximum=None,
        default=None,
        no_log=False,
    ):
        self.name = name
        self.api_name = api_name
        self.describe_name = describe_name or api_name
        self.kind = kind  # str, int, bool, list_str, list_int, dict, list_dict
        self.choices = choices
        self.minimum = minimum
        self.maximum = maximum
        self.default = default
        self.description = description
        self.no_log = no_log

    def __repr__(self):
        return f"OptionField({self.name!r})"


# log_options sub-fields: snake -> (API name, kind, choices, default)
CLOUDWATCH_LOG_FIELDS = {
    "log_enabled": ("LogEnabled", "bool", None, False),
    "log_group_arn": ("LogGroupArn", "str", None, None),
    "log_output_format": ("LogOutputFormat", "str", LOG_OUTPUT_FORMATS, "json"),
    "bgp_log_enabled": ("BgpLogEnabled", "bool", None, False),
    "bgp_log_group_arn": ("BgpLogGroupArn", "str", None, None),
    "bgp_log_output_format": ("BgpLogOutputFormat", "str", LOG_OUTPUT_FORMATS, "json"),
}
# additional key exchange round sub-fields: snake -> API name
KEY_EXCHANGE_FIELDS = {
    "round": "AdditionalKeyExchangeRound",
    "requirement": "Requirement",
    "methods": "KeyExchangeMethods",
}


def _f(*args, **kwargs):
    field = OptionField(*args, **kwargs)
    return field.name, field


# Order follows botocore's VpnTunnelOptionsSpecification.
FIELDS = dict(
    [
        _f(
            "tunnel_inside_cidr",
            "TunnelInsideCidr",
            "str",
            "The inside IPv4 range of the tunnel: a /30 in 169.254.0.0/16, not one of 169.254.0.0/30 to "
            "169.254.5.0/30 or 169.254.169.252/30, unique per gateway. AWS picks one when unset.",
        ),
        _f(
            "tunnel_inside_ipv6_cidr",
            "TunnelInsideIpv6Cidr",
            "str",
            "The inside IPv6 range of the tunnel: a /126 in fd00::/8 (transit gateway connections "
            "with tunnel_inside_ip_version ipv6). AWS picks one when unset.",
        ),
        _f(
            "pre_shared_key",
            "PreSharedKey",
            "str",
            "The pre-shared key: 8-64 characters of letters, digits, periods and underscores, not "
            "starting with 0. AWS generates one when unset.",
            no_log=True,
        ),
        _f(
            "phase1_lifetime_seconds",
            "Phase1LifetimeSeconds",
            "int",
            "Lifetime of phase 1 (IKE SA) in seconds, 900-28800.",
            minimum=900,
            maximum=28800,
            default=28800,
        ),
        _f(
            "phase2_lifetime_seconds",
            "Phase2LifetimeSeconds",
            "int",
            "Lifetime of phase 2 (IPsec SA) in seconds, 900-3600 and less than phase1_lifetime_seconds.",
            minimum=900,
            maximum=3600,
            default=3600,
        ),
        _f(
            "rekey_margin_time_seconds",
            "RekeyMarginTimeSeconds",
            "int",
            "Seconds before phase 2 expires in which AWS rekeys: 60 to half of phase2_lifetime_seconds.",
            minimum=60,
            default=270,
        ),
        _f(
            "rekey_fuzz_percentage",
            "RekeyFuzzPercentage",
            "int",
            "Percentage of the rekey window in which the rekey time is picked at random, 0-100.",
            minimum=0,
            maximum=100,
            default=100,
        ),
        _f(
            "replay_window_size",
            "ReplayWindowSize",
            "int",
            "Number of packets in the IKE replay window, 64-2048.",
            minimum=64,
            maximum=2048,
            default=1024,
        ),
        _f(
            "dpd_timeout_seconds",
            "DPDTimeoutSeconds",
            "int",
            "Seconds after which dead peer detection times out, 30 or more.",
            describe_name="DpdTimeoutSeconds",
            minimum=30,
            default=30,
        ),
        _f(
            "dpd_timeout_action",
            "DPDTimeoutAction",
            "str",
            "What AWS does after a DPD timeout: clear (end the IKE session), none, restart.",
            describe_name="DpdTimeoutAction",
            choices=DPD_TIMEOUT_ACTIONS,
            default="clear",
        ),
        _f(
            "phase1_encryption_algorithms",
            "Phase1EncryptionAlgorithms",
            "list_str",
            "Encryption algorithms permitted in phase 1.",
            choices=ENCRYPTION_ALGORITHMS,
            default=list(ENCRYPTION_ALGORITHMS),
        ),
        _f(
            "phase2_encryption_algorithms",
            "Phase2EncryptionAlgorithms",
            "list_str",
            "Encryption algorithms permitted in phase 2.",
            choices=ENCRYPTION_ALGORITHMS,
            default=list(ENCRYPTION_ALGORITHMS),
        ),
        _f(
            "phase1_integrity_algorithms",
            "Phase1IntegrityAlgorithms",
            "list_str",
            "Integrity algorithms permitted in phase 1.",
            choices=INTEGRITY_ALGORITHMS,
            default=list(INTEGRITY_ALGORITHMS),
        ),
        _f(
            "phase2_integrity_algorithms",
            "Phase2IntegrityAlgorithms",
            "list_str",
            "Integrity algorithms permitted in phase 2.",
            choices=INTEGRITY_ALGORITHMS,
            default=list(INTEGRITY_ALGORITHMS),
        ),
        _f(
            "phase1_dh_group_numbers",
            "Phase1DHGroupNumbers",
            "list_int",
            "Diffie-Hellman groups permitted in phase 1.",
            choices=PHASE1_DH_GROUPS,
            default=list(PHASE1_DH_GROUPS_DEFAULT),
        ),
        _f(
            "phase2_dh_group_numbers",
            "Phase2DHGroupNumbers",
            "list_int",
            "Diffie-Hellman groups permitted in phase 2 (PFS).",
            choices=PHASE2_DH_GROUPS,
            default=list(PHASE2_DH_GROUPS_DEFAULT),
        ),
        _f(
            "ike_versions",
            "IKEVersions",
            "list_str",
            "IKE versions permitted.",
            describe_name="IkeVersions",
            choices=IKE_VERSIONS,
            default=list(IKE_VERSIONS),
        ),
        _f(
            "startup_action",
            "StartupAction",
            "str",
            "add: the customer gateway starts the IKE negotiation; start: AWS starts it.",
            choices=STARTUP_ACTIONS,
            default="add",
        ),
        _f(
            "log_options",
            "LogOptions",
            "dict",
            "CloudWatch logging of the tunnel: cloudwatch_log_options with log_enabled, log_group_arn, "
            "log_output_format (json, text), bgp_log_enabled, bgp_log_group_arn, bgp_log_output_format.",
            default={
                "cloudwatch_log_options": {k: spec[3] for k, spec in CLOUDWATCH_LOG_FIELDS.items()},
            },
        ),
        _f(
            "enable_tunnel_lifecycle_control",
            "EnableTunnelLifecycleControl",
            "bool",
            "Whether you control when AWS replaces the tunnel endpoint during maintenance.",
            default=False,
        ),
        _f(
            "phase1_additional_key_exchanges",
            "Phase1AdditionalKeyExchanges",
            "list_dict",
            "Additional key exchange rounds in phase 1 (RFC 9370, IKEv2 only), e.g. hybrid ML-KEM: "
            "a list of round (1-7, unique), requirement (required, optional) and methods (IANA "
            "key exchange method IDs).",
            default=[],
        ),
        _f(
            "phase2_additional_key_exchanges",
            "Phase2AdditionalKeyExchanges",
            "list_dict",
            "Additional key exchange rounds in phase 2 (RFC 9370, IKEv2 only), same form as "
            "phase1_additional_key_exchanges.",
            default=[],
        ),
    ]
)

# Every field of ModifyVpnTunnelOptionsSpecification (botocore 1.44.8) - the same members as
# the create spec - so every tunnel option can change in place.  What cannot (tunnel inside IP
# version, outside IP address type, acceleration, gateway) is a connection option, not here.
MODIFIABLE_IN_PLACE = frozenset(FIELDS)

API_TO_FIELD = {f.api_name: f for f in FIELDS.values()}
DESCRIBE_TO_FIELD = {f.describe_name: f for f in FIELDS.values()}


class TunnelOptionError(ValidationError):
    """Bad tunnel options.  ``field`` is e.g. ``tunnel_options[1].phase2_lifetime_seconds``.

    When several rules are broken, ``errors`` lists every ``(field, message)`` pair; ``field``
    and ``message`` are the first and ``str()`` joins them all with ``"; "``.
    """

    def __init__(self, field, message, errors=None):
        super().__init__(field, message)
        self.errors = list(errors) if errors else [(field, message)]

    def __str__(self):
        return "; ".join(f"{f}: {m}" for f, m in self.errors)


def _raise_all(errors):
    if errors:
        raise TunnelOptionError(errors[0][0], errors[0][1], errors)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


# ---------------------------------------------------------------------------- defaults


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


# ---------------------------------------------------------------------------- API mapping


def _values(items):
    """Flatten ``[{"Value": x}]`` (or camel_dict_to_snake_dict's ``[{"value": x}]``)."""
    result = []
    for item in items or []:
        if isinstance(item, dict):
            result.append(item.get("Value", item.get("value")))
        else:
            result.append(item)
    return result


def _log_options_to_api(value):
    cw = (value or {}).get("cloudwatch_log_options") or {}
    api = {spec[0]: cw[key] for key, spec in CLOUDWATCH_LOG_FIELDS.items() if cw.get(key) is not None}
    return {"CloudWatchLogOptions": api}


def _log_options_from_api(value):
    cw = value.get("CloudWatchLogOptions", value.get("cloud_watch_log_options", value.get("cloudwatch_log_options")))
    if cw is None:
        return {"cloudwatch_log_options": {}}
    result = {}
    for key, spec in CLOUDWATCH_LOG_FIELDS.items():
        if spec[0] in cw:
            result[key] = cw[spec[0]]
        elif key in cw:
            result[key] = cw[key]
    return {"cloudwatch_log_options": result}


def _key_exchanges_to_api(rounds):
    api = []
    for r in rounds or []:
        item = {"AdditionalKeyExchangeRound": r["round"]}
        if r.get("requirement") is not None:
            item["Requirement"] = r["requirement"]
        if r.get("methods") is not None:
            item["KeyExchangeMethods"] = [{"Value": m} for m in r["methods"]]
        api.append(item)
    return api


def _key_exchanges_from_api(rounds):
    result = []
    for r in rounds or []:
        item = {
            "round": r.get("AdditionalKeyExchangeRound", r.get("additional_key_exchange_round", r.get("round"))),
            "requirement": r.get("Requirement", r.get("requirement")),
            "methods": _values(r.get("KeyExchangeMethods", r.get("key_exchange_methods", r.get("methods")))),
        }
        result.append(item)
    return result


def to_api(options, modify=False):
    """Snake options -> a VpnTunnelOptionsSpecification (or the Modify spec with ``modify=True``).

    Unset (None) options are left out, so AWS keeps its default / current value.  Match keys
    (``outside_ip_address``) are dropped.  An unknown key raises :class:`TunnelOptionError`.
    """
    api = {}
    for name, value in (options or {}).items():
        if value is None or name in MATCH_KEYS:
            continue
        field = FIELDS.get(name)
        if field is None:
            raise TunnelOptionError(name, "is not a tunnel option")
        if modify and name not in MODIFIABLE_IN_PLACE:
            raise TunnelOptionError(name, "cannot be modified in place by ModifyVpnTunnelOptions")
        if field.kind in ("list_str", "list_int"):
            api[field.api_name] = [{"Value": v} for v in value]
        elif field.kind == "dict":
            api[field.api_name] = _log_options_to_api(value)
        elif field.kind == "list_dict":
            api[field.api_name] = _key_exchanges_to_api(value)
        else:
            api[field.api_name] = value
    return api


def from_api(tunnel_option):
    """A DescribeVpnConnections ``TunnelOptions`` entry -> snake dict of the options present.

    Accepts boto3's CamelCase or camel_dict_to_snake_dict's snake_case.  Lists are flattened;
    ``outside_ip_address`` is included when present.  Absent options stay absent: use
    :func:`with_defaults` for effective values.
    """
    result = {}
    for key, value in (tunnel_option or {}).items():
        if key in ("OutsideIpAddress", "outside_ip_address"):
            result["outside_ip_address"] = value
            continue
        field = DESCRIBE_TO_FIELD.get(key) or API_TO_FIELD.get(key) or FIELDS.get(key)
        if field is None or value is None:
            continue
        if field.kind in ("list_str", "list_int"):
            value = _values(value)
        elif field.kind == "dict":
            value = _log_options_from_api(value)
        elif field.kind == "list_dict":
            value = _key_exchanges_from_api(value)
        result[field.name] = value
    return result


# ---------------------------------------------------------------------------- comparison


def _normalize(name, value):
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
        if _normalize(name, have) != _normalize(name, value_cmp):
            changes[name] = (have, value)
    return changes


# ---------------------------------------------------------------------------- validation


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


def _check_inside_cidr(value, where, errors):
    if not isinstance(value, str):
        errors.append((where, f"must be a CIDR string, got {value!r}"))
        return
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError as e:
        errors.append((where, f"{value!r} is not an IPv4 network address with prefix ({e})"))
        return
    if net.prefixlen != 30:
        errors.append((where, f"{value} must be a /30"))
    elif not net.subnet_of(INSIDE_CIDR_RANGE):
        errors.append((where, f"{value} is not in {INSIDE_CIDR_RANGE}"))
    elif net in RESERVED_INSIDE_CIDRS:
        errors.append((where, f"{value} is reserved by AWS (169.254.0.0/30 to 169.254.5.0/30, 169.254.169.252/30)"))


def _check_inside_ipv6_cidr(value, where, errors):
    if not isinstance(value, str):
        errors.append((where, f"must be a CIDR string, got {value!r}"))
        return
    try:
        net = ipaddress.IPv6Network(value, strict=True)
    except ValueError as e:
        errors.append((where, f"{value!r} is not an IPv6 network address with prefix ({e})"))
        return
    if net.prefixlen != 126:
        errors.append((where, f"{value} must be a /126"))
    elif not net.subnet_of(INSIDE_IPV6_RANGE):
        errors.append((where, f"{value} is not in {INSIDE_IPV6_RANGE}"))


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
        if name == "tunnel_inside_cidr":
            _check_inside_cidr(value, where, errors)
        elif name == "tunnel_inside_ipv6_cidr":
            _check_inside_ipv6_cidr(value, where, errors)
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
            value = _normalize(key, options[key]) if key in FIELDS else options[key]
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


# ---------------------------------------------------------------------------- Ansible


def _suboption(field):
    if field.kind == "dict":
        spec = {
            "type": "dict",
            "options": {
                "cloudwatch_log_options": {
                    "type": "dict",
                    "options": {
                        key: dict({"type": s[1]}, **({"choices": list(s[2])} if s[2] else {}))
                        for key, s in CLOUDWATCH_LOG_FIELDS.items()
                    },
                }
            },
        }
        return spec
    if field.kind == "list_dict":
        return {
            "type": "list",
            "elements": "dict",
            "options": {
                "round": {"type": "int", "required": True},
                "requirement": {"type": "str", "choices": list(KEY_EXCHANGE_REQUIREMENTS)},
                "methods": {"type": "list", "elements": "int"},
            },
        }
    if field.kind in ("list_str", "list_int"):
        spec = {"type": "list", "elements": "str" if field.kind == "list_str" else "int"}
    else:
        spec = {"type": field.kind}
    if field.choices:
        spec["choices"] = list(field.choices)
    if field.no_log:
        spec["no_log"] = True
    return spec


def tunnel_option_suboptions():
    """Ansible argument spec of one ``tunnel_options`` entry (no defaults: unset means AWS's)."""
    spec = {"outside_ip_address": {"type": "str"}}
    for name, field in FIELDS.items():
        spec[name] = _suboption(field)
    return spec


def module_argument_spec():
    """The ``tunnel_options`` option: ``argument_spec["tunnel_options"] = module_argument_spec()``."""
    return {"type": "list", "elements": "dict", "options": tunnel_option_suboptions()}


def _doc_entry(spec, description):
    doc = {"description": description, "type": spec["type"]}
    for key in ("elements", "choices", "required"):
        if key in spec:
            doc[key] = spec[key]
    return doc


def suboptions_documentation():
    """The DOCUMENTATION ``suboptions`` of ``tunnel_options``, mirroring :func:`tunnel_option_suboptions`.

    For module authors: ``yaml.safe_dump(suboptions_documentation(), sort_keys=False)`` gives the
    block to paste, so the documented choices and types are the spec's.
    """
    spec = tunnel_option_suboptions()
    docs = {
        "outside_ip_address": _doc_entry(
            spec["outside_ip_address"],
            ["The AWS-side outside IP of the existing tunnel this entry applies to. Not sent to AWS.",
             "Without it, entries are matched to tunnels by tunnel_inside_cidr or pre_shared_key, never by position."],
        )
    }
    for name, field in FIELDS.items():
        entry = _doc_entry(spec[name], [field.description] + (
            [f"AWS's default: {field.default}."] if field.default not in (None, [], {}) and field.kind != "dict" else []
        ))
        if field.kind == "dict":
            cw = spec[name]["options"]["cloudwatch_log_options"]["options"]
            entry["suboptions"] = {
                "cloudwatch_log_options": {
                    "description": "CloudWatch Logs settings.",
                    "type": "dict",
                    "suboptions": {
                        key: _doc_entry(cw[key], f"C({CLOUDWATCH_LOG_FIELDS[key][0]}).") for key in CLOUDWATCH_LOG_FIELDS
                    },
                }
            }
        elif field.kind == "list_dict":
            sub = spec[name]["options"]
            entry["suboptions"] = {
                "round": _doc_entry(sub["round"], "The round number, 1-7, unique within the phase."),
                "requirement": _doc_entry(sub["requirement"], "Whether the round must be negotiated. AWS's default: required."),
                "methods": _doc_entry(
                    sub["methods"],
                    "IANA IKEv2 key exchange method IDs permitted in this round (35-37 are ML-KEM-512/768/1024). "
                    "A required round needs at least one.",
                ),
            }
        if field.no_log:
            entry["description"].append("Never logged.")
        docs[name] = entry
    return docs
