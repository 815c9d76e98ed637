"""Read the lab API's data-plane view (GET /_lab/vpn-connections) into one plain shape.

Tolerant of the few spellings the contract allows (nested or flat tunnel options, option
values as plain lists or AWS's ``[{"value": ...}]``), so the edge does not break on cosmetics.
AWS defaults fill whatever is missing, from the lab API's own rules (lab/api/ec2_vpn/rules.py).
"""
from __future__ import annotations

import copy
import json
import urllib.request

from lab.api.ec2_vpn import rules

from . import addressing as A

# snake_case tunnel option -> AWS's default (None: no default, e.g. the inside CIDR or the key)
DEFAULTS = {snake: default for snake, kind, dummy, default in rules.TUNNEL_FIELDS.values() if kind != "log"}


def _with_defaults(options: dict) -> dict:
    out = {k: copy.deepcopy(v) for k, v in DEFAULTS.items() if v is not None}
    out.update({k: v for k, v in options.items() if v is not None})
    return out


def values(v) -> list:
    if v is None:
        return []
    if not isinstance(v, (list, tuple)):
        v = [v]
    return [x.get("value", x.get("Value")) if isinstance(x, dict) else x for x in v]


def normalize_tunnel(t: dict) -> dict:
    opts = dict(t.get("options") or t.get("tunnel_options") or {})
    for k, v in t.items():
        if k in DEFAULTS and k not in opts:
            opts[k] = v
    opts = _with_defaults(opts)
    inside = t.get("inside_cidr") or t.get("tunnel_inside_cidr") or opts.get("tunnel_inside_cidr")
    vgw_in, cgw_in = A.inside_pair(inside)
    return {
        "outside_ip": t.get("outside_ip") or t.get("outside_ip_address"),
        "inside_cidr": inside,
        "vgw_inside_ip": (t.get("vgw_inside_ip") or vgw_in).split("/")[0],
        "cgw_inside_ip": (t.get("cgw_inside_ip") or cgw_in).split("/")[0],
        "psk": t.get("psk") or t.get("pre_shared_key") or opts.get("pre_shared_key"),
        # ReplaceVpnTunnel bumps it: the endpoint is replaced, so its charon restarts (edge.py)
        "replacements": int(t.get("replacements") or 0),
        "options": {k: (values(v) if isinstance(v, list) else v) for k, v in opts.items()},
    }


def normalize(raw: dict) -> dict:
    cgw = raw.get("customer_gateway") or {}
    routes = []
    for r in raw.get("routes") or raw.get("static_routes") or []:
        if isinstance(r, str):
            routes.append(r)
        elif r.get("state", "available") not in ("deleted", "deleting"):
            routes.append(r.get("destination_cidr_block") or r.get("cidr"))
    vpc = raw.get("vpc_cidrs") or ([raw["vpc_cidr"]] if raw.get("vpc_cidr") else [A.DEFAULT_VPC_CIDR])
    static = raw.get("static_routes_only")
    if static is None:
        static = (raw.get("options") or {}).get("static_routes_only", False)
    return {
        "id": raw.get("vpn_connection_id") or raw.get("id"),
        "state": raw.get("state", "available"),
        "gateway": raw.get("vpn_gateway_id") or raw.get("transit_gateway_id") or raw.get("vpn_connection_id"),
        "amazon_asn": int(raw.get("amazon_side_asn") or 64512),
        "cgw_ip": cgw.get("ip_address") or cgw.get("ip") or raw.get("customer_gateway_ip"),
        "cgw_asn": int(cgw.get("bgp_asn") or cgw.get("asn") or raw.get("customer_gateway_bgp_asn")
                       or raw.get("customer_gateway_asn") or 65000),
        "static": bool(static),
        "routes": sorted(r for r in routes if r),
        "vpc_cidrs": vpc,
        "tunnels": [normalize_tunnel(t) for t in raw.get("tunnels") or []],
    }


def active(conns: list[dict]) -> list[dict]:
    """Connections the edge should serve: all but deleting/deleted ones (AWS keeps a tunnel up while it is being modified)."""
    return [c for c in conns if c["state"] not in ("deleting", "deleted") and c["cgw_ip"] and c["tunnels"]]


# the lab API is on 127.0.0.1: never go through a proxy from the environment
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(api: str, timeout: float = 5) -> list[dict]:
    with _OPENER.open(f"{api.rstrip('/')}/_lab/vpn-connections", timeout=timeout) as resp:
        data = json.load(resp)
    return [normalize(c) for c in data.get("vpn_connections", [])]


def post(api: str, path: str, body: dict, timeout: float = 5) -> None:
    req = urllib.request.Request(f"{api.rstrip('/')}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with _OPENER.open(req, timeout=timeout) as resp:
        resp.read()
