"""WSGI middleware around moto's app: request log, fault injection, AWS-shaped errors.

Every AWS call is classified (service from the SigV4 credential scope, action from
``X-Amz-Target``, the form/query ``Action``, the rpc-v2 path, or the REST route in the
botocore model), logged with its status and error code, and may be delayed, throttled
or failed according to the fault settings. Errors are written in the wire protocol of
the service, so boto3 parses them into the right ``ClientError`` code.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import random
import re
import threading
import time
import uuid
from collections import Counter, deque
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from . import request_checks

log = logging.getLogger(__name__)

# signing names that differ from the service name people count by (IAM action prefix)
SERVICE_ALIASES = {"monitoring": "cloudwatch"}
READ_PREFIXES = ("Describe", "Get", "List", "Search")  # SearchTransitGatewayRoutes reads
MAX_LOG = 100_000

FAULT_KEYS = ("throttle_rate", "error_rate", "latency_ms")


def utc_iso(ts: float | None = None) -> str:
    when = datetime.datetime.fromtimestamp(time.time() if ts is None else ts, datetime.timezone.utc)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------- classify


class RequestInfo:
    __slots__ = ("service", "signing_name", "region", "action", "protocol", "content_type", "caller")

    def __init__(self) -> None:
        self.service = "unknown"
        self.signing_name = ""
        self.region = ""
        self.action = ""
        self.protocol = "query"
        self.content_type = ""
        # "lambda" when a function the lab runs made the call (botocore names AWS_EXECUTION_ENV in
        # its User-Agent), else "client": a test judges its client's writes apart from a Lambda's
        self.caller = "client"

    @property
    def key(self) -> str:
        return f"{self.service}:{self.action or 'Unknown'}"


_CRED_RE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


class _RestIndex:
    """Maps (service, method, path, query) to an operation name using botocore's model."""

    _lock = threading.Lock()
    _cache: dict[str, list[tuple[str, re.Pattern[str], tuple[str, ...], int, str]] | None] = {}

    @classmethod
    def _routes(cls, service: str) -> list[tuple[str, re.Pattern[str], tuple[str, ...], int, str]] | None:
        with cls._lock:
            if service in cls._cache:
                return cls._cache[service]
        routes = None
        try:
            import botocore.session

            model = botocore.session.get_session().get_service_model(service)
            routes = []
            for name in model.operation_names:
                http = model.operation_model(name).http
                uri = http.get("requestUri", "/")
                path, _sep, query = uri.partition("?")
                literal = len(re.sub(r"\{[^}]*\}", "", path))
                pattern = re.escape(path)
                pattern = re.sub(r"\\\{[^}]*?\\\+\\\}", ".+", pattern)
                pattern = re.sub(r"\\\{[^}]*?\\\}", "[^/]+", pattern)
                needed = tuple(q.split("=", 1)[0] for q in query.split("&") if q)
                routes.append((http.get("method", "POST"), re.compile(f"^{pattern}/?$"), needed, literal, name))
        except Exception:  # unknown service or model: the action stays unknown
            routes = None
        with cls._lock:
            cls._cache[service] = routes
        return routes

    @classmethod
    def operation(cls, service: str, method: str, path: str, query: dict[str, Any]) -> str:
        routes = cls._routes(service)
        best = (-1, "")
        for r_method, regex, needed, literal, name in routes or ():
            if r_method != method or not regex.match(path):
                continue
            if any(q not in query for q in needed):
                continue
            score = literal + 100 * len(needed)
            if score > best[0]:
                best = (score, name)
        return best[1]


def _model_name(signing_name: str) -> str:
    return {"monitoring": "cloudwatch", "execute-api": "apigateway", "states": "stepfunctions"}.get(
        signing_name, signing_name
    )


def classify(environ: dict[str, Any], body: bytes) -> RequestInfo:
    info = RequestInfo()
    info.content_type = environ.get("CONTENT_TYPE", "") or ""
    if "exec-env/AWS_Lambda" in (environ.get("HTTP_USER_AGENT", "") or ""):
        info.caller = "lambda"
    match = _CRED_RE.search(environ.get("HTTP_AUTHORIZATION", "") or "")
    if match:
        info.region, info.signing_name = match.group(1), match.group(2).lower()
        info.service = SERVICE_ALIASES.get(info.signing_name, info.signing_name)
    path = environ.get("PATH_INFO", "") or "/"
    target = environ.get("HTTP_X_AMZ_TARGET")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if (environ.get("HTTP_SMITHY_PROTOCOL") or "").startswith("rpc-v2-cbor"):
        info.protocol = "cbor"
        info.action = path.rstrip("/").rsplit("/", 1)[-1]
    elif target:
        info.protocol = "json"
        info.action = target.rsplit(".", 1)[-1]
    else:
        action = ""
        if info.content_type.startswith("application/x-www-form-urlencoded") and body:
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            action = (form.get("Action") or [""])[0]
        action = action or (query.get("Action") or [""])[0]
        if action:
            info.action = action
            info.protocol = "ec2" if info.service == "ec2" else "query"
        elif info.signing_name:
            info.protocol = "rest-xml" if info.signing_name in ("s3", "route53", "cloudfront") else "rest-json"
            info.action = _RestIndex.operation(
                _model_name(info.signing_name), environ.get("REQUEST_METHOD", "GET"), path, query
            )
    return info


def is_write(action: str) -> bool:
    return not action.startswith(READ_PREFIXES)


# --------------------------------------------------------------------------- errors


def _cbor_text(value: str) -> bytes:
    data = value.encode("utf-8")
    n = len(data)
    if n < 24:
        head = bytes([0x60 + n])
    elif n < 256:
        head = bytes([0x78, n])
    else:
        head = bytes([0x79]) + n.to_bytes(2, "big")
    return head + data


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_response(info: RequestInfo, code: str, message: str, status: int) -> tuple[str, list[tuple[str, str]], bytes]:
    """An AWS error in the wire protocol of the request: (status line, headers, body)."""
    request_id = str(uuid.uuid4())
    reason = {400: "Bad Request", 413: "Request Entity Too Large", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}
    status_line = f"{status} {reason.get(status, 'Error')}"
    headers = [("x-amzn-RequestId", request_id)]
    msg = _xml_escape(message)
    if info.protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{code}</Code><Message>{msg}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers.append(("Content-Type", "text/xml;charset=UTF-8"))
    elif info.protocol == "query":
        kind = "Receiver" if status >= 500 else "Sender"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{msg}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    elif info.protocol == "rest-xml":
        body = f"<Error><Code>{code}</Code><Message>{msg}</Message><RequestId>{request_id}</RequestId></Error>".encode()
        headers.append(("Content-Type", "application/xml"))
    elif info.protocol == "cbor":
        body = bytes([0xA2]) + _cbor_text("__type") + _cbor_text(code) + _cbor_text("message") + _cbor_text(message)
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    else:  # json and rest-json
        body = json.dumps({"__type": code, "message": message}).encode()
        content_type = info.content_type if info.protocol == "json" and info.content_type else "application/json"
        headers += [("Content-Type", content_type), ("x-amzn-ErrorType", code)]
    headers.append(("Content-Length", str(len(body))))
    return status_line, headers, body


def throttle_error(info: RequestInfo) -> tuple[str, int]:
    if info.protocol == "ec2":
        return "RequestLimitExceeded", 400
    if info.protocol == "query":
        return "Throttling", 400
    if info.protocol == "rest-xml":
        return "SlowDown", 503
    if info.service == "lambda":
        return "TooManyRequestsException", 429
    return "ThrottlingException", 400


_XML_CODE_RE = re.compile(rb"<Code>([^<]+)</Code>")


def error_code_of(headers: list[tuple[str, str]], body: bytes) -> str | None:
    """The error code boto3 would see in a moto response."""
    lowered = {k.lower(): v for k, v in headers}
    if "x-amzn-query-error" in lowered:
        return lowered["x-amzn-query-error"].split(";", 1)[0]
    if lowered.get("x-amzn-errortype"):
        return lowered["x-amzn-errortype"].split(":", 1)[0]
    match = _XML_CODE_RE.search(body)
    if match:
        return match.group(1).decode("utf-8", "replace")
    if lowered.get("content-type", "").startswith("application/cbor"):
        try:
            from botocore.parsers import RpcV2CBORParser

            parsed = RpcV2CBORParser()._initial_body_parse(body)
            code = parsed.get("__type")
        except Exception:
            code = None
    else:
        try:
            parsed = json.loads(body or b"{}")
            code = parsed.get("__type") or parsed.get("code") or parsed.get("Code") if isinstance(parsed, dict) else None
        except ValueError:
            code = None
    if code:
        return str(code).rsplit("#", 1)[-1].split(":", 1)[0]
    return None


# --------------------------------------------------------------------------- log and faults


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: deque[dict[str, Any]] = deque(maxlen=MAX_LOG)
        self._counts: Counter[str] = Counter()
        self._writes = 0

    def add(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._records.append(record)
            self._counts[f"{record['service']}:{record['action']}"] += 1
            if record["write"]:
                self._writes += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": list(self._records), "counts": dict(self._counts), "writes": self._writes}

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._counts.clear()
            self._writes = 0


def _rate(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{key} must be a number between 0 and 1, got {value!r}")
    return float(value)


def _latency(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 600_000:
        raise ValueError(f"latency_ms must be a number of milliseconds >= 0, got {value!r}")
    return float(value)


def _fault_entry(values: dict[str, Any], where: str) -> dict[str, float]:
    if not isinstance(values, dict):
        raise ValueError(f"{where} must be an object")
    unknown = set(values) - set(FAULT_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}; known: {list(FAULT_KEYS)}")
    out: dict[str, float] = {}
    for key, value in values.items():
        out[key] = _latency(value) if key == "latency_ms" else _rate(key, value)
    return out


class Faults:
    """Fault switches. ``actions`` keys are an action name ("CreateVpnConnection") or
    "service:Action"; their values override the global ones for that action."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._config = self.empty()

    @staticmethod
    def empty() -> dict[str, Any]:
        return {"throttle_rate": 0.0, "error_rate": 0.0, "latency_ms": 0, "actions": {}}

    def get(self) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps(self._config))

    def set(self, values: dict[str, Any]) -> dict[str, Any]:
        """Replace the whole configuration (keys left out are 0); ``seed`` reseeds the RNG."""
        if not isinstance(values, dict):
            raise ValueError("faults must be a JSON object")
        values = dict(values)
        seed = values.pop("seed", None)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        actions = values.pop("actions", None)
        actions = {} if actions is None else actions
        config = self.empty()
        config.update(_fault_entry(values, "faults"))
        if not isinstance(actions, dict):
            raise ValueError("actions must be an object of action name -> faults")
        config["actions"] = {str(name): _fault_entry(v, f"actions[{name}]") for name, v in actions.items()}
        with self._lock:
            self._config = config
            if seed is not None:
                self._rng.seed(seed)
            return json.loads(json.dumps(self._config))

    def clear(self) -> None:
        with self._lock:
            self._config = self.empty()

    def draw(self, info: RequestInfo) -> tuple[float, str | None]:
        """(latency in ms, "throttle" | "error" | None) for this request."""
        with self._lock:
            config = self._config
            effective = {k: config[k] for k in FAULT_KEYS}
            for name in (info.action, info.key):
                effective.update(config["actions"].get(name, {}))
            kind = None
            if effective["throttle_rate"] and self._rng.random() < effective["throttle_rate"]:
                kind = "throttle"
            elif effective["error_rate"] and self._rng.random() < effective["error_rate"]:
                kind = "error"
            return float(effective["latency_ms"]), kind


# --------------------------------------------------------------------------- middleware


class LabMiddleware:
    """Wraps moto's WSGI app; ``/moto-api`` calls pass through unlogged."""

    def __init__(self, app: Callable[..., Iterable[bytes]], log: RequestLog | None = None, faults: Faults | None = None):
        self.app = app
        self.log = log or RequestLog()
        self.faults = faults or Faults()

    @staticmethod
    def _buffer_body(environ: dict[str, Any]) -> bytes:
        """The whole body (chunked too, up to the cap); moto then reads a fresh stream of it."""
        chunked = "chunked" in (environ.get("HTTP_TRANSFER_ENCODING") or "").lower()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise request_checks.Refusal("MalformedQueryString", "Content-Length is not a number") from None
        request_checks.check_size(length)
        if chunked:
            body = environ["wsgi.input"].read(request_checks.MAX_BODY_BYTES + 1)
            request_checks.check_size(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        elif length <= 0:
            return b""
        else:
            body = environ["wsgi.input"].read(length)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        return body

    def _refuse(self, info: RequestInfo, started: float, refusal: Any, start_response: Callable[..., Any]) -> list[bytes]:
        status_line, headers, payload = error_response(info, refusal.code, refusal.message, refusal.status)
        start_response(status_line, headers)
        self._record(info, started, refusal.status, refusal.code, None)
        return [payload]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or ""
        if path.startswith("/moto-api") or path == "/favicon.ico":
            return self.app(environ, start_response)
        started = time.time()
        try:
            body = self._buffer_body(environ)
        except request_checks.Refusal as refusal:
            info = classify(environ, b"")
            environ["lab.request_info"] = info
            return self._refuse(info, started, refusal, start_response)
        info = classify(environ, body)
        environ["lab.request_info"] = info
        try:
            request_checks.check(info, body, _model_name(info.signing_name), environ.get("QUERY_STRING", ""))
        except request_checks.Refusal as refusal:
            return self._refuse(info, started, refusal, start_response)
        latency_ms, fault = self.faults.draw(info)
        if latency_ms:
            time.sleep(latency_ms / 1000.0)
        if fault:
            if fault == "throttle":
                code, status = throttle_error(info)
                message = "Request limit exceeded." if code == "RequestLimitExceeded" else "Rate exceeded"
            else:
                code, status = "ServiceUnavailable", 503
                message = "The service is unavailable. Please try again shortly. (lab fault injection)"
            status_line, headers, payload = error_response(info, code, message, status)
            start_response(status_line, headers)
            self._record(info, started, status, code, fault)
            return [payload]

        seen: dict[str, Any] = {}

        def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = int(status.split(" ", 1)[0])
            seen["headers"] = headers
            return start_response(status, headers, exc_info)

        try:
            result = self.app(environ, _start)
        except Exception as exc:  # moto's dispatcher raises before any service app runs
            log.exception("lab: %s:%s failed outside the service", info.service, info.action)
            return self._refuse(info, started, request_checks.Refusal("InternalError", f"{type(exc).__name__}", 500),
                                start_response)
        status = seen.get("status")
        error_code = None
        if status is None or status >= 400:
            # error bodies are small: read them to log the code boto3 will see
            try:
                payload = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            result = [payload]
            status = seen.get("status", 500)
            if status >= 400:
                error_code = error_code_of(seen.get("headers", []), payload)
        self._record(info, started, status, error_code, None)
        return result

    def _record(self, info: RequestInfo, started: float, status: int, error_code: str | None, fault: str | None) -> None:
        self.log.add(
            {
                "service": info.service,
                "action": info.action or "Unknown",
                "time": utc_iso(started),
                "status": status,
                "write": is_write(info.action or ""),
                "caller": info.caller,
                "error_code": error_code,
                "region": info.region,
                "duration_ms": round((time.time() - started) * 1000, 2),
                "fault": fault,
            }
        )


def not_implemented_response(environ: dict[str, Any], exc: BaseException) -> tuple[bytes, int, list[tuple[str, str]]]:
    """The 400 that replaces moto's HTML 500 for an action it lacks (Flask error handler)."""
    info = environ.get("lab.request_info")
    if info is None:
        info = classify(environ, b"")
    detail = str(exc) or "not implemented"
    message = f"The lab API (moto 5.2.5) does not implement {info.service}:{info.action or 'this request'}: {detail}"
    status_line, headers, body = error_response(info, "NotImplemented", message, 400)
    return body, int(status_line.split(" ", 1)[0]), headers


def internal_error_response(environ: dict[str, Any], exc: BaseException) -> tuple[bytes, int, list[tuple[str, str]]]:
    """AWS's 500 InternalError in the request's protocol (botocore retries it, as on AWS)."""
    info = environ.get("lab.request_info") or classify(environ, b"")
    message = f"The lab API failed on {info.service}:{info.action or 'this request'} ({type(exc).__name__})"
    status_line, headers, body = error_response(info, "InternalError", message, 500)
    return body, int(status_line.split(" ", 1)[0]), headers
