"""What the lab delivers: SNS messages (recorded), EventBridge events, Lambda handlers run in-process.

moto 5.2.5 patched in place, not forked, laid out as moto lays out a service:

| module | what |
|---|---|
| records.py | the SNS messages and Lambda invocations the lab records (``GET /_lab/...``) |
| delivery.py | publish to SNS, put events on EventBridge, invoke a Lambda function by ARN |
| lambda_runtime.py | a function's Python handler run in this process: code, context, logs |
| handler_env.py | what a handler thread sees: its own os.environ, boto3 session, log capture |
| models.py | the methods lab/api/patches.py puts on moto's SNS, EventBridge and Lambda models |
"""

from __future__ import annotations

from lab.api.notify.delivery import invoke_arn, publish_sns, put_event
from lab.api.notify.handler_env import endpoint_url, set_endpoint_url
from lab.api.notify.lambda_runtime import run_handler
from lab.api.notify.records import clear_invocations, clear_sns_messages, invocations, reset, running, sns_messages

__all__ = [
    "clear_invocations",
    "clear_sns_messages",
    "endpoint_url",
    "invocations",
    "invoke_arn",
    "publish_sns",
    "put_event",
    "reset",
    "run_handler",
    "running",
    "set_endpoint_url",
    "sns_messages",
]
