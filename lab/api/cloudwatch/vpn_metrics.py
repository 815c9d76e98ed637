"""The AWS/VPN metrics the lab publishes from its tunnel state: TunnelState, TunnelDataIn, TunnelDataOut.

They are published per tunnel with dimension sets {VpnId, TunnelIpAddress} and
{TunnelIpAddress}, and per connection with {VpnId} (TunnelState there is the fraction of tunnels
up), when the data plane reports and again every lab minute for every available connection
(tunnels never reported are DOWN); a late periodic publish fills in the lab minutes it missed
(after the last telemetry report), so the series has one datapoint per lab minute, as AWS's has
one per minute. ``VPN_METRICS`` is the one publisher of the process.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends

from lab.api.cloudwatch.common import default_account, real_period, utc
from lab.api.ec2_vpn import lab_view

VPN_NAMESPACE = "AWS/VPN"
LAB_MINUTE = 60.0
MAX_BACKFILL = 10  # lab minutes a late periodic publish fills in


class VpnMetrics:
    """Publishes TunnelState / TunnelDataIn / TunnelDataOut from the lab's tunnel state."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # outside_ip -> {"vpn_id", "account", "region", "status", "data_in", "data_out", "sent_in", "sent_out"}
        self._tunnels: dict[str, dict[str, Any]] = {}
        # the first periodic publish comes one lab minute after start or reset
        self._last_publish = time.time()
        # vpn_id -> when its telemetry was last reported: no backfilled minute goes before it
        self._reported: dict[str, float] = {}

    def reset(self) -> None:
        with self._lock:
            self._tunnels.clear()
            self._reported.clear()
            self._last_publish = time.time()

    def report(self, record: dict[str, Any], data_in: int | None = None, data_out: int | None = None) -> None:
        """Take a telemetry report (``record`` as ec2_vpn.set_tunnel_telemetry returns it) and publish."""
        with self._lock:
            entry = self._tunnels.setdefault(
                record["outside_ip"], {"data_in": 0, "data_out": 0, "sent_in": 0, "sent_out": 0}
            )
            entry.update(
                {
                    "vpn_id": record["vpn_connection_id"],
                    "account": record.get("account_id") or default_account(),
                    "region": record.get("region") or "us-east-1",
                    "status": record.get("status", "DOWN"),
                }
            )
            # data_in / data_out are the data plane's cumulative byte counters
            if data_in is not None:
                entry["data_in"] = int(data_in)
            if data_out is not None:
                entry["data_out"] = int(data_out)
            self._reported[record["vpn_connection_id"]] = time.time()
        self.publish(only_vpn=record["vpn_connection_id"])

    @staticmethod
    def _connections() -> list[dict[str, Any]]:
        """Available connections, as the EC2 VPN slice sees them (tunnels never reported are DOWN)."""
        return [c for c in lab_view() if c.get("state") == "available"]

    def publish(self, only_vpn: str | None = None, now: float | None = None) -> int:
        """Publish one datapoint per metric and dimension set; returns the datapoint count.

        The periodic publish (``only_vpn`` None) stamps one datapoint per lab minute since the last
        one, as AWS's series has one per minute however late it is delivered: when this process
        is busy (GIL, a loaded machine) and the evaluator wakes up late, short lab periods would
        otherwise see no data at all and the alarms flap to INSUFFICIENT_DATA.
        """
        groups: dict[tuple[str, str, str], list[tuple[str, str, int, int]]] = {}
        now = time.time() if now is None else now
        stamps: list[float | None] = [None]
        with self._lock:
            for conn in self._connections():
                if only_vpn is not None and conn["vpn_connection_id"] != only_vpn:
                    continue
                key = (conn.get("account_id") or default_account(), conn.get("region") or "us-east-1", conn["vpn_connection_id"])
                for tunnel in conn.get("tunnels", []):
                    ip = tunnel.get("outside_ip")
                    entry = self._tunnels.get(ip, {})
                    status = tunnel.get("status") or entry.get("status") or "DOWN"
                    groups.setdefault(key, []).append((ip, status, *self._deltas(entry)))
            if only_vpn is None:
                minute = real_period(LAB_MINUTE)
                missed = int((now - self._last_publish) / minute) if now > self._last_publish else 0
                if missed > 1:
                    # the minutes missed, within the longest window an alarm looks at; the traffic
                    # counters' increase goes with the newest
                    first = max(1, missed - MAX_BACKFILL + 1)
                    stamps = [self._last_publish + i * minute for i in range(first, missed)] + [None]
                self._last_publish = max(self._last_publish + missed * minute, now - minute)
        count = 0
        for (account, region, vpn_id), tunnels in groups.items():
            data = []
            reported = self._reported.get(vpn_id, 0.0)
            for stamp in stamps:
                if stamp is not None and stamp <= reported:
                    continue  # the state before the last report is not known
                extra = {} if stamp is None else {"Timestamp": utc(stamp).replace(tzinfo=None)}
                newest = stamp is None
                for ip, status, d_in, d_out in tunnels:
                    state = 1.0 if status == "UP" else 0.0
                    d_in, d_out = (d_in, d_out) if newest else (0, 0)
                    for dims in ([("VpnId", vpn_id), ("TunnelIpAddress", ip)], [("TunnelIpAddress", ip)]):
                        dimensions = [{"Name": n, "Value": v} for n, v in dims]
                        data += [
                            {"MetricName": "TunnelState", "Value": state, "Dimensions": dimensions, **extra},
                            {"MetricName": "TunnelDataIn", "Value": float(d_in), "Unit": "Bytes", "Dimensions": dimensions, **extra},
                            {"MetricName": "TunnelDataOut", "Value": float(d_out), "Unit": "Bytes", "Dimensions": dimensions, **extra},
                        ]
                conn_dims = [{"Name": "VpnId", "Value": vpn_id}]
                data += [
                    {"MetricName": "TunnelState", "Value": sum(1.0 for t in tunnels if t[1] == "UP") / len(tunnels), "Dimensions": conn_dims, **extra},
                    {"MetricName": "TunnelDataIn", "Value": float(sum(t[2] for t in tunnels) if newest else 0), "Unit": "Bytes",
                     "Dimensions": conn_dims, **extra},
                    {"MetricName": "TunnelDataOut", "Value": float(sum(t[3] for t in tunnels) if newest else 0), "Unit": "Bytes",
                     "Dimensions": conn_dims, **extra},
                ]
            publish_metric_data(account, region, VPN_NAMESPACE, data)
            count += len(data)
        return count

    @staticmethod
    def _deltas(entry: dict[str, Any]) -> tuple[int, int]:
        if not entry:
            return 0, 0
        out = []
        for total_key, sent_key in (("data_in", "sent_in"), ("data_out", "sent_out")):
            total, sent = entry.get(total_key, 0), entry.get(sent_key, 0)
            # a counter that went backwards was reset by the data plane
            delta = total - sent if total >= sent else total
            entry[sent_key] = total
            out.append(delta)
        return out[0], out[1]

    def due(self, now: float) -> bool:
        with self._lock:
            return now - self._last_publish >= real_period(LAB_MINUTE)


def publish_metric_data(account: str, region: str, namespace: str, metric_data: list[dict[str, Any]]) -> None:
    """PutMetricData as the lab (goes through the patched backend, so alarms evaluate)."""
    cloudwatch_backends[account][region].put_metric_data(namespace, metric_data)


VPN_METRICS = VpnMetrics()
