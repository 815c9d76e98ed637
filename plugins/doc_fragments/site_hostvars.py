# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The input of the filters that check a run's sites together: hostvars and the sites' names
    DOCUMENTATION = r"""
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The sites of the run, each checked (for example C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
"""
