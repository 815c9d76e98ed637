"""The ``/_lab`` control routes (JSON), mounted beside moto's app by the server."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from . import cloudwatch, ec2_vpn, notify
from . import settings as lab_settings
from .middleware import Faults, RequestLog


class BadRequest(Exception):
    pass


def _body() -> dict[str, Any]:
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    return data


def reset_all(log: RequestLog, faults: Faults) -> None:
    """moto's reset plus every piece of lab state."""
    from moto.moto_api._internal.models import moto_api_backend

    with cloudwatch.LOCK:
        moto_api_backend.reset()
    ec2_vpn.reset()
    cloudwatch.reset()
    notify.reset()
    lab_settings.reset()
    log.clear()
    faults.clear()


def _state_route(app: Flask, path: str, read, clear, write=None) -> None:
    """A piece of lab state at ``path``: GET reads it, DELETE clears it, PUT (with ``write``) sets it
    from the body; each answers with the state it leaves."""
    def view() -> Any:
        if request.method == "PUT":
            return jsonify(write(_body()))
        if request.method == "DELETE":
            clear()
        return jsonify(read())

    app.add_url_rule(path, endpoint=path.strip("/"), view_func=view, methods=["GET", "DELETE"] + (["PUT"] if write else []))


def create_control_app(log: RequestLog, faults: Faults) -> Flask:
    app = Flask("sitevpn_lab_control")

    @app.errorhandler(BadRequest)
    @app.errorhandler(ValueError)
    def _bad_request(exc: Exception) -> Any:
        return jsonify({"error": str(exc)}), 400

    @app.errorhandler(Exception)
    def _failed(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return jsonify({"error": exc.description}), exc.code
        return jsonify({"error": f"the lab failed: {type(exc).__name__}: {exc}"}), 500

    @app.get("/health")
    def health() -> Any:
        return jsonify({"ok": True, "ec2_vpn": True})

    for path, read, clear, write in (
        ("/requests", log.snapshot, log.clear, None),
        ("/faults", faults.get, faults.clear, faults.set),
        ("/settings", lab_settings.get, lab_settings.reset, lab_settings.update),
        ("/sns-messages", lambda: {"sns_messages": notify.sns_messages()}, notify.clear_sns_messages, None),
        ("/invocations", lambda: {"invocations": notify.invocations(), "running": notify.running()}, notify.clear_invocations,
         None),
    ):
        _state_route(app, path, read, clear, write)

    @app.post("/telemetry")
    def telemetry() -> Any:
        body = _body()
        if not body.get("outside_ip") or not body.get("status"):
            raise BadRequest("outside_ip and status are required")
        record = ec2_vpn.set_tunnel_telemetry(
            body["outside_ip"],
            body["status"],
            status_message=body.get("status_message"),
            accepted_route_count=body.get("accepted_route_count"),
        )
        if record is None:
            return jsonify({"error": f"no VPN tunnel has outside IP {body['outside_ip']}"}), 404
        cloudwatch.VPN_METRICS.report(record, data_in=body.get("data_in"), data_out=body.get("data_out"))
        return jsonify(record)

    @app.post("/bgp-routes")
    def bgp_routes() -> Any:
        body = _body()
        prefixes = body.get("prefixes")
        if not body.get("vpn_connection_id") or not isinstance(prefixes, list):
            raise BadRequest("vpn_connection_id and a list of prefixes are required")
        result = ec2_vpn.set_bgp_routes(body["vpn_connection_id"], prefixes)
        if result is None:
            return jsonify({"error": f"no VPN connection {body['vpn_connection_id']}"}), 404
        return jsonify(result)

    @app.post("/maintenance")
    def maintenance() -> Any:
        """Announce (or with ``pending: false`` withdraw) AWS tunnel endpoint maintenance."""
        body = _body()
        if not body.get("outside_ip"):
            raise BadRequest("outside_ip is required (vpn_connection_id, pending and auto_applied_after are optional)")
        record = ec2_vpn.set_pending_maintenance(
            body.get("vpn_connection_id"),
            body["outside_ip"],
            pending=body.get("pending", True),
            auto_applied_after=body.get("auto_applied_after"),
        )
        if record is None:
            return jsonify({"error": f"no VPN tunnel has outside IP {body['outside_ip']}"}), 404
        return jsonify(record)

    @app.get("/vpn-connections")
    def vpn_connections() -> Any:
        return jsonify({"vpn_connections": ec2_vpn.lab_view()})

    @app.post("/alarms/evaluate")
    def evaluate_alarms() -> Any:
        """Evaluate every alarm now (tests and demos need not wait for the next tick)."""
        for backend in cloudwatch.all_backends():
            for alarm in list(backend.alarms.values()):
                alarm.lab_next_eval = 0.0
        return jsonify({"changed": cloudwatch.tick()})

    @app.post("/reset")
    def reset() -> Any:
        reset_all(log, faults)
        return jsonify({"ok": True})

    return app
