"""customer_gateway / customer_gateway_info against the lab API: create, idempotence, check mode, tags, delete."""

from __future__ import annotations

from sitevpn_playbook import run_playbook, writes


def step(lab, name, check=False):
    run = run_playbook("customer_gateway/main.yml", lab.url, {"step": name}, check=check)
    assert run.rc == 0, run.failures + run.output
    return run


def test_customer_gateway_lifecycle(lab):
    assert step(lab, "create").total_changed == 2
    assert lab.requests()["counts"].get("ec2:CreateCustomerGateway") == 2

    lab.clear_requests()
    assert step(lab, "create").total_changed == 0
    assert writes(lab) == []
    # An idempotent run: one describe per gateway plus the info module's.
    assert lab.requests()["counts"] == {"ec2:DescribeCustomerGateways": 3}

    lab.clear_requests()
    assert step(lab, "modify", check=True).total_changed == 1
    assert writes(lab) == []

    assert step(lab, "modify").total_changed == 1
    assert set(writes(lab)) == {"CreateTags"}
    assert step(lab, "modify").total_changed == 0

    lab.clear_requests()
    assert step(lab, "delete", check=True).total_changed == 2
    assert writes(lab) == []
    assert step(lab, "delete").total_changed == 2
    assert writes(lab) == ["DeleteCustomerGateway", "DeleteCustomerGateway"]
    assert step(lab, "delete").total_changed == 0
