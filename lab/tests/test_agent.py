"""lab/dataplane/agent.py: one report the API did not take does not keep the others from it."""
from __future__ import annotations

import socket

from lab.dataplane import agent


def test_a_failed_post_leaves_the_other_tunnels_reported_and_is_sent_again(monkeypatch):
    tele = [{"outside_ip": f"198.51.100.{i}", "status": "UP", "status_message": "1 BGP ROUTES",
             "accepted_route_count": 1} for i in (1, 2, 3)]
    routes = [{"vpn_connection_id": "vpn-1", "prefixes": ["172.16.0.0/16"]}]
    monkeypatch.setattr(agent.lab, "reconcile_once", lambda state_dir, api: {})
    views = {"vgw-1": ({}, {})}
    followed = []
    monkeypatch.setattr(agent.edge, "bgp_views", lambda state: views)
    # each round keeps the routers' fallback tables with the BGP view it reports from
    monkeypatch.setattr(agent.edge, "follow_bgp", lambda state, v: followed.append(v))
    monkeypatch.setattr(agent.edge, "telemetry", lambda state, v: (tele, routes) if v is views else ([], []))
    monkeypatch.setattr(agent, "read", lambda state_dir: None)
    monkeypatch.setattr(agent.time, "sleep", lambda s: None)
    posted, busy = [], {"198.51.100.1"}

    def post(api, path, body, timeout=5):
        key = body.get("outside_ip") or body["vpn_connection_id"]
        if key in busy:
            busy.discard(key)   # the API answers it next time
            raise socket.timeout("timed out")
        posted.append(key)

    monkeypatch.setattr(agent.connections, "post", post)
    agent.run("http://127.0.0.1:9", "/nonexistent", rounds=2)
    # round 1: the others despite the first's timeout; round 2: only the one not taken
    assert posted == ["198.51.100.2", "198.51.100.3", "vpn-1", "198.51.100.1"]
    assert followed == [views, views]
