# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A stand-in for ansible.netcommon.cli_command in the role tests: answers a show command with a
recorded output (``<outputs_dir>/<command with spaces as _>.txt``), runs nothing, and fails on
anything but ``show``, so a role that would change a device is caught."""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"command": {"type": "str", "required": True},
                                          "outputs_dir": {"type": "path", "required": True}})
    command = module.params["command"]
    if not command.startswith("show "):
        module.fail_json(msg=f"not a read-only command: {command}")
    path = os.path.join(module.params["outputs_dir"], command.replace(" ", "_") + ".txt")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    module.exit_json(changed=False, stdout=text, stdout_lines=text.splitlines())


if __name__ == "__main__":
    main()
