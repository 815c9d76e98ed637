"""Run ``ansible-test sanity`` on this checkout, offline, from a throw-away collection tree.

ansible-test wants to run from ``.../ansible_collections/<namespace>/<name>`` and replaces
ANSIBLE_COLLECTIONS_PATH with that tree's root, so this script builds one under ``build/``:

    build/collections/ansible_collections/sitevpn/aws        -> the checkout
    build/collections/ansible_collections/<ns>/<name>        -> the venv's copy of each collection
                                                                in requirements.yml / galaxy.yml

Only the collections we declare are linked, so a plugin that imports an undeclared collection
fails the import test here instead of on a user's machine.

HOME points to ``build/home``: ansible-test keeps its per-test venvs and its pip bootstrap cache
under ``~/.ansible/test``, so CI starts clean and ``make clean`` removes everything. The pip
bootstrap script ansible-test would download (its file server is unreachable offline) is replaced by
a small one that runs ``ensurepip`` and then ``pip install`` from the configured package index.

Usage: scripts/sanity.py [ansible-test sanity options...]   e.g. ``--test pylint`` or ``-v``.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
COLLECTIONS = BUILD / "collections" / "ansible_collections"
HOME = BUILD / "home"
# ansible-test's venvs sit at ~/.ansible/test/venv/sanity.<test>/<X.Y>/<hash>/bin/python; it keeps
# that path short for old kernels' 127-byte shebang limit. A checkout that deep gets a short HOME.
if len(str(HOME)) + 80 > 127:
    HOME = Path(tempfile.gettempdir()) / f"sitevpn-sanity-{hashlib.sha256(bytes(ROOT)).hexdigest()[:8]}"

# Sanity tests that cannot run offline: none so far. Every entry needs a reason here and in the
# README's development section; they are skipped explicitly, never silently.
OFFLINE_SKIPS: dict[str, str] = {}

GET_PIP = '''\
"""Stand-in for ansible-test's downloaded get-pip script (written by scripts/sanity.py).

ansible-test runs it inside a fresh venv that has no pip, with get-pip's arguments.
"""
import subprocess
import sys

# get-pip options that "pip install" does not know.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"],
                      stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "-q"] + args))
'''


def galaxy_name() -> tuple[str, str]:
    meta = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    return meta["namespace"], meta["name"]


def dependencies() -> list[str]:
    """Collections the checkout declares (requirements.yml and galaxy.yml), as 'ns.name'."""
    names = set(yaml.safe_load((ROOT / "galaxy.yml").read_text()).get("dependencies") or {})
    req = ROOT / "requirements.yml"
    if req.exists():
        for entry in yaml.safe_load(req.read_text()).get("collections") or []:
            names.add(entry["name"] if isinstance(entry, dict) else entry)
    return sorted(names)


def relink(link: Path, target: Path) -> None:
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.exists():
        shutil.rmtree(link)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target, target_is_directory=True)


def build_tree() -> Path:
    namespace, name = galaxy_name()
    site = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"
    wanted = {(namespace, name): ROOT}
    for dep in dependencies():
        ns, coll = dep.split(".", 1)
        source = site / ns / coll
        if not (source / "MANIFEST.json").exists():
            sys.exit(f"sanity: dependency {dep} is not installed in the venv ({source}); run make venv")
        wanted[(ns, coll)] = source
    # Drop links from earlier runs that are no longer declared.
    if COLLECTIONS.exists():
        for link in COLLECTIONS.glob("*/*"):
            if (link.parent.name, link.name) not in wanted:
                link.unlink() if link.is_symlink() else shutil.rmtree(link)
    for (ns, coll), source in wanted.items():
        relink(COLLECTIONS / ns / coll, source)
    return COLLECTIONS / namespace / name


def pip_bootstrap(python_version: str) -> None:
    """Put our get-pip stand-in where ansible-test looks before it downloads one."""
    from ansible_test._internal.python_requirements import get_venv_packages

    pip_version = get_venv_packages(SimpleNamespace(version=python_version))["pip"]
    cache = HOME / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    script = cache / f"get_pip_{pip_version.replace('.', '_')}.py"
    if not script.exists() or script.read_text() != GET_PIP:
        script.write_text(GET_PIP)


def main(argv: list[str]) -> int:
    python_version = f"{sys.version_info.major}.{sys.version_info.minor}"
    content_root = build_tree()
    pip_bootstrap(python_version)

    env = dict(os.environ)
    env["HOME"] = str(HOME)
    # The link's path is the content root; os.getcwd() would resolve it to the checkout.
    env["ANSIBLE_TEST_CONTENT_ROOT"] = str(content_root)
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    env.pop("ANSIBLE_CONFIG", None)  # the project's ansible.cfg is for playbooks, not for sanity

    cmd = [str(Path(sys.executable).parent / "ansible-test"), "sanity", "--local",
           "--python", python_version, "--color", "no"]
    for test, why in OFFLINE_SKIPS.items():
        print(f"sanity: skipping {test}: {why}")
        cmd += ["--skip-test", test]
    cmd += argv

    print("sanity:", " ".join(cmd), flush=True)
    started = time.monotonic()
    rc = subprocess.call(cmd, cwd=content_root, env=env)
    print(f"sanity: {'passed' if rc == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
