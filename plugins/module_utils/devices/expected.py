# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the collection configures on a vendor device for given tunnel options, in AWS's names.

A vendor renderer carries a subset of AWS's lists (the platform's algorithms and groups, within its
proposal limits), so a device rendered from AWS's defaults never shows AWS's full lists.  Drift
(module_utils/drift.py) judges a vendor device against :func:`platform_configured`: the device
role's own renderer run on the options and read back with the drift role's reader of that
platform, so there is no second table of what each platform can do.
"""

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils.devices.cisco_ios_state import parse_running_crypto
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.fortios_state import parse_ipsec_interfaces
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.junos_state import parse_security_set
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import config_text
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.render import render_device_config
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_plan import build_tunnel_plan

# A rendering needs a key and the device's outside interface and address; no reader reads them back.
_PLACEHOLDERS = {"key": "not.a.key.drift", "options": {"outside_interface": "outside0", "local_address": "192.0.2.1"}}

# A rendering read back as the drift role reads the device: {platform: f(rendered, AWS outside IP)}
READ_RENDERED = {
    "cisco_ios": lambda rendered, remote: parse_running_crypto(config_text(rendered), remote),
    "junos": lambda rendered, remote: parse_security_set(config_text(rendered), remote),
    "fortios": lambda rendered, remote: parse_ipsec_interfaces(rendered["phase1_interface"], rendered["phase2_interface"], remote),
}


def platform_configured(tunnels, device_type, options=None):
    """``{outside_ip: configured}``: what the ``device_<device_type>`` role configures when the
    connection's tunnels have ``tunnels`` (``{outside_ip: options}``, snake names as
    ``tunnel_option_defaults.with_defaults`` gives them), in the form the drift readers return.

    ``options``: the renderer's options that change the crypto (``os_version`` on IOS-XE).  Raises
    ``ValidationError`` (``DeviceRenderError``, ``TunnelPlanError``) when the platform cannot render
    the options.  Only the crypto is read back (a static connection, placeholder key and addresses).
    """
    entries = []
    for k, (ip, values) in enumerate(sorted(tunnels.items())):
        entry = {name: value for name, value in values.items() if name in FIELDS and value is not None}
        entry.update(outside_ip_address=ip, pre_shared_key=_PLACEHOLDERS["key"])
        entry.setdefault("tunnel_inside_cidr", f"169.254.254.{4 * k}/30")
        entries.append(entry)
    connection = {"vpn_connection_id": "vpn-drift", "options": {"static_routes_only": True, "tunnel_options": entries}}
    rendered = render_device_config(build_tunnel_plan(connection, {}), device_type,
                                    dict(options or {}, **_PLACEHOLDERS["options"]))
    return {ip: READ_RENDERED[device_type](rendered, ip) for ip in tunnels}
