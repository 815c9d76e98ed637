"""sitevpn.aws.cloudwatch_dashboard's helpers against the lab API: create, compare as JSON (no update
for a reordered body), check mode and diff, delete, bad bodies."""

from __future__ import annotations

import json

import pytest

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.sitevpn.aws.plugins.modules import cloudwatch_dashboard as mod

BODY = {"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
                     "properties": {"region": "us-east-1", "metrics": [["AWS/VPN", "TunnelState", "VpnId", "vpn-1"]]}}]}


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, body=None, check_mode=False, diff=True):
        self.params = {"body": body}
        self.check_mode = check_mode
        self._diff = diff

    def fail_json(self, **kwargs):
        raise Failed(kwargs["msg"])


def test_put_compare_delete(lab):
    raw = lab.client("cloudwatch")
    client = RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff())
    lab.clear_requests()
    planned = mod.ensure_present(FakeModule(BODY, check_mode=True), client, "sitevpn-vpn-us-east-1")
    assert planned["changed"] and planned["diff"] == {"before": {}, "after": BODY}
    assert [r["action"] for r in lab.requests()["requests"] if r["write"]] == []

    created = mod.ensure_present(FakeModule(BODY), client, "sitevpn-vpn-us-east-1")
    assert created["changed"] and created["dashboard_arn"].endswith(":dashboard/sitevpn-vpn-us-east-1")
    # the same body as a JSON string with other key order and spacing: no update
    reordered = json.dumps({"widgets": [dict(reversed(list(BODY["widgets"][0].items())))]}, indent=2)
    lab.clear_requests()
    assert not mod.ensure_present(FakeModule(reordered), client, "sitevpn-vpn-us-east-1")["changed"]
    assert [r["action"] for r in lab.requests()["requests"] if r["write"]] == []

    changed = {"widgets": BODY["widgets"] * 2}
    assert mod.ensure_present(FakeModule(changed), client, "sitevpn-vpn-us-east-1")["diff"]["before"] == BODY
    assert json.loads(raw.get_dashboard(DashboardName="sitevpn-vpn-us-east-1")["DashboardBody"]) == changed

    assert mod.ensure_absent(FakeModule(check_mode=True), client, "sitevpn-vpn-us-east-1")["changed"]
    assert raw.list_dashboards()["DashboardEntries"]
    assert mod.ensure_absent(FakeModule(), client, "sitevpn-vpn-us-east-1")["changed"]
    assert raw.list_dashboards()["DashboardEntries"] == []
    assert not mod.ensure_absent(FakeModule(), client, "sitevpn-vpn-us-east-1")["changed"]


@pytest.mark.parametrize(
    "body, message", [("{not json", "body: not valid JSON"), ({"widgets": "x"}, "'widgets' is a list"), ([], "JSON object")]
)
def test_bad_body_fails_naming_the_field(body, message):
    with pytest.raises(Failed, match=message):
        mod.parse_body(FakeModule(body))
