# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The filters of the _info modules that list one kind of resource in one EC2 Describe call
    DOCUMENTATION = r"""
options:
  filters:
    description:
      - Filters as a dict of filter name to value(s), for example C(state) or C(tag:Name); the module's
        description names its Describe call, whose API reference lists the filter names.
    type: dict
    default: {}
"""
