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
def lab(api, request):  # pylint: disable=redefined-outer-name
    """The lab, reset; with the test module's ``LAB_SETTINGS`` (e.g. resources ready at once) when it has them."""
    api.reset()
    settings = getattr(request.module, "LAB_SETTINGS", None)
    if settings:
        api.set_settings(settings)
    yield api
    api.reset()
