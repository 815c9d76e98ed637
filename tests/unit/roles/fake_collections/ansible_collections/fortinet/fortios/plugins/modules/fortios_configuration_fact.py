# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A stand-in for fortinet.fortios.fortios_configuration_fact in the role tests: answers a selector
with recorded REST objects (``<outputs_dir>/<selector>.json``) as ``meta.results``; reads only."""

from __future__ import annotations

import json
import os

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"vdom": {"type": "str", "required": True},
                                          "selector": {"type": "str", "required": True},
                                          "outputs_dir": {"type": "path", "required": True}})
    with open(os.path.join(module.params["outputs_dir"], module.params["selector"] + ".json"), encoding="utf-8") as f:
        results = json.load(f)
    module.exit_json(changed=False, meta={"status": "success", "vdom": module.params["vdom"], "results": results})


if __name__ == "__main__":
    main()
