"""CloudWatch for the lab API: alarms that evaluate, and the AWS/VPN metrics the lab publishes.

moto 5.2.5 patched in place, not forked, laid out as moto lays out a service:

| module | what |
|---|---|
| common.py | the lock, lab time (time_factor), region names, moto's backends |
| models.py | alarm evaluation, the metric data index, moto's CloudWatchBackend wrapped |
| actions.py | what follows a state change: SNS and Lambda actions, the EventBridge event |
| history.py | alarm history (DescribeAlarmHistory) |
| responses.py, urls.py | the response methods the lab adds and the actions they answer |
| vpn_metrics.py | TunnelState / TunnelDataIn / TunnelDataOut from the lab's tunnel state (``VPN_METRICS``) |
| evaluator.py | the background thread: alarm periods and the lab-minute metrics (``EVALUATOR``) |

lab/api/patches.py applies every patch to moto (this service's included) once per process.
``VPN_METRICS`` and ``EVALUATOR`` are one instance each per process: import them from here (or
from their modules), never build another.
"""

from __future__ import annotations

from lab.api.cloudwatch.common import LOCK, all_backends
from lab.api.cloudwatch.evaluator import EVALUATOR, tick
from lab.api.cloudwatch.vpn_metrics import VPN_METRICS

__all__ = ["EVALUATOR", "LOCK", "VPN_METRICS", "all_backends", "reset", "tick"]


def reset() -> None:
    VPN_METRICS.reset()
