# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A stand-in for junipernetworks.junos.junos_command in the role tests: answers show commands with
recorded outputs (``<outputs_dir>/<command, spaces and | as _>.txt``), runs nothing, and fails on
anything but ``show``, so a role that would change a device is caught."""

from __future__ import annotations

import os
import re

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"commands": {"type": "list", "elements": "str", "required": True},
                                          "outputs_dir": {"type": "path", "required": True}})
    outputs = []
    for command in module.params["commands"]:
        if not command.startswith("show "):
            module.fail_json(msg=f"not a read-only command: {command}")
        name = re.sub(r"[ |]+", "_", command)
        with open(os.path.join(module.params["outputs_dir"], name + ".txt"), encoding="utf-8") as f:
            outputs.append(f.read())
    module.exit_json(changed=False, stdout=outputs, stdout_lines=[o.splitlines() for o in outputs])


if __name__ == "__main__":
    main()
