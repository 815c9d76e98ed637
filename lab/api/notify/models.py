"""The methods the lab puts on moto's SNS, EventBridge and Lambda models (lab/api/patches.py applies them).

- ``sns.models.Topic.publish`` records every message published to a topic (by clients or
  by the lab) for ``GET /_lab/sns-messages``; moto still delivers it (SQS, HTTP...).
- ``sns.models.Subscription.publish`` for the ``lambda`` protocol runs the function
  asynchronously with the SNS event AWS sends (moto's has placeholder fields).
- ``events.models.Rule.send_to_targets`` runs Lambda targets (moto raises
  NotImplementedError for them) asynchronously; other targets go to moto.
- ``awslambda.models.LambdaFunction.invoke`` / ``_invoke_lambda`` run the function's Python
  handler in this process instead of docker (lambda_runtime.py).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from lab.api.middleware import utc_iso
from lab.api.notify import delivery, lambda_runtime, records


def invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
    """LambdaFunction.invoke: in-process handler, AWS's headers and invocation types."""
    try:
        event = json.loads(body) if body else {}
    except (TypeError, ValueError):
        event = body
    invocation_type = request_headers.get("x-amz-invocation-type", "RequestResponse") if request_headers else "RequestResponse"
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        delivery.invoke_async(self, event, source="invoke-async")
        return b""
    payload, errored, logs = lambda_runtime.run_handler(self, event, source="invoke")
    if errored:
        response_headers["x-amz-function-error"] = "Unhandled"
    response_headers["x-amz-executed-version"] = str(getattr(self, "version", "$LATEST"))
    # AWS returns the last 4 KB of the log
    response_headers["x-amz-log-result"] = base64.b64encode(logs.encode("utf-8")[-4096:]).decode("ascii")
    return payload.encode("utf-8")


def invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
    """LambdaFunction._invoke_lambda (moto's own callers): the in-process handler."""
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except ValueError:
            pass
    return lambda_runtime.run_handler(self, event if event is not None else {}, source="moto")


def wrap_topic_publish(topic_publish: Any) -> Any:
    """Topic.publish, wrapped: record every message published to a topic; moto still delivers it."""

    def publish(self: Any, message: str, subject: str | None = None, message_attributes: Any = None, *args: Any, **kwargs: Any) -> str:
        message_id = topic_publish(self, message, subject, message_attributes, *args, **kwargs)
        records.record_sns_message(
            {
                "topic_arn": self.arn,
                "message_id": message_id,
                "subject": subject,
                "message": message,
                "time": utc_iso(),
                "message_attributes": records.jsonable(message_attributes or {}),
            },
        )
        return message_id

    return publish


def wrap_subscription_publish(subscription_publish: Any) -> Any:
    """Subscription.publish, wrapped: a lambda subscription runs the function with the SNS event AWS sends."""

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
        event = delivery.sns_lambda_event(self, message, message_id, subject, message_attributes)
        delivery.invoke_arn(self.endpoint, event, source="sns")
        return None

    return sub_publish


def wrap_rule_send_to_targets(rule_send: Any) -> Any:
    """Rule.send_to_targets, wrapped: Lambda targets run here (moto raises NotImplementedError)."""

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        others = []
        for target in self.targets:
            if target.get("Arn", "").startswith("arn:aws:lambda:"):
                delivery.invoke_arn(target["Arn"], delivery.target_input(target, original_event), source=f"events:{self.name}")
            else:
                others.append(target)
        if others:
            clone = object.__new__(type(self))
            clone.__dict__.update(self.__dict__)
            clone.targets = others
            rule_send(clone, original_event, transform_input)

    return send_to_targets
