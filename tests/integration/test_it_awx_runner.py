"""An AWX-equivalent job in CI: ansible-runner runs site.yml against the lab API the way an AWX
execution node does - a private data dir with project/ (the checkout), inventory/ (the inventory
as AWX exports it, a script), env/extravars (the job template's variables + one survey answer set),
env/envvars (what the AWS credential injects), env/settings - then the job events are read back
from artifacts/<ident>/job_events/. api_only (sitevpn_lab_dataplane: false): AWX runs jobs in
containers with no network namespaces of their own, so the devices are not reachable from there in the lab."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import yaml

from sitevpn_playbook import BIN, ROOT

AWX = ROOT / "extensions" / "awx"
IDENT = "svlt-site-1"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# What the project needs at run time (AWX checks out the whole repository; the rest is not read).
PROJECT_PARTS = ["ansible.cfg", "site.yml", "galaxy.yml", "meta", "playbooks", "inventories"]


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def private_data_dir(tmp_path: Path, url: str) -> Path:
    pdd = tmp_path / "job"
    project = pdd / "project"
    project.mkdir(parents=True)
    for part in PROJECT_PARTS:
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy)(src, project / part)

    # AWX hands the job its inventory as an executable script printing `ansible-inventory --list`.
    listed = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(ROOT / "inventories" / "lab"), "--list"],
                            capture_output=True, text=True, check=True, cwd=ROOT,
                            env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))).stdout
    inventory = pdd / "inventory"
    inventory.mkdir()
    script = inventory / "hosts"
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write({listed!r})\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)

    config = yaml.load((AWX / "job_templates.yml").read_text(), Loader=_Loader)
    site = next(t for t in config["awx_config_job_templates"] if t["name"] == "site")
    survey = yaml.safe_load((AWX / "surveys" / f"{site['survey']}.yml").read_text())
    answers = {"sitevpn_notification_emails": "noc@example.com"}
    assert set(answers) == {q["variable"] for q in survey["spec"]}
    extravars = dict(config["awx_config_notification_extra_vars"] if site.get("extra_vars") == "notification" else {})
    extravars.update(answers)
    # the lab's endpoint (an inventory variable on a real AWX) and the api_only mode
    extravars.update({"sitevpn_aws_endpoint_url": url, "sitevpn_lab_dataplane": False})
    env = pdd / "env"
    env.mkdir()
    (env / "extravars").write_text(json.dumps(extravars))
    (env / "envvars").write_text(json.dumps({
        # the Amazon Web Services credential's injection
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "ANSIBLE_INVENTORY_ENABLED": "script", "ANSIBLE_NOCOLOR": "1",
        "SITEVPN_LAB_STATE_DIR": str(tmp_path / "lab"), "SITEVPN_LAB_NS_PREFIX": "svlt",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }))
    (env / "settings").write_text(json.dumps({"job_timeout": 300, "idle_timeout": 240, "suppress_ansible_output": True}))
    return pdd


def job_events(pdd: Path) -> list[dict]:
    folder = pdd / "artifacts" / IDENT / "job_events"
    events = [json.loads(p.read_text()) for p in folder.glob("*.json")]
    return sorted(events, key=lambda e: e["counter"])


def test_site_as_an_awx_job(lab, tmp_path, record_property):
    pdd = private_data_dir(tmp_path, lab.url)
    proc = subprocess.run(
        [str(BIN / "ansible-runner"), "run", str(pdd), "-p", "playbooks/site.yml", "--ident", IDENT,
         "--limit", "site-bgp"],  # the Limit prompt: the site selection
        capture_output=True, text=True, timeout=300, check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")},
    )
    artifacts = pdd / "artifacts" / IDENT
    stdout = (artifacts / "stdout").read_text() if (artifacts / "stdout").is_file() else proc.stdout
    assert proc.returncode == 0, stdout[-6000:] + proc.stderr
    assert (artifacts / "status").read_text() == "successful"
    assert (artifacts / "rc").read_text() == "0"

    events = job_events(pdd)
    assert events[0]["event"] == "playbook_on_start" and events[-1]["event"] == "playbook_on_stats"
    stats = events[-1]["event_data"]
    assert stats["failures"] == {} and stats["dark"] == {}
    assert stats["changed"].get("site-bgp", 0) > 0
    assert "site-static" not in stats["ok"], "the limit selects the site"
    record_property("job_events", len(events))

    ok = [e for e in events if e["event"] == "runner_on_ok"]
    assert not [e for e in events if e["event"] in ("runner_on_failed", "runner_on_unreachable")
                and not e["event_data"].get("ignore_errors")]

    def ok_task(action):
        # a no_log result is censored down to that text: the event's stdout still says "changed"
        return [e for e in ok if e["event_data"]["task_action"] == action and e["event_data"]["host"] == "site-bgp"
                and (e["event_data"]["res"].get("changed") or ANSI.sub("", e["stdout"]).strip().startswith("changed:"))]

    # the AWS-side tasks ran for the site and changed what they should (events name the module)
    # one batched step provisions every site of the play (vpn_gateway, customer gateway, VPN
    # connection); each host then reports its own result through the same action
    assert ok_task("sitevpn.aws.vpn_sites")
    assert ok_task("amazon.aws.cloudwatch_metric_alarm")
    assert ok_task("amazon.aws.lambda")
    # secrets stay out of the job events (AWX stores and shows them)
    batch = [e for e in ok_task("sitevpn.aws.vpn_sites") if e["event_data"]["task"].startswith("Provision the AWS side")]
    assert batch and batch[0]["event_data"]["res"].get("censored"), "the connections' result (pre-shared keys) is hidden"
    dumped = json.dumps(events)
    keys = [k for c in lab.client("ec2").describe_vpn_connections()["VpnConnections"]
            for k in re.findall(r"<pre_shared_key>([^<]+)</pre_shared_key>", c.get("CustomerGatewayConfiguration", ""))]
    assert keys and not [k for k in keys if k in dumped], "no pre-shared key in the job events"

    # and in the lab: the connection exists, the survey's address is subscribed to the topic
    conns = [c for c in lab.vpn_connections() if c["state"] in ("pending", "available")]
    assert [c["customer_gateway_ip"] for c in conns] == ["203.0.113.10"]
    sns = lab.client("sns")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":sitevpn-vpn-events"))
    endpoints = {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
                 if s["Protocol"] == "email"}
    assert endpoints == {"noc@example.com"}
