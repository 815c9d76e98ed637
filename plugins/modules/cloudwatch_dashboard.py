#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cloudwatch_dashboard
short_description: Create, update or delete a CloudWatch dashboard
version_added: 0.2.0
description:
  - Puts a CloudWatch dashboard (PutDashboard) or deletes it (DeleteDashboards).
  - Idempotent - the wanted body is compared, as parsed JSON, with the body GetDashboard returns, so key
    order and whitespace do not cause an update.
  - amazon.aws has no dashboard module.
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  name:
    description:
      - The dashboard's name (up to 255 characters of A-Z, a-z, 0-9, C(-) and C(_)).
    type: str
    required: true
  state:
    description:
      - C(present) creates or updates the dashboard, C(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  body:
    description:
      - The dashboard body, as a dict or a JSON string (see
        U(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html)).
      - Required when O(state=present).
    type: raw
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: A dashboard with the state of one VPN tunnel
  sitevpn.aws.cloudwatch_dashboard:
    name: sitevpn-us-east-1
    body:
      widgets:
        - type: metric
          x: 0
          y: 0
          width: 12
          height: 6
          properties:
            title: Tunnel state
            region: us-east-1
            metrics:
              - [AWS/VPN, TunnelState, VpnId, vpn-0123456789abcdef0, TunnelIpAddress, 198.51.100.1]

- name: Remove it
  sitevpn.aws.cloudwatch_dashboard:
    name: sitevpn-us-east-1
    state: absent
"""

RETURN = r"""
dashboard_name:
  description: The dashboard's name.
  returned: always
  type: str
  sample: sitevpn-us-east-1
dashboard_arn:
  description: The dashboard's ARN (absent after a deletion or a creation in check mode).
  returned: when the dashboard exists
  type: str
  sample: arn:aws:cloudwatch::123456789012:dashboard/sitevpn-us-east-1
body:
  description: The dashboard body now in place (parsed JSON).
  returned: when O(state=present)
  type: dict
validation_messages:
  description: Warnings CloudWatch returned for the body (PutDashboard's DashboardValidationMessages).
  returned: when the dashboard was put
  type: list
  elements: dict
"""

import json
import re

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def get_dashboard(client, name):
    """(ARN, parsed body) of the dashboard, or (None, None) when there is none."""
    try:
        found = client.get_dashboard(aws_retry=True, DashboardName=name)
    except is_boto3_error_code("ResourceNotFound"):
        return None, None
    return found.get("DashboardArn"), json.loads(found.get("DashboardBody") or "{}")


def parse_body(module):
    body = module.params["body"]
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError as exc:
            module.fail_json(msg=f"body: not valid JSON: {exc}")
    if not isinstance(body, dict) or not isinstance(body.get("widgets", []), list):
        module.fail_json(msg="body: must be a JSON object whose 'widgets' is a list")
    return body


def ensure_present(module, client, name):
    body = parse_body(module)
    arn, current = get_dashboard(client, name)
    result = {"changed": current != body, "dashboard_name": name, "body": body}
    if arn:
        result["dashboard_arn"] = arn
    if module._diff:
        result["diff"] = {"before": current or {}, "after": body}
    if not result["changed"] or module.check_mode:
        return result
    answer = client.put_dashboard(aws_retry=True, DashboardName=name, DashboardBody=json.dumps(body, sort_keys=True))
    result["validation_messages"] = answer.get("DashboardValidationMessages", [])
    result["dashboard_arn"] = get_dashboard(client, name)[0]
    return result


def ensure_absent(module, client, name):
    arn, current = get_dashboard(client, name)
    result = {"changed": arn is not None, "dashboard_name": name}
    if module._diff:
        result["diff"] = {"before": current or {}, "after": {}}
    if arn is not None and not module.check_mode:
        try:
            client.delete_dashboards(aws_retry=True, DashboardNames=[name])
        except is_boto3_error_code("ResourceNotFound"):
            result["changed"] = False  # deleted meanwhile
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        body=dict(type="raw"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["body"])],
        supports_check_mode=True,
    )
    name = module.params["name"]
    if not NAME.match(name):
        module.fail_json(msg=f"name: {name!r} is not a valid dashboard name (1-255 of A-Z a-z 0-9 - _)")
    client = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff())
    try:
        if module.params["state"] == "present":
            result = ensure_present(module, client, name)
        else:
            result = ensure_absent(module, client, name)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage dashboard {name}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
