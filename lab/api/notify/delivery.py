"""How the lab delivers: publish to SNS, put events on EventBridge, invoke Lambda functions by ARN.

SNS and EventBridge go through moto's backends (so subscriptions and rules see them); Lambda
functions run in this process (lambda_runtime.py), asynchronously as AWS runs event invocations.
The events handed to Lambda have the shapes AWS sends (an SNS record, a rule target's input).
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
from typing import Any

from lab.api.middleware import utc_iso
from lab.api.notify import records
from lab.api.notify.lambda_runtime import run_handler

log = logging.getLogger(__name__)


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
    records.started()   # counted as running until its record is written (GET /_lab/invocations "running")
    thread.start()
    return thread


def _invoke_quietly(function: Any, event: Any, source: str) -> None:
    try:
        run_handler(function, event, source=source)
    except Exception:  # recorded by run_handler; never kill the delivering thread
        log.exception("lab: invoking %s failed", function.function_name)
    finally:
        records.finished()


def invoke_arn(function_arn: str, event: Any, source: str) -> threading.Thread | None:
    """Asynchronously invoke the function an ARN names (alarm actions, rule targets)."""
    region, account, resource = _arn_parts(function_arn)[1:]
    parts = resource.split(":")
    name = parts[1] if len(parts) > 1 else parts[0]
    qualifier = parts[2] if len(parts) > 2 else None
    try:
        function = _get_function(account, region, name, qualifier)
    except Exception as exc:
        records.record_invocation(
            {
                "function_name": name,
                "function_arn": function_arn,
                "event": records.jsonable(event),
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


def sns_lambda_event(subscription: Any, message: str, message_id: str, subject: str | None, attributes: Any) -> dict[str, Any]:
    """The event a lambda subscription hands its function (moto's has placeholder fields)."""
    attrs = {}
    for key, value in (attributes or {}).items():
        raw = value.get("Value")
        attrs[key] = {"Type": value.get("Type"), "Value": records.json_default(raw) if isinstance(raw, bytes) else raw}
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


def target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
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
