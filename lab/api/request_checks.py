"""What AWS refuses before any service looks at a request, with AWS's error codes.

The lab middleware runs ``check()`` on every AWS call before moto sees it, so a malformed
request gets the 400 (or 413) AWS gives instead of moto's HTML 500: a body over the cap, a
query body that is not UTF-8, a query call without ``Action`` (MissingAction) or with an action
the service does not have (InvalidAction), a JSON call to an unknown operation
(UnknownOperationException) or with a body that is not a JSON object (SerializationException),
an unknown service, and a query parameter whose value does not fit its type in the botocore
model (``BgpAsn=abc``: InvalidParameterValue).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import parse_qsl

# Lambda's direct zip upload is 50 MB, base64 in a JSON body: the largest request the lab expects.
MAX_BODY_BYTES = 70 * 1024 * 1024
QUERY_PROTOCOLS = ("query", "ec2")
_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class Refusal(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@functools.lru_cache(maxsize=None)
def service_model(model_name: str) -> Any:
    """botocore's model of a service, or None when botocore has none."""
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        return botocore.session.get_session().get_service_model(model_name)
    except UnknownServiceError:
        return None


@functools.lru_cache(maxsize=None)
def moto_serves(signing_name: str) -> bool:
    """Whether moto's dispatcher has a backend for the host this signing name implies."""
    from moto.backend_index import backend_url_patterns

    url = f"https://{signing_name}.us-east-1.amazonaws.com"
    return any(pattern.match(url) for dummy, pattern in backend_url_patterns)


def check_size(length: int) -> None:
    if length > MAX_BODY_BYTES:
        raise Refusal("RequestEntityTooLarge",
                      f"The request body is {length} bytes; the lab API accepts at most {MAX_BODY_BYTES}", 413)


def check(info: Any, body: bytes, model_name: str, query_string: str) -> None:
    """Raise Refusal for what AWS would refuse before the service runs; None for the rest."""
    if not info.signing_name:
        return  # unsigned (moto's own routes, health checks): moto decides
    model = service_model(model_name)
    if model is None or not moto_serves(info.signing_name):
        raise Refusal("InvalidAction" if info.protocol in QUERY_PROTOCOLS else "UnknownOperationException",
                      f"The lab API does not serve the service {info.signing_name!r}")
    model_protocol = model.metadata.get("protocol")
    if info.protocol == "json":
        _check_json(info, body, model)
    elif info.protocol in QUERY_PROTOCOLS or model_protocol in QUERY_PROTOCOLS:
        # a query call without Action looks like REST to the classifier: answer it in XML
        info.protocol = "ec2" if model_protocol == "ec2" else "query"
        _check_query(info, body, model, query_string)


def _check_query(info: Any, body: bytes, model: Any, query_string: str) -> None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal("MalformedQueryString", "The request body is not valid UTF-8") from None
    params = dict(parse_qsl(query_string, keep_blank_values=True))
    if info.content_type.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(text, keep_blank_values=True))
    action = params.get("Action")
    if not action:
        raise Refusal("MissingAction", "The request must contain the parameter Action")
    if action not in model.operation_names:
        raise Refusal("InvalidAction", f"The action {action} is not valid for this web service.")
    shape = model.operation_model(action).input_shape
    ec2 = model.metadata.get("protocol") == "ec2"
    for key, value in params.items():
        if key in ("Action", "Version") or shape is None:
            continue
        leaf = _leaf(shape, key.split("."), ec2)
        if leaf is not None and not _fits(leaf.type_name, value):
            raise Refusal("InvalidParameterValue", f"Value ({value}) for parameter {key} is invalid. "
                          f"It must be of type {leaf.type_name}.")


def _member(shape: Any, token: str, ec2: bool) -> Any:
    for name, member in shape.members.items():
        serial = member.serialization
        wire = serial.get("queryName") or (serial.get("name", name)[:1].upper() + serial.get("name", name)[1:]
                                           if ec2 else serial.get("name", name))
        if token in (wire, name):
            return member
    return None


def _leaf(shape: Any, tokens: list[str], ec2: bool) -> Any:
    """The scalar shape a flattened query key names, or None when the key is not in the model."""
    while tokens:
        kind = shape.type_name
        if kind == "structure":
            shape = _member(shape, tokens.pop(0), ec2)
            if shape is None:
                return None
        elif kind == "list":
            if tokens[0] == "member":
                tokens.pop(0)
            if not tokens or not tokens.pop(0).isdigit():
                return None
            shape = shape.member
        elif kind == "map":
            if tokens[0] == "entry":
                tokens.pop(0)
            if len(tokens) < 2:
                return None
            tokens.pop(0)
            shape = shape.key if tokens.pop(0) == "key" else shape.value
        else:
            return None
    return shape if shape.type_name not in ("structure", "list", "map") else None


def _fits(type_name: str, value: str) -> bool:
    if type_name in ("integer", "long"):
        return bool(_INT_RE.match(value.strip()))
    if type_name == "boolean":
        return value.lower() in ("true", "false")
    if type_name in ("float", "double"):
        return bool(_FLOAT_RE.match(value.strip()))
    return True


def _check_json(info: Any, body: bytes, model: Any) -> None:
    if info.action not in model.operation_names:
        raise Refusal("UnknownOperationException", f"The operation {info.action or '(none)'} is not known")
    try:
        data = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        raise Refusal("SerializationException", "The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Refusal("SerializationException", "The request body must be a JSON object")
