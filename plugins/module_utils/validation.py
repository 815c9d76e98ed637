# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Small input checks whose errors name the field and the rule.

Every check raises :class:`ValidationError` (a ``ValueError``) with ``.field`` and
``.message``; ``str(err)`` is ``"field: message"``.  The checks return the value in
its normalised form (an ``int`` ASN, a canonical address or CIDR string) so that callers
compare normalised values only.

Pure Python: only the standard library is imported, so modules, filters and the lab
can all use it.
"""

from __future__ import annotations

import functools
import ipaddress
import re

# AWS CreateCustomerGateway: BgpAsn takes 1..2147483647; larger ASNs go in BgpAsnExtended
# (2147483648..4294967295).  4294967295 is reserved (RFC 7300), so the range stops
# one below it.
ASN_MIN = 1
ASN_MAX = 4294967294
BGP_ASN_MAX = 2147483647

# AWS CreateVpnGateway AmazonSideAsn: private ASNs only; AWS's default, for a VPN gateway and a
# transit gateway alike, when none is given.
AMAZON_SIDE_ASN_RANGES = ((64512, 65534), (4200000000, 4294967294))
AMAZON_SIDE_ASN_DEFAULT = 64512

# Addresses a customer gateway's public outside IP can never be: not routable on the
# internet and not documentation ranges (those are allowed, the lab uses them).
_NOT_PUBLIC_V4 = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)
# With OutsideIpAddressType PrivateIpv4 AWS accepts RFC 1918 and RFC 6598 addresses.
_PRIVATE_OK_V4 = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16")
)


# Never a device's outside address, private or not (RFC 6890 special-purpose blocks).
_NEVER_V4 = tuple(
    ipaddress.ip_network(n)
    for n in ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "192.0.0.0/24", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4")
)
# ASNs AWS reserves for itself (Site-to-Site VPN user guide, customer gateway options):
# {asn: the regions where it is reserved, or None for every region}.
RESERVED_CUSTOMER_GATEWAY_ASNS = {
    7224: None,
    9059: ("eu-west-1",),
    10124: ("ap-northeast-1",),
    17943: ("ap-southeast-1",),
}
# arn:<partition>:acm:<region>:<account>:certificate/<id> (AWS Private CA certificates live in ACM).
_CERTIFICATE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")


class ValidationError(ValueError):
    """Bad input: ``field`` names the input, ``message`` the rule it breaks."""

    def __init__(self, field, message):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")

    def __str__(self):
        return f"{self.field}: {self.message}"


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_address(value, field, parse, kinds, kind=None):
    """``value`` (a non-empty string) parsed by ``parse``; ``kinds``/``kind`` name what it must be in errors."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, f"must be an {kinds} address, got {value!r}")
    try:
        return parse(value.strip())
    except ValueError:
        raise ValidationError(field, f"{value!r} is not a valid {kind or kinds} address") from None


def validate_ipv4_address(value, field="ip_address", public=False, allow_private=False):
    """Return ``value`` as a canonical IPv4 address string.

    ``public=True`` refuses addresses that cannot be a customer gateway's internet-facing
    address (RFC 1918, loopback, link-local, multicast, reserved, 0/8, 100.64/10), unless
    ``allow_private=True`` (OutsideIpAddressType PrivateIpv4), which lets RFC 1918 and
    RFC 6598 addresses through.  Documentation ranges (192.0.2.0/24, 198.51.100.0/24,
    203.0.113.0/24) are accepted.
    """
    addr = _parse_address(value, field, ipaddress.IPv4Address, "IPv4")
    if public:
        for net in _NOT_PUBLIC_V4:
            if addr in net:
                if allow_private and any(addr in ok for ok in _PRIVATE_OK_V4):
                    break
                raise ValidationError(field, f"{addr} is not a public unicast IPv4 address (it is in {net})")
        if addr == ipaddress.IPv4Address("255.255.255.255"):
            raise ValidationError(field, f"{addr} is not a unicast address")
    return str(addr)


def validate_outside_address(value, field="ip_address"):
    """A customer gateway's outside address: IPv4 (public, or RFC 1918/6598 for PrivateIpv4) or IPv6.

    Refuses what can never be a device's interface address: 0/8, loopback, link-local,
    benchmarking (198.18.0.0/15), multicast, reserved, broadcast; for IPv6 anything but global
    unicast (and the documentation prefix 2001:db8::/32, which the lab uses).
    """
    addr = _parse_address(value, field, ipaddress.ip_address, "IPv4 or IPv6", "IP")
    if addr.version == 4:
        for net in _NEVER_V4:
            if addr in net:
                raise ValidationError(field, f"{addr} cannot be a device's outside address (it is in {net})")
        return str(addr)
    if addr.is_multicast or addr.is_loopback or addr.is_link_local or addr.is_unspecified or addr.is_site_local:
        raise ValidationError(field, f"{addr} is not a unicast IPv6 address a device can use")
    if addr.ipv4_mapped or addr in ipaddress.ip_network("fc00::/7"):
        raise ValidationError(field, f"{addr} is not a global IPv6 address")
    return str(addr)


def validate_certificate_arn(value, field="certificate_arn"):
    """An ACM certificate ARN: arn:aws:acm:<region>:<account>:certificate/<id>."""
    if not isinstance(value, str) or not _CERTIFICATE_ARN.match(value.strip()):
        raise ValidationError(
            field, f"{value!r} is not a certificate ARN (arn:aws:acm:<region>:<account id>:certificate/<id>)"
        )
    return value.strip()


def validate_customer_gateway_asn(value, field="bgp_asn", region=None):
    """A customer gateway's ASN: 1-4294967294, not one AWS reserves (in ``region``, or anywhere)."""
    asn = validate_asn(value, field)
    if asn in RESERVED_CUSTOMER_GATEWAY_ASNS:
        regions = RESERVED_CUSTOMER_GATEWAY_ASNS[asn]
        if regions is None or region is None or region in regions:
            where = "in every region" if regions is None else f"in {', '.join(regions)}"
            raise ValidationError(field, f"ASN {asn} is reserved by AWS {where}")
    return asn


def validate_asn(value, field="bgp_asn"):
    """Return ``value`` as an int ASN in 1..4294967294 (strings of digits accepted)."""
    asn = value
    if isinstance(value, str) and value.strip().isdigit():
        if len(value.strip()) > 1 and value.strip().startswith("0"):
            # YAML 1.1 reads an unquoted 065010 as octal: a leading 0 is never meant.
            raise ValidationError(field, f"{value!r} has a leading 0 (an octal number in YAML); write the ASN without it")
        asn = int(value.strip())
    if not _is_int(asn):
        raise ValidationError(field, f"must be an integer ASN, got {value!r}")
    if not ASN_MIN <= asn <= ASN_MAX:
        raise ValidationError(field, f"ASN {asn} is out of range {ASN_MIN}-{ASN_MAX}")
    return asn


def asn_needs_extended(asn):
    """True when CreateCustomerGateway must carry the ASN in BgpAsnExtended (> 2147483647)."""
    return int(asn) > BGP_ASN_MAX


def customer_gateway_asn_params(asn, field="bgp_asn"):
    """The CreateCustomerGateway parameter for ``asn``: ``{"BgpAsn": n}`` or ``{"BgpAsnExtended": n}``."""
    asn = validate_asn(asn, field)
    if asn_needs_extended(asn):
        return {"BgpAsnExtended": asn}
    return {"BgpAsn": asn}


def validate_amazon_side_asn(value, field="amazon_side_asn"):
    """Return the Amazon-side ASN of a VPN gateway: 64512-65534 or 4200000000-4294967294."""
    asn = validate_asn(value, field)
    if not any(low <= asn <= high for low, high in AMAZON_SIDE_ASN_RANGES):
        raise ValidationError(
            field, f"ASN {asn} is not a private ASN AWS accepts (64512-65534 or 4200000000-4294967294)"
        )
    return asn


def validate_cidr(value, field="cidr", version=4, strict=True):
    """Return ``value`` as a canonical CIDR string of IP ``version`` (4, 6 or None for either).

    ``strict`` refuses host bits (``10.0.0.1/24``) rather than silently masking them.
    """
    if not isinstance(value, str) or "/" not in value:
        raise ValidationError(field, f"must be a CIDR block like 10.20.0.0/16, got {value!r}")
    try:
        net = ipaddress.ip_network(value.strip(), strict=strict)
    except ValueError as e:
        raise ValidationError(field, f"{value!r} is not a valid CIDR block ({e})") from None
    if version is not None and net.version != version:
        raise ValidationError(field, f"{value!r} is not an IPv{version} CIDR block")
    return str(net)


def validate_cidrs(values, field="cidrs", version=4, strict=True, allow_overlap=False):
    """Validate a list of CIDRs; refuse duplicates and (unless ``allow_overlap``) overlaps."""
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise ValidationError(field, f"must be a list of CIDR blocks, got {values!r}")
    result = [validate_cidr(v, f"{field}[{i}]", version=version, strict=strict) for i, v in enumerate(values)]
    if not allow_overlap:
        overlap = find_overlap(result)
        if overlap:
            a, b = overlap
            raise ValidationError(field, f"{result[a]} and {result[b]} overlap")
    return result


@functools.lru_cache(maxsize=8192)
def _parsed_network(prefix):
    return ipaddress.ip_network(prefix, strict=False)


def _network(prefix):
    # parsed once: the inventory check compares every site's prefixes with every other site's
    return _parsed_network(prefix) if isinstance(prefix, str) else ipaddress.ip_network(prefix, strict=False)


def prefixes_overlap(a, b):
    """True when CIDR blocks ``a`` and ``b`` share at least one address (same IP version)."""
    na = _network(a)
    nb = _network(b)
    return na.version == nb.version and na.overlaps(nb)


def find_overlap(prefixes):
    """Indexes ``(i, j)`` of the first overlapping pair in ``prefixes``, or None."""
    nets = [ipaddress.ip_network(p, strict=False) for p in prefixes]
    for i, a in enumerate(nets):
        for j in range(i + 1, len(nets)):
            b = nets[j]
            if a.version == b.version and a.overlaps(b):
                return (i, j)
    return None


def validate_no_overlap(prefixes, others, field="prefixes", others_name="other prefixes"):
    """Refuse any prefix of ``prefixes`` that overlaps one of ``others`` (e.g. site vs VPC)."""
    for p in prefixes or []:
        for o in others or []:
            if prefixes_overlap(p, o):
                raise ValidationError(field, f"{p} overlaps {o} of {others_name}")
