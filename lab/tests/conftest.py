"""Fixtures of the lab's own tests: a lab API per test module, reset around each test."""
from __future__ import annotations

import pytest

from lab.api.testing import LabAPI


@pytest.fixture(scope="module")
def api():
    server = LabAPI.start()
    yield server
    server.stop()


@pytest.fixture
def lab(api):  # pylint: disable=redefined-outer-name
    api.reset()
    yield api
    api.reset()
