"""The lab's addresses live in the lab (roles/lab, lab/, inventories/lab), never in the product.

Product roles, entry playbooks and extensions must not name 10.0.0.*; plugins must not take the
lab's VPC (10.0.0.0/16) or VPC host (10.0.0.10) as a value in code or as an option default (their
documentation examples may show them). Issue 15: a lab default that reappears fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ANY_LAB = re.compile(r"\b10\.0\.0\.\d")
LAB_VALUES = re.compile(r"\b10\.0\.0\.(?:0/16|10)\b")
DOC_NAMES = {"DOCUMENTATION", "EXAMPLES", "RETURN"}
TEXT_SUFFIXES = {".yml", ".yaml", ".j2", ".py", ".sh", ".json", ".cfg", ".ini", ".md"}


def _product_files():
    roles = [p for p in (ROOT / "roles").rglob("*") if p.is_file() and p.relative_to(ROOT / "roles").parts[0] != "lab"]
    others = [p for top in ("playbooks", "extensions") for p in (ROOT / top).rglob("*") if p.is_file()]
    return sorted(p for p in roles + others if p.suffix in TEXT_SUFFIXES and "__pycache__" not in p.parts)


def lab_lines(text):
    """(line number, line) of every mention of the lab's 10.0.0.* addresses."""
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if ANY_LAB.search(line)]


def _docstring_nodes(tree):
    nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                nodes.add(id(first.value))
    return nodes


def _option_defaults(options):
    for name, spec in (options or {}).items():
        if isinstance(spec, dict):
            if "default" in spec:
                yield name, spec["default"]
            yield from _option_defaults(spec.get("suboptions"))


def python_lab_values(source):
    """The lab's VPC or VPC host as a value in a plugin's code or as a documented option default."""
    tree = ast.parse(source)
    skip = _docstring_nodes(tree)
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in DOC_NAMES for t in node.targets):
            skip.add(id(node.value))
            if any(isinstance(t, ast.Name) and t.id == "DOCUMENTATION" for t in node.targets):
                doc = yaml.safe_load(node.value.value) or {}
                found += [f"option {k} default {v}" for k, v in _option_defaults(doc.get("options")) if LAB_VALUES.search(str(v))]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if LAB_VALUES.search(node.value):
                found.append(f"line {node.lineno}: {node.value!r}")
    return found


def test_scanner_finds_a_lab_default():
    assert lab_lines("a: 1\nvpc: \"{{ x | default('10.0.0.0/16') }}\"\n") == [(2, "vpc: \"{{ x | default('10.0.0.0/16') }}\"")]
    planted = 'DOCUMENTATION = """\noptions:\n  cidr:\n    default: 10.0.0.0/16\n"""\n\ndef f(a):\n    """e.g. 10.0.0.10"""\n    return a or "10.0.0.10"\n'
    assert python_lab_values(planted) == ["option cidr default 10.0.0.0/16", "line 9: '10.0.0.10'"]
    # RFC 1918's 10.0.0.0/8 is not the lab's
    assert python_lab_values('PRIVATE = ("10.0.0.0/8",)\n') == []


@pytest.mark.parametrize("path", _product_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_lab_address_in_product_roles_playbooks_extensions(path):
    assert lab_lines(path.read_text(errors="replace")) == []


def test_no_lab_value_in_plugins():
    found = {}
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        hits = python_lab_values(path.read_text())
        if hits:
            found[str(path.relative_to(ROOT))] = hits
    for path in sorted((ROOT / "plugins").rglob("*.yml")):
        doc = (yaml.safe_load(path.read_text()) or {}).get("DOCUMENTATION") or {}
        hits = [f"option {k} default {v}" for k, v in _option_defaults(doc.get("options")) if LAB_VALUES.search(str(v))]
        if hits:
            found[str(path.relative_to(ROOT))] = hits
    assert found == {}


def test_lab_inventory_sets_what_the_product_no_longer_defaults():
    lab = yaml.safe_load((ROOT / "inventories" / "lab" / "group_vars" / "all.yml").read_text())
    assert lab["sitevpn_vpc_cidr"] == "10.0.0.0/16"
    assert lab["sitevpn_vpc_probe_target"] == "10.0.0.10"
