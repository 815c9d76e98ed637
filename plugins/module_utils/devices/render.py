# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``render_device_config(plan, device_type, options)``: what the ``device_<device_type>`` role
pushes for a tunnel plan, per platform (``devices/cisco_ios.py``, ``junos.py``, ``fortios.py``
document each result).  Bad input is refused (``DeviceRenderError`` names the field) before
anything is pushed; the plan is never changed.
"""

from __future__ import annotations

from ansible_collections.sitevpn.aws.plugins.module_utils.devices import cisco_ios
from ansible_collections.sitevpn.aws.plugins.module_utils.devices import fortios
from ansible_collections.sitevpn.aws.plugins.module_utils.devices import junos
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import DEVICE_TYPES
from ansible_collections.sitevpn.aws.plugins.module_utils.devices.common import DeviceRenderError

RENDERERS = {"cisco_ios": cisco_ios.render, "junos": junos.render, "fortios": fortios.render}
CONFIG_TEXT = {"cisco_ios": cisco_ios.config_text, "junos": junos.config_text}


def render_device_config(plan, device_type, options=None):
    """What the ``device_<device_type>`` role pushes for ``plan``."""
    if device_type not in RENDERERS:
        if device_type == "strongswan":
            raise DeviceRenderError("vpn_device_type", "strongswan is rendered by the strongswan role, not here")
        raise DeviceRenderError("vpn_device_type", f"unknown device type {device_type!r}; one of {', '.join(DEVICE_TYPES)}")
    return RENDERERS[device_type](plan, options)


def config_text(rendered):
    """The configuration lines of a rendering as text (IOS blocks, Junos set lines)."""
    return CONFIG_TEXT[rendered["platform"]](rendered)
