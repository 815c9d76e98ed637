"""Lambda functions run in this process instead of docker (moto's default).

The zip is extracted to a temp dir once per code digest, the handler module imported fresh, and
``handler(event, context)`` called in its own thread with the function's environment
(handler_env.py). Its output (START, the handler's prints and log records, END, REPORT) goes to
the CloudWatch Logs group ``/aws/lambda/<function>``, one stream per invocation, as in AWS, and
each invocation is recorded (records.py).
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from typing import Any

from lab.api.middleware import utc_iso
from lab.api.notify import handler_env, records

log = logging.getLogger(__name__)

_code_lock = threading.Lock()
_code_root: str | None = None


def _code_dir(function: Any) -> str:
    """Extract the function's zip once per code digest."""
    global _code_root
    with _code_lock:
        if _code_root is None:
            _code_root = tempfile.mkdtemp(prefix="sitevpn-lab-lambda-")
            atexit.register(shutil.rmtree, _code_root, True)
        code = getattr(function, "code_bytes", b"") or b""
        digest = getattr(function, "code_sha_256", None) or hashlib.sha256(code).hexdigest()
        target = os.path.join(_code_root, hashlib.sha256(f"{function.function_arn}:{digest}".encode()).hexdigest()[:24])
        if not os.path.isdir(target):
            tmp = tempfile.mkdtemp(dir=_code_root)
            with zipfile.ZipFile(io.BytesIO(code)) as archive:
                archive.extractall(tmp)
            os.replace(tmp, target)
        return target


class LambdaContext:
    def __init__(self, function: Any, request_id: str, deadline: float) -> None:
        self.function_name = function.function_name
        self.function_version = str(getattr(function, "version", "$LATEST"))
        self.invoked_function_arn = function.function_arn
        self.memory_limit_in_mb = int(getattr(function, "memory_size", 128) or 128)
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function.function_name}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[{self.function_version}]{request_id.replace('-', '')}"
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


_import_lock = threading.Lock()


def _load_handler(function: Any, code_dir: str, lines: list[str]) -> Any:
    handler = function.handler or ""
    if "." not in handler:
        raise ValueError(f"Bad handler '{handler}': expected module.function")
    module_path, func_name = handler.rsplit(".", 1)
    # as the Python runtime does: "dir/mod.fn" and "dir.mod.fn" both name dir/mod.py
    relative = module_path.replace("/", ".").replace(".", os.sep)
    file = os.path.join(code_dir, relative + ".py")
    if not os.path.isfile(file):
        file = os.path.join(code_dir, relative, "__init__.py")
    if not os.path.isfile(file):
        raise ImportError(f"Unable to import module '{module_path}': No module named '{module_path}'")
    unique = f"_sitevpn_lab_lambda_{uuid.uuid4().hex}"

    def _print(*args: Any, sep: str = " ", end: str = "\n", file: Any = None, flush: bool = False) -> None:
        if file not in (None, sys.stdout, sys.stderr):
            print(*args, sep=sep, end=end, file=file, flush=flush)
            return
        lines.append(sep.join(str(a) for a in args) + ("" if end == "\n" else end))

    with _import_lock:
        # sibling modules of the handler are imported fresh as well
        sys.path.insert(0, code_dir)
        before = set(sys.modules)
        try:
            spec = importlib.util.spec_from_file_location(unique, file)
            module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
            module.__dict__["print"] = _print
            sys.modules[unique] = module
            spec.loader.exec_module(module)  # type: ignore[union-attr]
        finally:
            sys.path.remove(code_dir)
            for name in set(sys.modules) - before:
                mod_file = getattr(sys.modules.get(name), "__file__", None) or ""
                if name == unique or mod_file.startswith(code_dir):
                    sys.modules.pop(name, None)
    func = getattr(module, func_name, None)
    if not callable(func):
        raise AttributeError(f"Handler '{func_name}' missing on module '{module_path}'")
    return func


def run_handler(function: Any, event: Any, source: str = "invoke") -> tuple[str, bool, str]:
    """Run ``function``'s handler on ``event``; returns (payload JSON, errored, logs) as moto expects."""
    environ = handler_env.install_isolation()
    request_id = str(uuid.uuid4())
    timeout = float(getattr(function, "timeout", 3) or 3)
    started = time.time()
    lines: list[str] = [f"START RequestId: {request_id} Version: {getattr(function, 'version', '$LATEST')}"]
    outcome: dict[str, Any] = {}

    def _target() -> None:
        ident = threading.get_ident()
        handler_env.HANDLER_THREADS[ident] = lines
        try:
            runtime = str(getattr(function, "run_time", "") or "")
            if getattr(function, "package_type", "Zip") != "Zip" or not runtime.startswith("python"):
                raise RuntimeError(f"the lab runs only Python zip functions in-process, not {runtime or 'images'}")
            code_dir = _code_dir(function)
            environ.set_overlay(handler_env.environment(function, code_dir))
            func = _load_handler(function, code_dir, lines)
            context = LambdaContext(function, request_id, time.monotonic() + timeout)
            outcome["result"] = func(event, context)
        except BaseException as exc:  # the handler's failure is the invocation's result
            outcome["error"] = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "requestId": request_id,
                "stackTrace": traceback.format_tb(exc.__traceback__)[1:],
            }
            lines.append(f"[ERROR] {type(exc).__name__}: {exc}")
        finally:
            environ.set_overlay(None)
            handler_env.SESSION_LOCAL.session = None
            handler_env.HANDLER_THREADS.pop(ident, None)

    thread = threading.Thread(target=_target, name=f"lambda-{function.function_name}", daemon=True)
    thread.start()
    thread.join(timeout)
    duration_ms = round((time.time() - started) * 1000, 2)
    if thread.is_alive():
        outcome = {
            "error": {
                "errorMessage": f"{utc_iso()} {request_id} Task timed out after {timeout:.2f} seconds",
                "errorType": "Sandbox.Timedout",
            }
        }
    error = outcome.get("error")
    result = outcome.get("result")
    payload = None
    if error is None:
        try:
            payload = json.dumps(result)
        except (TypeError, ValueError) as exc:
            error = {"errorMessage": f"Unable to marshal response: {exc}", "errorType": "Runtime.MarshalError"}
    if error is not None:
        payload = json.dumps(error)
        result = None
    lines.append(f"END RequestId: {request_id}")
    lines.append(
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Memory Size: {getattr(function, 'memory_size', 128)} MB"
    )
    logs = "\n".join(lines)
    try:
        # as Lambda does (its role may logs:CreateLogGroup): the group appears with the first run;
        # moto's save_logs alone fails on a missing group
        function.logs_backend.ensure_log_group(function.logs_group_name)
        function.save_logs(logs)
    except Exception:
        log.exception("lab: writing the logs of %s failed", function.function_name)
    records.record_invocation(
        {
            "function_name": function.function_name,
            "function_arn": function.function_arn,
            "request_id": request_id,
            "event": records.jsonable(event),
            "result": records.jsonable(result),
            "error": error,
            "logs": logs,
            "time": utc_iso(started),
            "duration_ms": duration_ms,
            "source": source,
        },
    )
    return payload or "null", error is not None, logs
