# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The modules that ensure one AWS resource: what check and diff mode do there
    DOCUMENTATION = r"""
options: {}
notes:
  - Supports check mode (no write call is made) and diff mode.
"""

    # Those of them that wait with the shared poll (ec2_vpn.wait_for, vpn_concentrators.wait_vpn_concentrator)
    POLL = r"""
options: {}
notes:
  - While it waits, the module polls every O(wait_timeout)/60 seconds, at least 1 and at most 5.
"""
