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


BAD = [
    # (options, field suffix, words in the message)
    ({"phase1_lifetime_seconds": 899}, "phase1_lifetime_seconds", "minimum 900"),
    ({"phase1_lifetime_seconds": 28801}, "phase1_lifetime_seconds", "maximum 28800"),
    ({"phase2_lifetime_seconds": 899}, "phase2_lifetime_seconds", "minimum 900"),
    ({"phase2_lifetime_seconds": 3601}, "phase2_lifetime_seconds", "maximum 3600"),
    ({"phase1_lifetime_seconds": 3000}, "phase2_lifetime_seconds", "less than phase1_lifetime_seconds"),
    ({"phase1_lifetime_seconds": 1800, "phase2_lifetime_seconds": 1800}, "phase2_lifetime_seconds", "less than"),
    ({"rekey_margin_time_seconds": 59}, "rekey_margin_time_seconds", "minimum 60"),
    ({"rekey_margin_time_seconds": 1801}, "rekey_margin_time_seconds", "half of phase2_lifetime_seconds"),
    ({"phase2_lifetime_seconds": 900, "rekey_margin_time_seconds": 451}, "rekey_margin_time_seconds", "450"),
    ({"rekey_fuzz_percentage": -1}, "rekey_fuzz_percentage", "minimum 0"),
    ({"rekey_fuzz_percentage": 101}, "rekey_fuzz_percentage", "maximum 100"),
    ({"replay_window_size": 63}, "replay_window_size", "minimum 64"),
    ({"replay_window_size": 2049}, "replay_window_size", "maximum 2048"),
    ({"dpd_timeout_seconds": 29}, "dpd_timeout_seconds", "minimum 30"),
    ({"dpd_timeout_seconds": "30"}, "dpd_timeout_seconds", "integer"),
    ({"dpd_timeout_seconds": True}, "dpd_timeout_seconds", "integer"),
    ({"dpd_timeout_action": "hold"}, "dpd_timeout_action", "clear, none, restart"),
    ({"startup_action": "initiate"}, "startup_action", "add, start"),
    ({"ike_versions": ["ikev3"]}, "ike_versions", "not allowed"),
    ({"ike_versions": []}, "ike_versions", "must not be empty"),
    ({"ike_versions": "ikev2"}, "ike_versions", "must be a list"),
    ({"phase1_encryption_algorithms": ["3DES"]}, "phase1_encryption_algorithms", "not allowed"),
    ({"phase2_encryption_algorithms": ["AES128", "AES128"]}, "phase2_encryption_algorithms", "twice"),
    ({"phase1_integrity_algorithms": ["MD5"]}, "phase1_integrity_algorithms", "not allowed"),
    ({"phase2_integrity_algorithms": ["sha1"]}, "phase2_integrity_algorithms", "not allowed"),
    ({"phase1_dh_group_numbers": [5]}, "phase1_dh_group_numbers", "not allowed"),
    ({"phase1_dh_group_numbers": [36]}, "phase1_dh_group_numbers", "not allowed"),
    ({"phase2_dh_group_numbers": [1]}, "phase2_dh_group_numbers", "not allowed"),
    ({"phase2_dh_group_numbers": ["14"]}, "phase2_dh_group_numbers", "not an integer"),
    ({"tunnel_inside_cidr": "169.254.10.0/29"}, "tunnel_inside_cidr", "/30"),
    ({"tunnel_inside_cidr": "169.254.10.1/30"}, "tunnel_inside_cidr", "network address"),
    ({"tunnel_inside_cidr": "10.0.0.0/30"}, "tunnel_inside_cidr", "169.254.0.0/16"),
    ({"tunnel_inside_cidr": "169.254.0.0/30"}, "tunnel_inside_cidr", "reserved"),
    ({"tunnel_inside_cidr": "169.254.3.0/30"}, "tunnel_inside_cidr", "reserved"),
    ({"tunnel_inside_cidr": "169.254.5.0/30"}, "tunnel_inside_cidr", "reserved"),
    ({"tunnel_inside_cidr": "169.254.169.252/30"}, "tunnel_inside_cidr", "reserved"),
    ({"tunnel_inside_cidr": "nonsense"}, "tunnel_inside_cidr", "not an IPv4 network"),
    ({"tunnel_inside_ipv6_cidr": "fd00::/64"}, "tunnel_inside_ipv6_cidr", "/126"),
    ({"tunnel_inside_ipv6_cidr": "fc00::/126"}, "tunnel_inside_ipv6_cidr", "fd00::/8"),
    ({"tunnel_inside_ipv6_cidr": "169.254.10.0/30"}, "tunnel_inside_ipv6_cidr", "not an IPv6 network"),
    ({"pre_shared_key": "short"}, "pre_shared_key", "8-64"),
    ({"pre_shared_key": "A" * 65}, "pre_shared_key", "8-64"),
    ({"pre_shared_key": "0abcdefgh"}, "pre_shared_key", "must not start with 0"),
    ({"pre_shared_key": "abcd-efgh"}, "pre_shared_key", "letters, digits"),
    ({"pre_shared_key": "abcd efgh"}, "pre_shared_key", "letters, digits"),
    ({"enable_tunnel_lifecycle_control": "yes"}, "enable_tunnel_lifecycle_control", "boolean"),
    ({"log_options": {"cloudwatch_log_options": {"log_enabled": True}}}, "log_group_arn", "required"),
    ({"log_options": {"cloudwatch_log_options": {"bgp_log_enabled": True}}}, "bgp_log_group_arn", "required"),
    ({"log_options": {"cloudwatch_log_options": {"log_output_format": "xml"}}}, "log_output_format", "json, text"),
    ({"log_options": {"cloudwatch_log_options": {"enabled": True}}}, "enabled", "not a log option"),
    ({"log_options": {"cloud_watch": {}}}, "log_options", "unknown keys"),
    ({"outside_ip_address": "300.1.1.1"}, "outside_ip_address", "not a valid IPv4"),
    ({"bogus": 1}, "bogus", "not a tunnel option"),
    # additional key exchanges
    ({"ike_versions": ["ikev1"], "phase1_additional_key_exchanges": [{"round": 1, "requirement": "optional", "methods": [36]}]},
     "phase1_additional_key_exchanges", "need IKEv2"),
    ({"phase1_additional_key_exchanges": [{"round": 1, "methods": [36]}]}, "phase1_additional_key_exchanges", "IKEv1"),
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
