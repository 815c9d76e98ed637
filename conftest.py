"""Test-run layout shared by tests/ and lab/tests (pytest loads this file for both).

``make test`` runs pytest with two xdist workers (``-n 2``). The tests that build network namespaces
and start strongSwan/FRR (the lab's data plane) form one unit of work: one worker runs them one after
another, since the machine runs one lab at a time, while the other worker runs the unit and lab-API
tests beside them. Every other file is a unit of its own, so that its module fixtures (a lab API, a
built artifact) are set up once, on one worker; each offline check (tests/static: sanity, lint) is a
unit too, so that the two may end on different workers. xdist hands units out in the order the
workers collected them (the command line's: unit, lab, integration, static).
"""
from __future__ import annotations

import os

import pytest

# Files whose tests start the data plane (namespaces, charon, FRR), or a stand-in device namespace.
DATAPLANE_FILES = frozenset({
    "lab/tests/test_dataplane.py",
    "tests/integration/test_it_site.py",
    "tests/integration/test_it_strongswan.py",
    "tests/integration/test_it_eda.py",
    "tests/integration/test_it_molecule.py",
    "tests/unit/eda/test_tunnel_event_role.py",
})


# the offline checks: a unit per check
STATIC_CHECKS = "tests/static/test_static_checks.py"

# The worker beside the data plane runs its tests at this nice level (as root, under xdist): the data
# plane's tests are the run's critical path and mostly wait on real protocol timers, so the CPU-bound
# tests beside them take the cycles they leave instead of slowing them down.
BESIDE_NICE = 10

# tests of a data-plane file that start no namespace and no daemon: they may run beside the data plane
BESIDE_DATAPLANE = frozenset({"tests/integration/test_it_molecule.py::test_molecule_api_only"})


def unit_of_work(nodeid: str) -> str:
    """The xdist unit a test belongs to: the data plane, or its own file."""
    path = nodeid.split("::", 1)[0]
    if nodeid in BESIDE_DATAPLANE or path == STATIC_CHECKS:
        return nodeid
    return "dataplane" if path in DATAPLANE_FILES else path


def pytest_configure(config):
    # xdist would hand out units by their number of tests (largest first); keep the collection's order
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False
    config.addinivalue_line("markers", "dataplane: starts the lab's data plane (run one at a time, on one worker)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if unit_of_work(item.nodeid) == "dataplane":
            item.add_marker(pytest.mark.dataplane)


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class DataplaneTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return unit_of_work(nodeid)

    return DataplaneTogether(config, log)


def pytest_runtest_setup(item):
    if not os.environ.get("PYTEST_XDIST_WORKER") or os.geteuid() != 0:
        return
    # lowering it again needs root; the calling thread's level, which the test's subprocesses inherit
    os.setpriority(os.PRIO_PROCESS, 0, 0 if item.get_closest_marker("dataplane") else BESIDE_NICE)
