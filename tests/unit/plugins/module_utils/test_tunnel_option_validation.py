# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tunnel-option validation rules and the module's argument spec and documentation."""

from __future__ import annotations

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils import tunnel_option_api as conv
from ansible_collections.sitevpn.aws.plugins.module_utils import tunnel_option_args as argspec
from ansible_collections.sitevpn.aws.plugins.module_utils import tunnel_option_validation as rules
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import PHASE1_DH_GROUPS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import TunnelOptionError
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError

from tunnel_option_cases import FULL

# ------------------------------------------------------------------ validation rules

GOOD = [
    {},
    {"phase1_lifetime_seconds": 28800, "phase2_lifetime_seconds": 3600},
    {"phase1_lifetime_seconds": 1000, "phase2_lifetime_seconds": 900, "rekey_margin_time_seconds": 450},
    {"phase2_lifetime_seconds": 3600, "rekey_margin_time_seconds": 1800},
    {"rekey_margin_time_seconds": 60},
    {"rekey_fuzz_percentage": 0},
    {"rekey_fuzz_percentage": 100},
    {"replay_window_size": 64},
    {"replay_window_size": 2048},
    {"dpd_timeout_seconds": 30},
    {"dpd_timeout_seconds": 3600},
    {"dpd_timeout_action": "none"},
    {"dpd_timeout_action": "restart"},
    {"startup_action": "start"},
    {"ike_versions": ["ikev1"]},
    {"phase1_encryption_algorithms": ["AES128-GCM-16"]},
    {"phase2_integrity_algorithms": ["SHA2-512"]},
    {"phase1_dh_group_numbers": [2, 14, 24]},
    {"phase1_dh_group_numbers": [35]},
    {"phase2_dh_group_numbers": [5, 36, 37]},
    {"tunnel_inside_cidr": "169.254.6.0/30"},
    {"tunnel_inside_cidr": "169.254.255.252/30"},
    {"tunnel_inside_cidr": "169.254.169.248/30"},
    {"tunnel_inside_ipv6_cidr": "fdff:1::4/126"},
    {"pre_shared_key": "abcdefgh"},
    {"pre_shared_key": "A" * 64},
    {"pre_shared_key": "1a.b_c.d_e"},
    {"enable_tunnel_lifecycle_control": True},
    {"log_options": {"cloudwatch_log_options": {"log_enabled": False}}},
    {"log_options": {"cloudwatch_log_options": {"log_enabled": True, "log_group_arn": "arn:x"}}},
    {"outside_ip_address": "198.51.100.10"},
    {"ike_versions": ["ikev2"], "phase1_additional_key_exchanges": [{"round": 1, "methods": [36]}]},
    # optional rounds may be offered while IKEv1 is still allowed
    {"phase2_additional_key_exchanges": [{"round": 3, "requirement": "optional", "methods": [36]}]},
    {"phase2_additional_key_exchanges": [{"round": 7, "requirement": "optional"}]},
    {
        "ike_versions": ["ikev2"],
        "phase2_dh_group_numbers": [14],
        "phase2_additional_key_exchanges": [{"round": 1, "methods": [36, 37]}, {"round": 2, "methods": [37, 36]}],
    },
]


@pytest.mark.parametrize("options", GOOD)
def test_good_options(options):
    rules.validate_tunnel(options)
    assert rules.tunnel_errors(options) == []


# option -> [(a value refused when given alone, words in the message)]: the error names the option
BAD_VALUES = {
    "phase1_lifetime_seconds": [(899, "minimum 900"), (28801, "maximum 28800")],
    "phase2_lifetime_seconds": [(899, "minimum 900"), (3601, "maximum 3600")],
    "rekey_margin_time_seconds": [(59, "minimum 60"), (1801, "half of phase2_lifetime_seconds")],
    "rekey_fuzz_percentage": [(-1, "minimum 0"), (101, "maximum 100")],
    "replay_window_size": [(63, "minimum 64"), (2049, "maximum 2048")],
    "dpd_timeout_seconds": [(29, "minimum 30"), ("30", "integer"), (True, "integer")],
    "dpd_timeout_action": [("hold", "clear, none, restart")],
    "startup_action": [("initiate", "add, start")],
    "ike_versions": [(["ikev3"], "not allowed"), ([], "must not be empty"), ("ikev2", "must be a list")],
    "phase1_encryption_algorithms": [(["3DES"], "not allowed")],
    "phase2_encryption_algorithms": [(["AES128", "AES128"], "twice")],
    "phase1_integrity_algorithms": [(["MD5"], "not allowed")],
    "phase2_integrity_algorithms": [(["sha1"], "not allowed")],
    "phase1_dh_group_numbers": [([5], "not allowed"), ([36], "not allowed")],
    "phase2_dh_group_numbers": [([1], "not allowed"), (["14"], "not an integer")],
    "tunnel_inside_cidr": [("169.254.10.0/29", "/30"), ("169.254.10.1/30", "network address"), ("10.0.0.0/30", "169.254.0.0/16"),
                           ("nonsense", "not an IPv4 network")]
    + [(cidr, "reserved") for cidr in ("169.254.0.0/30", "169.254.3.0/30", "169.254.5.0/30", "169.254.169.252/30")],
    "tunnel_inside_ipv6_cidr": [("fd00::/64", "/126"), ("fc00::/126", "fd00::/8"), ("169.254.10.0/30", "not an IPv6 network")],
    "pre_shared_key": [("short", "8-64"), ("A" * 65, "8-64"), ("0abcdefgh", "must not start with 0"),
                       ("abcd-efgh", "letters, digits"), ("abcd efgh", "letters, digits")],
    "enable_tunnel_lifecycle_control": [("yes", "boolean")],
    "log_options": [({"cloud_watch": {}}, "unknown keys")],
    "outside_ip_address": [("300.1.1.1", "not a valid IPv4")],
    "bogus": [(1, "not a tunnel option")],
    # additional key exchanges: IKEv1 is allowed by default
    "phase1_additional_key_exchanges": [([{"round": 1, "methods": [36]}], "IKEv1")],
}
BAD = [({option: value}, option, words) for option, cases in BAD_VALUES.items() for value, words in cases] + [
    # (options, field suffix, words in the message)
    ({"phase1_lifetime_seconds": 3000}, "phase2_lifetime_seconds", "less than phase1_lifetime_seconds"),
    ({"phase1_lifetime_seconds": 1800, "phase2_lifetime_seconds": 1800}, "phase2_lifetime_seconds", "less than"),
    ({"phase2_lifetime_seconds": 900, "rekey_margin_time_seconds": 451}, "rekey_margin_time_seconds", "450"),
    ({"log_options": {"cloudwatch_log_options": {"log_enabled": True}}}, "log_group_arn", "required"),
    ({"log_options": {"cloudwatch_log_options": {"bgp_log_enabled": True}}}, "bgp_log_group_arn", "required"),
    ({"log_options": {"cloudwatch_log_options": {"log_output_format": "xml"}}}, "log_output_format", "json, text"),
    ({"log_options": {"cloudwatch_log_options": {"enabled": True}}}, "enabled", "not a log option"),
    # additional key exchanges
    ({"ike_versions": ["ikev1"], "phase1_additional_key_exchanges": [{"round": 1, "requirement": "optional", "methods": [36]}]},
     "phase1_additional_key_exchanges", "need IKEv2"),
    ({"ike_versions": ["ikev1", "ikev2"], "phase2_additional_key_exchanges": [{"round": 1, "requirement": "required", "methods": [36]}]},
     "phase2_additional_key_exchanges", "IKEv1"),
    ({"ike_versions": ["ikev2"], "phase1_additional_key_exchanges": [{"round": 0, "methods": [36]}]}, "round", "1-7"),
    ({"ike_versions": ["ikev2"], "phase1_additional_key_exchanges": [{"round": 8, "methods": [36]}]}, "round", "1-7"),
    ({"ike_versions": ["ikev2"], "phase1_additional_key_exchanges": [{"round": 1, "methods": [36]}, {"round": 1, "methods": [37]}]},
     "[1].round", "unique"),
    ({"ike_versions": ["ikev2"], "phase1_additional_key_exchanges": [{"round": 1, "methods": []}]}, "methods", "at least one method"),
    ({"ike_versions": ["ikev2"], "phase1_additional_key_exchanges": [{"round": 1}]}, "methods", "at least one method"),
    ({"ike_versions": ["ikev2"], "phase1_additional_key_exchanges": [{"round": 1, "methods": [99]}]}, "methods", "not a key exchange method"),
    ({"ike_versions": ["ikev2"], "phase1_additional_key_exchanges": [{"round": 1, "requirement": "maybe", "methods": [36]}]},
     "requirement", "required, optional"),
    ({"ike_versions": ["ikev2"], "phase1_additional_key_exchanges": [{"round": 1, "method": [36]}]}, "[0]", "unknown keys"),
    ({"ike_versions": ["ikev2"], "phase1_additional_key_exchanges": "36"}, "phase1_additional_key_exchanges", "must be a list"),
    # the initial exchange and each required round need distinct methods
    ({"ike_versions": ["ikev2"], "phase2_dh_group_numbers": [36],
      "phase2_additional_key_exchanges": [{"round": 1, "methods": [36]}]}, "phase2_additional_key_exchanges", "different key exchange method"),
    ({"ike_versions": ["ikev2"], "phase1_dh_group_numbers": [14],
      "phase1_additional_key_exchanges": [{"round": 1, "methods": [36]}, {"round": 2, "methods": [36]}]},
     "phase1_additional_key_exchanges", "different key exchange method"),
]


@pytest.mark.parametrize("options,field,words", BAD)
def test_bad_options(options, field, words):
    with pytest.raises(TunnelOptionError) as e:
        rules.validate_tunnel(options, "tunnel_options[2]")
    err = e.value
    assert isinstance(err, ValueError) and isinstance(err, ValidationError)
    fields = [f for f, dummy in err.errors]
    messages = " | ".join(m for dummy, m in err.errors)
    assert any(f.startswith("tunnel_options[2].") and field in f for f in fields), fields
    assert words in messages
    assert str(err).startswith(f"{err.field}: {err.message}")


def test_psk_never_appears_in_errors():
    with pytest.raises(TunnelOptionError) as e:
        rules.validate_tunnel({"pre_shared_key": "0secret-key"})
    assert "secret" not in str(e.value)


def test_cross_field_rules_use_base():
    # phase 1 is 1200 on the existing tunnel: a phase 2 of 1800 is now too long
    errors = rules.tunnel_errors({"phase2_lifetime_seconds": 1800}, base={"phase1_lifetime_seconds": 1200})
    assert errors and "currently" in errors[0][1]
    assert rules.tunnel_errors({"phase2_lifetime_seconds": 1800}) == []


def test_validate_tunnel_options_collects_every_error():
    with pytest.raises(TunnelOptionError) as e:
        rules.validate_tunnel_options(
            [
                {"dpd_timeout_seconds": 10, "tunnel_inside_cidr": "169.254.20.0/30"},
                {"startup_action": "go", "tunnel_inside_cidr": "169.254.20.0/30"},
            ]
        )
    fields = [f for f, dummy in e.value.errors]
    assert fields == [
        "tunnel_options[1].dpd_timeout_seconds",
        "tunnel_options[2].startup_action",
        "tunnel_options[2].tunnel_inside_cidr",
    ]
    assert "already used by tunnel_options[1]" in str(e.value)


def test_at_most_two_tunnels():
    with pytest.raises(TunnelOptionError) as e:
        rules.validate_tunnel_options([{}, {}, {}])
    assert e.value.field == "tunnel_options"
    assert "3 entries" in e.value.message


@pytest.mark.parametrize(
    "key,a,b",
    [
        ("tunnel_inside_cidr", "169.254.20.0/30", "169.254.20.0/30"),
        ("tunnel_inside_ipv6_cidr", "fd00::/126", "fd00:0::0/126"),
        ("outside_ip_address", "198.51.100.1", "198.51.100.1"),
    ],
)
def test_same_value_twice(key, a, b):
    with pytest.raises(TunnelOptionError) as e:
        rules.validate_tunnel_options([{key: a}, {key: b}])
    assert e.value.field == f"tunnel_options[2].{key}"


def test_validate_tunnel_options_good():
    rules.validate_tunnel_options(None)
    rules.validate_tunnel_options([])
    rules.validate_tunnel_options([{"tunnel_inside_cidr": "169.254.20.0/30"}, {"tunnel_inside_cidr": "169.254.20.4/30"}])


@pytest.mark.parametrize("bad", ["x", {"a": 1}, [1]])
def test_validate_tunnel_options_wrong_types(bad):
    with pytest.raises(TunnelOptionError):
        rules.validate_tunnel_options(bad)


# ------------------------------------------------------------------ Ansible argument spec


def test_module_argument_spec():
    spec = argspec.module_argument_spec()
    assert spec["type"] == "list" and spec["elements"] == "dict"
    sub = spec["options"]
    assert set(sub) == set(FIELDS) | {"outside_ip_address"}
    assert sub["pre_shared_key"]["no_log"] is True
    assert not any(s.get("no_log") for n, s in sub.items() if n != "pre_shared_key")
    # no defaults: an unset option must stay None so that AWS's default applies
    assert all("default" not in s for s in sub.values())
    assert sub["phase1_dh_group_numbers"] == {"type": "list", "elements": "int", "choices": list(PHASE1_DH_GROUPS)}
    assert sub["dpd_timeout_action"]["choices"] == ["clear", "none", "restart"]


def test_module_argument_spec_validates_input():
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    validator = ArgumentSpecValidator({"tunnel_options": argspec.module_argument_spec()})
    params = {"tunnel_options": [dict(FULL, outside_ip_address="198.51.100.1"), {"dpd_timeout_seconds": "45"}]}
    result = validator.validate(params)
    assert result.error_messages == []
    validated = result.validated_parameters["tunnel_options"]
    assert validated[1]["dpd_timeout_seconds"] == 45
    assert validated[1]["startup_action"] is None
    assert "pre_shared_key" in result._no_log_values or FULL["pre_shared_key"] in result._no_log_values
    # what the module passes on is valid and maps to the API
    rules.validate_tunnel_options(validated)
    assert conv.to_api(validated[1]) == {"DPDTimeoutSeconds": 45}

    bad = validator.validate({"tunnel_options": [{"ike_versions": ["ikev3"]}]})
    assert any("ikev3" in m for m in bad.error_messages)


def test_suboptions_documentation_mirrors_the_argument_spec():
    import yaml

    docs = argspec.suboptions_documentation()
    spec = argspec.tunnel_option_suboptions()
    assert set(docs) == set(spec)

    def check(doc, arg, path):
        for key in ("type", "elements", "choices", "required"):
            assert doc.get(key) == arg.get(key), f"{path}.{key}"
        assert doc["description"], path
        if "options" in arg:
            assert set(doc["suboptions"]) == set(arg["options"]), path
            for sub in arg["options"]:
                check(doc["suboptions"][sub], arg["options"][sub], f"{path}.{sub}")

    for name in spec:
        check(docs[name], spec[name], name)
    assert "AWS's default: 30." in docs["dpd_timeout_seconds"]["description"]
    assert yaml.safe_load(yaml.safe_dump(docs)) == docs
