"""Run a module's main() in-process: exit_json/fail_json raise, the EC2 client is a MagicMock."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

AWS = {"region": "us-east-1", "access_key": "testing", "secret_key": "testing"}


class ExitJson(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


class FailJson(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


@pytest.fixture
def ec2(monkeypatch):
    """The client every module under test gets from module.client('ec2')."""
    client = MagicMock(name="ec2")

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)

    # AnsibleAWSModule fails argument-spec errors through the AnsibleModule it wraps.
    for cls in (AnsibleAWSModule, basic.AnsibleModule):
        monkeypatch.setattr(cls, "exit_json", exit_json)
        monkeypatch.setattr(cls, "fail_json", fail_json)
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, **kw: client)
    return client


def run_module(main, args, check_mode=False):
    """main() with args; returns ("exit"|"fail", result)."""
    args = dict(AWS, **args)
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args):
        try:
            main()
        except ExitJson as e:
            return "exit", e.result
        except FailJson as e:
            return "fail", e.result
    raise AssertionError("the module neither exited nor failed")


def write_calls(client):
    """Names of the calls a MagicMock client received that are not reads."""
    return [name for name, dummy, dummy2 in client.method_calls if not name.startswith(("describe_", "get_"))]
