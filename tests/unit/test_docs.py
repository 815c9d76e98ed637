"""Every module, filter and role of the collection is documented: `ansible-doc` renders each of them
(found from the files, not from ansible-doc's own list, so a plugin it cannot load is caught), every
role has meta/argument_specs.yml covering its defaults, and every role has a page docs/roles/<role>.md
that docs/index.md links."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COLLECTION = "sitevpn.aws"

MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if not p.name.startswith("_"))
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())


def filter_names() -> list[str]:
    """Every filter the plugins/filter/*.py files expose."""
    names = []
    for path in sorted((ROOT / "plugins" / "filter").glob("*.py")):
        if path.name.startswith("_"):
            continue
        mod = importlib.import_module(f"ansible_collections.sitevpn.aws.plugins.filter.{path.stem}")
        names += list(mod.FilterModule().filters())
    return sorted(names)


FILTERS = filter_names()


def ansible_doc(plugin_type: str, names: list[str], as_json: bool):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    argv = [str(BIN / "ansible-doc"), "-t", plugin_type] + (["--json"] if as_json else [])
    argv += [f"{COLLECTION}.{name}" for name in names]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)


def test_there_is_something_to_document():
    assert len(MODULES) >= 7 and len(ROLES) >= 10 and len(FILTERS) >= 10, (MODULES, ROLES, FILTERS)


@pytest.mark.parametrize("plugin_type,names", [("module", MODULES), ("filter", FILTERS)])
def test_ansible_doc_renders_every_plugin(plugin_type, names):
    rendered = ansible_doc(plugin_type, names, as_json=True)
    assert rendered.returncode == 0, rendered.stderr
    docs = json.loads(rendered.stdout)
    missing = sorted(set(f"{COLLECTION}.{n}" for n in names) - set(docs))
    assert missing == [], f"ansible-doc cannot load {missing}: {rendered.stderr}"
    for name, entry in docs.items():
        doc = entry["doc"]
        assert doc.get("short_description") and doc.get("description"), name
        assert all(opt.get("description") for opt in (doc.get("options") or {}).values()), name
        assert entry.get("examples"), f"{name} has no EXAMPLES"
        assert entry.get("return"), f"{name} has no RETURN"
    text = ansible_doc(plugin_type, names, as_json=False)
    assert text.returncode == 0 and "WARNING" not in text.stderr and "ERROR" not in text.stderr, text.stderr
    for name in names:
        assert f"{COLLECTION}.{name}" in text.stdout, name


def test_ansible_doc_renders_every_role():
    rendered = ansible_doc("role", ROLES, as_json=True)
    assert rendered.returncode == 0, rendered.stderr
    docs = json.loads(rendered.stdout)
    missing = sorted(set(f"{COLLECTION}.{r}" for r in ROLES) - set(docs))
    assert missing == [], f"ansible-doc cannot load {missing}: {rendered.stderr}"
    for name, entry in docs.items():
        main = entry["entry_points"]["main"]
        assert main.get("short_description") and main.get("description"), name
        assert all(opt.get("description") for opt in (main.get("options") or {}).values()), name
    text = ansible_doc("role", ROLES, as_json=False)
    assert text.returncode == 0 and "WARNING" not in text.stderr and "ERROR" not in text.stderr, text.stderr
    for role in ROLES:
        assert f"{COLLECTION}.{role}" in text.stdout, role


@pytest.mark.parametrize("role", ROLES)
def test_role_argument_spec_covers_its_defaults(role):
    spec_file = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    assert spec_file.is_file(), f"roles/{role} has no meta/argument_specs.yml"
    specs = yaml.safe_load(spec_file.read_text())["argument_specs"]
    assert "main" in specs, role
    options = set()
    for entry_point in specs.values():
        options |= set(entry_point.get("options") or {})
    defaults_file = ROOT / "roles" / role / "defaults" / "main.yml"
    defaults = set(yaml.safe_load(defaults_file.read_text()) or {}) if defaults_file.is_file() else set()
    # a role's public inputs carry its name as prefix; role__x are internal
    public = {d for d in defaults if not d.startswith(f"{role}__")}
    assert sorted(public - options) == [], f"roles/{role}: defaults missing from the argument spec"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_a_page(role):
    page = ROOT / "docs" / "roles" / f"{role}.md"
    assert page.is_file(), f"docs/roles/{role}.md is missing"
    text = page.read_text()
    assert f"sitevpn.aws.{role}" in text, f"docs/roles/{role}.md does not name the role"
    index = (ROOT / "docs" / "index.md").read_text()
    assert f"(roles/{role}.md)" in index, f"docs/index.md does not link roles/{role}.md"


def test_role_pages_name_only_real_variables():
    """A variable a page names in backticks with the role's prefix is one the role takes."""
    for role in ROLES:
        page = ROOT / "docs" / "roles" / f"{role}.md"
        if not page.is_file():
            continue
        specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
        options = set()
        for entry_point in specs.values():
            options |= set(entry_point.get("options") or {})
        named = set(re.findall(rf"`({re.escape(role)}_[a-z0-9_]+)", page.read_text()))
        # filters (verify_report ...) and the facts a role sets for its callers are named like inputs
        named -= set(FILTERS) | ({f"{role}_rendered", f"{role}_connection"} - options)
        assert sorted(named - options) == [], f"docs/roles/{role}.md names unknown variables"
