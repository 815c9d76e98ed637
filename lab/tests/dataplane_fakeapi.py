"""A stand-in for the lab API's data-plane routes, for the data plane's own tests.

Serves GET /_lab/vpn-connections from ``self.connections`` and records POST /_lab/telemetry
and /_lab/bgp-routes, as the contract in the team brief describes them.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def connection(vpn_id: str, cgw_ip: str, outside: tuple[str, str], inside: tuple[str, str],
               *, psk: str = "labsecret", static: bool = False, routes=(), asn: int = 65000,
               vgw: str = "vgw-lab1", options: dict | None = None) -> dict:
    tunnels = []
    for o, i in zip(outside, inside):
        tunnels.append({"outside_ip": o, "inside_cidr": i, "psk": f"{psk}{o.rsplit('.', 1)[1]}",
                        "options": dict(options or {})})
    return {"vpn_connection_id": vpn_id, "state": "available", "vpn_gateway_id": vgw,
            "amazon_side_asn": 64512, "customer_gateway": {"ip_address": cgw_ip, "bgp_asn": asn},
            "static_routes_only": static, "routes": list(routes), "vpc_cidrs": ["10.0.0.0/16"],
            "tunnels": tunnels}


class FakeLabApi:
    def __init__(self):
        self.connections: list[dict] = []
        self.telemetry: dict[str, dict] = {}
        self.telemetry_posts = 0
        self.bgp_routes: dict[str, list[str]] = {}
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/_lab/vpn-connections":
                    with api.lock:
                        return self._json(200, {"vpn_connections": api.connections})
                return self._json(404, {"error": "not found"})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with api.lock:
                    if self.path == "/_lab/telemetry":
                        api.telemetry[body["outside_ip"]] = body
                        api.telemetry_posts += 1
                    elif self.path == "/_lab/bgp-routes":
                        api.bgp_routes[body["vpn_connection_id"]] = body["prefixes"]
                    else:
                        return self._json(404, {"error": "not found"})
                return self._json(200, {"ok": True})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
