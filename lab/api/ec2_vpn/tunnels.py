"""One VPN tunnel and what AWS allocates for it: outside IPs, inside CIDRs, pre-shared keys.

Lab-specific choice where AWS documents nothing checkable offline: with
PreSharedKeyStorage=SecretsManager the PSKs go into one secret per connection, named
``vpn-psk/<vpn-id>``, whose SecretString is a JSON object mapping each tunnel's outside IP to its
PSK; DescribeVpnConnections then carries PreSharedKeyArn and no PreSharedKey in TunnelOptions, and
the XML has no <pre_shared_key>.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import random
import secrets
import string

from moto.ec2.exceptions import EC2ClientError

from lab.api import cgw_config
from lab.api.ec2_vpn import rules
from lab.api.ec2_vpn.common import all_connections, now, settings
from lab.api.ec2_vpn.rules import invalid

_PSK_CHARS = string.ascii_letters + string.digits + "._"
# Tunnel fields that are not "options" but the tunnel's identity.
IDENTITY_FIELDS = ("TunnelInsideCidr", "TunnelInsideIpv6Cidr", "PreSharedKey")


def random_psk() -> str:
    first = secrets.choice(_PSK_CHARS.replace("0", ""))
    return first + "".join(secrets.choice(_PSK_CHARS) for dummy in range(31))


class Tunnel:
    """One tunnel of a VPN connection: identity, options as set, telemetry, frozen XML crypto."""

    def __init__(self, outside_ip: str, inside_cidr: str, psk: str, options: dict, inside_ipv6_cidr=None):
        self.outside_ip = outside_ip
        self.inside_cidr = inside_cidr
        self.inside_ipv6_cidr = inside_ipv6_cidr
        self.psk = psk
        self.options = options  # request form, only what was set, identity fields excluded
        self.frozen = cgw_config.frozen_crypto(options)  # AWS never updates the XML's crypto
        self.replacements = 0
        self.telemetry = {
            "OutsideIpAddress": outside_ip,
            "Status": "DOWN",
            "StatusMessage": "",
            "AcceptedRouteCount": 0,
            "LastStatusChange": now(),
        }

    def describe(self, include_psk: bool) -> dict:
        out: dict = {"OutsideIpAddress": self.outside_ip, "TunnelInsideCidr": self.inside_cidr}
        if self.inside_ipv6_cidr:
            out["TunnelInsideIpv6Cidr"] = self.inside_ipv6_cidr
        if include_psk:
            out["PreSharedKey"] = self.psk
        for key, value in self.options.items():
            if key == "LogOptions":
                continue
            out[rules.DESCRIBE_NAMES.get(key, key)] = copy.deepcopy(value)
        log = {"CloudWatchLogOptions": {"LogEnabled": False}}
        given = (self.options.get("LogOptions") or {}).get("CloudWatchLogOptions") or {}
        log["CloudWatchLogOptions"].update(given)
        out["LogOptions"] = log
        return out

    def describe_snake(self) -> dict:
        """Options in snake_case with AWS's defaults applied (the data plane's view)."""
        return rules.snake_with_defaults(self.describe(include_psk=True))


def used_outside_ips() -> set:
    return {t.outside_ip for dummy, c in all_connections() if c.state != "deleted" for t in c.lab_tunnels}


def allocate_outside_ips(count: int) -> list[str]:
    pool = ipaddress.ip_network(settings()["edge_pool"])
    used = used_outside_ips()
    free = []
    if count <= 0:
        return free
    # the first free ones in pool order, stopping there: listing a /16 pool each time cost 0.1 s a
    # connection (issue 18's 200-site bench)
    for ip in pool.hosts():
        if str(ip) not in used:
            free.append(str(ip))
            if len(free) == count:
                return free
    raise EC2ClientError("VpnConnectionLimitExceeded", "The lab's edge address pool is exhausted")


def gateway_key(conn) -> str:
    return conn.vpn_gateway_id or conn.transit_gateway_id


def used_inside_cidrs(backend, gateway_id: str, exclude=None, ipv6: bool = False) -> set:
    used = set()
    for conn in backend.vpn_connections.values():
        if getattr(conn, "lab_tunnels", None) is None or conn.state == "deleted":
            continue
        if gateway_key(conn) != gateway_id:
            continue
        for tun in conn.lab_tunnels:
            cidr = tun.inside_ipv6_cidr if ipv6 else tun.inside_cidr
            if tun is not exclude and cidr:
                used.add(ipaddress.ip_network(cidr))
    return used


def check_inside_cidr_free(cidr: str, used: set, param: str = "TunnelInsideCidr") -> str:
    """The form and range rules are rules.py's (already run); the per-gateway uniqueness is state."""
    try:
        net = ipaddress.ip_network(cidr)
    except ValueError:
        raise invalid(f"Value for parameter {param} is invalid: {cidr} is not a CIDR block") from None
    if net in used:
        raise invalid(
            f"Value for parameter {param} is invalid: {cidr} is already used by another tunnel on this gateway"
        )
    return str(net)


def random_inside_ipv6_cidr(used: set) -> str:
    while True:
        net = ipaddress.ip_network((int(ipaddress.ip_address("fd00::")) + (random.getrandbits(118) << 2), 126))
        if net not in used:
            return str(net)


def random_inside_cidr(used: set) -> str:
    reserved = set(rules.RESERVED_INSIDE)
    while True:
        net = ipaddress.ip_network((int(rules.INSIDE_RANGE.network_address) + 4 * random.randrange(16384), 30))
        if net not in reserved and net not in used:
            return str(net)


def split_tunnel_spec(spec: dict) -> tuple[dict, dict]:
    """(identity fields, the other options as set) of a request-form tunnel spec."""
    identity = {k: spec[k] for k in IDENTITY_FIELDS if spec.get(k) not in (None, "")}
    options = {k: copy.deepcopy(v) for k, v in spec.items() if k not in IDENTITY_FIELDS and v is not None}
    return identity, options


# --------------------------------------------------------------------------- secrets manager


def _sm_backend(conn):
    from moto.secretsmanager.models import secretsmanager_backends

    return secretsmanager_backends[conn.lab_account][conn.lab_region]


def store_psks_in_secret(conn) -> None:
    value = json.dumps({t.outside_ip: t.psk for t in conn.lab_tunnels}, sort_keys=True)
    backend = _sm_backend(conn)
    if conn.pre_shared_key_arn:
        backend.put_secret_value(
            secret_id=conn.pre_shared_key_arn,
            secret_string=value,
            secret_binary=None,
            client_request_token=None,
            version_stages=["AWSCURRENT"],
        )
        return
    created = backend.create_secret(
        name=f"vpn-psk/{conn.id}",
        secret_string=value,
        secret_binary=None,
        description=f"Pre-shared keys of {conn.id}",
        tags=[{"Key": "VpnConnectionId", "Value": conn.id}],
        kms_key_id=None,
        client_request_token=None,
        replica_regions=[],
        force_overwrite=False,
    )
    conn.pre_shared_key_arn = json.loads(created)["ARN"] if isinstance(created, str) else created["ARN"]
