"""playbooks/provision.yml through the batched AWS side (sitevpn.aws.vpn_sites, issue 18), API only,
on a generated inventory of three sites: check mode writes nothing; --limit provisions only the
sites named; one bad site fails only its host while the others are provisioned, and so does a site
with a wrong role argument (checked for every site in one step); an idempotent re-run writes nothing
and makes as many API calls for two sites as for one (one read per kind)."""

from __future__ import annotations

import re

import yaml

from tests.integration.sitevpn_playbook import ROOT, run_playbook, writes

PLAYBOOK = ROOT / "playbooks" / "provision.yml"
EXTRA = {"sitevpn_aws_region": "us-east-1", "sitevpn_vpc_cidr": "10.0.0.0/16", "sitevpn_aws_access_key": "testing", "sitevpn_aws_secret_key": "testing",
         "sitevpn_name_prefix": "batch", "sitevpn_aws_wait_timeout": 30}


def _inventory(tmp_path):
    hosts = {
        f"site{i}": {"sitevpn_cgw_ip": f"203.0.113.{i + 10}", "sitevpn_bgp_asn": 65000 + i, "sitevpn_prefixes": [f"10.{i + 50}.0.0/24"]}
        for i in (1, 2, 3)
    }
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"sites": {"hosts": hosts}}))
    return path


def _ours(lab):
    return sorted(
        {t["Key"]: t["Value"] for t in c.get("Tags", [])}.get("Name")
        for c in lab.client("ec2").describe_vpn_connections()["VpnConnections"]
        if c["State"] in ("pending", "available")
    )


def test_batched_sites_check_limit_isolation_and_rerun(lab, tmp_path):
    inventory = _inventory(tmp_path)

    def provision(**kw):
        lab.clear_requests()
        return run_playbook(PLAYBOOK, lab.url, EXTRA, inventory=inventory, **kw)

    run = provision(check=True, diff=True)
    assert run.rc == 0, run.failures + run.output[-3000:]
    assert writes(lab) == [] and all(run.changed[s] > 0 for s in ("site1", "site2", "site3"))
    assert "batch-site2" in run.output  # each host shows its own customer gateway's diff

    run = provision(limit="site1")
    assert run.rc == 0, run.failures + run.output[-3000:]
    assert _ours(lab) == ["batch-site1"]

    # site2's name is taken by a gateway of another address: only site2 fails, with the reason
    lab.client("ec2").create_customer_gateway(
        Type="ipsec.1", IpAddress="198.51.100.99", BgpAsn=65099,
        TagSpecifications=[{"ResourceType": "customer-gateway", "Tags": [{"Key": "Name", "Value": "batch-site2"}]}],
    )
    run = provision()
    assert run.rc != 0
    assert run.failed == {"site1": 0, "site2": 1, "site3": 0}, run.output[-3000:]
    assert "name: customer gateway(s)" in run.output and run.changed["site3"] > 0
    assert _ours(lab) == ["batch-site1", "batch-site3"]

    run = provision(limit="site1,site3")
    assert run.rc == 0 and run.total_changed == 0, run.output[-3000:]
    assert writes(lab) == []
    calls_two = sum(lab.requests()["counts"].values())
    run = provision(limit="site3")
    assert run.rc == 0 and run.total_changed == 0 and writes(lab) == []
    assert sum(lab.requests()["counts"].values()) == calls_two <= 5, lab.requests()["counts"]


def test_provision_builds_every_sites_model_in_one_step(lab, tmp_path):
    # The later stages read sitevpn_site_model; provision builds it for every site of the batch in
    # one looped step, so site_model.yml (which later runs use when they start without it) has
    # nothing left to do: it neither reads the connection again nor builds the model a second time.
    inventory = _inventory(tmp_path)
    playbook = tmp_path / "provision_then_read.yml"
    playbook.write_text(yaml.safe_dump([
        {"import_playbook": str(PLAYBOOK)},
        {"name": "Read the models", "hosts": "sites", "gather_facts": False, "tasks": [
            {"name": "Check the model is this site's",
             "ansible.builtin.assert": {"that": [
                 "sitevpn_site_model.site == inventory_hostname",
                 "sitevpn_site_model.names.connection == 'batch-' ~ inventory_hostname",
                 "sitevpn_site_model.vpn_connection_id == sitevpn_vpn_connection.vpn_connection_id",
                 "sitevpn_site_model.site_prefixes == sitevpn_prefixes",
                 "sitevpn_site_model.plan.tunnels | length == 2",
             ]}},
            {"name": "Build the model as a later stage would",
             "ansible.builtin.include_role": {"name": "sitevpn.aws.aws_vpn", "tasks_from": "site_model.yml"}},
        ]},
    ]))
    lab.clear_requests()
    run = run_playbook(playbook, lab.url, EXTRA, inventory=inventory)
    assert run.rc == 0, run.failures + run.output[-3000:]
    assert "Build the model as a later stage would" in run.output
    # the later stage's include found the model: it neither read the connection again nor rebuilt it
    later = run.output.split("Build the model as a later stage would")[1]
    for task in ("Read the site's VPN connection from the AWS API", "Build the site model"):
        shown = later.split(task)[1].split("TASK [")[0]
        assert "skipping: [site1]" in shown and "ok: [" not in shown, later
    # per-host task runs are what a fleet's run costs (issue 18): provision runs one per site, its
    # report (the role checks every site's arguments in one step, the batch reads the site's inputs
    # itself and present.yml is imported); the rest are run once
    provision = run.output.split("PLAY [Read the models]")[0]
    runs = [line for line in provision.splitlines() if re.match(r"^(ok|changed|skipping): \[site3[\] ]|^included: .* for .*\bsite3\b", line)]
    assert len(runs) == 1, provision
    assert "Validating arguments against arg spec" not in provision


def test_a_site_with_a_wrong_role_argument_fails_alone(lab, tmp_path):
    # The role's argument spec is checked for every site in one step (no task per site): a wrong
    # site-only argument fails that site with ansible-core's message and the others go on; a wrong
    # shared one on the play's first site (whose values the run-once steps use) stops every site.
    inventory = _inventory(tmp_path)
    hosts = yaml.safe_load(inventory.read_text())
    hosts["sites"]["hosts"]["site2"]["aws_vpn_tunnel_profile"] = "weak"
    inventory.write_text(yaml.safe_dump(hosts))
    run = run_playbook(PLAYBOOK, lab.url, EXTRA, inventory=inventory, check=True)
    assert run.rc != 0
    assert run.failed == {"site1": 0, "site2": 1, "site3": 0}, run.output[-3000:]
    assert "Validation of arguments failed:\nvalue of aws_vpn_tunnel_profile must be one of: strong, aws_defaults, got: weak" in run.output
    assert run.changed["site1"] > 0 and run.changed["site3"] > 0
    assert writes(lab) == []

    hosts["sites"]["hosts"]["site1"]["aws_vpn_wait"] = "maybe"
    inventory.write_text(yaml.safe_dump(hosts))
    run = run_playbook(PLAYBOOK, lab.url, EXTRA, inventory=inventory, check=True)
    assert run.rc != 0 and "site1: Validation of arguments failed:" in run.output and "aws_vpn_wait" in run.output
    assert "no site goes on" in run.output and "Ensure the site's customer gateway" not in run.output
