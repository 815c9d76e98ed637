"""extensions/awx (AWX configuration as code), offline: the survey specs follow AWX's survey format,
every survey variable is one the job template's playbook reads, there is a job template per entry
playbook, and the playbook validates its input (argument specs, surveys) before any call to AWX."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from test_entry_playbooks import ENTRY_PLAYBOOKS

ROOT = Path(__file__).resolve().parents[2]
AWX = ROOT / "extensions" / "awx"
BIN = Path(sys.executable).parent
QUESTION_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
# No AWX anywhere: a closed port on the loopback, so that a stray call fails fast.
NO_AWX = "http://127.0.0.1:9"


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def data():
    return yaml.load((AWX / "job_templates.yml").read_text(), Loader=_Loader)


def survey(stem):
    return yaml.safe_load((AWX / "surveys" / f"{stem}.yml").read_text())


def surveys():
    return {path.stem: yaml.safe_load(path.read_text()) for path in sorted((AWX / "surveys").glob("*.yml"))}


def survey_errors(spec) -> list[str]:
    """AWX's survey_spec rules (awx/main/views: JobTemplateSurveySpec), as a list of problems."""
    errors = []
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not isinstance(spec.get("description"), str):
        return ["needs name and description strings"]
    questions = spec.get("spec")
    if not isinstance(questions, list) or not questions:
        return ["spec must be a non-empty list"]
    seen = set()
    for q in questions:
        var = q.get("variable", "")
        if not q.get("question_name"):
            errors.append(f"{var}: no question_name")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var):
            errors.append(f"{var!r}: not a variable name")
        if var in seen:
            errors.append(f"{var}: duplicate")
        seen.add(var)
        if q.get("type") not in QUESTION_TYPES:
            errors.append(f"{var}: type {q.get('type')!r}")
        if not isinstance(q.get("required"), bool):
            errors.append(f"{var}: required must be true or false")
        if q.get("type") in ("multiplechoice", "multiselect"):
            choices = q.get("choices")
            if not isinstance(choices, list) or not choices:
                errors.append(f"{var}: choices must be a non-empty list")
            elif str(q.get("default", "")) and not set(str(q["default"]).split("\n")) <= set(choices):
                errors.append(f"{var}: default {q['default']!r} not among the choices")
        if q.get("type") == "password" and q.get("default"):
            errors.append(f"{var}: a password question has no default")
        if q.get("type") in ("text", "textarea", "password"):
            low, high = int(q.get("min", 0)), int(q.get("max", 1024))
            if low > high or len(str(q.get("default", ""))) > high:
                errors.append(f"{var}: min/max/default")
    return errors


def playbook_text(playbook: Path, seen=None) -> str:
    """The playbook, the playbooks it imports and the collection roles it uses, as one text."""
    seen = seen if seen is not None else set()
    if playbook in seen or not playbook.is_file():
        return ""
    seen.add(playbook)
    text = playbook.read_text()
    parts = [text]
    for imported in re.findall(r"import_playbook:\s*(\S+\.yml)", text):
        parts.append(playbook_text((playbook.parent / imported).resolve(), seen))
    for role in set(re.findall(r"sitevpn\.aws\.([a-z_]+)", text)):
        role_dir = ROOT / "roles" / role
        if role_dir.is_dir():
            parts += [p.read_text() for p in sorted(role_dir.rglob("*")) if p.is_file() and p.suffix in (".yml", ".j2")]
    return "\n".join(parts)


def run(args, timeout=120):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    proc = subprocess.run([str(BIN / "ansible-playbook"), str(AWX / "configure_awx.yml"), "-i", "localhost,"] + args,
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_survey_specs_follow_the_awx_format():
    found = surveys()
    assert found, "no survey specs in extensions/awx/surveys"
    for stem, spec in found.items():
        assert survey_errors(spec) == [], stem
    # the checker itself catches what AWX rejects
    bad = {"name": "x", "description": "", "spec": [
        {"question_name": "q", "variable": "1bad", "type": "select", "required": "yes"},
        {"question_name": "c", "variable": "ok", "type": "multiplechoice", "required": True, "choices": ["a"], "default": "b"}]}
    assert len(survey_errors(bad)) == 4


def test_a_job_template_per_entry_playbook_and_the_workflow():
    config = data()
    templates = {t["name"]: t for t in config["awx_config_job_templates"]}
    assert sorted(templates) == sorted(ENTRY_PLAYBOOKS)
    assert all(t["playbook"] == f"playbooks/{name}.yml" for name, t in templates.items())
    assert config["awx_config_workflow"]["nodes"] == ["provision", "configure_devices", "monitoring", "verify"]
    used = {t["survey"] for t in templates.values() if "survey" in t} | {config["awx_config_workflow"]["survey"]}
    assert used == set(surveys()), "every survey file is used, every survey named exists"
    # teardown runs on all sites or refuses: no limit prompt there
    assert templates["teardown"].get("ask_limit", False) is False
    # slices each run a play's run_once tasks on their own hosts: only per-device playbooks are sliced
    assert sorted(n for n, t in templates.items() if t.get("sliceable")) == ["configure_devices", "failover_test", "verify"]


def test_every_survey_variable_is_read_by_the_playbooks():
    config = data()
    feeds = config["awx_config_notification_extra_vars"]
    checked = 0
    templates = config["awx_config_job_templates"] + [dict(config["awx_config_workflow"], playbook=None)]
    for template in templates:
        if "survey" not in template:
            continue
        if template["playbook"] is None:
            # the workflow's answers go to every node's job
            texts = [playbook_text(ROOT / "playbooks" / f"{n}.yml") for n in template["nodes"]]
            extra = feeds if any(t.get("extra_vars") == "notification" for t in config["awx_config_job_templates"]
                                 if t["name"] in template["nodes"]) else {}
        else:
            texts = [playbook_text(ROOT / template["playbook"])]
            extra = feeds if template.get("extra_vars") == "notification" else {}
        for question in survey(template["survey"])["spec"]:
            var = question["variable"]
            word = re.compile(rf"\b{re.escape(var)}\b")
            direct = any(word.search(text) for text in texts)
            # read through a job template variable that the playbook reads in turn
            fed = [name for name, value in extra.items() if word.search(str(value))
                   and any(re.search(rf"\b{name}\b", text) for text in texts)]
            assert direct or fed, f"{template['name']}: survey variable {var} is read by no playbook"
            checked += 1
    assert checked >= 3


def test_notification_answer_becomes_the_monitoring_subscriptions(tmp_path):
    expr = data()["awx_config_notification_extra_vars"]
    answers = dict(expr, sitevpn_notification_emails="noc@example.com, oncall@example.org\n")
    (tmp_path / "vars.json").write_text(json.dumps(answers))
    proc = subprocess.run([str(BIN / "ansible"), "localhost", "-m", "ansible.builtin.debug", "-a",
                           "var=sitevpn_monitoring_subscriptions", "-e", f"@{tmp_path / 'vars.json'}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
                          # the ad-hoc default (minimal, JSON results), whatever ansible.cfg the caller exported
                          env=dict({k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")},
                                   ANSIBLE_NOCOLOR="1"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    value = json.loads(proc.stdout.split("=>", 1)[1])["sitevpn_monitoring_subscriptions"]
    assert value == [{"protocol": "email", "endpoint": "noc@example.com"},
                     {"protocol": "email", "endpoint": "oncall@example.org"}]


def test_syntax_check():
    rc, out = run(["--syntax-check"])
    assert rc == 0, out


def test_validation_offline(tmp_path):
    base = ["-e", "awx_config_scm_url=https://git.example.invalid/sitevpn.git", "-e", f"awx_config_controller_host={NO_AWX}"]
    rc, out = run(base + ["-e", "awx_config_validate_only=true"])
    assert rc == 0, out
    assert "Ensure the organization" not in out

    # argument specs: the project URL is required, credential kinds are checked
    rc, out = run(["-e", "awx_config_validate_only=true"])
    assert rc != 0 and "awx_config_scm_url" in out, out
    rc, out = run(base + ["-e", json.dumps({"awx_config_credentials": {"aws": {"access_key": "AKIA"}}})])
    assert rc != 0 and "secret_key" in out and "Ensure the organization" not in out, out

    # a broken survey stops the run before the first AWX call (not validate_only)
    broken = tmp_path / "surveys"
    shutil.copytree(AWX / "surveys", broken)
    spec = yaml.safe_load((broken / "teardown.yml").read_text())
    spec["spec"][0]["default"] = "maybe"
    (broken / "teardown.yml").write_text(yaml.safe_dump(spec))
    rc, out = run(base + ["-e", f"awx_config_surveys_dir={broken}"])
    assert rc != 0 and "sitevpn_teardown_confirm" in out, out
    assert "Ensure the organization" not in out


@pytest.mark.parametrize("stem", sorted(p.stem for p in (AWX / "surveys").glob("*.yml")))
def test_survey_answers_are_strings_the_playbooks_accept(stem):
    # AWX sends every answer of these types as a string: booleans must be "true"/"false" for | bool
    for question in survey(stem)["spec"]:
        if question["type"] == "multiplechoice":
            assert all(isinstance(c, str) for c in question["choices"])
