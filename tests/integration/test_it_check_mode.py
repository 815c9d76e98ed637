"""``playbooks/provision.yml --check`` makes 0 write calls, on an empty lab and on a built one (issue 9)."""

from __future__ import annotations

from sitevpn_playbook import LAB_VGW_SITES, ROOT, run_playbook, writes

PLAYBOOK = ROOT / "playbooks" / "provision.yml"
INVENTORY = LAB_VGW_SITES


def test_check_mode_writes_nothing(lab):
    # Empty lab: check mode reports what it would create, creates nothing.
    lab.clear_requests()
    empty = run_playbook(PLAYBOOK, lab.url, check=True, diff=True, inventory=INVENTORY)
    assert empty.rc == 0, empty.failures + empty.output
    assert empty.changed["site-bgp"] > 0 and empty.changed["site-static"] > 0
    assert writes(lab) == []
    assert lab.requests()["requests"], "check mode should still look (describe calls)"
    ec2 = lab.client("ec2")
    assert ec2.describe_vpn_gateways()["VpnGateways"] == []
    assert ec2.describe_customer_gateways()["CustomerGateways"] == []

    built = run_playbook(PLAYBOOK, lab.url, inventory=INVENTORY)
    assert built.rc == 0, built.failures + built.output
    assert writes(lab)

    # Built lab: nothing to change, nothing written.
    lab.clear_requests()
    again = run_playbook(PLAYBOOK, lab.url, check=True, diff=True, inventory=INVENTORY)
    assert again.rc == 0, again.failures + again.output
    assert again.total_changed == 0, again.output
    assert writes(lab) == []

    # Built lab, a change pending (another tunnel option): reported, not written.
    lab.clear_requests()
    pending = run_playbook(
        PLAYBOOK,
        lab.url,
        {"sitevpn_tunnel_options": [{"dpd_timeout_seconds": 40}, {"dpd_timeout_seconds": 40}]},
        check=True,
        diff=True,
        inventory=INVENTORY,
    )
    assert pending.rc == 0, pending.failures + pending.output
    assert pending.changed == {"site-bgp": 1, "site-static": 1}, pending.output
    assert writes(lab) == []
