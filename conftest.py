"""Test-run layout shared by tests/ and lab/tests (pytest loads this file for both).

``make test`` runs pytest with two xdist workers (``-n 2 --dist loadgroup``). The tests that build
network namespaces and start strongSwan/FRR (the lab's data plane) form one group: one worker runs
them one after another, since the machine runs one lab at a time, while the other worker runs the
unit and lab-API tests beside them. Every other file is a unit of its own too, so that its module
fixtures (a lab API, a built artifact) are set up once, on one worker.
"""
from __future__ import annotations

import pytest

# Files whose tests start the data plane (namespaces, charon, FRR), or a stand-in device namespace.
DATAPLANE_FILES = {
    "lab/tests/test_dataplane.py",
    "lab/tests/test_dataplane_e2e.py",
    "tests/integration/test_it_dataplane_labapi.py",
    "tests/integration/test_it_site.py",
    "tests/integration/test_it_strongswan.py",
    "tests/integration/test_it_eda.py",
    "tests/integration/test_it_molecule.py",
    "tests/unit/eda/test_tunnel_event_role.py",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "dataplane: starts the lab's data plane (run one at a time, one worker)")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups from the marks
def pytest_collection_modifyitems(config, items):
    root = config.rootpath
    for item in items:
        path = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        if path in DATAPLANE_FILES:
            item.add_marker(pytest.mark.dataplane)
            item.add_marker(pytest.mark.xdist_group("dataplane"))
        else:
            item.add_marker(pytest.mark.xdist_group(path or item.nodeid.split("::")[0]))
