"""What a Lambda handler thread sees: its own os.environ overlay, boto3 session and captured logs.

``os.environ`` is replaced (on first use) by a mapping that gives each handler thread an overlay
and every other thread the process environment, and ``boto3``'s default session is per handler
thread. Concurrent handlers with different variables therefore do not see each other's values.
``AWS_ENDPOINT_URL`` points back at the running lab API, so boto3 inside a handler talks to the lab.
"""

from __future__ import annotations

import collections.abc
import logging
import os
import threading
from typing import Any

from lab.api.middleware import utc_iso

_endpoint = {"url": None}


def set_endpoint_url(url: str | None) -> None:
    """The URL handlers get as AWS_ENDPOINT_URL (the running lab API)."""
    _endpoint["url"] = url


def endpoint_url() -> str | None:
    return _endpoint["url"]


class _ThreadEnviron(collections.abc.MutableMapping):
    """os.environ for the whole process, with a per-thread overlay for Lambda handlers."""

    _HIDE = object()

    def __init__(self, real: Any) -> None:
        self._real = real
        self._local = threading.local()

    def _overlay(self) -> dict[str, Any] | None:
        return getattr(self._local, "overlay", None)

    def set_overlay(self, overlay: dict[str, Any] | None) -> None:
        self._local.overlay = overlay

    def __getitem__(self, key: str) -> str:
        overlay = self._overlay()
        if overlay is not None and key in overlay:
            value = overlay[key]
            if value is self._HIDE:
                raise KeyError(key)
            return value
        return self._real[key]

    def __setitem__(self, key: str, value: str) -> None:
        overlay = self._overlay()
        if overlay is not None:
            overlay[key] = str(value)
        else:
            self._real[key] = value

    def __delitem__(self, key: str) -> None:
        overlay = self._overlay()
        if overlay is not None:
            if key not in self:
                raise KeyError(key)
            overlay[key] = self._HIDE
        else:
            del self._real[key]

    def _keys(self) -> list[str]:
        overlay = self._overlay()
        keys = list(self._real.keys())
        if overlay is None:
            return keys
        merged = [k for k in keys if k not in overlay]
        merged += [k for k, v in overlay.items() if v is not self._HIDE]
        return merged

    def __iter__(self) -> Any:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def copy(self) -> dict[str, str]:
        return dict(self.items())

    def __repr__(self) -> str:
        return f"environ({self.copy()!r})"


_isolation_lock = threading.Lock()
_environ: _ThreadEnviron | None = None
HANDLER_THREADS: dict[int, list[str]] = {}  # thread ident -> log lines, for every running handler
SESSION_LOCAL = threading.local()


class _HandlerLogCapture(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        lines = HANDLER_THREADS.get(record.thread or 0)
        if lines is not None:
            try:
                lines.append(f"[{record.levelname}]\t{utc_iso(record.created)}\t{self.format(record)}")
            except Exception:
                pass


def install_isolation() -> _ThreadEnviron:
    """Once per process: the per-thread os.environ, boto3 sessions and log capture."""
    global _environ
    with _isolation_lock:
        if _environ is not None:
            return _environ
        if isinstance(os.environ, _ThreadEnviron):
            _environ = os.environ
        else:
            _environ = _ThreadEnviron(os.environ)
            os.environ = _environ  # type: ignore[assignment]
        import boto3

        original = boto3._get_default_session

        def _default_session() -> Any:
            # a handler thread gets its own session, built from its own environment
            if threading.get_ident() in HANDLER_THREADS:
                session = getattr(SESSION_LOCAL, "session", None)
                if session is None:
                    session = _handler_session()
                    SESSION_LOCAL.session = session
                return session
            return original()

        boto3._get_default_session = _default_session
        handler = _HandlerLogCapture()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger().addHandler(handler)
        return _environ


_shared_loader: list[Any] = []


def _handler_session() -> Any:
    """A boto3 session from the handler's environment, sharing one botocore data loader.

    Each handler run builds its clients anew, as a cold Lambda does; without a shared loader
    every run parses the services' JSON models again, which costs seconds of CPU (and the GIL)
    per run on a busy lab.
    """
    import boto3
    import botocore.loaders
    import botocore.session

    with _isolation_lock:
        if not _shared_loader:
            _shared_loader.append(botocore.loaders.create_loader())
    core = botocore.session.Session()
    core.register_component("data_loader", _shared_loader[0])
    return boto3.session.Session(botocore_session=core)


def environment(function: Any, code_dir: str) -> dict[str, Any]:
    """The overlay a handler thread sees: the variables Lambda sets, the function's own, no server AWS_*."""
    real = os.environ._real if isinstance(os.environ, _ThreadEnviron) else os.environ  # type: ignore[attr-defined]
    overlay: dict[str, Any] = {}
    # the server's own AWS settings (profile, endpoints) must not leak into the handler
    for key in list(real.keys()):
        if key.startswith("AWS_"):
            overlay[key] = _ThreadEnviron._HIDE
    region = function.region
    overlay.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": str(getattr(function, "version", "$LATEST")),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(getattr(function, "memory_size", 128)),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{getattr(function, 'run_time', 'python3.11')}",
            "LAMBDA_TASK_ROOT": code_dir,
            "_HANDLER": function.handler or "",
        }
    )
    if endpoint_url():
        overlay["AWS_ENDPOINT_URL"] = endpoint_url()
    for key, value in (getattr(function, "environment_vars", None) or {}).items():
        overlay[key] = str(value)
    return overlay
