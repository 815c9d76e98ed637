# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How the collection names a site's things, and how a name is read back to its site.

The one home of these names: the site model (site_model.py), the roles (through the
``sitevpn.aws.site_model`` and ``sitevpn.aws.site_names`` filters), the failover Lambda (the role
ships this file in the function's zip) and the EDA event source import it.  Pure Python, standard
library only: the Lambda runtime has nothing else.

- AWS resources: the VPN connection and customer gateway ``<prefix>-<site>``, the VPN gateway
  ``<prefix>-vgw``.
- Alarms (roles/monitoring): ``<prefix>-vpn-<site>-tunnel<N>-down`` and
  ``<prefix>-vpn-<site>-both-tunnels-down``; the alarm prefix ``<prefix>-vpn-`` is also the
  EventBridge rule's filter and the Lambda's scope.
- strongSwan devices (roles/strongswan): tunnel N's name ``tunnel<N>``, its crypto box ``<box_prefix>t<N>`` and its VICI
  socket ``<run_dir>/<box>/charon.vici`` and charon's pid file ``<run_dir>/<box>/charon.pid`` (libipsec), its route interface ``vti<N>`` (libipsec) or
  ``ipsec<N>`` (xfrm).
"""

from __future__ import annotations

import re

DEFAULT_NAME_PREFIX = "sitevpn"
DEFAULT_BOX_PREFIX = "svpn"
DEFAULT_RUN_DIR = "/var/lib/sitevpn-strongswan"
DEFAULT_DATAPLANE = "xfrm"

BOTH_DOWN_SUFFIX = "both-tunnels-down"
_ALARM_SITE_RE = re.compile(r"^.*?-vpn-(?P<site>.+?)-(?:tunnel\d+-[a-z]+|" + BOTH_DOWN_SUFFIX + r")$")


def connection_name(prefix, site):
    """Name tag of the site's VPN connection (and customer gateway)."""
    return f"{prefix or DEFAULT_NAME_PREFIX}-{site}"


def vpn_gateway_name(prefix):
    return f"{prefix or DEFAULT_NAME_PREFIX}-vgw"


def site_of_connection_name(name, prefix):
    """The site of a connection named by connection_name(); the name itself when it is not one."""
    name = name or ""
    return name[len(prefix) + 1:] if prefix and name.startswith(prefix + "-") else name


def alarm_prefix(prefix):
    """What every alarm of the collection starts with (the EventBridge rule's and the Lambda's scope)."""
    return f"{prefix or DEFAULT_NAME_PREFIX}-vpn-"


def dashboard_name(prefix, region):
    """The CloudWatch dashboard of the collection's connections in ``region`` (roles/monitoring)."""
    return f"{alarm_prefix(prefix)}{region}"


def site_alarm_prefix(prefix, site, alarms=None):
    """What the site's alarms start with; ``alarms``: an alarm prefix of one's own (roles/monitoring's
    monitoring_alarm_prefix) instead of alarm_prefix(prefix)."""
    return f"{alarms or alarm_prefix(prefix)}{site}-"


def tunnel_alarm_prefix(prefix, site, number, alarms=None):
    """What tunnel ``number``'s alarms start with: ``...tunnel<N>-`` + ``down`` or a metric in lower case."""
    return f"{site_alarm_prefix(prefix, site, alarms)}tunnel{int(number)}-"


def tunnel_alarm_name(prefix, site, number, alarms=None):
    return f"{tunnel_alarm_prefix(prefix, site, number, alarms)}down"


def both_down_alarm_name(prefix, site, alarms=None):
    return f"{site_alarm_prefix(prefix, site, alarms)}{BOTH_DOWN_SUFFIX}"


def site_of_alarm_name(alarm_name):
    """The site an alarm name of roles/monitoring names, None for any other name."""
    match = _ALARM_SITE_RE.match(alarm_name) if isinstance(alarm_name, str) else None
    return match.group("site") if match else None


def tunnel_name(index):
    """Tunnel ``index``'s name on a device (swanctl connection and child, the plan's ``name``)."""
    return f"tunnel{int(index)}"


def box_name(box_prefix, index):
    """The libipsec crypto box (network namespace and run directory) of tunnel ``index``."""
    return f"{box_prefix or DEFAULT_BOX_PREFIX}t{int(index)}"


def vici_socket(run_dir, box):
    return f"{run_dir or DEFAULT_RUN_DIR}/{box}/charon.vici"


def charon_pid_file(run_dir, box):
    """The pid file of the crypto box's charon (libipsec), which the role writes when it starts it."""
    return f"{run_dir or DEFAULT_RUN_DIR}/{box}/charon.pid"


def tunnel_device(dataplane, index):
    """The route-based interface of tunnel ``index`` on a strongSwan device."""
    return f"{'vti' if dataplane == 'libipsec' else 'ipsec'}{int(index)}"


def site_names(prefix, site, tunnel_count=2, alarms=None, region=None):
    """Every AWS-side name of a site, as a dict (the ``sitevpn.aws.site_names`` filter); ``alarms``:
    see site_alarm_prefix; with ``region``, the dashboard of that region too."""
    numbers = range(1, int(tunnel_count) + 1)
    names = {
        "name_prefix": prefix or DEFAULT_NAME_PREFIX,
        "connection": connection_name(prefix, site),
        "customer_gateway": connection_name(prefix, site),
        "vpn_gateway": vpn_gateway_name(prefix),
        "alarm_prefix": alarms or alarm_prefix(prefix),
        "site_alarm_prefix": site_alarm_prefix(prefix, site, alarms),
        "tunnel_alarm_prefixes": [tunnel_alarm_prefix(prefix, site, n, alarms) for n in numbers],
        "tunnel_alarms": [tunnel_alarm_name(prefix, site, n, alarms) for n in numbers],
        "both_down_alarm": both_down_alarm_name(prefix, site, alarms),
    }
    if region:
        names["dashboard"] = dashboard_name(prefix, region)
    return names
