"""EC2's Site-to-Site VPN state and logic for the lab API, on moto's own objects.

moto keeps the objects (VPNConnection, CustomerGateway, VpnGateway, RouteTable); the state AWS has
and moto lacks lives as attributes on them (so moto's reset clears it too). Functions here take
the region's EC2 backend; the response layer (responses.py) only parses and serialises.

Lab-specific choice where AWS documents nothing checkable offline: with
PreSharedKeyStorage=SecretsManager the PSKs go into one secret per connection, named
``vpn-psk/<vpn-id>``, whose SecretString is a JSON object mapping each tunnel's outside IP to its
PSK; DescribeVpnConnections then carries PreSharedKeyArn and no PreSharedKey in TunnelOptions, and
the XML has no <pre_shared_key>.
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import json
import random
import secrets
import string
import threading
import time
from typing import Any

from moto.ec2.exceptions import EC2ClientError, InvalidVpnConnectionIdError
from moto.ec2.models import ec2_backends
from moto.ec2.models.vpn_connections import VPNConnection
from moto.ec2.utils import generic_filter

from lab.api import cgw_config
from lab.api import settings as lab_settings

# The collection's tunnel-option spec is the one home of AWS's rules, API names and defaults.
from ansible_collections.sitevpn.aws.plugins.module_utils import tunnel_options as _spec

_LINK_LOCAL = _spec.INSIDE_CIDR_RANGE

_PSK_CHARS = string.ascii_letters + string.digits + "._"

# Request (VpnTunnelOptionsSpecification) names that the describe shape (TunnelOption) spells otherwise.
_REQ_TO_DESCRIBE = {
    "DPDTimeoutSeconds": "DpdTimeoutSeconds",
    "DPDTimeoutAction": "DpdTimeoutAction",
    "IKEVersions": "IkeVersions",
}
# Tunnel fields that are not "options" but the tunnel's identity.
_IDENTITY_FIELDS = ("TunnelInsideCidr", "TunnelInsideIpv6Cidr", "PreSharedKey")

_TRANSITIONS = {"pending": "available", "modifying": "available", "deleting": "deleted"}

LOCK = threading.RLock()


# --------------------------------------------------------------------------- helpers


def _settings() -> dict:
    return lab_settings.get()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def invalid(message: str, code: str = "InvalidParameterValue") -> EC2ClientError:
    return EC2ClientError(code, message)


def _reserved_cidrs() -> list:
    return [ipaddress.ip_network(c) for c in _spec.RESERVED_INSIDE_CIDRS]


def _all_backends():
    for account_backends in list(ec2_backends.values()):
        yield from list(account_backends.values())


def _all_connections():
    for backend in _all_backends():
        for conn in list(backend.vpn_connections.values()):
            if getattr(conn, "lab_tunnels", None) is not None:
                yield backend, conn


def _random_psk() -> str:
    first = secrets.choice(_PSK_CHARS.replace("0", ""))
    return first + "".join(secrets.choice(_PSK_CHARS) for dummy in range(31))


def _ordered(items: list, key) -> list:
    """Tunnel order as the lab's setting says; each list gets its own order when shuffled."""
    items = sorted(items, key=key)
    mode = _settings()["tunnel_order"]
    if mode == "reversed":
        items.reverse()
    elif mode == "shuffled":
        random.shuffle(items)
    return items


def _ip_key(tunnel) -> Any:
    return ipaddress.ip_address(tunnel.outside_ip)


def ordered_tunnels(conn) -> list:
    return _ordered(conn.lab_tunnels, _ip_key)


def _api_field_name(field: str) -> str:
    """'tunnel_options[2].phase2_lifetime_seconds' -> 'TunnelOptions.2.Phase2LifetimeSeconds'."""
    head, dummy, name = field.partition(".")
    index = head[head.find("[") + 1 : head.find("]")] if "[" in head else ""
    spec_field = _spec.FIELDS.get(name.split(".")[0]) if name else None
    api = spec_field.api_name if spec_field is not None else name
    return ".".join(p for p in ("TunnelOptions", index, api) if p)


def _validate_spec(tunnel_options: list[dict]) -> None:
    """Run the collection's rules on request-form tunnel options; AWS's error code on failure."""
    try:
        _spec.validate_tunnel_options([_spec.from_api(t) for t in tunnel_options])
    except _spec.TunnelOptionError as err:
        problems = getattr(err, "errors", None) or [(err.field, err.message)]
        text = "; ".join(f"Value for parameter {_api_field_name(f)} is invalid: {m}" for f, m in problems)
        raise invalid(text) from None


# --------------------------------------------------------------------------- model


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
            "LastStatusChange": _now(),
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
            out[_REQ_TO_DESCRIBE.get(key, key)] = copy.deepcopy(value)
        log = {"CloudWatchLogOptions": {"LogEnabled": False}}
        given = (self.options.get("LogOptions") or {}).get("CloudWatchLogOptions") or {}
        log["CloudWatchLogOptions"].update(given)
        out["LogOptions"] = log
        return out

    def describe_snake(self) -> dict:
        """Options in the collection's snake_case, AWS's defaults applied."""
        return _spec.with_defaults(_spec.from_api(self.describe(include_psk=True)))


def _conn_state_get(self) -> str:
    state = self.__dict__.get("_lab_state", "available")
    target = _TRANSITIONS.get(state)
    if target is not None:
        delay = float(_settings()["state_delay_s"])
        if time.monotonic() - self.__dict__.get("_lab_state_since", 0.0) >= delay:
            state = target
            self.__dict__["_lab_state"] = state
    return state


def _conn_state_set(self, value: str) -> None:
    # moto's delete sets "deleted" outright; AWS goes through "deleting".
    if value == "deleted" and self.__dict__.get("_lab_state") not in (None, "deleted", "deleting"):
        value = "deleting"
    self.__dict__["_lab_state"] = value
    self.__dict__["_lab_state_since"] = time.monotonic()


def _conn_options_get(self) -> dict | None:
    tunnels = getattr(self, "lab_tunnels", None)
    if tunnels is None:
        return self.__dict__.get("_moto_options")
    opts = dict(self.lab_options)
    include_psk = self.pre_shared_key_storage != "SecretsManager"
    opts["TunnelOptions"] = [t.describe(include_psk) for t in _ordered(tunnels, _ip_key)]
    return opts


def _conn_options_set(self, value) -> None:
    self.__dict__["_moto_options"] = value


def _conn_telemetry(self) -> list | None:
    tunnels = getattr(self, "lab_tunnels", None)
    if tunnels is None:
        return None
    return [dict(t.telemetry) for t in _ordered(tunnels, _ip_key)]


def _conn_routes(self) -> list:
    return [
        {"DestinationCidrBlock": cidr, "State": state}  # as in real outputs: no Source
        for cidr, state in getattr(self, "lab_routes", {}).items()
    ]


def _conn_xml(self) -> str:
    tunnels = getattr(self, "lab_tunnels", None)
    if tunnels is None:
        return ""
    include_psk = self.pre_shared_key_storage != "SecretsManager"
    doc = {
        "vpn_connection_id": self.id,
        "customer_gateway_id": self.customer_gateway_id,
        "vpn_gateway_id": self.vpn_gateway_id,
        "type": self.type,
        "bgp": not self.lab_options.get("StaticRoutesOnly", False),
        "cgw_asn": self.lab_cgw_asn,
        "vgw_asn": self.lab_vgw_asn,
        "tunnels": [
            {
                "cgw_outside_ip": self.lab_cgw_ip,
                "vgw_outside_ip": t.outside_ip,
                "inside_cidr": t.inside_cidr,
                "pre_shared_key": t.psk if include_psk else None,
                "ike": t.frozen["ike"],
                "ipsec": t.frozen["ipsec"],
            }
            for t in _ordered(tunnels, _ip_key)
        ],
    }
    return cgw_config.render(doc)


def _vgw_asn(backend, vpn_gateway_id, transit_gateway_id) -> int:
    if vpn_gateway_id:
        asn = backend.get_vpn_gateway(vpn_gateway_id).amazon_side_asn
    else:
        tgw = backend.transit_gateways[transit_gateway_id]
        asn = (getattr(tgw, "options", None) or {}).get("AmazonSideAsn")
    return int(asn or 64512)


def _cgw_asn(cgw) -> int:
    return int(getattr(cgw, "bgp_asn_extended", None) or cgw.bgp_asn or 65000)


def _used_outside_ips() -> set:
    return {t.outside_ip for dummy, c in _all_connections() if c.state != "deleted" for t in c.lab_tunnels}


def _allocate_outside_ips(count: int) -> list[str]:
    pool = ipaddress.ip_network(_settings()["edge_pool"])
    used = _used_outside_ips()
    free = [str(ip) for ip in pool.hosts() if str(ip) not in used]
    if len(free) < count:
        raise EC2ClientError("VpnConnectionLimitExceeded", "The lab's edge address pool is exhausted")
    return free[:count]


def _gateway_key(conn) -> str:
    return conn.vpn_gateway_id or conn.transit_gateway_id


def _used_inside_cidrs(backend, gateway_id: str, exclude=None, ipv6: bool = False) -> set:
    used = set()
    for conn in backend.vpn_connections.values():
        if getattr(conn, "lab_tunnels", None) is None or conn.state == "deleted":
            continue
        if _gateway_key(conn) != gateway_id:
            continue
        for tun in conn.lab_tunnels:
            cidr = tun.inside_ipv6_cidr if ipv6 else tun.inside_cidr
            if tun is not exclude and cidr:
                used.add(ipaddress.ip_network(cidr))
    return used


def _check_inside_cidr(cidr: str, used: set, param: str = "TunnelInsideCidr") -> str:
    """The form and range rules are the spec's (already run); the per-gateway uniqueness is state."""
    try:
        net = ipaddress.ip_network(cidr)
    except ValueError:
        raise invalid(f"Value for parameter {param} is invalid: {cidr} is not a CIDR block") from None
    if net in used:
        raise invalid(
            f"Value for parameter {param} is invalid: {cidr} is already used by another tunnel on this gateway"
        )
    return str(net)


def _random_inside_ipv6_cidr(used: set) -> str:
    while True:
        net = ipaddress.ip_network((int(ipaddress.ip_address("fd00::")) + (random.getrandbits(118) << 2), 126))
        if net not in used:
            return str(net)


def _random_inside_cidr(used: set) -> str:
    reserved = set(_reserved_cidrs())
    while True:
        net = ipaddress.ip_network((int(_LINK_LOCAL.network_address) + 4 * random.randrange(16384), 30))
        if net not in reserved and net not in used:
            return str(net)


def _split_tunnel_spec(spec: dict) -> tuple[dict, dict]:
    """(identity fields, the other options as set) of a request-form tunnel spec."""
    identity = {k: spec[k] for k in _IDENTITY_FIELDS if spec.get(k) not in (None, "")}
    options = {k: copy.deepcopy(v) for k, v in spec.items() if k not in _IDENTITY_FIELDS and v is not None}
    return identity, options


# --------------------------------------------------------------------------- secrets manager


def _sm_backend(conn):
    from moto.secretsmanager.models import secretsmanager_backends

    return secretsmanager_backends[conn.lab_account][conn.lab_region]


def _store_psks_in_secret(conn) -> None:
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


# --------------------------------------------------------------------------- backend operations


def _parse_options(raw: dict | None) -> tuple[dict, list]:
    raw = copy.deepcopy(raw or {})
    tunnels = raw.pop("TunnelOptions", None) or []
    return raw, tunnels


def create_vpn_connection(backend, params: dict, account: str, region: str) -> VPNConnection:
    with LOCK:
        conn = _create_vpn_connection(backend, params, account, region)
        if conn.transit_gateway_id:
            backend.create_transit_gateway_vpn_attachment(vpn_id=conn.id, transit_gateway_id=conn.transit_gateway_id)
    return conn


def _create_vpn_connection(backend, params: dict, account: str, region: str) -> VPNConnection:
    vpn_type = params.get("Type")
    if vpn_type != "ipsec.1":
        raise invalid(f"The VPN connection type '{vpn_type}' is not supported; use ipsec.1")
    cgw_id = params.get("CustomerGatewayId")
    vgw_id = params.get("VpnGatewayId")
    tgw_id = params.get("TransitGatewayId")
    if vgw_id and tgw_id:
        raise invalid("The request must not contain both parameter vpnGatewayId and transitGatewayId")
    if not vgw_id and not tgw_id:
        raise EC2ClientError("MissingParameter", "The request must contain the parameter vpnGatewayId or transitGatewayId")
    cgw = backend.get_customer_gateway(cgw_id)
    if cgw.state == "deleted":
        raise EC2ClientError("InvalidCustomerGatewayID.NotFound", f"The customerGateway ID '{cgw_id}' does not exist")
    if vgw_id:
        vgw = backend.get_vpn_gateway(vgw_id)
        if vgw.state == "deleted":
            raise EC2ClientError("InvalidVpnGatewayID.NotFound", f"The virtual private gateway ID '{vgw_id}' does not exist")
    elif tgw_id not in backend.transit_gateways:
        raise EC2ClientError("InvalidTransitGatewayID.NotFound", f"Transit gateway {tgw_id} does not exist")

    storage = params.get("PreSharedKeyStorage") or "Standard"
    if storage not in ("Standard", "SecretsManager"):
        raise invalid(f"Invalid value '{storage}' for PreSharedKeyStorage; valid values: Standard, SecretsManager")

    options, tunnel_specs = _parse_options(params.get("Options"))
    _validate_connection_options(options, vgw_id, tgw_id)
    _validate_spec(tunnel_specs)  # also: at most two entries, no inside CIDR given twice

    gateway_id = vgw_id or tgw_id
    used = _used_inside_cidrs(backend, gateway_id)
    specs = list(tunnel_specs) + [{}] * (2 - len(tunnel_specs))
    identities = []
    for spec in specs:
        identity, opts = _split_tunnel_spec(spec)
        if "TunnelInsideCidr" in identity:
            identity["TunnelInsideCidr"] = _check_inside_cidr(identity["TunnelInsideCidr"], used)
            used.add(ipaddress.ip_network(identity["TunnelInsideCidr"]))
        identities.append((identity, opts))
    for identity, dummy in identities:
        if "TunnelInsideCidr" not in identity:
            identity["TunnelInsideCidr"] = _random_inside_cidr(used)
            used.add(ipaddress.ip_network(identity["TunnelInsideCidr"]))
    if options.get("TunnelInsideIpVersion") == "ipv6":
        used6 = _used_inside_cidrs(backend, gateway_id, ipv6=True)
        for identity, dummy in identities:
            cidr = identity.get("TunnelInsideIpv6Cidr")
            if cidr:
                identity["TunnelInsideIpv6Cidr"] = _check_inside_cidr(cidr, used6, "TunnelInsideIpv6Cidr")
            else:
                identity["TunnelInsideIpv6Cidr"] = _random_inside_ipv6_cidr(used6)
            used6.add(ipaddress.ip_network(identity["TunnelInsideIpv6Cidr"]))

    outside = _allocate_outside_ips(2)
    tags = params.get("_tags") or {}
    conn = backend.create_vpn_connection(
        vpn_type, cgw_id, vpn_gateway_id=vgw_id, transit_gateway_id=tgw_id, tags=tags
    )
    conn.lab_account, conn.lab_region = account, region
    conn.lab_options = _describe_connection_options(options)
    conn.lab_cgw_ip = cgw.ip_address
    conn.lab_cgw_asn = _cgw_asn(cgw)
    conn.lab_vgw_asn = _vgw_asn(backend, vgw_id, tgw_id)
    conn.lab_routes = {}
    conn.lab_bgp_prefixes = []
    conn.category = "VPN"
    conn.gateway_association_state = "associated"
    conn.pre_shared_key_storage = storage
    conn.pre_shared_key_arn = None
    conn.lab_tunnels = [
        Tunnel(
            outside_ip=ip,
            inside_cidr=identity["TunnelInsideCidr"],
            psk=identity.get("PreSharedKey") or _random_psk(),
            options=opts,
            inside_ipv6_cidr=identity.get("TunnelInsideIpv6Cidr"),
        )
        for ip, (identity, opts) in zip(outside, identities)
    ]
    conn.state = "pending"
    if storage == "SecretsManager":
        _store_psks_in_secret(conn)
    return conn


def _validate_connection_options(options: dict, vgw_id, tgw_id) -> None:
    for key in ("LocalIpv4NetworkCidr", "RemoteIpv4NetworkCidr", "LocalIpv6NetworkCidr", "RemoteIpv6NetworkCidr"):
        if options.get(key):
            try:
                net = ipaddress.ip_network(options[key])
            except ValueError:
                raise invalid(f"Value ({options[key]}) for parameter {key} is invalid: not a CIDR block") from None
            if net.version != (6 if "Ipv6" in key else 4):
                raise invalid(f"Value ({options[key]}) for parameter {key} is invalid: wrong IP version")
    version = options.get("TunnelInsideIpVersion") or "ipv4"
    if version not in ("ipv4", "ipv6"):
        raise invalid(f"Value ({version}) for parameter TunnelInsideIpVersion is invalid: ipv4 or ipv6")
    if version == "ipv6" and not tgw_id:
        raise invalid("TunnelInsideIpVersion ipv6 is only supported for VPN connections to a transit gateway")
    address_type = options.get("OutsideIpAddressType") or "PublicIpv4"
    if address_type not in ("PublicIpv4", "PrivateIpv4", "Ipv6"):
        raise invalid(f"Value ({address_type}) for parameter OutsideIpAddressType is invalid")
    if address_type == "PrivateIpv4" and not options.get("TransportTransitGatewayAttachmentId"):
        raise invalid("OutsideIpAddressType PrivateIpv4 requires TransportTransitGatewayAttachmentId")
    if options.get("EnableAcceleration") and not tgw_id:
        raise invalid("Acceleration is only supported for VPN connections to a transit gateway")
    if options.get("TunnelBandwidth") not in (None, "standard", "large"):
        raise invalid(f"Value ({options['TunnelBandwidth']}) for parameter TunnelBandwidth is invalid")


def _describe_connection_options(options: dict) -> dict:
    version = options.get("TunnelInsideIpVersion") or "ipv4"
    out = {
        "EnableAcceleration": bool(options.get("EnableAcceleration", False)),
        "StaticRoutesOnly": bool(options.get("StaticRoutesOnly", False)),
        "OutsideIpAddressType": options.get("OutsideIpAddressType") or "PublicIpv4",
        "TunnelInsideIpVersion": version,
    }
    if version == "ipv4":
        out["LocalIpv4NetworkCidr"] = options.get("LocalIpv4NetworkCidr") or "0.0.0.0/0"
        out["RemoteIpv4NetworkCidr"] = options.get("RemoteIpv4NetworkCidr") or "0.0.0.0/0"
    else:
        out["LocalIpv6NetworkCidr"] = options.get("LocalIpv6NetworkCidr") or "::/0"
        out["RemoteIpv6NetworkCidr"] = options.get("RemoteIpv6NetworkCidr") or "::/0"
    for key in ("TransportTransitGatewayAttachmentId", "TunnelBandwidth"):
        if options.get(key):
            out[key] = options[key]
    return out


def _get_conn(backend, vpn_connection_id: str) -> VPNConnection:
    conn = backend.vpn_connections.get(vpn_connection_id)
    if conn is None or getattr(conn, "lab_tunnels", None) is None:
        raise InvalidVpnConnectionIdError(vpn_connection_id)
    return conn


def _require_available(conn) -> None:
    state = conn.state
    if state != "available":
        raise EC2ClientError(
            "IncorrectState", f"The VPN connection {conn.id} is in state {state}; it must be available"
        )


def _get_tunnel(conn, outside_ip: str) -> Tunnel:
    for tun in conn.lab_tunnels:
        if tun.outside_ip == outside_ip:
            return tun
    raise invalid(f"The VPN tunnel outside IP address {outside_ip} does not belong to {conn.id}")


def _modify_tunnel(backend, conn, outside_ip: str, spec: dict, storage: str | None) -> None:
    _require_available(conn)
    tun = _get_tunnel(conn, outside_ip)
    identity, opts = _split_tunnel_spec(spec or {})
    merged = copy.deepcopy(tun.options)
    merged.update(opts)
    check = dict(merged)
    check.update(identity)
    _validate_spec([check])
    if "TunnelInsideCidr" in identity:
        used = _used_inside_cidrs(backend, _gateway_key(conn), exclude=tun)
        identity["TunnelInsideCidr"] = _check_inside_cidr(identity["TunnelInsideCidr"], used)
    if "TunnelInsideIpv6Cidr" in identity:
        used6 = _used_inside_cidrs(backend, _gateway_key(conn), exclude=tun, ipv6=True)
        identity["TunnelInsideIpv6Cidr"] = _check_inside_cidr(
            identity["TunnelInsideIpv6Cidr"], used6, "TunnelInsideIpv6Cidr"
        )
    if storage not in (None, "", "Standard", "SecretsManager"):
        raise invalid(f"Invalid value '{storage}' for PreSharedKeyStorage; valid values: Standard, SecretsManager")
    tun.options = merged
    if "TunnelInsideCidr" in identity:
        tun.inside_cidr = identity["TunnelInsideCidr"]
    if "TunnelInsideIpv6Cidr" in identity:
        tun.inside_ipv6_cidr = identity["TunnelInsideIpv6Cidr"]
    if "PreSharedKey" in identity:
        tun.psk = identity["PreSharedKey"]
    if storage:
        conn.pre_shared_key_storage = storage
    if conn.pre_shared_key_storage == "SecretsManager":
        _store_psks_in_secret(conn)
    conn.state = "modifying"


def modify_tunnel_options(backend, vpn_connection_id, outside_ip, spec, storage, skip_replacement) -> VPNConnection:
    with LOCK:
        conn = _get_conn(backend, vpn_connection_id)
        _modify_tunnel(backend, conn, outside_ip, spec or {}, storage)
        conn.lab_skip_tunnel_replacement = bool(skip_replacement)
    return conn


_CONNECTION_CIDR_OPTIONS = (
    "LocalIpv4NetworkCidr",
    "RemoteIpv4NetworkCidr",
    "LocalIpv6NetworkCidr",
    "RemoteIpv6NetworkCidr",
    "TunnelBandwidth",
)


def modify_connection_options(backend, vpn_connection_id: str, changes: dict) -> VPNConnection:
    with LOCK:
        conn = _get_conn(backend, vpn_connection_id)
        _require_available(conn)
        merged = dict(conn.lab_options)
        merged.update({k: v for k, v in changes.items() if k in _CONNECTION_CIDR_OPTIONS and v})
        _validate_connection_options(merged, conn.vpn_gateway_id, conn.transit_gateway_id)
        conn.lab_options = merged
        conn.state = "modifying"
    return conn


def modify_connection(backend, vpn_connection_id, cgw_id=None, vgw_id=None, tgw_id=None) -> VPNConnection:
    """ModifyVpnConnection: another customer gateway or target gateway; outside IPs and PSKs stay."""
    with LOCK:
        conn = _get_conn(backend, vpn_connection_id)
        _require_available(conn)
        if vgw_id and tgw_id:
            raise invalid("The request must not contain both parameter vpnGatewayId and transitGatewayId")
        if cgw_id:
            cgw = backend.get_customer_gateway(cgw_id)
            conn.customer_gateway_id = cgw_id
            conn.lab_cgw_ip, conn.lab_cgw_asn = cgw.ip_address, _cgw_asn(cgw)
        if vgw_id:
            backend.get_vpn_gateway(vgw_id)
            conn.vpn_gateway_id, conn.transit_gateway_id = vgw_id, None
            conn.lab_vgw_asn = _vgw_asn(backend, vgw_id, None)
        elif tgw_id:
            if tgw_id not in backend.transit_gateways:
                raise EC2ClientError("InvalidTransitGatewayID.NotFound", f"Transit gateway {tgw_id} does not exist")
            conn.vpn_gateway_id, conn.transit_gateway_id = None, tgw_id
            conn.lab_vgw_asn = _vgw_asn(backend, None, tgw_id)
        conn.state = "modifying"
    return conn


def replace_tunnel(backend, vpn_connection_id: str, outside_ip: str) -> None:
    with LOCK:
        conn = _get_conn(backend, vpn_connection_id)
        _require_available(conn)
        tun = _get_tunnel(conn, outside_ip)
        tun.replacements += 1
        if tun.telemetry["Status"] != "DOWN":
            tun.telemetry.update(Status="DOWN", StatusMessage="", LastStatusChange=_now())


def _route_cidr(cidr) -> str:
    try:
        return str(ipaddress.ip_network(cidr))
    except (ValueError, TypeError):
        raise invalid(
            f"Value ({cidr}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block."
        ) from None


def create_connection_route(backend, vpn_connection_id: str, cidr: str) -> None:
    with LOCK:
        conn = _get_conn(backend, vpn_connection_id)
        cidr = _route_cidr(cidr)
        if not conn.lab_options.get("StaticRoutesOnly"):
            raise invalid(f"The VPN connection {conn.id} does not use static routing (StaticRoutesOnly is false)")
        conn.lab_routes[cidr] = "available"


def delete_connection_route(backend, vpn_connection_id: str, cidr: str) -> None:
    with LOCK:
        conn = _get_conn(backend, vpn_connection_id)
        cidr = _route_cidr(cidr)
        if conn.lab_routes.get(cidr) != "available":
            raise EC2ClientError("InvalidRoute.NotFound", f"The route {cidr} of {conn.id} does not exist")
        conn.lab_routes[cidr] = "deleted"


def enable_vgw_route_propagation(backend, vgw_id: str, route_table_id: str) -> None:
    with LOCK:
        vgw = backend.get_vpn_gateway(vgw_id)
        table = backend.get_route_table(route_table_id)
        attached = [a for a in vgw.attachments.values() if a.state == "attached"]
        if not any(a.vpc_id == table.vpc_id for a in attached):
            raise EC2ClientError("Gateway.NotAttached", f"resource {vgw.id} is not attached to network {table.vpc_id}")
        vgws = table.__dict__.setdefault("lab_propagating_vgws", [])
        if vgw.id not in vgws:
            vgws.append(vgw.id)


def disable_vgw_route_propagation(backend, vgw_id: str, route_table_id: str) -> None:
    with LOCK:
        vgw = backend.get_vpn_gateway(vgw_id)
        table = backend.get_route_table(route_table_id)
        vgws = table.__dict__.setdefault("lab_propagating_vgws", [])
        if vgw.id in vgws:
            vgws.remove(vgw.id)


def get_connection(backend, vpn_connection_id: str) -> VPNConnection:
    return _get_conn(backend, vpn_connection_id)


# --------------------------------------------------------------------------- customer gateways


def create_customer_gateway(
    backend, gateway_type, ip_address, bgp_asn, bgp_asn_ext, certificate_arn, device_name, tags
):
    """CreateCustomerGateway with BgpAsnExtended, CertificateArn and DeviceName (moto drops them)."""
    if gateway_type != "ipsec.1":
        raise invalid(f"Value ({gateway_type}) for parameter type is invalid. Valid value: ipsec.1")
    if bgp_asn is not None and bgp_asn_ext is not None:
        raise EC2ClientError("InvalidParameterCombination", "Specify either BgpAsn or BgpAsnExtended, not both")
    if bgp_asn is not None and not 1 <= int(bgp_asn) <= 2147483647:
        raise invalid(f"Value ({bgp_asn}) for parameter BgpAsn is invalid: 1-2147483647 (use BgpAsnExtended above)")
    if bgp_asn_ext is not None:
        try:
            ext = int(bgp_asn_ext)
        except ValueError:
            ext = 0
        if not 2147483648 <= ext <= 4294967294:
            raise invalid(f"Value ({bgp_asn_ext}) for parameter BgpAsnExtended is invalid: 2147483648-4294967294")
    if not ip_address and not certificate_arn:
        raise EC2ClientError("MissingParameter", "The request must contain the parameter IpAddress")
    if ip_address:
        try:
            if ipaddress.ip_address(ip_address).version != 4:
                raise ValueError
        except ValueError:
            raise invalid(f"Value ({ip_address}) for parameter ipAddress is invalid. Invalid format.") from None
    asn = None if bgp_asn_ext is not None else str(bgp_asn if bgp_asn is not None else 65000)
    ext = str(bgp_asn_ext) if bgp_asn_ext is not None else None
    with LOCK:
        for cgw in backend.customer_gateways.values():
            # AWS: an identical request returns the existing gateway instead of a duplicate
            if (cgw.state, cgw.ip_address, cgw.bgp_asn, cgw.bgp_asn_extended, cgw.device_name, cgw.certificate_arn) == (
                "available",
                ip_address,
                asn,
                ext,
                device_name,
                certificate_arn,
            ):
                return cgw
        cgw = backend.create_customer_gateway(gateway_type, ip_address=ip_address, bgp_asn=asn, tags=tags)
        cgw.bgp_asn_extended = ext
        cgw.certificate_arn = certificate_arn
        cgw.device_name = device_name
    return cgw


def _wrap_delete_customer_gateway(original):
    def delete_customer_gateway(self, customer_gateway_id: str) -> None:
        with LOCK:
            for conn in self.vpn_connections.values():
                if conn.customer_gateway_id == customer_gateway_id and conn.state not in ("deleted", "deleting"):
                    raise EC2ClientError(
                        "IncorrectState", f"The customer gateway {customer_gateway_id} is in use by {conn.id}"
                    )
            return original(self, customer_gateway_id)

    delete_customer_gateway.lab_patched = True
    delete_customer_gateway.lab_original = original
    return delete_customer_gateway


# Virtual private gateways: AmazonSideAsn default and range, one VPC at a time.


def _wrap_create_vpn_gateway(original):
    def create_vpn_gateway(self, gateway_type="ipsec.1", amazon_side_asn=None, availability_zone=None, tags=None):
        if amazon_side_asn in (None, ""):
            asn = 64512
        else:
            try:
                asn = int(amazon_side_asn)
            except ValueError:
                asn = -1
            if not (64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294):
                raise invalid(
                    f"Value ({amazon_side_asn}) for parameter amazonSideAsn is invalid: "
                    "64512-65534 or 4200000000-4294967294"
                )
        return original(self, gateway_type or "ipsec.1", asn, availability_zone, tags)

    create_vpn_gateway.lab_patched = True
    create_vpn_gateway.lab_original = original
    return create_vpn_gateway


def _wrap_attach_vpn_gateway(original):
    def attach_vpn_gateway(self, vpn_gateway_id: str, vpc_id: str):
        with LOCK:
            vgw = self.get_vpn_gateway(vpn_gateway_id)
            for attachment in vgw.attachments.values():
                if attachment.state == "attached" and attachment.vpc_id != vpc_id:
                    raise EC2ClientError(
                        "VpnGatewayAttachmentLimitExceeded",
                        f"The virtual private gateway {vpn_gateway_id} is already attached to {attachment.vpc_id}",
                    )
            return original(self, vpn_gateway_id, vpc_id)

    attach_vpn_gateway.lab_patched = True
    attach_vpn_gateway.lab_original = original
    return attach_vpn_gateway


# Route tables: PropagatingVgws and routes propagated from the VGW's connections.


class PropagatedRoute:
    def __init__(self, cidr: str, vgw_id: str):
        self.destination_cidr_block = cidr
        self.gateway_id = vgw_id
        self.origin = "EnableVgwRoutePropagation"
        self.state = "active"
        self.gateway = None


def _table_propagating_vgws(self) -> list:
    return [{"GatewayId": g} for g in self.__dict__.get("lab_propagating_vgws", [])]


def _propagated_routes(table) -> list:
    vgws = table.__dict__.get("lab_propagating_vgws") or []
    if not vgws:
        return []
    own = {r.destination_cidr_block for r in table._routes.values()}
    seen, out = set(), []
    for conn in table.ec2_backend.vpn_connections.values():
        if getattr(conn, "lab_tunnels", None) is None or conn.vpn_gateway_id not in vgws:
            continue
        if conn.state not in ("available", "modifying"):
            continue
        static = [c for c, s in conn.lab_routes.items() if s == "available"]
        for cidr in list(conn.lab_bgp_prefixes) + static:
            if cidr in own or (cidr, conn.vpn_gateway_id) in seen:
                continue
            seen.add((cidr, conn.vpn_gateway_id))
            out.append(PropagatedRoute(cidr, conn.vpn_gateway_id))
    return out


def _table_routes(self) -> list:
    return list(self._routes.values()) + _propagated_routes(self)


# Filters AWS documents that moto answers wrongly or not at all.

_VPN_FILTERS = {
    "vpn-connection-id": lambda c: c.id,
    "customer-gateway-id": lambda c: c.customer_gateway_id,
    "vpn-gateway-id": lambda c: c.vpn_gateway_id or "",
    "transit-gateway-id": lambda c: c.transit_gateway_id or "",
    "state": lambda c: c.state,
    "type": lambda c: c.type,
    "category": lambda c: "VPN",
    "customer-gateway-configuration": lambda c: c.customer_gateway_configuration,
    "option.static-routes-only": lambda c: bool(c.lab_options.get("StaticRoutesOnly", False)),
    "route.destination-cidr-block": lambda c: list(c.lab_routes),
    "bgp-asn": lambda c: str(c.lab_cgw_asn),
}

_CGW_FILTERS = {
    "customer-gateway-id": lambda g: g.id,
    "ip-address": lambda g: g.ip_address or "",
    "bgp-asn": lambda g: str(g.bgp_asn_extended or g.bgp_asn or ""),
    "state": lambda g: g.state,
    "type": lambda g: g.type,
    "device-name": lambda g: g.device_name or "",
}


def _wrap_filter_value(original, table):
    def get_filter_value(self, filter_name, method_name=None):
        getter = table.get(filter_name)
        if getter is not None and (table is not _VPN_FILTERS or getattr(self, "lab_tunnels", None) is not None):
            return getter(self)
        return original(self, filter_name, method_name)

    get_filter_value.lab_patched = True
    get_filter_value.lab_original = original
    return get_filter_value


def _wrap_describe_customer_gateways(original):
    def describe_customer_gateways(self, filters=None, customer_gateway_ids=None):
        found = original(self, None, customer_gateway_ids)
        missing = set(customer_gateway_ids or ()) - {g.id for g in found}
        if missing:
            raise EC2ClientError(
                "InvalidCustomerGatewayID.NotFound", f"The customerGateway ID '{sorted(missing)[0]}' does not exist"
            )
        return generic_filter(filters, found)

    describe_customer_gateways.lab_patched = True
    describe_customer_gateways.lab_original = original
    return describe_customer_gateways


# --------------------------------------------------------------------------- lab interface


def set_tunnel_telemetry(outside_ip, status, status_message=None, accepted_route_count=None) -> dict | None:
    """Update VgwTelemetry of the tunnel with that outside IP (data plane report)."""
    status = str(status).upper()
    if status not in ("UP", "DOWN"):
        raise ValueError(f"status must be UP or DOWN, not {status!r}")
    with LOCK:
        for backend, conn in _all_connections():
            if conn.state == "deleted":
                continue
            for tun in conn.lab_tunnels:
                if tun.outside_ip != outside_ip:
                    continue
                tel = tun.telemetry
                changed = tel["Status"] != status
                if changed:
                    tel["Status"] = status
                    tel["LastStatusChange"] = _now()
                if accepted_route_count is not None:
                    tel["AcceptedRouteCount"] = int(accepted_route_count)
                if status_message is not None:
                    tel["StatusMessage"] = status_message
                elif changed or accepted_route_count is not None:
                    # what AWS shows for a BGP tunnel that is up: "<n> BGP ROUTES"
                    bgp = not conn.lab_options.get("StaticRoutesOnly", False)
                    count = tel["AcceptedRouteCount"]
                    tel["StatusMessage"] = f"{count} BGP ROUTES" if status == "UP" and bgp else ""
                return {
                    "vpn_connection_id": conn.id,
                    "outside_ip": outside_ip,
                    "status": tel["Status"],
                    "status_message": tel["StatusMessage"],
                    "accepted_route_count": tel["AcceptedRouteCount"],
                    "last_status_change": tel["LastStatusChange"].isoformat(),
                    "changed": changed,
                    "account_id": backend.account_id,
                    "region": backend.region_name,
                }
    return None


def set_bgp_routes(vpn_connection_id: str, prefixes) -> dict | None:
    """Routes learned over BGP on that connection (replaces the previous set)."""
    normalized = [str(ipaddress.ip_network(p, strict=False)) for p in prefixes or []]
    with LOCK:
        for backend, conn in _all_connections():
            if conn.id != vpn_connection_id:
                continue
            conn.lab_bgp_prefixes = list(dict.fromkeys(normalized))
            tables = [
                t.id
                for t in backend.route_tables.values()
                if conn.vpn_gateway_id and conn.vpn_gateway_id in (t.__dict__.get("lab_propagating_vgws") or [])
            ]
            return {"vpn_connection_id": conn.id, "prefixes": conn.lab_bgp_prefixes, "route_tables": tables}
    return None


def _vpc_ids(backend, conn) -> list[str]:
    """The VPCs behind the connection's gateway (their CIDRs are what the AWS side advertises)."""
    if conn.vpn_gateway_id:
        vgw = backend.vpn_gateways.get(conn.vpn_gateway_id)
        return [a.vpc_id for a in (vgw.attachments.values() if vgw else ()) if a.state == "attached"]
    return [
        a.resource_id
        for a in backend.transit_gateway_attachments.values()
        if a.transit_gateway_id == conn.transit_gateway_id and a.resource_type == "vpc" and a.state == "available"
    ]


def _vpc_cidrs(backend, vpc_ids) -> list[str]:
    cidrs = []
    for vpc_id in vpc_ids:
        vpc = backend.vpcs.get(vpc_id)
        if vpc is not None:
            cidrs += [c["cidr_block"] for c in vpc.get_cidr_block_association_set() if c.get("cidr_block")]
    return list(dict.fromkeys(cidrs))


def lab_view() -> list[dict]:
    """Every connection with what the data plane needs (tunnels sorted by outside IP)."""
    out = []
    with LOCK:
        for backend, conn in _all_connections():
            cgw = backend.customer_gateways.get(conn.customer_gateway_id)
            tunnels = []
            for tun in sorted(conn.lab_tunnels, key=_ip_key):
                vgw_inside, cgw_inside = cgw_config.inside_addresses(tun.inside_cidr)
                entry = tun.describe_snake()
                entry.update(
                    {
                        "outside_ip": tun.outside_ip,
                        "inside_cidr": tun.inside_cidr,
                        "inside_ipv6_cidr": tun.inside_ipv6_cidr,
                        "vgw_inside_ip": vgw_inside,
                        "cgw_inside_ip": cgw_inside,
                        "psk": tun.psk,
                        "replacements": tun.replacements,
                        "status": tun.telemetry["Status"],
                    }
                )
                tunnels.append(entry)
            opts = conn.lab_options
            out.append(
                {
                    "vpn_connection_id": conn.id,
                    "account_id": backend.account_id,
                    "region": backend.region_name,
                    "state": conn.state,
                    "type": conn.type,
                    "customer_gateway_id": conn.customer_gateway_id,
                    "customer_gateway_ip": conn.lab_cgw_ip,
                    "customer_gateway_bgp_asn": conn.lab_cgw_asn,
                    "customer_gateway_device_name": getattr(cgw, "device_name", None),
                    "vpn_gateway_id": conn.vpn_gateway_id,
                    "transit_gateway_id": conn.transit_gateway_id,
                    "amazon_side_asn": conn.lab_vgw_asn,
                    "vpc_ids": _vpc_ids(backend, conn),
                    "vpc_cidrs": _vpc_cidrs(backend, _vpc_ids(backend, conn)),
                    "static_routes_only": bool(opts.get("StaticRoutesOnly", False)),
                    "static_routes": [c for c, s in conn.lab_routes.items() if s == "available"],
                    "bgp_prefixes": list(conn.lab_bgp_prefixes),
                    "pre_shared_key_storage": conn.pre_shared_key_storage,
                    "pre_shared_key_arn": conn.pre_shared_key_arn,
                    "options": {
                        "enable_acceleration": opts.get("EnableAcceleration", False),
                        "static_routes_only": opts.get("StaticRoutesOnly", False),
                        "local_ipv4_network_cidr": opts.get("LocalIpv4NetworkCidr"),
                        "remote_ipv4_network_cidr": opts.get("RemoteIpv4NetworkCidr"),
                        "local_ipv6_network_cidr": opts.get("LocalIpv6NetworkCidr"),
                        "remote_ipv6_network_cidr": opts.get("RemoteIpv6NetworkCidr"),
                        "outside_ip_address_type": opts.get("OutsideIpAddressType"),
                        "tunnel_inside_ip_version": opts.get("TunnelInsideIpVersion"),
                        "tunnel_bandwidth": opts.get("TunnelBandwidth"),
                    },
                    "tunnels": tunnels,
                }
            )
    return out
