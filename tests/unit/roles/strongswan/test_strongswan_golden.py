"""Golden rendering of roles/strongswan (strongswan_apply: false, nothing applied): swanctl.conf,
secrets, strongswan.conf, updown, NAT, XFRM links and FRR for both data planes, BGP with AS_PATH
prepend or MED, static routing, additional key exchanges on strongSwan 6 and their refusal on 5.9;
and the absent path (files only) removing every file the present path renders.

The xfrm data plane cannot run on these machines (no kernel ESP/XFRM interfaces): these files are
how it is checked. UPDATE_GOLDEN=1 rewrites the golden files (review the diff); a script one
template renders again per box or site is stored once, the others as golden/variants.json's replacements.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
GOLDEN = HERE / "golden"
REAL_AWS = ROOT / "tests" / "fixtures" / "real-aws"
FIXTURES = HERE / "fixtures"
BIN = Path(sys.executable).parent
PLUGINS = ["aes", "gcm", "gmp", "hmac", "kdf", "kernel-libipsec", "kernel-netlink", "nonce", "openssl", "random",
           "sha1", "sha2", "socket-default", "updown", "vici", "eap-radius"]

CASES = [
    {"name": "bgp-xfrm", "connection": "bgp.json", "dataplane": "xfrm"},
    {"name": "bgp-libipsec-med", "connection": "bgp.json", "dataplane": "libipsec", "backup": "med",
     "pathspace": "svl-d1"},
    {"name": "static-libipsec", "connection": "static.json", "dataplane": "libipsec", "pathspace": "svl-d2"},
    {"name": "mlkem-xfrm-6", "connection": "mlkem.json", "dataplane": "xfrm", "version": "6.0.1"},
]


def render(tmp_path, cases):
    plugin_dir = tmp_path / "plugins"
    plugin_dir.mkdir(exist_ok=True)
    for p in PLUGINS:
        (plugin_dir / f"libstrongswan-{p}.so").write_text("")
    out = tmp_path / "out"
    cases = [dict(c, connection=str(FIXTURES / c["connection"])) for c in cases]
    extra = {"out": str(out), "plugin_dir": str(plugin_dir), "cases": cases, "ansible_python_interpreter": sys.executable}
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_PIPELINING="1")
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(HERE / "render.yml"),
                           "-e", json.dumps(extra)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    return proc, out


def files(root, out=None):
    """{relative path: text}, the render directory written as OUT so golden files do not depend on it."""
    return {str(p.relative_to(root)): p.read_text().replace(str(out), "OUT") if out else p.read_text()
            for p in sorted(root.rglob("*")) if p.is_file()}


def variants():
    """{case/relative path: text} of the golden files stored as another one with values replaced
    (golden/variants.json: the scripts one template renders per box or per site, stored once)."""
    spec = json.loads((GOLDEN / "variants.json").read_text())
    found = {}
    for rel, variant in spec.items():
        if rel.startswith("_"):
            continue
        text = (GOLDEN / variant["like"]).read_text()
        for old, new in variant["replace"]:
            assert old in text, (rel, old)
            text = text.replace(old, new)
        found[rel] = text
    return found


def golden(case):
    """The expected files of one case: its own golden files and its variants."""
    want = files(GOLDEN / case)
    prefix = f"{case}/"
    want.update({rel[len(prefix):]: text for rel, text in variants().items() if rel.startswith(prefix)})
    return want


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    proc, out = render(tmp_path_factory.mktemp("golden"), CASES)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, out


@pytest.mark.parametrize("case", [c["name"] for c in CASES])
def test_golden(rendered, case):
    _proc, out = rendered
    got = files(out / case, out)
    if os.environ.get("UPDATE_GOLDEN"):
        stored_as_variant = {rel for rel in variants() if rel.startswith(f"{case}/")}
        shutil.rmtree(GOLDEN / case, ignore_errors=True)
        for rel, text in got.items():
            if f"{case}/{rel}" not in stored_as_variant:
                (GOLDEN / case / rel).parent.mkdir(parents=True, exist_ok=True)
                (GOLDEN / case / rel).write_text(text)
    want = golden(case)
    assert sorted(got) == sorted(want)
    for rel, text in want.items():
        assert got[rel] == text, rel


def test_psk_files_private_and_never_printed(rendered):
    proc, out = rendered
    secrets = sorted(out.rglob("secrets.conf")) + sorted(out.rglob("swanctl.conf"))
    assert len(secrets) == 2 * 2 + 2 * 4
    for f in secrets:
        assert f.stat().st_mode & 0o777 == 0o600, f
    for psk in ("QMP5tKPP5qk95Y1Eee9c_82.MofNUJQV", "tYrysT4iT0.CRwQnhiBbng.BahDc7YPq"):
        assert psk in (out / "bgp-xfrm" / "strongswan" / "secrets.conf").read_text()
        assert psk not in proc.stdout + proc.stderr


def test_additional_key_exchanges_refused_on_5_9(tmp_path):
    proc, _out = render(tmp_path, [{"name": "mlkem-5.9", "connection": "mlkem.json", "dataplane": "xfrm",
                                    "version": "5.9.8"}])
    assert proc.returncode != 0
    assert "need strongSwan 6.0 or later; this host has strongSwan 5.9.8" in proc.stdout


def absent(out, run_dir, cases, check=False):
    """absent.yml (the role's absent path, files only) on OUT; returns the recap's changed count."""
    extra = {"out": str(out), "run_dir": str(run_dir), "cases": cases, "ansible_python_interpreter": sys.executable}
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_PIPELINING="1")
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(HERE / "absent.yml"),
                           "-e", json.dumps(extra)] + (["--check"] if check else []),
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return int(proc.stdout.rsplit("changed=", 1)[1].split()[0]), proc.stdout


def test_absent_removes_every_rendered_file(rendered, tmp_path):
    """The absent path removes every file the present path renders (both data planes, an FRR
    pathspace), and the run directories of the crypto boxes and the pathspace, nothing else;
    check mode removes nothing; a second run changes nothing. On a device:
    tests/integration/test_it_strongswan.py."""
    _proc, rendered_out = rendered
    cases = [c for c in CASES if c["name"] in ("bgp-xfrm", "static-libipsec")]
    out = tmp_path / "out"
    for c in cases:
        shutil.copytree(rendered_out / c["name"], out / c["name"])
    run_dir = tmp_path / "run"
    for name in ("svl-d2t1", "svl-d2t2", "svl-d2", "svl-d3t1"):
        (run_dir / name).mkdir(parents=True)
        (run_dir / name / "charon.log").write_text("")
    before = files(out)
    assert "static-libipsec/strongswan/tunnel1/secrets.conf" in before and "bgp-xfrm/strongswan/xfrm_links.sh" in before

    changed, output = absent(out, run_dir, cases, check=True)
    assert changed > 0 and files(out) == before and (run_dir / "svl-d2t1").is_dir(), output

    changed, output = absent(out, run_dir, cases)
    assert changed > 0 and files(out) == {}, output
    assert sorted(p.name for p in run_dir.iterdir()) == ["svl-d3t1"]

    changed, output = absent(out, run_dir, cases)
    assert changed == 0, output
