"""The collection as AWX and Galaxy users get it: built, installed, then used (issue 22).

``ansible-galaxy collection build`` makes the artifact; it must hold the product and nothing of the
lab, the tests or the benchmarks. It is installed offline into a temporary collections path (its
dependencies are the ones the ``ansible`` package already installed), and with only that path,
as a user without root: ``ansible-doc`` renders every module and ``sitevpn.aws.provision`` builds
the AWS side of two sites against a lab API that the same user started (api_only).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from lab.api.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
# Collections the artifact's playbooks and modules use, as the ansible package installed them.
DEPENDENCIES = ["amazon/aws", "community/aws", "ansible/utils", "ansible/netcommon"]
# Repository-only paths (galaxy.yml build_ignore): none of them may be in the artifact.
NOT_SHIPPED = ("lab/", "roles/lab/", "inventories/lab/", "bench/", "tests/", ".ci/", "scripts/",
               "extensions/molecule/", ".venv/", "build/", "reports/")
# What a user needs from it.
SHIPPED = ("MANIFEST.json", "FILES.json", "meta/runtime.yml", "plugins/modules/vpn_connection.py",
           "plugins/module_utils/tunnel_options.py", "roles/aws_vpn/tasks/main.yml", "playbooks/provision.yml",
           "playbooks/site.yml", "requirements.yml")
INVENTORY = """\
sites:
  hosts:
    branch-a:
      sitevpn_cgw_ip: 198.51.100.10
      sitevpn_bgp_asn: 65010
      sitevpn_prefixes: [172.20.0.0/16]
    branch-b:
      sitevpn_cgw_ip: 198.51.100.20
      sitevpn_bgp_asn: 65011
      sitevpn_static_routes_only: true
      sitevpn_prefixes: [172.21.0.0/16]
  vars:
    sitevpn_aws_endpoint_url: {url}
    sitevpn_aws_region: us-east-1
    sitevpn_aws_access_key: testing
    sitevpn_aws_secret_key: testing
    sitevpn_aws_wait_timeout: 60
    sitevpn_vpc_cidr: 10.20.0.0/16
"""


def _as_user() -> list[str]:
    """Run as a user without root. As root: uid/gid nobody, no capability but reading files (the
    checkout and its venv may sit under a directory only root can enter, e.g. /root)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is needed to drop root for this test")
    cap = "-all,+dac_read_search"
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
            f"--inh-caps={cap}", f"--ambient-caps={cap}", f"--bounding-set={cap}", "--"]


@pytest.fixture(scope="module")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="sitevpn-artifact-"))
    path.chmod(0o755)
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def artifact(workdir):
    out = workdir / "dist"
    out.mkdir()
    proc = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tarballs = list(out.glob("sitevpn-aws-*.tar.gz"))
    assert len(tarballs) == 1, tarballs
    return tarballs[0]


def test_artifact_holds_the_product_and_no_lab_test_or_bench_code(artifact):
    with tarfile.open(artifact) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    leaked = sorted(n for n in names if n.startswith(NOT_SHIPPED) or "__pycache__" in n or n.endswith(".pyc"))
    assert not leaked, f"repository-only files in the artifact: {leaked[:20]}"
    missing = [n for n in SHIPPED if n not in names]
    assert not missing, f"the artifact lacks {missing}"
    # nor the emulator under another name: no shipped Python imports the lab or moto
    with tarfile.open(artifact) as tar:
        sources = {n: tar.extractfile(n).read().decode() for n in names if n.endswith(".py")}
    importers = sorted(n for n, text in sources.items() if "import moto" in text or "from moto" in text or "from lab." in text)
    assert not importers, importers
    size = artifact.stat().st_size
    print(f"artifact {artifact.name}: {size} bytes, {len(names)} files")
    (ROOT / "build").mkdir(exist_ok=True)
    (ROOT / "build" / "artifact.json").write_text(json.dumps({"name": artifact.name, "bytes": size, "files": len(names)}))


@pytest.fixture(scope="module")
def installed(workdir, artifact):
    """The artifact installed offline into WORKDIR/collections, the dependencies beside it."""
    colls = workdir / "collections"
    for dep in DEPENDENCIES:  # only these, not the checkout the venv links as sitevpn.aws
        link = colls / "ansible_collections" / dep
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(SITE_PACKAGES / "ansible_collections" / dep)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(colls), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    env.pop("ANSIBLE_CONFIG", None)
    proc = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "-p", str(colls), str(artifact)],
                          capture_output=True, text=True, timeout=300, check=False, env=env, cwd=workdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    target = colls / "ansible_collections" / "sitevpn" / "aws"
    assert (target / "MANIFEST.json").is_file() and not target.is_symlink(), proc.stdout + proc.stderr
    (workdir / "home").mkdir(exist_ok=True)
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for path in [workdir, *workdir.rglob("*")]:
            os.lchown(path, nobody.pw_uid, nobody.pw_gid)
    return colls


def _user_env(workdir, colls):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "PYTEST_"))}
    env.update(HOME=str(workdir / "home"), ANSIBLE_COLLECTIONS_PATH=str(colls), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(workdir / "home" / ".ansible" / "tmp"),
               ANSIBLE_REMOTE_TEMP=str(workdir / "home" / ".ansible" / "tmp"),
               ANSIBLE_HOST_KEY_CHECKING="false", ANSIBLE_RETRY_FILES_ENABLED="false", PATH=f"{BIN}:{env.get('PATH', '')}")
    return env


def test_ansible_doc_renders_every_module_of_the_installed_collection(workdir, installed):
    env = _user_env(workdir, installed)
    listing = subprocess.run([*_as_user(), str(BIN / "ansible-doc"), "-t", "module", "-l", "sitevpn.aws", "-j"],
                             capture_output=True, text=True, timeout=300, check=False, env=env, cwd=workdir)
    assert listing.returncode == 0, listing.stdout + listing.stderr
    modules = sorted(json.loads(listing.stdout))
    expected = sorted(f"sitevpn.aws.{p.stem}" for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    assert modules == expected
    proc = subprocess.run([*_as_user(), str(BIN / "ansible-doc"), "-t", "module", "-j", *modules],
                          capture_output=True, text=True, timeout=300, check=False, env=env, cwd=workdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    docs = json.loads(proc.stdout)
    for name in modules:
        doc = docs[name]["doc"]
        assert doc["short_description"] and doc["options"], name
        # rendered from the installed copy, not from the checkout
        assert str(installed) in doc["filename"], (name, doc["filename"])


@pytest.fixture
def user_lab_api(workdir, installed):
    """The lab API started by the unprivileged user (api_only needs no root)."""
    port = free_port()
    log = open(workdir / "lab-api.log", "w", encoding="utf-8")  # pylint: disable=consider-using-with
    proc = subprocess.Popen([*_as_user(), str(BIN / "sitevpn-lab-api"), "--port", str(port)],  # pylint: disable=consider-using-with
                            stdout=log, stderr=subprocess.STDOUT, env=_user_env(workdir, installed), cwd=workdir)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_lab/health", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the lab API did not answer on {url}: {(workdir / 'lab-api.log').read_text()[-2000:]}")
            time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def test_installed_provision_playbook_builds_two_sites_without_root(workdir, installed, user_lab_api):
    inventory = workdir / "inventory.yml"
    inventory.write_text(INVENTORY.format(url=user_lab_api))
    env = _user_env(workdir, installed)

    def provision():
        return subprocess.run([*_as_user(), str(BIN / "ansible-playbook"), "-i", str(inventory), "sitevpn.aws.provision"],
                              capture_output=True, text=True, timeout=600, check=False, env=env, cwd=workdir)

    first = provision()
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert "branch-a" in first.stdout and "failed=0" in first.stdout
    from lab.api.testing import LabAPI  # the lab's own client, reading what the user's run built

    ec2 = LabAPI(user_lab_api).client("ec2")
    # a connection is pending for a moment after its create (the lab's state delay): both count
    conns = [c for c in ec2.describe_vpn_connections()["VpnConnections"] if c["State"] in ("pending", "available")]
    cgws = {c["CustomerGatewayId"]: c for c in ec2.describe_customer_gateways()["CustomerGateways"]}
    assert sorted(cgws[c["CustomerGatewayId"]]["IpAddress"] for c in conns) == ["198.51.100.10", "198.51.100.20"]
    static = {cgws[c["CustomerGatewayId"]]["IpAddress"]: c["Options"].get("StaticRoutesOnly") for c in conns}
    assert static == {"198.51.100.10": False, "198.51.100.20": True}
    second = provision()
    assert second.returncode == 0, second.stdout[-4000:]
    assert "changed=0" in second.stdout and "changed=1" not in second.stdout, second.stdout[-3000:]
