"""The execution environment and the decision environment: `ansible-builder create`, offline.

Builds each build context into a temporary directory (no container runtime, no network) and
checks that it carries our requirements, pinned as in requirements*.txt; checks bindep.txt's
profiles per platform.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EE_FILE = ROOT / "execution-environment.yml"
DE_FILE = ROOT / "extensions" / "eda" / "decision-environment.yml"


def _ansible_builder():
    here = Path(sys.executable).parent / "ansible-builder"
    if here.exists():
        return str(here)
    return shutil.which("ansible-builder")


BUILDER = _ansible_builder()
needs_builder = pytest.mark.skipif(BUILDER is None, reason="ansible-builder is not installed (pip install ansible-builder)")


def _pins(path):
    """{name: 'name==version'} of a pip requirements file (extras dropped from the name)."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name = re.split(r"[\[=]", line, maxsplit=1)[0].strip().lower()
            pins[name] = line
    return pins


def _create(definition, context):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run(
        [BUILDER, "create", "-f", str(definition), "-c", str(context), "--output-filename", "Containerfile", "-v", "1"],
        cwd=str(context.parent), env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return (context / "Containerfile").read_text()


def test_ee_definition_pins_match_requirements():
    ee = yaml.safe_load(EE_FILE.read_text())
    pins = _pins(ROOT / "requirements.txt")
    assert ee["version"] == 3
    deps = ee["dependencies"]
    assert deps["ansible_core"]["package_pip"] == pins["ansible-core"]
    assert (deps["galaxy"], deps["python"], deps["system"]) == ("requirements.yml", "requirements.txt", "bindep.txt")


@needs_builder
def test_ee_build_context_has_our_requirements(tmp_path):
    containerfile = _create(EE_FILE, tmp_path / "ee")
    build = tmp_path / "ee" / "_build"
    for name in ("requirements.yml", "requirements.txt", "bindep.txt"):
        assert (build / name).read_text() == (ROOT / name).read_text(), name
    pins = _pins(ROOT / "requirements.txt")
    assert f'ANSIBLE_INSTALL_REFS="{pins["ansible-core"]} ansible-runner==' in containerfile
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "introspect --user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile
    collections = {c["name"]: c["version"] for c in yaml.safe_load((build / "requirements.yml").read_text())["collections"]}
    assert collections["amazon.aws"].startswith("10.")
    assert "boto3==" in (build / "requirements.txt").read_text()


@needs_builder
def test_de_build_context_has_rulebook_requirements(tmp_path):
    containerfile = _create(DE_FILE, tmp_path / "de")
    build = tmp_path / "de" / "_build"
    python = set((build / "requirements.txt").read_text().split())
    dev_pins = _pins(ROOT / "requirements-dev.txt")
    pins = _pins(ROOT / "requirements.txt")
    # the same versions as the venv that runs the rulebook in `make eda`
    assert {dev_pins["ansible-rulebook"], pins["boto3"], pins["botocore"]} <= python
    assert (build / "requirements.yml").read_text() == (ROOT / "requirements.yml").read_text()
    system = (build / "bindep.txt").read_text()
    assert "java-21-openjdk-headless [platform:rpm]" in system
    assert "default-jre-headless [platform:dpkg]" in system
    assert f'ANSIBLE_INSTALL_REFS="{pins["ansible-core"]} ansible-runner==' in containerfile


def _bindep(profiles):
    depends = pytest.importorskip("bindep.depends", reason="bindep (an ansible-builder dependency) is not installed")
    rules = depends.Depends((ROOT / "bindep.txt").read_text()).active_rules(profiles + ["default"])
    return {rule[0] for rule in rules}


def test_bindep_profiles():
    ee_deb = _bindep(["platform:dpkg", "platform:debian"])
    assert {"python3", "openssh-client", "iproute2"} <= ee_deb
    # the EE runs no VPN daemon: strongSwan and FRR belong to the device and lab profiles
    assert not {"strongswan-swanctl", "frr", "nftables", "gcc"} & ee_deb
    device_rpm = _bindep(["platform:rpm", "platform:fedora", "device"])
    assert {"strongswan", "frr", "nftables", "iproute", "python3"} <= device_rpm
    assert "strongswan-swanctl" not in device_rpm
    lab_deb = _bindep(["platform:dpkg", "platform:debian", "lab"])
    assert {"strongswan-swanctl", "strongswan-charon", "libcharon-extra-plugins", "frr", "nftables", "iputils-ping"} <= lab_deb
    assert {"gcc", "libxml2-devel", "python3-devel"} <= _bindep(["platform:rpm", "compile"])


def test_bindep_lab_profile_covers_makefile_debs():
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^DEB_PACKAGES := ((?:.*\\\n)*.*)$", makefile, re.M)
    if not match:
        pytest.skip("Makefile has no DEB_PACKAGES list")
    debs = set(match.group(1).replace("\\\n", " ").split())
    # the Java runtime is the decision environment's (ansible-rulebook), not the lab's
    debs.discard("default-jre-headless")
    assert debs <= _bindep(["platform:dpkg", "platform:debian", "lab", "test"])
