# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from ansible_collections.sitevpn.aws.plugins.module_utils import tunnel_options as to
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import TunnelOptionError
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError

botocore_session = pytest.importorskip("botocore.session")

SAMPLES = Path(__file__).resolve().parents[3] / "fixtures" / "real-aws"


@pytest.fixture(scope="module")
def ec2_model():
    return botocore_session.get_session().get_service_model("ec2")


def _doc(shape_member):
    return re.sub(r"<[^>]+>", " ", shape_member.documentation or "")


def _valid_values(shape_member):
    """The 'Valid values: a | b' list of a botocore member's documentation."""
    m = re.search(r"Valid [vV]alues:\s*(.*?)(?:Default|$)", _doc(shape_member), re.S)
    if not m:
        return None
    return [v.strip().rstrip(".") for v in m.group(1).split("|") if v.strip()]


# ------------------------------------------------------------------ spec vs botocore


@pytest.mark.parametrize("shape", ["VpnTunnelOptionsSpecification", "ModifyVpnTunnelOptionsSpecification"])
def test_spec_covers_every_request_member(ec2_model, shape):
    members = set(ec2_model.shape_for(shape).members)
    assert {f.api_name for f in FIELDS.values()} == members


def test_spec_covers_every_describe_member(ec2_model):
    members = set(ec2_model.shape_for("TunnelOption").members)
    assert {f.describe_name for f in FIELDS.values()} | {"OutsideIpAddress"} == members


def test_describe_names_differ_where_aws_spells_them_differently():
    assert FIELDS["dpd_timeout_seconds"].api_name == "DPDTimeoutSeconds"
    assert FIELDS["dpd_timeout_seconds"].describe_name == "DpdTimeoutSeconds"
    assert FIELDS["dpd_timeout_action"].describe_name == "DpdTimeoutAction"
    assert FIELDS["ike_versions"].api_name == "IKEVersions"
    assert FIELDS["ike_versions"].describe_name == "IkeVersions"


_KIND_OF = {"integer": "int", "string": "str", "boolean": "bool", "structure": "dict"}


@pytest.mark.parametrize("shape", ["VpnTunnelOptionsSpecification", "TunnelOption"])
def test_field_kinds_match_botocore_types(ec2_model, shape):
    members = ec2_model.shape_for(shape).members
    for field in FIELDS.values():
        member = members[field.describe_name if shape == "TunnelOption" else field.api_name]
        if member.type_name == "list":
            value = member.member.members.get("Value")
            if value is None:
                assert field.kind == "list_dict", field.name
            else:
                assert field.kind == {"string": "list_str", "integer": "list_int"}[value.type_name], field.name
        else:
            assert field.kind == _KIND_OF[member.type_name], field.name


def test_snake_names_are_the_api_names_in_snake_case():
    from ansible.module_utils.common.dict_transformations import _camel_to_snake

    for field in FIELDS.values():
        assert _camel_to_snake(field.describe_name) == field.name


def test_choices_match_botocore_valid_values(ec2_model):
    members = ec2_model.shape_for("VpnTunnelOptionsSpecification").members
    checked = 0
    for field in FIELDS.values():
        values = _valid_values(members[field.api_name])
        if values is None:
            assert field.choices is None or field.kind == "list_dict", field.name
            continue
        expected = [int(v) for v in values] if field.kind == "list_int" else values
        assert list(field.choices) == expected, field.name
        checked += 1
    assert checked == 9


def test_key_exchange_shape_matches_botocore(ec2_model):
    request = ec2_model.shape_for("VpnAdditionalKeyExchangeRequest")
    assert set(request.members) == set(to.KEY_EXCHANGE_FIELDS.values())
    assert set(ec2_model.shape_for("VpnAdditionalKeyExchange").members) == set(to.KEY_EXCHANGE_FIELDS.values())
    assert request.members["Requirement"].enum == list(to.KEY_EXCHANGE_REQUIREMENTS)
    assert request.members["AdditionalKeyExchangeRound"].metadata == {"min": 1, "max": 7}
    assert [int(v) for v in _valid_values(request.members["KeyExchangeMethods"])] == list(to.KEY_EXCHANGE_METHODS)


@pytest.mark.parametrize("shape", ["CloudWatchLogOptionsSpecification", "CloudWatchLogOptions"])
def test_log_option_shape_matches_botocore(ec2_model, shape):
    assert {spec[0] for spec in to.CLOUDWATCH_LOG_FIELDS.values()} == set(ec2_model.shape_for(shape).members)


def test_int_defaults_and_ranges_match_botocore_docs(ec2_model):
    members = ec2_model.shape_for("VpnTunnelOptionsSpecification").members
    for field in FIELDS.values():
        doc = _doc(members[field.api_name])
        m = re.search(r"Default:\s*(\w+)", doc)
        if m and field.kind in ("int", "str"):
            expected = int(m.group(1)) if field.kind == "int" else m.group(1)
            assert field.default == expected, field.name
        m = re.search(r"between ([\d,]+) and ([\d,]+)", doc)
        if m and field.kind == "int":
            assert field.minimum == int(m.group(1).replace(",", "")), field.name
            assert field.maximum == int(m.group(2).replace(",", "")), field.name


def test_sources_md_defaults():
    d = to.default_options()
    assert d["dpd_timeout_seconds"] == 30
    assert d["rekey_margin_time_seconds"] == 270
    assert d["rekey_fuzz_percentage"] == 100
    assert d["replay_window_size"] == 1024
    assert d["phase1_lifetime_seconds"] == 28800
    assert d["phase2_lifetime_seconds"] == 3600
    assert d["dpd_timeout_action"] == "clear"
    assert d["startup_action"] == "add"
    assert d["ike_versions"] == ["ikev1", "ikev2"]
    assert d["phase1_encryption_algorithms"] == ["AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"]
    assert d["phase2_integrity_algorithms"] == ["SHA1", "SHA2-256", "SHA2-384", "SHA2-512"]
    assert d["phase1_dh_group_numbers"] == [2] + list(range(14, 25))
    assert d["phase2_dh_group_numbers"] == [2, 5] + list(range(14, 25))
    assert d["pre_shared_key"] is None and d["tunnel_inside_cidr"] is None
    # a copy each time, so callers cannot corrupt the spec
    d["ike_versions"].append("x")
    assert to.default_options()["ike_versions"] == ["ikev1", "ikev2"]


def test_modifiable_in_place_are_modify_spec_members(ec2_model):
    members = set(ec2_model.shape_for("ModifyVpnTunnelOptionsSpecification").members)
    assert to.MODIFIABLE_IN_PLACE
    for name in to.MODIFIABLE_IN_PLACE:
        assert FIELDS[name].api_name in members


# ------------------------------------------------------------------ API mapping

FULL = {
    "tunnel_inside_cidr": "169.254.10.0/30",
    "tunnel_inside_ipv6_cidr": "fd00::/126",
    "pre_shared_key": "abcdefgh.12_X",
    "phase1_lifetime_seconds": 14400,
    "phase2_lifetime_seconds": 1800,
    "rekey_margin_time_seconds": 300,
    "rekey_fuzz_percentage": 50,
    "replay_window_size": 2048,
    "dpd_timeout_seconds": 40,
    "dpd_timeout_action": "restart",
    "phase1_encryption_algorithms": ["AES256-GCM-16", "AES256"],
    "phase2_encryption_algorithms": ["AES256-GCM-16"],
    "phase1_integrity_algorithms": ["SHA2-384"],
    "phase2_integrity_algorithms": ["SHA2-256", "SHA2-512"],
    "phase1_dh_group_numbers": [20, 21],
    "phase2_dh_group_numbers": [20],
    "ike_versions": ["ikev2"],
    "startup_action": "start",
    "log_options": {
        "cloudwatch_log_options": {
            "log_enabled": True,
            "log_group_arn": "arn:aws:logs:us-east-1:123456789012:log-group:vpn",
            "log_output_format": "text",
            "bgp_log_enabled": False,
        }
    },
    "enable_tunnel_lifecycle_control": True,
    "phase1_additional_key_exchanges": [{"round": 1, "requirement": "required", "methods": [36]}],
    "phase2_additional_key_exchanges": [
        {"round": 1, "requirement": "required", "methods": [36, 37]},
        {"round": 2, "requirement": "optional", "methods": []},
    ],
}


def test_full_options_are_valid():
    to.validate_tunnel(FULL)


@pytest.mark.parametrize("shape", ["VpnTunnelOptionsSpecification", "ModifyVpnTunnelOptionsSpecification"])
def test_to_api_passes_botocore_validation(ec2_model, shape):
    from botocore.validate import ParamValidator

    api = to.to_api(FULL, modify=shape.startswith("Modify"))
    report = ParamValidator().validate(api, ec2_model.shape_for(shape))
    assert not report.has_errors(), report.generate_report()
    assert api["DPDTimeoutSeconds"] == 40
    assert api["IKEVersions"] == [{"Value": "ikev2"}]
    assert api["Phase1DHGroupNumbers"] == [{"Value": 20}, {"Value": 21}]
    assert api["LogOptions"]["CloudWatchLogOptions"]["LogOutputFormat"] == "text"
    assert api["Phase2AdditionalKeyExchanges"][0] == {
        "AdditionalKeyExchangeRound": 1,
        "Requirement": "required",
        "KeyExchangeMethods": [{"Value": 36}, {"Value": 37}],
    }


def test_to_api_leaves_out_unset_and_match_keys():
    assert to.to_api({"outside_ip_address": "198.51.100.1", "dpd_timeout_seconds": None, "startup_action": "add"}) == {
        "StartupAction": "add"
    }


def test_to_api_refuses_unknown_option():
    with pytest.raises(TunnelOptionError) as e:
        to.to_api({"dpd_timeout": 30})
    assert e.value.field == "dpd_timeout"


def _describe_form(options):
    """What DescribeVpnConnections would return for options set with to_api."""
    api = to.to_api(options)
    return {to.API_TO_FIELD[k].describe_name: v for k, v in api.items()}


def test_from_api_inverts_to_api():
    described = _describe_form(FULL)
    described["OutsideIpAddress"] = "198.51.100.7"
    back = to.from_api(described)
    assert back.pop("outside_ip_address") == "198.51.100.7"
    assert back == FULL


def test_from_api_accepts_snake_case():
    from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

    described = _describe_form(FULL)
    assert to.from_api(camel_dict_to_snake_dict(described)) == to.from_api(described) == FULL


def test_from_api_keeps_only_present_fields():
    assert to.from_api({"OutsideIpAddress": "1.2.3.4", "DpdTimeoutSeconds": 45}) == {
        "outside_ip_address": "1.2.3.4",
        "dpd_timeout_seconds": 45,
    }


def test_from_api_on_real_sample():
    data = json.loads((SAMPLES / "vpn-ba2e34a8.describe-vpn-connections.json").read_text())
    entry = data["VpnConnections"][0]["Options"]["TunnelOptions"][1]
    snake = to.from_api(entry)
    assert snake["outside_ip_address"] == "52.39.121.126"
    assert snake["phase1_dh_group_numbers"] == [22, 23]
    assert snake["phase2_encryption_algorithms"] == ["AES128-GCM-16"]
    assert "dpd_timeout_seconds" not in snake


# ------------------------------------------------------------------ defaults / changes


def test_with_defaults_fills_unset_and_keeps_given():
    eff = to.with_defaults({"dpd_timeout_seconds": 60, "outside_ip_address": "198.51.100.1", "startup_action": None})
    assert eff["dpd_timeout_seconds"] == 60
    assert eff["startup_action"] == "add"
    assert eff["outside_ip_address"] == "198.51.100.1"
    assert set(FIELDS) <= set(eff)


def test_with_defaults_from_base():
    eff = to.with_defaults({"dpd_timeout_seconds": 60}, base={"phase2_lifetime_seconds": 1200})
    assert eff["phase2_lifetime_seconds"] == 1200
    assert eff["phase1_lifetime_seconds"] == 28800


def test_with_defaults_completes_log_options():
    eff = to.with_defaults({"log_options": {"cloudwatch_log_options": {"log_enabled": True, "log_group_arn": "a"}}})
    cw = eff["log_options"]["cloudwatch_log_options"]
    assert cw["log_enabled"] is True and cw["bgp_log_enabled"] is False and cw["log_output_format"] == "json"


@pytest.mark.parametrize("name", [n for n, f in FIELDS.items() if f.default is not None])
def test_an_option_equal_to_its_default_is_not_a_change(name):
    desired = {name: copy.deepcopy(FIELDS[name].default)}
    assert to.tunnel_changes(desired, {}) == {}
    assert to.tunnel_changes(desired, {"outside_ip_address": "198.51.100.1"}) == {}


def test_defaults_in_another_order_are_not_a_change():
    desired = {
        "ike_versions": ["ikev2", "ikev1"],
        "phase1_dh_group_numbers": list(reversed(FIELDS["phase1_dh_group_numbers"].default)),
    }
    assert to.tunnel_changes(desired, {}) == {}


def test_a_real_change_is_reported_with_the_current_effective_value():
    changes = to.tunnel_changes({"dpd_timeout_seconds": 45, "startup_action": "add"}, {})
    assert changes == {"dpd_timeout_seconds": (30, 45)}


def test_list_change():
    changes = to.tunnel_changes({"phase1_dh_group_numbers": [14]}, {"phase1_dh_group_numbers": [14, 19]})
    assert changes == {"phase1_dh_group_numbers": ([14, 19], [14])}


def test_unset_desired_options_are_not_changes():
    current = to.from_api(_describe_form(FULL))
    assert to.tunnel_changes({"dpd_timeout_seconds": None}, current) == {}
    assert to.tunnel_changes(dict(FULL), current) == {}


def test_inside_cidr_compares_by_network():
    assert to.tunnel_changes({"tunnel_inside_cidr": "169.254.15.192/30"}, {"tunnel_inside_cidr": "169.254.15.193/30"}) == {}
    assert "tunnel_inside_cidr" in to.tunnel_changes(
        {"tunnel_inside_cidr": "169.254.16.0/30"}, {"tunnel_inside_cidr": "169.254.15.193/30"}
    )


def test_psk_unknown_in_current_is_a_change():
    assert to.tunnel_changes({"pre_shared_key": "abcdefgh"}, {}) == {"pre_shared_key": (None, "abcdefgh")}
    assert to.tunnel_changes({"pre_shared_key": "abcdefgh"}, {"pre_shared_key": "abcdefgh"}) == {}


def test_log_options_compare_given_keys_only():
    current = {"log_options": {"cloudwatch_log_options": {"log_enabled": False}}}
    assert to.tunnel_changes({"log_options": {"cloudwatch_log_options": {"log_enabled": False}}}, current) == {}
    assert to.tunnel_changes({"log_options": {"cloudwatch_log_options": {"log_output_format": "json"}}}, current) == {}
    changes = to.tunnel_changes({"log_options": {"cloudwatch_log_options": {"log_enabled": True}}}, current)
    assert list(changes) == ["log_options"]


def test_key_exchange_requirement_defaults_to_required():
    current = {"phase1_additional_key_exchanges": [{"round": 1, "requirement": "required", "methods": [36]}]}
    assert to.tunnel_changes({"phase1_additional_key_exchanges": [{"round": 1, "methods": [36]}]}, current) == {}
    changed = to.tunnel_changes({"phase1_additional_key_exchanges": [{"round": 1, "requirement": "optional", "methods": [36]}]}, current)
    assert list(changed) == ["phase1_additional_key_exchanges"]


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
    to.validate_tunnel(options)
    assert to.tunnel_errors(options) == []


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
        to.validate_tunnel(options, "tunnel_options[2]")
    err = e.value
    assert isinstance(err, ValueError) and isinstance(err, ValidationError)
    fields = [f for f, dummy in err.errors]
    messages = " | ".join(m for dummy, m in err.errors)
    assert any(f.startswith("tunnel_options[2].") and field in f for f in fields), fields
    assert words in messages
    assert str(err).startswith(f"{err.field}: {err.message}")


def test_psk_never_appears_in_errors():
    with pytest.raises(TunnelOptionError) as e:
        to.validate_tunnel({"pre_shared_key": "0secret-key"})
    assert "secret" not in str(e.value)


def test_cross_field_rules_use_base():
    # phase 1 is 1200 on the existing tunnel: a phase 2 of 1800 is now too long
    errors = to.tunnel_errors({"phase2_lifetime_seconds": 1800}, base={"phase1_lifetime_seconds": 1200})
    assert errors and "currently" in errors[0][1]
    assert to.tunnel_errors({"phase2_lifetime_seconds": 1800}) == []


def test_validate_tunnel_options_collects_every_error():
    with pytest.raises(TunnelOptionError) as e:
        to.validate_tunnel_options(
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
        to.validate_tunnel_options([{}, {}, {}])
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
        to.validate_tunnel_options([{key: a}, {key: b}])
    assert e.value.field == f"tunnel_options[2].{key}"


def test_validate_tunnel_options_good():
    to.validate_tunnel_options(None)
    to.validate_tunnel_options([])
    to.validate_tunnel_options([{"tunnel_inside_cidr": "169.254.20.0/30"}, {"tunnel_inside_cidr": "169.254.20.4/30"}])


@pytest.mark.parametrize("bad", ["x", {"a": 1}, [1]])
def test_validate_tunnel_options_wrong_types(bad):
    with pytest.raises(TunnelOptionError):
        to.validate_tunnel_options(bad)


# ------------------------------------------------------------------ Ansible argument spec


def test_module_argument_spec():
    spec = to.module_argument_spec()
    assert spec["type"] == "list" and spec["elements"] == "dict"
    sub = spec["options"]
    assert set(sub) == set(FIELDS) | {"outside_ip_address"}
    assert sub["pre_shared_key"]["no_log"] is True
    assert not any(s.get("no_log") for n, s in sub.items() if n != "pre_shared_key")
    # no defaults: an unset option must stay None so that AWS's default applies
    assert all("default" not in s for s in sub.values())
    assert sub["phase1_dh_group_numbers"] == {"type": "list", "elements": "int", "choices": list(to.PHASE1_DH_GROUPS)}
    assert sub["dpd_timeout_action"]["choices"] == ["clear", "none", "restart"]


def test_module_argument_spec_validates_input():
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    validator = ArgumentSpecValidator({"tunnel_options": to.module_argument_spec()})
    params = {"tunnel_options": [dict(FULL, outside_ip_address="198.51.100.1"), {"dpd_timeout_seconds": "45"}]}
    result = validator.validate(params)
    assert result.error_messages == []
    validated = result.validated_parameters["tunnel_options"]
    assert validated[1]["dpd_timeout_seconds"] == 45
    assert validated[1]["startup_action"] is None
    assert "pre_shared_key" in result._no_log_values or FULL["pre_shared_key"] in result._no_log_values
    # what the module passes on is valid and maps to the API
    to.validate_tunnel_options(validated)
    assert to.to_api(validated[1]) == {"DPDTimeoutSeconds": 45}

    bad = validator.validate({"tunnel_options": [{"ike_versions": ["ikev3"]}]})
    assert any("ikev3" in m for m in bad.error_messages)


def test_suboptions_documentation_mirrors_the_argument_spec():
    import yaml

    docs = to.suboptions_documentation()
    spec = to.tunnel_option_suboptions()
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
