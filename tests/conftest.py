"""Shared fixtures for tests/unit and tests/integration.

``lab_api`` (session): a lab API server (``lab.api.server.LabServer``) on a free port of
127.0.0.1, as a ``lab.api.testing.LabAPI``: ``.url``, ``.client(service)``, ``.reset()``,
``.requests()``, ``.clear_requests()``, ``.set_faults(dict)``, ``.set_settings(dict)``,
``.telemetry(ip, status)``, ``.sns_messages()``, ``.invocations()``, ``.wait_for(fn)``.
``lab`` (function): the same object, reset (moto state and all lab state) before the test.
``tunnel_device`` (function, needs root): ``tunnel_device(plan)`` makes a device namespace.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid

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


@pytest.fixture
def tunnel_device():
    """``make(plan)``: a network namespace holding, per tunnel of the plan, ``vti<N>`` (a veth) with
    the tunnel's local inside address, as roles/strongswan leaves a Linux device; its name. Every
    namespace made is deleted after the test."""
    made = []

    def make(plan):
        name = f"svlx{uuid.uuid4().hex[:6]}"
        subprocess.run(["ip", "netns", "add", name], check=True)
        made.append(name)
        for n, tunnel in enumerate(plan["tunnels"], 1):
            for cmd in (f"link add vti{n} type veth peer name p{n}", f"link set p{n} up",
                        f"addr add {tunnel['local_inside_ip']}/30 dev vti{n}", f"link set vti{n} up"):
                subprocess.run(["ip", "-n", name, *cmd.split()], check=True)
        return name

    yield make
    for name in made:
        subprocess.run(["ip", "netns", "delete", name], check=False)
        shutil.rmtree(f"/etc/netns/{name}", ignore_errors=True)
