"""Bad input is refused before any write, with a message naming the field (issues 9 and 16).

The cases are data, in bad_inputs.yml. Module cases run in-process (the module's ``main()`` with real
boto3 calls to the lab API, exit/fail turned into exceptions); inventory cases run the role's
inventory check (``vpn_inventory_errors``) on the cases' host variables, and those marked
``playbook: true`` also as ``ansible-playbook playbooks/provision.yml`` on a generated inventory
(two at a time). For each case the lab's request log (/_lab/requests) must show 0 write calls and
the failure message must name the field. All cases run once, in a module-scoped fixture.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.sitevpn.aws.plugins.filter.vpn_inventory_errors import vpn_inventory_errors
from ansible_collections.sitevpn.aws.plugins.modules import customer_gateway
from ansible_collections.sitevpn.aws.plugins.modules import vpn_connection
from ansible_collections.sitevpn.aws.plugins.modules import vpn_gateway

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODULES = {"customer_gateway": customer_gateway, "vpn_gateway": vpn_gateway, "vpn_connection": vpn_connection}
CORPUS = yaml.safe_load((Path(__file__).parent / "bad_inputs.yml").read_text())
MODULE_CASES = CORPUS["module_cases"]
INVENTORY_CASES = CORPUS["inventory_cases"]

# Cases the code under test does not refuse as it should: {case id: reason}, marked xfail(strict)
# so that a fix makes the suite say so. Empty: every case is refused before any write.
KNOWN_BUGS: dict[str, str] = {}


class _Exit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


def _raise_exit(self, **kwargs):
    raise _Exit(dict(kwargs, failed=False))


def _raise_fail(self, **kwargs):
    raise _Exit(dict(kwargs, failed=True))


def run_module_case(module, args, url):
    """The module's main() against the lab: (failed, msg)."""
    args = dict(dict(endpoint_url=url, region="us-east-1", access_key="testing", secret_key="testing"), **args)
    with patch_module_args(args):
        try:
            MODULES[module].main()
        except _Exit as e:
            return e.result["failed"], str(e.result.get("msg", ""))
        except SystemExit as e:  # pragma: no cover - a module exiting without exit_json/fail_json
            return True, f"SystemExit({e.code})"
    return False, "the module returned without exit_json/fail_json"


def run_role_case(hosts, url, tmp_path, strict=False):
    """playbooks/provision.yml on an inventory of these hosts: (failed, failure text)."""
    inventory = tmp_path / "hosts.yml"
    # the VPC's CIDR is required (no default): a group var, so a case's host var still wins
    inventory.write_text(yaml.safe_dump({"sites": {"hosts": hosts, "vars": {"sitevpn_vpc_cidr": "10.0.0.0/16"}}}))
    extra = {
        "sitevpn_aws_endpoint_url": url,
        "sitevpn_aws_region": "us-east-1",
        "sitevpn_aws_access_key": "testing",
        "sitevpn_aws_secret_key": "testing",
        "sitevpn_aws_wait_timeout": 20,
        "sitevpn_strict_inventory": strict,
    }
    cmd = [str(BIN / "ansible-playbook"), str(ROOT / "playbooks" / "provision.yml"), "-i", str(inventory)]
    cmd += ["-e", json.dumps(extra)]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_STDOUT_CALLBACK", None)
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def role_case_outcome(proc):
    """(failed, failure text) of a finished run_role_case process."""
    output = proc.communicate(timeout=180)[0]
    # The failure text: from the first failed task (or the play error) on, without the recap.
    match = re.search(r"^(fatal:|failed:|ERROR|\[ERROR\])", output, re.M)
    text = output[match.start():] if match else ""
    text = text.split("PLAY RECAP", 1)[0]
    return proc.returncode != 0, text or output


@pytest.fixture(scope="module")
def outcomes(lab_api, tmp_path_factory, monkeypatch_module):
    """Every case run once: {case id: {"failed", "msg", "writes"}}."""
    for cls in (AnsibleAWSModule, basic.AnsibleModule):
        monkeypatch_module.setattr(cls, "exit_json", _raise_exit)
        monkeypatch_module.setattr(cls, "fail_json", _raise_fail)
    lab_api.reset()
    results = {}
    for case in MODULE_CASES:
        lab_api.clear_requests()
        failed, msg = run_module_case(case["module"], case["args"], lab_api.url)
        results[case["id"]] = {"failed": failed, "msg": msg, "writes": _writes(lab_api)}
    for case in INVENTORY_CASES:
        errors = vpn_inventory_errors(case["hosts"], sorted(case["hosts"]), strict=case.get("strict", False))
        results[case["id"]] = {"failed": bool(errors), "msg": "; ".join(errors), "writes": []}
    # The playbook cases two at a time (CI has 2 cores); none may write, so they share the lab.
    lab_api.clear_requests()
    playbook_cases = [c for c in INVENTORY_CASES if c.get("playbook")]
    for pair in (playbook_cases[i:i + 2] for i in range(0, len(playbook_cases), 2)):
        procs = [(c, run_role_case(c["hosts"], lab_api.url, tmp_path_factory.mktemp(c["id"]), c.get("strict", False))) for c in pair]
        for case, proc in procs:
            failed, msg = role_case_outcome(proc)
            results[case["id"] + "/playbook"] = {"failed": failed, "msg": msg, "writes": None}
        writes = _writes(lab_api)
        for case in pair:
            results[case["id"] + "/playbook"]["writes"] = writes
        if writes:
            lab_api.reset()
        lab_api.clear_requests()
    lab_api.reset()
    return results


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _writes(lab):
    return [r["action"] for r in lab.requests()["requests"] if r["write"]]


def _params():
    cases = [(c["id"], c["field"]) for c in MODULE_CASES + INVENTORY_CASES]
    cases += [(c["id"] + "/playbook", c["field"]) for c in INVENTORY_CASES if c.get("playbook")]
    return [
        pytest.param(case_id, field, id=case_id, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case_id])])
        if case_id in KNOWN_BUGS
        else pytest.param(case_id, field, id=case_id)
        for case_id, field in cases
    ]


def test_enough_cases():
    ids = [c["id"] for c in MODULE_CASES + INVENTORY_CASES]
    assert len(ids) >= 120 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("case_id, field", _params())
def test_bad_input_refused_before_any_write(outcomes, case_id, field):
    result = outcomes[case_id]
    assert result["failed"], f"{case_id}: not refused: {result['msg'][:500]}"
    assert result["writes"] == [], f"{case_id}: write calls before the refusal: {result['writes']}"
    assert field in result["msg"], f"{case_id}: the message does not name {field!r}: {result['msg'][:800]}"
