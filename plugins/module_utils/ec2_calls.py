# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The describe, create and delete wrappers of one EC2 resource, made the one way amazon.aws writes
them by hand: the resource's error handler (which raises ``AnsibleEC2Error``) around
``AWSRetry.jittered_backoff``. Each describe here is one call: these APIs have no paginator.
"""

from __future__ import annotations

from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def describe_call(handler, operation: str, result_key: str) -> Callable[..., List[Dict[str, Any]]]:
    """``describe(client, **params)``: the list under ``result_key``; [] when an ID is not found."""

    @handler.list_error_handler(operation.replace("_", " "), [])
    @AWSRetry.jittered_backoff()
    def describe(client, **params: Any) -> List[Dict[str, Any]]:
        return getattr(client, operation)(**params)[result_key]

    return describe


def create_call(handler, operation: str, result_key: str) -> Callable[..., Dict[str, Any]]:
    """``create(client, **params)``: the resource made, as ``result_key`` holds it."""

    @handler.common_error_handler(operation.replace("_", " "))
    @AWSRetry.jittered_backoff()
    def create(client, **params: Any) -> Dict[str, Any]:
        return getattr(client, operation)(**params)[result_key]

    return create


def delete_call(handler, operation: str, id_key: str, retry_codes: Optional[List[str]] = None) -> Callable[[Any, str], bool]:
    """``delete(client, resource_id)``: True (False when already gone); ``retry_codes`` are retried too."""

    @handler.deletion_error_handler(operation.replace("_", " "))
    @AWSRetry.jittered_backoff(catch_extra_error_codes=retry_codes)
    def delete(client, resource_id: str) -> bool:
        getattr(client, operation)(**{id_key: resource_id})
        return True

    return delete
