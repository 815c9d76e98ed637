#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpn_tunnel_maintenance
short_description: Report and apply AWS tunnel endpoint maintenance of a Site-to-Site VPN connection
version_added: 0.1.0
description:
  - Reports each tunnel's pending AWS tunnel endpoint maintenance (GetVpnTunnelReplacementStatus's
    C(MaintenanceDetails)) and, when asked, applies it to one tunnel with ReplaceVpnTunnel and
    C(ApplyPendingMaintenance), then waits until AWS reports it applied.
  - Applying replaces that tunnel's AWS endpoint, which takes the tunnel down for a while. Drain
    traffic from the tunnel first and do one tunnel at a time (see the collection's
    C(docs/tunnel_maintenance.md)); this module does not drain or check the other tunnel.
  - Idempotent; a tunnel without pending maintenance is left alone (C(changed=false)).
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  vpn_connection_id:
    description:
      - The VPN connection.
    type: str
    required: true
  outside_ip:
    description:
      - The AWS-side outside IP address of the tunnel whose pending maintenance to apply.
      - Without it the module only reports.
    type: str
  apply_pending_maintenance:
    description:
      - Apply the pending maintenance of the tunnel O(outside_ip). Requires O(outside_ip).
    type: bool
    default: false
  force:
    description:
      - With O(apply_pending_maintenance=true), replace the tunnel's endpoint also when no maintenance
        is pending (ReplaceVpnTunnel without C(ApplyPendingMaintenance)); C(changed=true) every time.
    type: bool
    default: false
  wait:
    description:
      - Wait until AWS reports the maintenance applied (no pending maintenance, a new
        C(last_maintenance_applied)).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait.
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Each tunnel's pending maintenance
  sitevpn.aws.vpn_tunnel_maintenance:
    vpn_connection_id: vpn-0123456789abcdef0
  register: maintenance

- name: Apply the pending maintenance of the backup tunnel (drained first)
  sitevpn.aws.vpn_tunnel_maintenance:
    vpn_connection_id: vpn-0123456789abcdef0
    outside_ip: 52.27.166.152
    apply_pending_maintenance: true
"""

RETURN = r"""
tunnels:
  description: Each tunnel's maintenance, in outside-IP order, as it is after the module ran.
  returned: always
  type: list
  elements: dict
  contains:
    outside_ip:
      description: The tunnel's AWS-side outside IP address.
      type: str
      sample: 52.27.166.152
    status:
      description: The tunnel's telemetry status (C(UP) or C(DOWN)) when the module read the connection.
      type: str
      sample: UP
    pending_maintenance:
      description: AWS's description of the pending maintenance; null when none is pending.
      type: str
    maintenance_auto_applied_after:
      description: When AWS applies the pending maintenance by itself (ISO 8601, UTC); null when none is pending.
      type: str
      sample: "2026-05-01T02:00:00+00:00"
    last_maintenance_applied:
      description: When maintenance was last applied to the tunnel (ISO 8601, UTC); null when never.
      type: str
pending:
  description: The outside IPs of the tunnels with pending maintenance (after the module ran).
  returned: always
  type: list
  elements: str
applied:
  description: The tunnel whose maintenance was applied (or would be, in check mode); null when none.
  returned: always
  type: dict
  contains:
    outside_ip:
      description: The tunnel.
      type: str
    before:
      description: Its entry before.
      type: dict
    after:
      description: Its entry after.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import describe_vpn_connections
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_maintenance import apply_pending_maintenance
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_maintenance import tunnel_maintenance


def main():
    argument_spec = dict(
        vpn_connection_id=dict(type="str", required=True),
        outside_ip=dict(type="str"),
        apply_pending_maintenance=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("apply_pending_maintenance", True, ["outside_ip"])],
        supports_check_mode=True,
    )
    client = module.client("ec2")
    vpn_id = module.params["vpn_connection_id"]
    try:
        found = describe_vpn_connections(client, VpnConnectionIds=[vpn_id])
        if not found:
            module.fail_json(msg=f"VPN connection {vpn_id} does not exist", field="vpn_connection_id")
        applied = None
        changed = False
        if module.params["apply_pending_maintenance"]:
            outcome = apply_pending_maintenance(
                client,
                found[0],
                module.params["outside_ip"],
                check_mode=module.check_mode,
                force=module.params["force"],
                wait=module.params["wait"],
                timeout=module.params["wait_timeout"],
            )
            changed = outcome["changed"]
            if changed:
                applied = dict(outside_ip=module.params["outside_ip"], before=outcome["before"], after=outcome["after"])
        tunnels = tunnel_maintenance(client, found[0])
    except VpnError as e:
        module.fail_json(msg=e.message, **e.details)
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    if applied and module.check_mode:
        planned = dict(pending_maintenance=None, maintenance_auto_applied_after=None)
        tunnels = [dict(t, **planned) if t["outside_ip"] == applied["outside_ip"] else t for t in tunnels]
    module.exit_json(
        changed=changed,
        tunnels=tunnels,
        pending=[t["outside_ip"] for t in tunnels if t["pending_maintenance"]],
        applied=applied,
    )


if __name__ == "__main__":
    main()
