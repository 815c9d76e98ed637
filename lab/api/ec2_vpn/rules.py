"""AWS's documented rules for Site-to-Site VPN requests, as the lab API enforces them.

Written from the EC2 API reference (VpnTunnelOptionsSpecification,
ModifyVpnTunnelOptionsSpecification, VpnConnectionOptionsSpecification, CreateCustomerGateway,
CreateVpnGateway; the pinned botocore carries the same text) and never from the collection's
code: the lab must be able to refuse what the product wrongly accepts. Everything here works on
the request form (``TunnelOptions.N.Phase1LifetimeSeconds``); a broken rule raises
``EC2ClientError`` with AWS's code, naming the parameter.
"""

from __future__ import annotations

import copy
import ipaddress
import itertools
import re
from typing import Any

from moto.ec2.exceptions import EC2ClientError

ENCRYPTION = ("AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16")
INTEGRITY = ("SHA1", "SHA2-256", "SHA2-384", "SHA2-512")
PHASE1_DH = (2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 35)
PHASE2_DH = (2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 35, 36, 37)
ML_KEM = (35, 36, 37)
# What AWS negotiates when a DH list is unset: every allowed group but the opt-in ML-KEM ones.
PHASE1_DH_DEFAULT = tuple(g for g in PHASE1_DH if g not in ML_KEM)
PHASE2_DH_DEFAULT = tuple(g for g in PHASE2_DH if g not in ML_KEM)
KEY_EXCHANGE_METHODS = PHASE2_DH
IKE_VERSIONS = ("ikev1", "ikev2")

INSIDE_RANGE = ipaddress.ip_network("169.254.0.0/16")
RESERVED_INSIDE = tuple(
    ipaddress.ip_network(c)
    for c in ("169.254.0.0/30", "169.254.1.0/30", "169.254.2.0/30", "169.254.3.0/30", "169.254.4.0/30",
              "169.254.5.0/30", "169.254.169.252/30")
)
INSIDE_IPV6_RANGE = ipaddress.ip_network("fd00::/8")
PSK_RE = re.compile(r"^[A-Za-z0-9._]{8,64}$")
MAX_TUNNELS = 2

# API name -> (snake name for the data plane's view, kind, allowed values or (min, max), default)
TUNNEL_FIELDS: dict[str, tuple[str, str, Any, Any]] = {
    "TunnelInsideCidr": ("tunnel_inside_cidr", "cidr4", None, None),
    "TunnelInsideIpv6Cidr": ("tunnel_inside_ipv6_cidr", "cidr6", None, None),
    "PreSharedKey": ("pre_shared_key", "psk", None, None),
    "Phase1LifetimeSeconds": ("phase1_lifetime_seconds", "int", (900, 28800), 28800),
    "Phase2LifetimeSeconds": ("phase2_lifetime_seconds", "int", (900, 3600), 3600),
    "RekeyMarginTimeSeconds": ("rekey_margin_time_seconds", "int", (60, None), 270),
    "RekeyFuzzPercentage": ("rekey_fuzz_percentage", "int", (0, 100), 100),
    "ReplayWindowSize": ("replay_window_size", "int", (64, 2048), 1024),
    "DPDTimeoutSeconds": ("dpd_timeout_seconds", "int", (30, None), 30),
    "DPDTimeoutAction": ("dpd_timeout_action", "str", ("clear", "none", "restart"), "clear"),
    "Phase1EncryptionAlgorithms": ("phase1_encryption_algorithms", "list", ENCRYPTION, list(ENCRYPTION)),
    "Phase2EncryptionAlgorithms": ("phase2_encryption_algorithms", "list", ENCRYPTION, list(ENCRYPTION)),
    "Phase1IntegrityAlgorithms": ("phase1_integrity_algorithms", "list", INTEGRITY, list(INTEGRITY)),
    "Phase2IntegrityAlgorithms": ("phase2_integrity_algorithms", "list", INTEGRITY, list(INTEGRITY)),
    "Phase1DHGroupNumbers": ("phase1_dh_group_numbers", "list", PHASE1_DH, list(PHASE1_DH_DEFAULT)),
    "Phase2DHGroupNumbers": ("phase2_dh_group_numbers", "list", PHASE2_DH, list(PHASE2_DH_DEFAULT)),
    "IKEVersions": ("ike_versions", "list", IKE_VERSIONS, list(IKE_VERSIONS)),
    "StartupAction": ("startup_action", "str", ("add", "start"), "add"),
    "LogOptions": ("log_options", "log", None, None),
    "EnableTunnelLifecycleControl": ("enable_tunnel_lifecycle_control", "bool", None, False),
    "Phase1AdditionalKeyExchanges": ("phase1_additional_key_exchanges", "rounds", None, []),
    "Phase2AdditionalKeyExchanges": ("phase2_additional_key_exchanges", "rounds", None, []),
}
# CloudWatchLogOptionsSpecification: API name -> (snake name, kind, default)
LOG_FIELDS = {
    "LogEnabled": ("log_enabled", "bool", False),
    "LogGroupArn": ("log_group_arn", "str", None),
    "LogOutputFormat": ("log_output_format", "format", "json"),
    "BgpLogEnabled": ("bgp_log_enabled", "bool", False),
    "BgpLogGroupArn": ("bgp_log_group_arn", "str", None),
    "BgpLogOutputFormat": ("bgp_log_output_format", "format", "json"),
}
# Describe (TunnelOption) spellings of request names.
DESCRIBE_NAMES = {"DPDTimeoutSeconds": "DpdTimeoutSeconds", "DPDTimeoutAction": "DpdTimeoutAction",
                  "IKEVersions": "IkeVersions"}
REQUEST_NAMES = {v: k for k, v in DESCRIBE_NAMES.items()}


def invalid(message: str, code: str = "InvalidParameterValue") -> EC2ClientError:
    return EC2ClientError(code, message)


def values(items: Any) -> list:
    """``[{"Value": x}]`` (the wire form) -> ``[x]``."""
    if not isinstance(items, (list, tuple)):
        items = [items]
    return [i.get("Value") if isinstance(i, dict) else i for i in items]


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


# --------------------------------------------------------------------------- one tunnel


def _check_cidr(value: Any, version: int, where: str) -> list[str]:
    try:
        net = ipaddress.ip_network(str(value), strict=True)
    except ValueError:
        return [f"{where}: {value} is not a CIDR block"]
    if version == 4:
        if net.version != 4 or net.prefixlen != 30 or not net.subnet_of(INSIDE_RANGE):
            return [f"{where}: {value} must be a size /30 CIDR block from the 169.254.0.0/16 range"]
        if net in RESERVED_INSIDE:
            return [f"{where}: {value} is a reserved CIDR block"]
        return []
    if net.version != 6 or net.prefixlen != 126 or not net.subnet_of(INSIDE_IPV6_RANGE):
        return [f"{where}: {value} must be a size /126 CIDR block from the local fd00::/8 range"]
    return []


def _check_psk(value: Any, where: str) -> list[str]:
    # never echo the key
    if not isinstance(value, str) or not PSK_RE.match(value) or value.startswith("0"):
        return [f"{where}: allowed characters are alphanumeric characters, periods (.) and underscores (_); "
                "8 to 64 characters; it cannot start with zero (0)"]
    return []


def _check_log(value: Any, where: str) -> list[str]:
    if not isinstance(value, dict) or set(value) - {"CloudWatchLogOptions"}:
        return [f"{where}: only CloudWatchLogOptions is allowed"]
    cw = value.get("CloudWatchLogOptions") or {}
    if not isinstance(cw, dict):
        return [f"{where}.CloudWatchLogOptions: must be a structure"]
    errors = []
    for key, item in cw.items():
        spec = LOG_FIELDS.get(key)
        here = f"{where}.CloudWatchLogOptions.{key}"
        if spec is None:
            errors.append(f"{here}: unknown parameter")
        elif spec[1] == "bool" and _as_bool(item) is None:
            errors.append(f"{here}: must be true or false")
        elif spec[1] == "format" and item not in ("json", "text"):
            errors.append(f"{here}: valid values are json | text")
    for flag, arn in (("LogEnabled", "LogGroupArn"), ("BgpLogEnabled", "BgpLogGroupArn")):
        if _as_bool(cw.get(flag)) and not cw.get(arn):
            errors.append(f"{where}.CloudWatchLogOptions.{arn}: required when {flag} is true")
    return errors


def _check_rounds(value: Any, where: str) -> list[str]:
    if not isinstance(value, (list, tuple)):
        return [f"{where}: must be a list of rounds"]
    errors, seen = [], set()
    for i, item in enumerate(value, 1):
        here = f"{where}.{i}"
        if not isinstance(item, dict):
            errors.append(f"{here}: must be a structure")
            continue
        number = _as_int(item.get("AdditionalKeyExchangeRound"))
        if number is None or not 1 <= number <= 7:
            errors.append(f"{here}.AdditionalKeyExchangeRound: must be a round number from 1 to 7")
        elif number in seen:
            errors.append(f"{here}.AdditionalKeyExchangeRound: each round must have a unique round number")
        seen.add(number)
        requirement = item.get("Requirement") or "required"
        if requirement not in ("required", "optional"):
            errors.append(f"{here}.Requirement: valid values are required | optional")
        methods = [_as_int(m) for m in values(item.get("KeyExchangeMethods") or [])]
        if any(m not in KEY_EXCHANGE_METHODS for m in methods):
            errors.append(f"{here}.KeyExchangeMethods: valid values are {' | '.join(map(str, KEY_EXCHANGE_METHODS))}")
        elif len(set(methods)) != len(methods):
            errors.append(f"{here}.KeyExchangeMethods: a method is listed twice")
        elif requirement == "required" and not methods:
            errors.append(f"{here}.KeyExchangeMethods: a required round needs at least one method")
    return errors


def _check_field(name: str, value: Any, where: str) -> list[str]:
    dummy, kind, allowed, dummy_default = TUNNEL_FIELDS[name]
    if kind in ("cidr4", "cidr6"):
        return _check_cidr(value, 4 if kind == "cidr4" else 6, where)
    if kind == "psk":
        return _check_psk(value, where)
    if kind == "log":
        return _check_log(value, where)
    if kind == "rounds":
        return _check_rounds(value, where)
    if kind == "bool":
        return [] if _as_bool(value) is not None else [f"{where}: must be true or false"]
    if kind == "str":
        return [] if value in allowed else [f"{where}: valid values are {' | '.join(allowed)}"]
    if kind == "int":
        number = _as_int(value)
        low, high = allowed
        if number is None or number < low or (high is not None and number > high):
            bound = f"between {low} and {high}" if high is not None else f"greater than or equal to {low}"
            return [f"{where}: {value} is not a value {bound}"]
        return []
    items = values(value)
    if not items:
        return [f"{where}: must list one or more values"]
    if any(i not in allowed for i in items):
        return [f"{where}: valid values are {' | '.join(map(str, allowed))}"]
    return []


def effective(options: dict) -> dict:
    """Request-form options with AWS's defaults for the rules that compare fields."""
    out = {name: copy.deepcopy(spec[3]) for name, spec in TUNNEL_FIELDS.items()}
    out.update({k: v for k, v in options.items() if v is not None})
    return out


def tunnel_errors(options: dict, where: str) -> list[str]:
    """Every rule one request-form tunnel spec breaks (``options`` merged with what is set)."""
    if not isinstance(options, dict):
        return [f"{where}: must be a structure"]
    errors = []
    for name, value in options.items():
        if value is None:
            continue
        if name not in TUNNEL_FIELDS:
            errors.append(f"{where}.{name}: unknown parameter")
            continue
        errors += _check_field(name, value, f"{where}.{name}")
    if errors:
        return errors
    eff = effective(options)
    p1, p2 = _as_int(eff["Phase1LifetimeSeconds"]), _as_int(eff["Phase2LifetimeSeconds"])
    if p2 >= p1:
        errors.append(f"{where}.Phase2LifetimeSeconds: {p2} must be less than Phase1LifetimeSeconds ({p1})")
    if _as_int(eff["RekeyMarginTimeSeconds"]) > p2 // 2:
        errors.append(f"{where}.RekeyMarginTimeSeconds: must be between 60 and half of Phase2LifetimeSeconds ({p2 // 2})")
    ike = set(values(eff["IKEVersions"]))
    for phase, groups in (("Phase1", "Phase1DHGroupNumbers"), ("Phase2", "Phase2DHGroupNumbers")):
        rounds = eff[f"{phase}AdditionalKeyExchanges"] or []
        if not rounds:
            continue
        here = f"{where}.{phase}AdditionalKeyExchanges"
        if "ikev2" not in ike:
            errors.append(f"{here}: additional key exchanges are supported only with IKEv2")
        required = [r for r in rounds if (r.get("Requirement") or "required") == "required"]
        if required and "ikev1" in ike:
            errors.append(f"{here}: you can't specify a required round if IKEVersions contains ikev1")
        sets = [set(values(eff[groups]))] + [set(values(r.get("KeyExchangeMethods") or [])) for r in required]
        if required and not _distinct(sets):
            errors.append(f"{here}: the initial exchange and each required round need a different method")
    return errors


def _distinct(candidates: list[set]) -> bool:
    """Can each exchange use its own method? Hall's condition: every group of exchanges offers at
    least as many methods between them as it has exchanges (the initial one and at most 7 rounds: at
    most 255 groups)."""
    return all(
        len(set().union(*(candidates[i] for i in group))) >= len(group)
        for size in range(1, len(candidates) + 1)
        for group in itertools.combinations(range(len(candidates)), size)
    )


def check_tunnels(tunnels: Any, prefix: str = "TunnelOptions") -> None:
    """CreateVpnConnection's TunnelOptions: at most two, each valid, no inside CIDR twice."""
    if not isinstance(tunnels, (list, tuple)):
        raise invalid(f"Value for parameter {prefix} is invalid: must be a list")
    errors = []
    if len(tunnels) > MAX_TUNNELS:
        errors.append(f"{prefix}: a VPN connection has {MAX_TUNNELS} tunnels, got {len(tunnels)}")
    for i, spec in enumerate(tunnels, 1):
        errors += tunnel_errors(spec, f"{prefix}.{i}")
    for key in ("TunnelInsideCidr", "TunnelInsideIpv6Cidr"):
        given = [str(t[key]) for t in tunnels if isinstance(t, dict) and t.get(key)]
        if len(set(given)) != len(given):
            errors.append(f"{prefix}: {key} must be unique for each tunnel")
    if errors:
        raise invalid("; ".join(_invalid_text(errors)))


def check_tunnel(options: dict, prefix: str = "TunnelOptions") -> None:
    """ModifyVpnTunnelOptions: the tunnel's options after the change, as one spec."""
    errors = tunnel_errors(options, prefix)
    if errors:
        raise invalid("; ".join(_invalid_text(errors)))


def _invalid_text(errors: list[str]) -> list[str]:
    out = []
    for text in errors:
        param, dummy, why = text.partition(": ")
        out.append(f"Value for parameter {param} is invalid: {why}")
    return out


# --------------------------------------------------------------------------- the data plane's view


def snake_with_defaults(tunnel_option: dict) -> dict:
    """A describe-form TunnelOption -> snake_case options with AWS's defaults (GET /_lab/vpn-connections)."""
    given = {REQUEST_NAMES.get(k, k): v for k, v in tunnel_option.items()}
    out: dict[str, Any] = {}
    if "OutsideIpAddress" in given:
        out["outside_ip_address"] = given["OutsideIpAddress"]
    for name, (snake, kind, dummy, default) in TUNNEL_FIELDS.items():
        value = given.get(name)
        if kind == "log":
            cw = (value or {}).get("CloudWatchLogOptions") or {}
            value = {"cloudwatch_log_options": {s: (cw[k] if cw.get(k) is not None else d)
                                                for k, (s, dummy_kind, d) in LOG_FIELDS.items()}}
        elif kind == "rounds":
            value = [{"round": r.get("AdditionalKeyExchangeRound"), "requirement": r.get("Requirement") or "required",
                      "methods": values(r.get("KeyExchangeMethods") or [])} for r in (value or [])]
        elif value is None:
            value = copy.deepcopy(default)
        elif kind == "list":
            value = values(value)
        out[snake] = value
    return out


# --------------------------------------------------------------------------- connection options

CONNECTION_DEFAULTS = {"EnableAcceleration": False, "StaticRoutesOnly": False, "TunnelInsideIpVersion": "ipv4",
                       "OutsideIpAddressType": "PublicIpv4"}
NETWORK_CIDRS = ("LocalIpv4NetworkCidr", "RemoteIpv4NetworkCidr", "LocalIpv6NetworkCidr", "RemoteIpv6NetworkCidr")


def check_connection_options(options: dict, vgw_id: str | None, tgw_id: str | None) -> None:
    """VpnConnectionOptionsSpecification, with what AWS allows per target gateway."""
    for key in NETWORK_CIDRS:
        if options.get(key):
            try:
                net = ipaddress.ip_network(str(options[key]))
            except ValueError:
                raise invalid(f"Value ({options[key]}) for parameter {key} is invalid: not a CIDR block") from None
            if net.version != (6 if "Ipv6" in key else 4):
                raise invalid(f"Value ({options[key]}) for parameter {key} is invalid: wrong IP version")
    for key in ("EnableAcceleration", "StaticRoutesOnly"):
        if options.get(key) is not None and _as_bool(options[key]) is None:
            raise invalid(f"Value ({options[key]}) for parameter {key} is invalid: true or false")
    version = options.get("TunnelInsideIpVersion") or "ipv4"
    if version not in ("ipv4", "ipv6"):
        raise invalid(f"Value ({version}) for parameter TunnelInsideIpVersion is invalid. Valid values: ipv4 | ipv6")
    if version == "ipv6" and not tgw_id:
        raise invalid("TunnelInsideIpVersion ipv6 is only supported for VPN connections to a transit gateway")
    if version == "ipv4" and any(options.get(k) for k in ("LocalIpv6NetworkCidr", "RemoteIpv6NetworkCidr")):
        raise invalid("LocalIpv6NetworkCidr and RemoteIpv6NetworkCidr need TunnelInsideIpVersion ipv6")
    address_type = options.get("OutsideIpAddressType") or "PublicIpv4"
    if address_type not in ("PublicIpv4", "PrivateIpv4", "Ipv6"):
        raise invalid(f"Value ({address_type}) for parameter OutsideIpAddressType is invalid. "
                      "Valid values: PrivateIpv4 | PublicIpv4 | Ipv6")
    if address_type == "PrivateIpv4" and not options.get("TransportTransitGatewayAttachmentId"):
        raise invalid("OutsideIpAddressType PrivateIpv4 requires TransportTransitGatewayAttachmentId")
    if _as_bool(options.get("EnableAcceleration")) and not tgw_id:
        raise invalid("Acceleration is only supported for VPN connections to a transit gateway")
    bandwidth = options.get("TunnelBandwidth")
    if bandwidth not in (None, "standard", "large"):
        raise invalid(f"Value ({bandwidth}) for parameter TunnelBandwidth is invalid. Valid values: standard | large")
    if bandwidth == "large" and not tgw_id:
        raise invalid("TunnelBandwidth large is only supported for VPN connections to a transit gateway or Cloud WAN")


def describe_connection_options(options: dict) -> dict:
    """The connection's Options as DescribeVpnConnections shows them (AWS's defaults filled in)."""
    out = {k: options.get(k) if options.get(k) is not None else v for k, v in CONNECTION_DEFAULTS.items()}
    out["EnableAcceleration"] = bool(_as_bool(out["EnableAcceleration"]))
    out["StaticRoutesOnly"] = bool(_as_bool(out["StaticRoutesOnly"]))
    if out["TunnelInsideIpVersion"] == "ipv4":
        out["LocalIpv4NetworkCidr"] = options.get("LocalIpv4NetworkCidr") or "0.0.0.0/0"
        out["RemoteIpv4NetworkCidr"] = options.get("RemoteIpv4NetworkCidr") or "0.0.0.0/0"
    else:
        out["LocalIpv6NetworkCidr"] = options.get("LocalIpv6NetworkCidr") or "::/0"
        out["RemoteIpv6NetworkCidr"] = options.get("RemoteIpv6NetworkCidr") or "::/0"
    for key in ("TransportTransitGatewayAttachmentId", "TunnelBandwidth"):
        if options.get(key):
            out[key] = options[key]
    return out


# --------------------------------------------------------------------------- gateways


def check_customer_gateway(gateway_type: Any, ip_address: Any, bgp_asn: Any, bgp_asn_ext: Any,
                           certificate_arn: Any, device_name: Any) -> tuple[str | None, str | None]:
    """CreateCustomerGateway; returns (BgpAsn, BgpAsnExtended) as AWS stores them."""
    if gateway_type != "ipsec.1":
        raise invalid(f"Value ({gateway_type}) for parameter type is invalid. Valid value: ipsec.1")
    if bgp_asn is not None and bgp_asn_ext is not None:
        raise invalid("Specify either BgpAsn or BgpAsnExtended, not both", "InvalidParameterCombination")
    if bgp_asn is not None:
        asn = _as_int(bgp_asn)
        if asn is None or not 1 <= asn <= 2147483647:
            raise invalid(f"Value ({bgp_asn}) for parameter BgpAsn is invalid. Valid values: 1 to 2,147,483,647 "
                          "(use BgpAsnExtended above)")
    if bgp_asn_ext is not None:
        ext = _as_int(bgp_asn_ext)
        if ext is None or not 2147483648 <= ext <= 4294967295:
            raise invalid(f"Value ({bgp_asn_ext}) for parameter BgpAsnExtended is invalid. "
                          "Valid values: 2,147,483,648 to 4,294,967,295")
    if not ip_address and not certificate_arn:
        raise invalid("The request must contain the parameter IpAddress", "MissingParameter")
    if ip_address:
        try:
            ipaddress.ip_address(ip_address)
        except ValueError:
            raise invalid(f"Value ({ip_address}) for parameter ipAddress is invalid. Invalid format.") from None
    if certificate_arn and not str(certificate_arn).startswith("arn:"):
        raise invalid(f"Value ({certificate_arn}) for parameter certificateArn is invalid. Invalid ARN.")
    if device_name is not None and len(str(device_name)) > 255:
        raise invalid("Value for parameter DeviceName is invalid: up to 255 characters")
    if bgp_asn_ext is not None:
        return None, str(_as_int(bgp_asn_ext))
    return str(_as_int(bgp_asn) if bgp_asn is not None else 65000), None


def check_amazon_side_asn(value: Any) -> int:
    """CreateVpnGateway's AmazonSideAsn: 64512-65534 or 4200000000-4294967294; default 64512."""
    if value in (None, ""):
        return 64512
    asn = _as_int(value)
    if asn is None or not (64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294):
        raise invalid(f"Value ({value}) for parameter amazonSideAsn is invalid: 64512-65534 or 4200000000-4294967294")
    return asn
