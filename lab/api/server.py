"""The lab API server: moto in server mode plus the lab's extensions, on 127.0.0.1 only.

    with LabServer(port=0) as server:      # port 0: a free port
        boto3.client("ec2", endpoint_url=server.url, ...)

The WSGI stack is built here rather than by moto's ThreadedMotoServer (which has no hook):
moto's DomainDispatcherApplication (each backend app gets an error handler that turns
NotImplementedError into an AWS-shaped 400), wrapped by the lab middleware (request log,
faults), with the ``/_lab`` control app mounted beside it, served by werkzeug's threaded
server. moto keeps its state per process, so several servers in one process share it.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from typing import Any

from flask import Response
from flask import request as flask_request
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

from . import cloudwatch, notify
from . import settings as lab_settings
from . import patches
from .control import create_control_app
from .middleware import Faults, LabMiddleware, RequestLog, internal_error_response, not_implemented_response
from .state import API_NAME, StateDir

log = logging.getLogger(__name__)

_running_urls: list[str] = []
_running_lock = threading.Lock()


def install() -> None:
    """Apply every moto patch once per process, before the first request (lab/api/patches.py)."""
    patches.install()


def _not_implemented(exc: NotImplementedError) -> Response:
    body, status, headers = not_implemented_response(flask_request.environ, exc)
    return Response(body, status=status, headers=headers)


def _internal_error(exc: Exception) -> Any:
    """Anything else moto raises: AWS's 500 InternalError in the service's protocol, never HTML."""
    if isinstance(exc, HTTPException):
        return exc
    log.exception("lab: request failed inside moto")
    body, status, headers = internal_error_response(flask_request.environ, exc)
    return Response(body, status=status, headers=headers)


def create_lab_backend_app(service: Any) -> Any:
    app = create_backend_app(service)
    app.register_error_handler(NotImplementedError, _not_implemented)
    app.register_error_handler(Exception, _internal_error)
    return app


class _QuietHandler(MotoRequestHandler):
    verbose = False

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        if self.verbose:
            super().log_request(*args, **kwargs)


class _VerboseHandler(_QuietHandler):
    verbose = True


def _check_loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the lab API binds to a loopback address only, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"the lab API binds to a loopback address only, not {host}")
    return host


def _signed_headers(service: str) -> dict[str, str]:
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0"
    }


class LabServer:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        settings: dict[str, Any] | None = None,
        state_dir: str | None = None,
        verbose: bool = False,
        warm_up: bool = True,
    ) -> None:
        self.host = _check_loopback(host)
        self.port = port
        self.settings = lab_settings.validate(settings or {})
        self.state_dir = StateDir(state_dir) if state_dir else None
        self.verbose = verbose
        self.warm_up = warm_up
        self.log = RequestLog()
        self.faults = Faults()
        self.dispatcher: DomainDispatcherApplication | None = None
        self.app: Any = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.started_in_s: float | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def build_app(self) -> Any:
        install()
        self.dispatcher = DomainDispatcherApplication(create_lab_backend_app)
        moto_app = LabMiddleware(self.dispatcher, self.log, self.faults)
        return DispatcherMiddleware(moto_app, {"/_lab": create_control_app(self.log, self.faults)})

    def _warm_up(self) -> None:
        """Create the EC2 and CloudWatch apps and backends now (the first EC2 call costs ~0.4 s)."""
        calls = [
            ("ec2", {"data": "Action=DescribeVpnConnections&Version=2016-11-15",
                     "content_type": "application/x-www-form-urlencoded"}),
            ("monitoring", {"data": "{}", "content_type": "application/x-amz-json-1.0",
                            "headers": {"X-Amz-Target": "GraniteServiceVersion20100801.DescribeAlarms"}}),
        ]
        for service, spec in calls:
            headers = _signed_headers(service)
            headers.update(spec.pop("headers", {}))
            environ = EnvironBuilder(method="POST", path="/", headers=headers, **spec).get_environ()
            app_iter, status = run_wsgi_app(self.dispatcher, environ)[:2]
            b"".join(app_iter)
            if not status.startswith("200"):
                log.warning("lab: warm-up call to %s answered %s", service, status)

    def start(self) -> "LabServer":
        started = time.monotonic()
        if self.settings:
            lab_settings.SETTINGS.set_base(self.settings)
        self.app = self.build_app()
        handler = _VerboseHandler if self.verbose else _QuietHandler
        self._server = make_server(self.host, self.port, self.app, threaded=True, request_handler=handler)
        self.port = self._server.server_address[1]
        if self.warm_up:
            self._warm_up()
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"lab-api-{self.port}", daemon=True)
        self._thread.start()
        with _running_lock:
            _running_urls.append(self.url)
            notify.set_endpoint_url(self.url)
        cloudwatch.EVALUATOR.start()
        if self.state_dir is not None:
            import os

            self.state_dir.record_process(API_NAME, os.getpid(), url=self.url, host=self.host, port=self.port)
        self.started_in_s = time.monotonic() - started
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)
        self._server = None
        cloudwatch.EVALUATOR.stop()
        with _running_lock:
            if self.url in _running_urls:
                _running_urls.remove(self.url)
            notify.set_endpoint_url(_running_urls[-1] if _running_urls else None)
        if self.state_dir is not None:
            import os

            self.state_dir.forget_process(API_NAME, pid=os.getpid())

    def serve_forever(self, stop_event: threading.Event) -> None:
        """Block until ``stop_event`` is set (the CLI sets it on SIGTERM/SIGINT), then stop."""
        try:
            while not stop_event.wait(0.5):
                pass
        finally:
            self.stop()

    def __enter__(self) -> "LabServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
