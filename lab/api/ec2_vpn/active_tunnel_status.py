"""GetActiveVpnTunnelStatus: the algorithms a tunnel negotiated, from the lab's tunnel state.

moto 5.2.5 lacks the action. AWS answers with the active (negotiated) phase 1 and 2 algorithms,
DH groups and IKE version of the tunnel at that outside address. The lab's tunnels negotiate AWS's
first proposal (the first value of each list the tunnel was given, else AWS's defaults): the
values the device configuration shows (cgw_config.frozen_crypto), also while a tunnel is down,
as the configuration is provisioned either way.
"""

from __future__ import annotations

from moto.ec2.exceptions import EC2ClientError

from lab.api.ec2_vpn import models


def _first(options: dict, name: str, default):
    values = options.get(name) or []
    return values[0]["Value"] if values else default


def active_status(backend, vpn_connection_id: str, outside_ip: str) -> dict:
    conn = models.get_connection(backend, vpn_connection_id)
    tunnel = next((t for t in conn.lab_tunnels if t.outside_ip == outside_ip), None)
    if tunnel is None:
        raise EC2ClientError("InvalidParameterValue",
                             f"The VPN connection {conn.id} has no tunnel with outside IP address {outside_ip}")
    opts = tunnel.options
    versions = [v["Value"] for v in opts.get("IKEVersions") or []] or ["ikev1", "ikev2"]
    return {
        "Phase1EncryptionAlgorithm": _first(opts, "Phase1EncryptionAlgorithms", "AES128"),
        "Phase2EncryptionAlgorithm": _first(opts, "Phase2EncryptionAlgorithms", "AES128"),
        "Phase1IntegrityAlgorithm": _first(opts, "Phase1IntegrityAlgorithms", "SHA1"),
        "Phase2IntegrityAlgorithm": _first(opts, "Phase2IntegrityAlgorithms", "SHA1"),
        "Phase1DHGroup": int(_first(opts, "Phase1DHGroupNumbers", 2)),
        "Phase2DHGroup": int(_first(opts, "Phase2DHGroupNumbers", 2)),
        "IkeVersion": versions[0],
        "ProvisioningStatus": "pending" if conn.state == "pending" else "available",
    }
