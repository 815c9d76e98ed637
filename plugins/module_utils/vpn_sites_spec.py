# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The options of sitevpn.aws.vpn_sites, in one place: the module file (its documentation stub)
validates with them, and so does the action plugin that runs the batch in the controller, which
takes their defaults from here too."""

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils.validation import AMAZON_SIDE_ASN_DEFAULT

ARGUMENT_SPEC = dict(
    sites=dict(type="raw"),
    site_vars=dict(type="str"),
    result=dict(type="dict"),
    region=dict(type="str"),
    endpoint_url=dict(type="str"),
    access_key=dict(type="str", no_log=True),
    secret_key=dict(type="str", no_log=True),
    session_token=dict(type="str", no_log=True),
    profile=dict(type="str"),
    name_prefix=dict(type="str", default="sitevpn"),
    tags=dict(type="dict"),
    vpc_id=dict(type="str"),
    vpc_cidr=dict(type="str"),
    route_table_ids=dict(type="list", elements="str"),
    amazon_side_asn=dict(type="int", default=AMAZON_SIDE_ASN_DEFAULT),
    quotas=dict(type="dict"),
    on_error=dict(type="str", default="fail", choices=["fail", "report"]),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=900),
)

# a batch (sites) or one site's part of it (result)
CONSTRAINTS = dict(
    mutually_exclusive=[("sites", "result")],
    required_one_of=[("sites", "result")],
)
