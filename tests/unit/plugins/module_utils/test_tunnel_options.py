# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from tunnel_option_cases import FULL

from ansible_collections.sitevpn.aws.plugins.module_utils import tunnel_option_api as conv
from ansible_collections.sitevpn.aws.plugins.module_utils import tunnel_option_defaults as effective
from ansible_collections.sitevpn.aws.plugins.module_utils import tunnel_option_validation as rules
from ansible_collections.sitevpn.aws.plugins.module_utils import tunnel_options as to
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import TunnelOptionError

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
    d = effective.default_options()
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
    assert effective.default_options()["ike_versions"] == ["ikev1", "ikev2"]


def test_modifiable_in_place_are_modify_spec_members(ec2_model):
    members = set(ec2_model.shape_for("ModifyVpnTunnelOptionsSpecification").members)
    assert to.MODIFIABLE_IN_PLACE
    for name in to.MODIFIABLE_IN_PLACE:
        assert FIELDS[name].api_name in members


# ------------------------------------------------------------------ API mapping


def test_full_options_are_valid():
    rules.validate_tunnel(FULL)


@pytest.mark.parametrize("shape", ["VpnTunnelOptionsSpecification", "ModifyVpnTunnelOptionsSpecification"])
def test_to_api_passes_botocore_validation(ec2_model, shape):
    from botocore.validate import ParamValidator

    api = conv.to_api(FULL, modify=shape.startswith("Modify"))
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
    assert conv.to_api({"outside_ip_address": "198.51.100.1", "dpd_timeout_seconds": None, "startup_action": "add"}) == {
        "StartupAction": "add"
    }


def test_to_api_refuses_unknown_option():
    with pytest.raises(TunnelOptionError) as e:
        conv.to_api({"dpd_timeout": 30})
    assert e.value.field == "dpd_timeout"


def _describe_form(options):
    """What DescribeVpnConnections would return for options set with to_api."""
    api = conv.to_api(options)
    return {to.API_TO_FIELD[k].describe_name: v for k, v in api.items()}


def test_from_api_inverts_to_api():
    described = _describe_form(FULL)
    described["OutsideIpAddress"] = "198.51.100.7"
    back = conv.from_api(described)
    assert back.pop("outside_ip_address") == "198.51.100.7"
    assert back == FULL


def test_from_api_accepts_snake_case():
    from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

    described = _describe_form(FULL)
    assert conv.from_api(camel_dict_to_snake_dict(described)) == conv.from_api(described) == FULL


def test_from_api_keeps_only_present_fields():
    assert conv.from_api({"OutsideIpAddress": "1.2.3.4", "DpdTimeoutSeconds": 45}) == {
        "outside_ip_address": "1.2.3.4",
        "dpd_timeout_seconds": 45,
    }


def test_from_api_on_real_sample():
    data = json.loads((SAMPLES / "vpn-ba2e34a8.describe-vpn-connections.json").read_text())
    entry = data["VpnConnections"][0]["Options"]["TunnelOptions"][1]
    snake = conv.from_api(entry)
    assert snake["outside_ip_address"] == "52.39.121.126"
    assert snake["phase1_dh_group_numbers"] == [22, 23]
    assert snake["phase2_encryption_algorithms"] == ["AES128-GCM-16"]
    assert "dpd_timeout_seconds" not in snake


# ------------------------------------------------------------------ defaults / changes


def test_with_defaults_fills_unset_and_keeps_given():
    eff = effective.with_defaults({"dpd_timeout_seconds": 60, "outside_ip_address": "198.51.100.1", "startup_action": None})
    assert eff["dpd_timeout_seconds"] == 60
    assert eff["startup_action"] == "add"
    assert eff["outside_ip_address"] == "198.51.100.1"
    assert set(FIELDS) <= set(eff)


def test_with_defaults_from_base():
    eff = effective.with_defaults({"dpd_timeout_seconds": 60}, base={"phase2_lifetime_seconds": 1200})
    assert eff["phase2_lifetime_seconds"] == 1200
    assert eff["phase1_lifetime_seconds"] == 28800


def test_with_defaults_completes_log_options():
    eff = effective.with_defaults({"log_options": {"cloudwatch_log_options": {"log_enabled": True, "log_group_arn": "a"}}})
    cw = eff["log_options"]["cloudwatch_log_options"]
    assert cw["log_enabled"] is True and cw["bgp_log_enabled"] is False and cw["log_output_format"] == "json"


@pytest.mark.parametrize("name", [n for n, f in FIELDS.items() if f.default is not None])
def test_an_option_equal_to_its_default_is_not_a_change(name):
    desired = {name: copy.deepcopy(FIELDS[name].default)}
    assert effective.tunnel_changes(desired, {}) == {}
    assert effective.tunnel_changes(desired, {"outside_ip_address": "198.51.100.1"}) == {}


def test_defaults_in_another_order_are_not_a_change():
    desired = {
        "ike_versions": ["ikev2", "ikev1"],
        "phase1_dh_group_numbers": list(reversed(FIELDS["phase1_dh_group_numbers"].default)),
    }
    assert effective.tunnel_changes(desired, {}) == {}


def test_a_real_change_is_reported_with_the_current_effective_value():
    changes = effective.tunnel_changes({"dpd_timeout_seconds": 45, "startup_action": "add"}, {})
    assert changes == {"dpd_timeout_seconds": (30, 45)}


def test_list_change():
    changes = effective.tunnel_changes({"phase1_dh_group_numbers": [14]}, {"phase1_dh_group_numbers": [14, 19]})
    assert changes == {"phase1_dh_group_numbers": ([14, 19], [14])}


def test_unset_desired_options_are_not_changes():
    current = conv.from_api(_describe_form(FULL))
    assert effective.tunnel_changes({"dpd_timeout_seconds": None}, current) == {}
    assert effective.tunnel_changes(dict(FULL), current) == {}


def test_inside_cidr_compares_by_network():
    assert effective.tunnel_changes({"tunnel_inside_cidr": "169.254.15.192/30"}, {"tunnel_inside_cidr": "169.254.15.193/30"}) == {}
    assert "tunnel_inside_cidr" in effective.tunnel_changes(
        {"tunnel_inside_cidr": "169.254.16.0/30"}, {"tunnel_inside_cidr": "169.254.15.193/30"}
    )


def test_psk_unknown_in_current_is_a_change():
    assert effective.tunnel_changes({"pre_shared_key": "abcdefgh"}, {}) == {"pre_shared_key": (None, "abcdefgh")}
    assert effective.tunnel_changes({"pre_shared_key": "abcdefgh"}, {"pre_shared_key": "abcdefgh"}) == {}


def test_log_options_compare_given_keys_only():
    current = {"log_options": {"cloudwatch_log_options": {"log_enabled": False}}}
    assert effective.tunnel_changes({"log_options": {"cloudwatch_log_options": {"log_enabled": False}}}, current) == {}
    assert effective.tunnel_changes({"log_options": {"cloudwatch_log_options": {"log_output_format": "json"}}}, current) == {}
    changes = effective.tunnel_changes({"log_options": {"cloudwatch_log_options": {"log_enabled": True}}}, current)
    assert list(changes) == ["log_options"]


def test_key_exchange_requirement_defaults_to_required():
    current = {"phase1_additional_key_exchanges": [{"round": 1, "requirement": "required", "methods": [36]}]}
    assert effective.tunnel_changes({"phase1_additional_key_exchanges": [{"round": 1, "methods": [36]}]}, current) == {}
    changed = effective.tunnel_changes({"phase1_additional_key_exchanges": [{"round": 1, "requirement": "optional", "methods": [36]}]}, current)
    assert list(changed) == ["phase1_additional_key_exchanges"]
