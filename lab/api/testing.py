"""Helpers for tests that run against the lab API (used by tests/conftest.py and lab/tests).

    api = LabAPI.start()          # a LabServer on a free port of 127.0.0.1
    ec2 = api.client("ec2")       # boto3 pointed at it with fake credentials
    api.set_faults({"throttle_rate": 1.0})
    api.requests()["counts"]      # GET /_lab/requests
    api.stop()

A lab API in its own process, as a user starts it (benches, the console script's tests):

    proc, url, line = start_api_process(state_dir, "--settings", '{"time_factor": 120}')
    stop_api_process(proc)
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

from lab import polling

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def free_port() -> int:
    """A TCP port of 127.0.0.1 free right now, for a lab API (or a closed endpoint) a test starts itself."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


API_SCRIPT = Path(sys.executable).parent / "sitevpn-lab-api"


def api_command() -> list[str]:
    """The command that runs the lab API in its own process: this environment's ``sitevpn-lab-api``
    console script, else ``python -m lab.api.cli`` (a checkout whose package is not installed)."""
    return [str(API_SCRIPT)] if API_SCRIPT.exists() else [sys.executable, "-m", "lab.api.cli"]


def start_api_process(state_dir: Any, *options: str, **popen: Any) -> tuple[subprocess.Popen, str, str]:
    """Start the lab API in its own process on a free port of 127.0.0.1 (``--port 0``) with its state
    in ``state_dir``; return the process, its URL and the line it printed once it served
    (``sitevpn-lab-api listening on URL (started in S s)``). ``options`` are more of its options
    (``--settings JSON``), ``popen`` more arguments of subprocess.Popen (``cwd``, ``stderr``).
    A process that prints no such line is killed; RuntimeError says what it printed."""
    command = [*api_command(), "--port", "0", "--state-dir", str(state_dir), *options]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, **popen)  # pylint: disable=consider-using-with
    line = proc.stdout.readline()
    if "listening on " not in line:
        proc.kill()
        errors = proc.stderr.read() if proc.stderr else ""
        proc.wait()
        raise RuntimeError(f"the lab API printed no start line: {line!r} {errors}")
    return proc, line.split("listening on ", 1)[1].split()[0], line


def stop_api_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a lab API that start_api_process started: SIGTERM, SIGKILL after ``timeout`` seconds."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _control(method: str, path: str) -> Callable[..., Any]:
    """A LabAPI method that calls METHOD /_lab/PATH (with PUT, its argument is the new values)."""

    def call(self: "LabAPI", *values: Any) -> Any:
        return self.call(method, path, *values)

    call.__name__ = f"{method.lower()}_{path}"
    return call


class LabAPIError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"lab API answered {status}: {body}")
        self.status = status
        self.body = body


class LabAPI:
    """A running lab API plus small wrappers for its ``/_lab`` routes."""

    def __init__(self, url: str, server: Any = None) -> None:
        self.url = url.rstrip("/")
        self.server = server

    @classmethod
    def start(cls, settings: dict[str, Any] | None = None) -> "LabAPI":
        from .server import LabServer

        server = LabServer(port=0, settings=settings).start()
        return cls(server.url, server)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    # ---- boto3
    def client(self, service: str, region: str = REGION, max_attempts: int | None = None, **kwargs: Any) -> Any:
        """A boto3 client for the lab; ``max_attempts`` is the total number of attempts (1: no retry)."""
        import boto3
        from botocore.config import Config

        config = kwargs.pop("config", None)
        if max_attempts is not None:
            retry = Config(retries={"total_max_attempts": max_attempts, "mode": "standard"})
            config = retry.merge(config) if config else retry
        session = boto3.session.Session(region_name=region, **CREDENTIALS)
        return session.client(service, endpoint_url=self.url, config=config, **kwargs)

    # ---- raw control calls
    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_lab/{path.lstrip('/')}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            payload = exc.read()
            try:
                parsed = json.loads(payload)
            except ValueError:
                parsed = payload.decode("utf-8", "replace")
            raise LabAPIError(exc.code, parsed) from None

    def health(self) -> dict[str, Any]:
        return self.call("GET", "health")

    def reset(self) -> None:
        self.call("POST", "reset")

    # the control resources: read (GET), replace (PUT, the new values), clear (DELETE)
    requests = _control("GET", "requests")
    clear_requests = _control("DELETE", "requests")
    faults = _control("GET", "faults")
    set_faults = _control("PUT", "faults")
    clear_faults = _control("DELETE", "faults")
    settings = _control("GET", "settings")
    set_settings = _control("PUT", "settings")

    def telemetry(self, outside_ip: str, status: str, **extra: Any) -> dict[str, Any]:
        return self.call("POST", "telemetry", {"outside_ip": outside_ip, "status": status, **extra})

    def bgp_routes(self, vpn_connection_id: str, prefixes: list[str]) -> dict[str, Any]:
        return self.call("POST", "bgp-routes", {"vpn_connection_id": vpn_connection_id, "prefixes": prefixes})

    def maintenance(self, outside_ip: str, **fields: Any) -> dict[str, Any]:
        """POST /_lab/maintenance: ``vpn_connection_id``, ``pending`` (true, a text or false), ``auto_applied_after``."""
        return self.call("POST", "maintenance", {"outside_ip": outside_ip, **fields})

    def vpn_connections(self) -> list[dict[str, Any]]:
        return self.call("GET", "vpn-connections")["vpn_connections"]

    def sns_messages(self) -> list[dict[str, Any]]:
        return self.call("GET", "sns-messages")["sns_messages"]

    def invocations(self) -> list[dict[str, Any]]:
        return self.call("GET", "invocations")["invocations"]

    def running_invocations(self) -> int:
        """Asynchronous invocations started and not yet recorded (their writes may still come)."""
        return self.call("GET", "invocations")["running"]

    def evaluate_alarms(self) -> int:
        return self.call("POST", "alarms/evaluate")["changed"]

    @staticmethod
    def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
        """Poll until ``predicate()`` is truthy and return it; AssertionError on timeout."""
        return polling.wait_for(predicate, timeout, interval, lambda: AssertionError(f"condition not met within {timeout} s"))
