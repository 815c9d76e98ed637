"""The one background evaluator of the process: alarm periods and the lab-minute AWS/VPN metrics."""

from __future__ import annotations

import logging
import threading
import time

from lab.api import settings as lab_settings
from lab.api.cloudwatch.common import all_backends
from lab.api.cloudwatch.models import evaluate
from lab.api.cloudwatch.vpn_metrics import VPN_METRICS

log = logging.getLogger(__name__)


def tick(now: float | None = None) -> int:
    """Evaluate every alarm whose period has passed; returns how many changed state."""
    now = time.time() if now is None else now
    changed = 0
    for backend in all_backends():
        for alarm in list(getattr(backend, "alarms", {}).values()):
            if getattr(alarm, "lab_next_eval", 0.0) <= now:
                try:
                    # the time of this evaluation, not of the tick's start (publishing may have taken long)
                    changed += evaluate(backend, alarm, max(now, time.time()))
                except Exception:
                    log.exception("lab: evaluating alarm %s failed", alarm.name)
    return changed


class Evaluator:
    """One background thread per process: alarm periods and the lab-minute VPN metrics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            self._users += 1
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="lab-alarm-evaluator", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._users = max(0, self._users - 1)
            if self._users or self._thread is None:
                return
            thread, self._thread = self._thread, None
            self._stop.set()
        thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.time()
            try:
                if VPN_METRICS.due(now):
                    VPN_METRICS.publish(now=now)
                tick(now)
            except Exception:
                log.exception("lab: evaluator tick failed")
            factor = float(lab_settings.get("time_factor"))
            self._stop.wait(min(1.0, max(0.05, 1.0 / factor)))


EVALUATOR = Evaluator()
