"""Shared fixtures for tests/unit and tests/integration.

``lab_api`` (session): a lab API server (``lab.api.server.LabServer``) on a free port of
127.0.0.1, as a ``lab.api.testing.LabAPI``: ``.url``, ``.client(service)``, ``.reset()``,
``.requests()``, ``.clear_requests()``, ``.set_faults(dict)``, ``.set_settings(dict)``,
``.telemetry(ip, status)``, ``.sns_messages()``, ``.invocations()``, ``.wait_for(fn)``.
``lab`` (function): the same object, reset (moto state and all lab state) before the test.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def lab_api():
    from lab.api.testing import LabAPI

    api = LabAPI.start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def lab(lab_api):
    lab_api.reset()
    return lab_api
