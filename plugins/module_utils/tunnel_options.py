# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Site-to-Site VPN tunnel-option spec: the fields table, AWS's allowed values and defaults.

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

The rest is split by concern, each reading this table: ``tunnel_option_defaults`` (effective
values and comparison), ``tunnel_option_api`` (EC2 request / describe forms),
``tunnel_option_validation`` (AWS's rules) and ``tunnel_option_args`` (the module's argument
spec and documentation).

Pure Python: stdlib and this collection's ``validation`` only.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from typing import Optional

from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError

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


@dataclass(eq=False, repr=False)
class OptionField:
    """One tunnel option: snake ``name``, API names, kind, AWS's allowed values and default."""

    name: str
    api_name: str
    kind: str  # str, int, bool, list_str, list_int, dict, list_dict
    description: str
    describe_name: Optional[str] = None  # the name in DescribeVpnConnections' TunnelOptions; api_name when unset
    choices: Any = None
    minimum: Optional[int] = None
    maximum: Optional[int] = None
    default: Any = None
    no_log: bool = False

    def __post_init__(self):
        self.describe_name = self.describe_name or self.api_name

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
