"""The CloudWatch actions the lab adds (moto's ``urls.py`` role for a query-protocol service).

CloudWatch is one endpoint: moto dispatches on ``Action``, so these are the response methods
lab/api/patches.py puts on moto's CloudWatchResponse, by snake_case action name.
"""

from __future__ import annotations

from lab.api.cloudwatch import responses

ACTIONS = {name: getattr(responses, name) for name in ("describe_alarm_history",)}
