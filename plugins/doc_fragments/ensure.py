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

    # Those of them that create and delete their resource: the options of aws_module.resource_argument_spec
    # (tags come from amazon.aws.tags). Each module adds the descriptions of state and wait (what they mean
    # for its resource) and the default of wait_timeout; its keys override these. They all wait with the
    # shared poll (ec2_vpn.wait_for, vpn_concentrators.wait_vpn_concentrator).
    RESOURCE = r"""
options:
  state:
    type: str
    choices: [present, absent]
    default: present
  wait:
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait.
    type: int
notes:
  - While it waits, the module polls every O(wait_timeout)/60 seconds, at least 1 and at most 5.
"""

    # Those of them that clean up the collection's own duplicates (module_utils/vpn_duplicates.py);
    # each module's description says which one it keeps
    DUPLICATES = r"""
options: {}
notes:
  - B(Duplicates.) AWS takes no idempotency token for the create call, so two runs that overlap may both
    create. When several live matches all carry O(name) and all of O(tags) (the collection's own), the
    module keeps one (the description says which; the same choice in every run), deletes the others that
    nothing uses, never one in use, and reports them in RV(duplicates_removed) and RV(duplicates_kept) and
    a warning. Matches that are not all the collection's fail, naming them.
"""
