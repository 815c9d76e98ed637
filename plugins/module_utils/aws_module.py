# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the collection's AWS modules share: argument-spec pieces, the whole flow of a resource
module and of an ``*_info`` module (with the request of the latter), and turning what the wrappers
raise into the module's failure.

The options of ``resource_argument_spec`` are documented in the doc fragment
``sitevpn.aws.ensure.resource``; each module adds what differs by resource (the meaning of
``state`` and ``wait``, the default of ``wait_timeout``).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any
from typing import Dict

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError


def tagging_argument_spec() -> Dict[str, Any]:
    """``tags`` and ``purge_tags``, as amazon.aws's tagging modules take them."""
    return dict(
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


def resource_argument_spec(wait_timeout: int, **options: Any) -> Dict[str, Any]:
    """A tagged resource module's spec: its own ``options``, tags, ``state``, ``wait`` and
    ``wait_timeout`` (whose default is the resource's own)."""
    spec = dict(options, **tagging_argument_spec())
    spec.update(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=wait_timeout),
    )
    return spec


def info_argument_spec(ids_option: str, **options: Any) -> Dict[str, Any]:
    """An ``*_info`` module's spec: a list of IDs (``ids_option``, its singular an alias) and ``filters``."""
    return dict(
        {ids_option: dict(type="list", elements="str", default=[], aliases=[ids_option[:-1]])},
        filters=dict(type="dict", default={}),
        **options,
    )


def describe_request(params: Dict[str, Any], ids_option: str, ids_key: str) -> Dict[str, Any]:
    """The Describe* keyword arguments of an ``*_info`` module's IDs and filters (none when not given)."""
    request = {}
    if params[ids_option]:
        request[ids_key] = params[ids_option]
    if params["filters"]:
        request["Filters"] = ansible_dict_to_boto3_filter_list(params["filters"])
    return request


@contextmanager
def failing_on_errors(module):
    """Fail the module on what the wrappers raise: a refused request (``VpnError``, its details in
    the result next to ``msg``) or an AWS error."""
    try:
        yield
    except VpnError as e:
        module.fail_json(msg=e.message, **e.details)
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)


def run_resource_module(run, argument_spec: Dict[str, Any], validate=None, **module_options: Any) -> None:
    """A resource module's whole flow: the module of ``argument_spec`` (check mode supported) and
    ``module_options`` (``required_one_of``, ``mutually_exclusive`` ...); ``validate(module)``, the
    checks of the input before any API call (failing naming the field); then ``run(module)``, which
    exits, failing on what the wrappers raise."""
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True, **module_options)
    if validate is not None:
        validate(module)
    with failing_on_errors(module):
        run(module)


def run_info_module(ids_option: str, ids_key: str, describe, result_key: str, to_result, **options: Any) -> None:
    """An ``*_info`` module's whole flow: IDs and filters -> one Describe* call -> ``to_result`` of
    each item under ``result_key``. ``to_result`` takes the item and the module's params."""
    module = AnsibleAWSModule(argument_spec=info_argument_spec(ids_option, **options), supports_check_mode=True)
    client = module.client("ec2")
    with failing_on_errors(module):
        items = describe(client, **describe_request(module.params, ids_option, ids_key))
    module.exit_json(changed=False, **{result_key: [to_result(item, module.params) for item in items]})
