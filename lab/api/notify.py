"""What the lab delivers: SNS messages (recorded), EventBridge events, Lambda handlers run in-process.

moto patches applied by ``install()``:

- ``sns.models.Topic.publish`` records every message published to a topic (by clients or
  by the lab) for ``GET /_lab/sns-messages``; moto still delivers it (SQS, HTTP...).
- ``sns.models.Subscription.publish`` for the ``lambda`` protocol runs the function
  asynchronously with the SNS event AWS sends (moto's has placeholder fields).
- ``events.models.Rule.send_to_targets`` runs Lambda targets (moto raises
  NotImplementedError for them) asynchronously; other targets go to moto.
- ``awslambda.models.LambdaFunction.invoke`` / ``_invoke_lambda`` run the function's Python
  handler in this process instead of docker: the zip is extracted to a temp dir, the
  handler module imported fresh, and ``handler(event, context)`` called in its own thread
  with the function's environment, fake credentials, its region and ``AWS_ENDPOINT_URL``
  pointing back at the lab API, so boto3 inside the handler talks to the lab. Its output (START,
  the handler's prints and log records, END, REPORT) goes to the CloudWatch Logs group
  ``/aws/lambda/<function>``, one stream per invocation, as in AWS.

Handler threads see their own environment: ``os.environ`` is replaced (on first use) by a
mapping that gives each handler thread an overlay and every other thread the process
environment, and ``boto3``'s default session is per handler thread. Concurrent handlers
with different variables therefore do not see each other's values.
"""

from __future__ import annotations

import atexit
import base64
import collections.abc
import datetime
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

from .middleware import utc_iso

log = logging.getLogger(__name__)

_lock = threading.Lock()
_sns_messages: list[dict[str, Any]] = []
_invocations: list[dict[str, Any]] = []
_endpoint = {"url": None}
_installed = False
MAX_RECORDS = 10_000


def set_endpoint_url(url: str | None) -> None:
    """The URL handlers get as AWS_ENDPOINT_URL (the running lab API)."""
    _endpoint["url"] = url


def endpoint_url() -> str | None:
    return _endpoint["url"]


# --------------------------------------------------------------------------- records


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


def _append(target: list[dict[str, Any]], record: dict[str, Any]) -> None:
    with _lock:
        target.append(record)
        if len(target) > MAX_RECORDS:
            del target[: len(target) - MAX_RECORDS]


def sns_messages() -> list[dict[str, Any]]:
    with _lock:
        return list(_sns_messages)


def invocations() -> list[dict[str, Any]]:
    with _lock:
        return list(_invocations)


def clear_sns_messages() -> None:
    with _lock:
        _sns_messages.clear()


def clear_invocations() -> None:
    with _lock:
        _invocations.clear()


def reset() -> None:
    clear_sns_messages()
    clear_invocations()


# --------------------------------------------------------------------------- delivery helpers


def _arn_parts(arn: str) -> tuple[str, str, str, str]:
    """(service, region, account, resource) of an ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {arn}")
    return parts[2], parts[3], parts[4], parts[5]


def publish_sns(topic_arn: str, message: str, subject: str | None = None) -> str:
    """Publish through moto's SNS backend (so subscriptions are delivered); returns the message id."""
    from moto.sns.models import sns_backends

    region, account = _arn_parts(topic_arn)[1:3]
    return sns_backends[account][region].publish(message, arn=topic_arn, subject=subject)


def put_event(
    account: str, region: str, source: str, detail_type: str, detail: dict[str, Any], resources: list[str]
) -> list[dict[str, Any]]:
    """Put one event on the default bus through moto's EventBridge backend."""
    from moto.events.models import events_backends

    entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail), "Resources": resources}
    return events_backends[account][region].put_events([entry])


def _get_function(account: str, region: str, name_or_arn: str, qualifier: str | None = None) -> Any:
    from moto.awslambda.utils import get_backend

    return get_backend(account, region).get_function(name_or_arn, qualifier)


def invoke_async(function: Any, event: Any, source: str) -> threading.Thread:
    """Run a function's handler in the background, as AWS does for async invocations."""
    thread = threading.Thread(
        target=_invoke_quietly, args=(function, event, source), name=f"lab-lambda-{function.function_name}", daemon=True
    )
    thread.start()
    return thread


def _invoke_quietly(function: Any, event: Any, source: str) -> None:
    try:
        run_handler(function, event, source=source)
    except Exception:  # recorded by run_handler; never kill the delivering thread
        log.exception("lab: invoking %s failed", function.function_name)


def invoke_arn(function_arn: str, event: Any, source: str) -> threading.Thread | None:
    """Asynchronously invoke the function an ARN names (alarm actions, rule targets)."""
    region, account, resource = _arn_parts(function_arn)[1:]
    parts = resource.split(":")
    name = parts[1] if len(parts) > 1 else parts[0]
    qualifier = parts[2] if len(parts) > 2 else None
    try:
        function = _get_function(account, region, name, qualifier)
    except Exception as exc:
        _append(
            _invocations,
            {
                "function_name": name,
                "function_arn": function_arn,
                "event": _jsonable(event),
                "result": None,
                "error": {"errorType": "ResourceNotFoundException", "errorMessage": str(exc)},
                "logs": "",
                "time": utc_iso(),
                "duration_ms": 0.0,
                "source": source,
            },
        )
        return None
    return invoke_async(function, event, source)


# --------------------------------------------------------------------------- handler isolation


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
_handler_threads: dict[int, list[str]] = {}  # thread ident -> log lines
_session_local = threading.local()


class _HandlerLogCapture(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        lines = _handler_threads.get(record.thread or 0)
        if lines is not None:
            try:
                lines.append(f"[{record.levelname}]\t{utc_iso(record.created)}\t{self.format(record)}")
            except Exception:
                pass


def _install_isolation() -> _ThreadEnviron:
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
            if threading.get_ident() in _handler_threads:
                session = getattr(_session_local, "session", None)
                if session is None:
                    session = _handler_session()
                    _session_local.session = session
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


_code_root: str | None = None


def _code_dir(function: Any) -> str:
    """Extract the function's zip once per code digest."""
    global _code_root
    with _isolation_lock:
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


def _environment(function: Any, code_dir: str) -> dict[str, Any]:
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
    environ = _install_isolation()
    request_id = str(uuid.uuid4())
    timeout = float(getattr(function, "timeout", 3) or 3)
    started = time.time()
    lines: list[str] = [f"START RequestId: {request_id} Version: {getattr(function, 'version', '$LATEST')}"]
    outcome: dict[str, Any] = {}

    def _target() -> None:
        ident = threading.get_ident()
        _handler_threads[ident] = lines
        try:
            runtime = str(getattr(function, "run_time", "") or "")
            if getattr(function, "package_type", "Zip") != "Zip" or not runtime.startswith("python"):
                raise RuntimeError(f"the lab runs only Python zip functions in-process, not {runtime or 'images'}")
            code_dir = _code_dir(function)
            environ.set_overlay(_environment(function, code_dir))
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
            _session_local.session = None
            _handler_threads.pop(ident, None)

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
    _append(
        _invocations,
        {
            "function_name": function.function_name,
            "function_arn": function.function_arn,
            "request_id": request_id,
            "event": _jsonable(event),
            "result": _jsonable(result),
            "error": error,
            "logs": logs,
            "time": utc_iso(started),
            "duration_ms": duration_ms,
            "source": source,
        },
    )
    return payload or "null", error is not None, logs


# --------------------------------------------------------------------------- moto patches


def _patched_invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
    """LambdaFunction.invoke: in-process handler, AWS's headers and invocation types."""
    try:
        event = json.loads(body) if body else {}
    except (TypeError, ValueError):
        event = body
    invocation_type = request_headers.get("x-amz-invocation-type", "RequestResponse") if request_headers else "RequestResponse"
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        invoke_async(self, event, source="invoke-async")
        return b""
    payload, errored, logs = run_handler(self, event, source="invoke")
    if errored:
        response_headers["x-amz-function-error"] = "Unhandled"
    response_headers["x-amz-executed-version"] = str(getattr(self, "version", "$LATEST"))
    # AWS returns the last 4 KB of the log
    response_headers["x-amz-log-result"] = base64.b64encode(logs.encode("utf-8")[-4096:]).decode("ascii")
    return payload.encode("utf-8")


def _patched_invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except ValueError:
            pass
    return run_handler(self, event if event is not None else {}, source="moto")


def _sns_lambda_event(subscription: Any, message: str, message_id: str, subject: str | None, attributes: Any) -> dict[str, Any]:
    attrs = {}
    for key, value in (attributes or {}).items():
        attrs[key] = {"Type": value.get("Type"), "Value": _json_default(value.get("Value")) if isinstance(value.get("Value"), bytes) else value.get("Value")}
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription.arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": subscription.topic.arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": utc_iso(),
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "EXAMPLE",
                    "UnsubscribeUrl": "EXAMPLE",
                    "MessageAttributes": attrs,
                },
            }
        ]
    }


def install() -> None:
    """Apply the patches once per process."""
    global _installed
    if _installed:
        return
    from moto.awslambda.models import LambdaFunction
    from moto.events.models import Rule
    from moto.sns.models import Subscription, Topic

    topic_publish = Topic.publish

    def publish(self: Any, message: str, subject: str | None = None, message_attributes: Any = None, *args: Any, **kwargs: Any) -> str:
        message_id = topic_publish(self, message, subject, message_attributes, *args, **kwargs)
        _append(
            _sns_messages,
            {
                "topic_arn": self.arn,
                "message_id": message_id,
                "subject": subject,
                "message": message,
                "time": utc_iso(),
                "message_attributes": _jsonable(message_attributes or {}),
            },
        )
        return message_id

    Topic.publish = publish

    subscription_publish = Subscription.publish

    def sub_publish(
        self: Any,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: Any = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
    ) -> None:
        if self.protocol != "lambda":
            return subscription_publish(
                self, message, message_id, subject, message_attributes, group_id, deduplication_id, message_structure
            )
        if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(message_attributes, message):
            return None
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
        event = _sns_lambda_event(self, message, message_id, subject, message_attributes)
        invoke_arn(self.endpoint, event, source="sns")
        return None

    Subscription.publish = sub_publish

    rule_send = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        others = []
        for target in self.targets:
            if target.get("Arn", "").startswith("arn:aws:lambda:"):
                invoke_arn(target["Arn"], _target_input(target, original_event), source=f"events:{self.name}")
            else:
                others.append(target)
        if others:
            clone = object.__new__(type(self))
            clone.__dict__.update(self.__dict__)
            clone.targets = others
            rule_send(clone, original_event, transform_input)

    Rule.send_to_targets = send_to_targets
    LambdaFunction.invoke = _patched_invoke
    LambdaFunction._invoke_lambda = _patched_invoke_lambda
    _installed = True


def _target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """The payload EventBridge hands a target: Input, InputPath, InputTransformer or the event."""
    event = dict(event)
    if isinstance(event.get("time"), (int, float)):
        event["time"] = datetime.datetime.fromtimestamp(event["time"], datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    event.pop("ingestion-time", None)
    if target.get("Input"):
        return json.loads(target["Input"])
    if target.get("InputPath"):
        value: Any = event
        for part in target["InputPath"].lstrip("$").strip(".").split("."):
            if part:
                value = value.get(part) if isinstance(value, dict) else None
        return value
    if target.get("InputTransformer"):
        from moto.events.utils import EventTemplateParser

        transformer = target["InputTransformer"]
        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,
        )
    return event


__all__ = [
    "clear_invocations",
    "clear_sns_messages",
    "install",
    "invocations",
    "invoke_arn",
    "publish_sns",
    "put_event",
    "reset",
    "run_handler",
    "sns_messages",
]
