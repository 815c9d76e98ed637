"""Test-run layout shared by tests/ and lab/tests (pytest loads this file for both).

``make test`` runs pytest with three xdist workers (``-n 3``). The tests that build network namespaces
and start strongSwan/FRR (the lab's data plane) form one unit of work: one worker runs them one after
another, since the machine runs one lab at a time, while the other workers run the unit and lab-API
tests beside them. Every other file is a unit of its own, so that its module fixtures (a lab API, a
built artifact) are set up once, on one worker. The offline checks (tests/static: sanity, lint) come
last, so that the workers beside the data plane run them when their own tests are done.

The data-plane unit is the run's critical path: as root, its worker keeps the normal CPU priority and
the workers beside it run at a lower one (``BESIDE_NICE``), filling the CPU it leaves idle.
"""
from __future__ import annotations

import os

import pytest

# Files whose tests start the data plane (namespaces, charon, FRR), or a stand-in device namespace.
DATAPLANE_FILES = frozenset({
    "lab/tests/test_dataplane.py",
    "lab/tests/test_dataplane_e2e.py",
    "tests/integration/test_it_dataplane_labapi.py",
    "tests/integration/test_it_site.py",
    "tests/integration/test_it_strongswan.py",
    "tests/integration/test_it_eda.py",
    "tests/integration/test_it_molecule.py",
    "tests/unit/eda/test_tunnel_event_role.py",
})


# the offline checks: the last unit handed out
STATIC_CHECKS = "tests/static/test_static_checks.py"

# the nice value of the tests beside the data plane (and of what they start), under xdist as root
BESIDE_NICE = 5

# tests of a data-plane file that start no namespace and no daemon: they may run beside the data plane
BESIDE_DATAPLANE = frozenset({"tests/integration/test_it_molecule.py::test_molecule_api_only"})


def unit_of_work(nodeid: str) -> str:
    """The xdist unit a test belongs to: the data plane, or its own file."""
    if nodeid in BESIDE_DATAPLANE:
        return nodeid
    path = nodeid.split("::", 1)[0]
    return "dataplane" if path in DATAPLANE_FILES else path


def pytest_configure(config):
    # xdist would hand out units by their number of tests (largest first); keep the order set below
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False
    config.addinivalue_line("markers", "dataplane: starts the lab's data plane (run one at a time, on one worker)")


def pytest_collection_modifyitems(config, items):
    dataplane = [item for item in items if unit_of_work(item.nodeid) == "dataplane"]
    for item in dataplane:
        item.add_marker(pytest.mark.dataplane)
    # the longest unit first, so that one worker starts on it at once (xdist hands out units in order),
    # the offline checks last
    if getattr(config.option, "numprocesses", None):
        first = {id(item) for item in dataplane}
        last = [item for item in items if unit_of_work(item.nodeid) == STATIC_CHECKS]
        items[:] = dataplane + [item for item in items if id(item) not in first and item not in last] + last


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # before the test's fixtures, so that the lab processes they start inherit its priority
    if os.environ.get("PYTEST_XDIST_WORKER") and os.geteuid() == 0:
        nice = 0 if item.get_closest_marker("dataplane") else BESIDE_NICE
        if os.getpriority(os.PRIO_PROCESS, 0) != nice:
            os.setpriority(os.PRIO_PROCESS, 0, nice)


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class DataplaneTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return unit_of_work(nodeid)

    return DataplaneTogether(config, log)
