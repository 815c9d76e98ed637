# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: netns
short_description: Run tasks inside a Linux network namespace of the control node
version_added: 0.1.0
description:
  - Runs commands inside a named network namespace on the control node with
    C(ip netns exec NAME), so that a device emulated by a namespace (the sitevpn.aws lab's on-premises
    devices) is reached like a remote host.
  - C(ip netns exec) gives every command a mount namespace of its own in which each entry of
    C(/etc/netns/NAME/) is bind-mounted over the same name in C(/etc). Files are copied in and out
    through that same mount view, so a task writing C(/etc/X) writes the namespace's own copy when
    C(/etc/netns/NAME/X) exists. O(private_etc) creates such entries, giving each namespace its own
    C(/etc/X).
  - New network namespaces created by a task (C(ip netns add)) do not outlive the task's mount
    namespace; create them with C(nsenter --mount=/proc/1/ns/mnt ip netns add NAME).
  - Needs root on the control node and the C(ip) command (iproute2).
author:
  - sitevpn.aws maintainers (@sitevpn)
options:
  netns:
    description:
      - Name of the network namespace (as listed by C(ip netns list)).
      - Defaults to the host's address (C(ansible_host), else the inventory name).
    type: str
    vars:
      - name: ansible_host
      - name: ansible_netns_name
      - name: sitevpn_netns
    env:
      - name: ANSIBLE_NETNS_NAME
  ip_executable:
    description: The iproute2 C(ip) command.
    type: str
    default: ip
    vars:
      - name: ansible_netns_ip_executable
    env:
      - name: ANSIBLE_NETNS_IP_EXECUTABLE
  executable:
    description: Shell that runs each command inside the namespace.
    type: str
    default: /bin/sh
    vars:
      - name: ansible_netns_executable
  pipelining:
    description:
      - Send modules to the interpreter on stdin instead of copying them first (much faster).
    type: bool
    default: true
    vars:
      - name: ansible_pipelining
      - name: ansible_netns_pipelining
    env:
      - name: ANSIBLE_PIPELINING
    ini:
      - section: defaults
        key: pipelining
  private_etc:
    description:
      - Names of C(/etc) entries made private to the namespace on connect, by creating the
        directories C(/etc/netns/NAME/ENTRY) (and C(/etc/ENTRY) as the mount point) when missing.
      - Each device then has its own C(/etc/ENTRY), as a separate host would.
    type: list
    elements: str
    default: [sitevpn-strongswan]
    vars:
      - name: ansible_netns_private_etc
notes:
  - The namespace must exist; the plugin fails with a clear message otherwise.
  - Pipelining is supported.
"""

EXAMPLES = r"""
# inventory: a lab device reached through its network namespace
# sites:
#   hosts:
#     site-bgp:
#       ansible_connection: sitevpn.aws.netns
#       sitevpn_netns: svl-d1

- name: Show the device's addresses
  hosts: site-bgp
  gather_facts: false
  tasks:
    - name: List addresses inside the namespace
      ansible.builtin.command: ip -brief address
      changed_when: false
"""

import os
import re
import shutil
import subprocess

from ansible.errors import AnsibleConnectionFailure
from ansible.errors import AnsibleError
from ansible.errors import AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

display = Display()

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
_BUFSIZE = 65536


class Connection(ConnectionBase):
    """Local connection into a network namespace via ``ip netns exec``."""

    transport = "sitevpn.aws.netns"
    has_pipelining = True
    default_user = "root"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._ip = None
        self._ns = None

    def _namespace(self):
        ns = self.get_option("netns") or self._play_context.remote_addr
        if not ns or not _NAME.match(ns):
            raise AnsibleConnectionFailure(f"netns: invalid network namespace name {ns!r}")
        return ns

    def _connect(self):
        if self._connected:
            return self
        if os.geteuid() != 0:
            raise AnsibleConnectionFailure("netns: entering a network namespace needs root on the control node")
        ip = shutil.which(self.get_option("ip_executable"))
        if not ip:
            raise AnsibleConnectionFailure(f"netns: {self.get_option('ip_executable')} (iproute2) not found")
        ns = self._namespace()
        if not os.path.exists(os.path.join("/run/netns", ns)):
            raise AnsibleConnectionFailure(f"netns: network namespace {ns!r} does not exist")
        for entry in self.get_option("private_etc") or []:
            if "/" in entry or entry in ("", ".", ".."):
                raise AnsibleConnectionFailure(f"netns: private_etc entry {entry!r} is not a plain name")
            os.makedirs(os.path.join("/etc/netns", ns, entry), mode=0o755, exist_ok=True)
            # ip netns exec bind-mounts only onto an existing target
            os.makedirs(os.path.join("/etc", entry), mode=0o755, exist_ok=True)
        self._ip, self._ns = ip, ns
        display.vvv(f"ENTER NETNS {ns}", host=ns)
        self._connected = True
        return self

    def _argv(self, *argv):
        return [self._ip, "netns", "exec", self._ns] + list(argv)

    def exec_command(self, cmd, in_data=None, sudoable=False):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        self._connect()
        argv = self._argv(self.get_option("executable"), "-c", to_bytes(cmd, errors="surrogate_or_strict"))
        display.vvv(f"EXEC {to_native(cmd)}", host=self._ns)
        with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
            stdout, stderr = proc.communicate(in_data)
        return proc.returncode, stdout, stderr

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        self._connect()
        display.vvv(f"PUT {in_path} TO {out_path}", host=self._ns)
        if not os.path.exists(to_bytes(in_path, errors="surrogate_or_strict")):
            raise AnsibleFileNotFound(f"file or module does not exist: {in_path}")
        # written from inside the namespace, so /etc/netns/NAME bind-mounts apply
        argv = self._argv("dd", f"of={out_path}", f"bs={_BUFSIZE}", "status=none")
        with open(to_bytes(in_path, errors="surrogate_or_strict"), "rb") as src:
            with subprocess.Popen(argv, stdin=src, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
                stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            raise AnsibleError(f"failed to transfer file to {out_path}:\n{to_native(stdout)}\n{to_native(stderr)}")

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        self._connect()
        display.vvv(f"FETCH {in_path} TO {out_path}", host=self._ns)
        argv = self._argv("dd", f"if={in_path}", f"bs={_BUFSIZE}", "status=none")
        with open(to_bytes(out_path, errors="surrogate_or_strict"), "wb") as dst:
            with subprocess.Popen(argv, stdout=dst, stderr=subprocess.PIPE) as proc:
                _out, stderr = proc.communicate()
        if proc.returncode != 0:
            raise AnsibleError(f"failed to transfer file {in_path} to {out_path}:\n{to_native(stderr)}")

    def close(self):
        super().close()
        self._connected = False
