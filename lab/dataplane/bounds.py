"""How long each step of the lab's data plane may take, from the protocol timers the lab sets.

Tests wait for a state with these bounds instead of guessed seconds: a wait returns as soon as the
state is reached, so a generous bound costs nothing on a fast machine and keeps a slow one (CI on
2 busy cores) from failing a good change. Each bound names the timers it is made of.
"""
from __future__ import annotations

from typing import Any, Callable

from lab import polling

# agent.run polls the lab API every second and reports telemetry on the same beat.
AGENT_INTERVAL = 1.0
# Reloading a crypto box (swanctl --load-all) and closing its SA (terminate, 2 s timeout).
BOX_RELOAD = 3.0
# charon's retransmission schedule (strongswan.render_strongswan_conf: timeout 4 s, base 1.8):
# an exchange whose first three packets are lost is answered by the fourth, 47.5 s in.
IKE_RETRANSMIT = tuple(4.0 * 1.8 ** i for i in range(4))
IKE_EXCHANGE = sum(IKE_RETRANSMIT)
# The edge's BGP timers (edge.py: keepalive 10 / hold 30) and FRR's connect retry once the tunnel is up.
BGP_HOLD = 30.0
BGP_CONNECT_RETRY = 10.0
# FRR applying a configuration change (vtysh / frr-reload) and zebra installing the result.
FRR_APPLY = 5.0

# A change in the lab API reaches the edge: the agent sees it and reloads the box.
EDGE_FOLLOWS = 2 * AGENT_INTERVAL + BOX_RELOAD
# A tunnel (re)negotiated after a change, and the lab API told (next telemetry beat).
TUNNEL_NEGOTIATED = EDGE_FOLLOWS + IKE_EXCHANGE + AGENT_INTERVAL
# Routes follow a tunnel event (updown on the device, zebra/agent on the edge).
ROUTES_FOLLOW = EDGE_FOLLOWS + FRR_APPLY
# A BGP session established once its tunnel is up, and its routes exchanged.
BGP_ESTABLISHED = TUNNEL_NEGOTIATED + BGP_CONNECT_RETRY + FRR_APPLY
# Four tunnels and two BGP sessions brought up from nothing (charons start one after another).
LAB_CONVERGED = 2 * TUNNEL_NEGOTIATED + BGP_CONNECT_RETRY


def wait_until(predicate: Callable[[], Any], bound: float, what: str, *, interval: float = 0.2,
               seen: Callable[[], Any] | None = None) -> Any:
    """PREDICATE's first true value within BOUND seconds, or AssertionError saying what was seen."""
    def timed_out() -> AssertionError:
        last = ""
        if seen is not None:
            try:
                last = f"; last seen: {seen()!r}"[:2000]
            except Exception as exc:  # pylint: disable=broad-exception-caught  # the report must not hide the timeout
                last = f"; could not read the state: {exc}"
        return AssertionError(f"timed out after {bound:.0f}s waiting for {what}{last}")

    return polling.wait_for(predicate, bound, interval, timed_out)
