# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The site model: what every stage after the AWS side needs to know of one site, computed once.

build_site_model(connection, site) takes the connection as AWS returns it (the vpn_connection
module's ``vpn_connection``, or one DescribeVpnConnections entry, with its
CustomerGatewayConfiguration) and the site's inventory, and returns::

    {
      "site": "site-bgp",
      "names": site_names.site_names(...),      # connection, gateways, alarm names
      "vpn_connection_id", "customer_gateway_id", "vpn_gateway_id",
      "routing": "bgp" | "static", "static_routes_only": bool,
      "primary_tunnel": 1, "backup_tunnel": 2,  # tunnel indexes, from the plan
      "site_prefixes": [...], "vpc_prefixes": [...],
      "plan": tunnel_plan.build_tunnel_plan(connection, site),   # holds the keys: no_log
      "device": {
        "type": "strongswan", "dataplane": "xfrm" | "libipsec", "box_prefix", "run_dir",
        "tunnels": [{"index": 1, "name": "tunnel1", "box": "svpnt1", "dev": "ipsec1",
                     "vici_socket": "/var/lib/.../svpnt1/charon.vici", "pid_file": ".../svpnt1/charon.pid",
                     "vici_uri": "unix://..." (libipsec) | None (xfrm: the host's charon)}],
      },
      "probes": {"lan_target": "..." | "", "vpc_targets": [...]},
    }

The tunnel plan is tunnel_plan.build_tunnel_plan's, unchanged: this module adds names and
layout around it and never re-derives a tunnel fact.
"""

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils import site_names as names
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import SITE_KEYS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import TunnelPlanError
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

DATAPLANES = ("xfrm", "libipsec")
# Inventory keys of the model that are not the plan's (tunnel_plan.SITE_KEYS).
MODEL_KEYS = ("name_prefix", "device_type", "dataplane", "box_prefix", "run_dir", "lan_probe_target", "vpc_probe_targets")


def _site_dict(site):
    if not isinstance(site, dict):
        raise TunnelPlanError("site", f"must be a dict, got {type(site).__name__}")
    if not site.get("name"):
        raise TunnelPlanError("site.name", "is required")
    unknown = sorted(set(site) - set(SITE_KEYS) - set(MODEL_KEYS))
    if unknown:
        raise TunnelPlanError("site", f"unknown keys: {', '.join(unknown)}")
    # None stands for "not set" (Jinja passes an unset inventory variable as none)
    return {k: v for k, v in site.items() if v is not None}


def device_layout(tunnels, device_type=None, dataplane=None, box_prefix=None, run_dir=None):
    """Where each tunnel lives on a strongSwan device (names from site_names).

    ``tunnels``: the plan's tunnels, or their indexes alone (a device's absent path, which has no
    connection: tunnel N is then named as the plan names it, ``tunnel<N>``).
    """
    tunnels = [t if isinstance(t, dict) else {"index": int(t), "name": names.tunnel_name(t)} for t in tunnels]
    dataplane = dataplane or names.DEFAULT_DATAPLANE
    if dataplane not in DATAPLANES:
        raise TunnelPlanError("site.dataplane", f"must be one of {', '.join(DATAPLANES)}, got {dataplane!r}")
    box_prefix = box_prefix or names.DEFAULT_BOX_PREFIX
    run_dir = run_dir or names.DEFAULT_RUN_DIR
    layout = []
    for tunnel in tunnels:
        box = names.box_name(box_prefix, tunnel["index"])
        socket = names.vici_socket(run_dir, box)
        layout.append({
            "index": tunnel["index"],
            "name": tunnel["name"],
            "box": box,
            "dev": names.tunnel_device(dataplane, tunnel["index"]),
            "vici_socket": socket,
            "pid_file": names.charon_pid_file(run_dir, box),
            # xfrm runs one charon on the host, reached on its default socket
            "vici_uri": f"unix://{socket}" if dataplane == "libipsec" else None,
        })
    return {
        "type": device_type or "strongswan",
        "dataplane": dataplane,
        "box_prefix": box_prefix,
        "run_dir": run_dir,
        "tunnels": layout,
    }


def build_site_model(connection, site):
    """The site model of ``connection`` for the inventory dict ``site`` (see the module doc)."""
    site = _site_dict(site)
    plan = build_tunnel_plan(connection, {k: v for k, v in site.items() if k in SITE_KEYS})
    primary = plan["primary_tunnel"]
    backup = next((t["index"] for t in plan["tunnels"] if t["index"] != primary), None)
    return {
        "site": site["name"],
        "names": names.site_names(site.get("name_prefix"), site["name"], len(plan["tunnels"])),
        "vpn_connection_id": plan["vpn_connection_id"],
        "customer_gateway_id": plan["customer_gateway_id"],
        "vpn_gateway_id": plan["vpn_gateway_id"],
        "routing": plan["routing"],
        "static_routes_only": plan["routing"] == "static",
        "primary_tunnel": primary,
        "backup_tunnel": backup,
        "site_prefixes": plan["site_prefixes"],
        "vpc_prefixes": plan["vpc_prefixes"],
        "plan": plan,
        "device": device_layout(plan["tunnels"], site.get("device_type"), site.get("dataplane"),
                                site.get("box_prefix"), site.get("run_dir")),
        "probes": {
            "lan_target": site.get("lan_probe_target") or "",
            "vpc_targets": list(site.get("vpc_probe_targets") or []),
        },
    }
