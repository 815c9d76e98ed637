"""What the batch keeps of each site (vpn_site_batch.site_facts: the connection fact and the site
model the role used to build in a templated loop step) and what each site's report carries."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.sitevpn.aws.plugins.module_utils.site_model import build_site_model
from ansible_collections.sitevpn.aws.plugins.module_utils.validation import ValidationError
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_config import VpnConfigError
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_site_batch import site_facts
from ansible_collections.sitevpn.aws.plugins.module_utils.vpn_site_batch import site_report

BGP = camel_dict_to_snake_dict(json.loads(
    (Path(__file__).resolve().parents[3] / "fixtures" / "real-aws" / "vpn-ba2e34a8.describe-vpn-connections.json").read_text()
)["VpnConnections"][0])
VPC = {"vpc_id": "vpc-1", "route_table_ids": ["rtb-1"], "cidr": "10.0.0.0/16"}
MODEL = {"name": "site1", "name_prefix": "lab", "site_prefixes": ["10.10.0.0/16"], "vpc_prefixes": ["10.0.0.0/16"], "primary_tunnel": 1}


def _result(**inputs):
    return {
        "customer_gateway": {"changed": False},
        "vpn_connection": {"changed": False, "vpn_connection": copy.deepcopy(BGP), "tunnels": [{"index": 1}, {"index": 2}]},
        "hub": {"amazon_side_asn": 64512},
        "input": dict({"prefixes": ["10.10.0.0/16"], "vpc_cidr": "10.0.0.0/16", "model": MODEL}, **inputs),
    }


def test_the_connection_fact_and_the_model_are_the_roles():
    facts = site_facts("site1", _result(), VPC)
    connection = facts["connection"]
    # the connection with what the role's keep step combined into it, the hub's keys last
    assert {k: connection[k] for k in ("site", "vpc_id", "route_table_ids", "site_prefixes", "vpc_prefixes", "amazon_side_asn")} == {
        "site": "site1", "vpc_id": "vpc-1", "route_table_ids": ["rtb-1"], "site_prefixes": ["10.10.0.0/16"],
        "vpc_prefixes": ["10.0.0.0/16"], "amazon_side_asn": 64512,
    }
    assert connection["tunnels"] == [{"index": 1}, {"index": 2}]
    assert connection["vpn_connection_id"] == BGP["vpn_connection_id"]
    assert facts["site_model"] == build_site_model(connection, MODEL)


def test_check_mode_keeps_nothing_and_a_connection_without_configuration_has_no_model():
    result = _result()
    result["vpn_connection"] = {"skipped": True}
    assert site_facts("site1", result, VPC) == {}
    result = _result()
    result["vpn_connection"]["vpn_connection"].pop("customer_gateway_configuration")
    assert "site_model" not in site_facts("site1", result, VPC)


def test_a_model_that_cannot_be_built_raises():
    with pytest.raises((VpnConfigError, ValidationError)):
        site_facts("site1", _result(model=dict(MODEL, primary_tunnel=3)), VPC)


def test_a_report_carries_only_diffs_that_show():
    same = {"before": {"a": 1}, "after": {"a": 1}}
    moved = {"before": {"a": 1}, "after": {"a": 2}}
    report = site_report({"customer_gateway": {"changed": False, "diff": same}, "vpn_connection": {"changed": True, "diff": moved}})
    assert report["diff"] == [moved] and report["changed"] is True
    assert "diff" not in site_report({"customer_gateway": {"diff": same}, "vpn_connection": {"diff": same}})
    # a diff with more than before and after (a header, a prepared text) is kept
    prepared = dict(same, prepared="text")
    assert site_report({"customer_gateway": {"diff": prepared}, "vpn_connection": {}})["diff"] == [prepared]
