"""strongSwan (charon + kernel-libipsec) per network namespace: one daemon per tunnel.

The lab's AWS edge (lab/dataplane/edge.py) runs its tunnel ends with it. The devices are the
collection's: the Ansible role ``roles/strongswan`` configures them (lab/dataplane/device.py runs it).

Why one daemon per tunnel: kernel-libipsec has one TUN per daemon and picks the SA by traffic
selector, so two 0.0.0.0/0 tunnels in one daemon are policy-based. A daemon per tunnel, each in
its own namespace ("crypto box") with its own ``ipsec0``, gives each tunnel its own path, and
BGP (or static route preference) on the router next to the boxes chooses between them, which is
AWS's route-based model.

Traps handled here (see shared/notes/route-based-lab.md):
- ``load_modular = yes`` or charon ignores the ``load`` lines; only plugins present on this host
  are listed (strongSwan 6 moved crypto plugins to other packages).
- a private mount namespace with a tmpfs over /run (charon's pid file is /run/charon.pid).
- libipsec's ``ip rule`` priority 220 -> table 220 captures decrypted traffic: the updown
  script deletes it on every ``up-client``.
- the updown script sets the box's inner veth down/up like a VTI line protocol, so BGP drops at
  once when the CHILD_SA goes (instead of after the hold timer).
- ``flush_line = yes`` for the file log.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import struct
from pathlib import Path

from .netns import LabError, run, spawn, wait_for
from .state import State, kill_pid

CHARON = "/usr/lib/ipsec/charon"
PLUGIN_DIR = "/usr/lib/ipsec/plugins"
SWANCTL = shutil.which("swanctl") or "/usr/sbin/swanctl"

# what a PSK, kernel-libipsec, VICI-managed charon needs; those absent on this host are skipped
WANTED_PLUGINS = ("random", "nonce", "openssl", "aes", "sha1", "sha2", "hmac", "gmp", "kdf",
                  "curve25519", "gcm", "ml", "pem", "pkcs1", "x509", "constraints", "pubkey",
                  "socket-default", "kernel-netlink", "kernel-libipsec", "vici", "updown")


def available() -> str | None:
    """None if charon, swanctl and kernel-libipsec are installed, else what is missing."""
    missing = [p for p in (CHARON, SWANCTL, f"{PLUGIN_DIR}/libstrongswan-kernel-libipsec.so")
               if not os.path.exists(p)]
    return ", ".join(missing) + " missing" if missing else None


@functools.lru_cache(maxsize=1)
def version() -> tuple[int, ...]:
    out = run([SWANCTL, "--version"], check=False).stdout
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", out)
    if not m:
        raise LabError(f"cannot tell the strongSwan version from {out!r}")
    return tuple(int(x) for x in m.groups())


def plugins() -> list[str]:
    return [p for p in WANTED_PLUGINS if os.path.exists(f"{PLUGIN_DIR}/libstrongswan-{p}.so")]


# --- AWS algorithm names -> strongSwan keywords -----------------------------------------
# What AWS's endpoint offers for each name of the EC2 API (the lab keeps its own table: it plays AWS)
ENCRYPTION = {"AES128": "aes128", "AES256": "aes256", "AES128-GCM-16": "aes128gcm16", "AES256-GCM-16": "aes256gcm16"}
INTEGRITY = {"SHA1": "sha1", "SHA2-256": "sha256", "SHA2-384": "sha384", "SHA2-512": "sha512"}
DH_GROUPS = {2: "modp1024", 5: "modp1536", 14: "modp2048", 15: "modp3072", 16: "modp4096",
             17: "modp6144", 18: "modp8192", 19: "ecp256", 20: "ecp384", 21: "ecp521",
             22: "modp1024s160", 23: "modp2048s224", 24: "modp2048s256",
             35: "mlkem512", 36: "mlkem768", 37: "mlkem1024"}


def additional_ke(rounds: list[dict] | None) -> str:
    """RFC 9370 rounds as strongSwan proposal tokens (``-ke1_mlkem768``); strongSwan >= 6 only."""
    if not rounds:
        return ""
    if version() < (6,):
        raise LabError("additional key exchanges (RFC 9370) need strongSwan 6.0 or later; this host has "
                       + ".".join(map(str, version())))
    out = ""
    for r in sorted(rounds, key=lambda r: int(r["round"])):
        n = int(r["round"])
        out += "".join(f"-ke{n}_{DH_GROUPS[int(m)]}" for m in r.get("methods") or [])
        if r.get("requirement") == "optional":
            out += f"-ke{n}_none"
    return out


def proposals(enc: list[str], integ: list[str], dh: list[int], *, ike: bool,
              additional: list[dict] | None = None) -> list[str]:
    """strongSwan proposals accepting exactly the given AWS algorithm lists.

    AEAD (GCM) and classic ciphers cannot share one proposal: GCM takes PRFs (IKE) or nothing
    (ESP) where CBC takes integrity algorithms."""
    classic = [ENCRYPTION[e] for e in enc if "GCM" not in e]
    aead = [ENCRYPTION[e] for e in enc if "GCM" in e]
    integ_kw = [INTEGRITY[i] for i in integ]
    groups = [DH_GROUPS[int(g)] for g in dh]
    out = []
    if classic and integ_kw:
        out.append("-".join(classic + integ_kw + groups))
    if aead:
        extra = [f"prf{i}" for i in integ_kw] if ike else []
        if ike and not extra:
            extra = ["prfsha256"]
        out.append("-".join(aead + extra + groups))
    if not out:
        raise ValueError("no usable algorithm combination")
    extra = additional_ke(additional)
    return [p + extra for p in out]


# --- configuration text -----------------------------------------------------------------
def option_proposals(o: dict, phase: int) -> list[str]:
    """The IKE (phase 1) or ESP (phase 2) proposals of one tunnel's snake_case AWS options."""
    # imported here: connections needs moto, and strongswan alone is imported without it (role tests)
    from .connections import values

    p = f"phase{phase}"
    return proposals(values(o[f"{p}_encryption_algorithms"]), values(o[f"{p}_integrity_algorithms"]),
                     values(o[f"{p}_dh_group_numbers"]), ike=phase == 1,
                     additional=o.get(f"{p}_additional_key_exchanges"))


def render_strongswan_conf(box_dir: Path, *, retransmit_timeout: float = 4.0,
                           retransmit_tries: int = 5, retransmit_base: float = 1.8) -> str:
    """strongswan.conf for one crypto box. The retransmission settings are per daemon, which
    is what lets the AWS edge honour each tunnel's DPD timeout for IKEv2."""
    loads = "\n".join(f"    {p} {{\n      load = yes\n    }}" for p in plugins() if p not in ("vici",))
    return f"""# generated by sitevpn-lab: one charon per tunnel (crypto box)
charon {{
  load_modular = yes
  install_routes = no
  install_virtual_ip = no
  retransmit_timeout = {retransmit_timeout}
  retransmit_tries = {retransmit_tries}
  retransmit_base = {retransmit_base}
  filelog {{
    box {{
      path = {box_dir}/charon.log
      time_format = %H:%M:%S
      flush_line = yes
      default = 1
      ike = 1
      cfg = 1
    }}
  }}
  plugins {{
{loads}
    vici {{
      load = yes
      socket = unix://{box_dir}/charon.vici
    }}
  }}
}}
"""


def _fmt(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def render_swanctl_conf(t: dict) -> str:
    """swanctl.conf for one tunnel from a plain dict (keys below), PSK included.

    name, local_addrs, remote_addrs, local_id, remote_id, psk, version (0/1/2), ike_proposals,
    esp_proposals, ike_rekey_time, ike_over_time, rekey_time, life_time, rand_time, dpd_delay,
    dpd_action, start_action, close_action, replay_window, updown.
    """
    name = t["name"]
    lines = ["connections {", f"  {name} {{",
             f"    version = {t.get('version', 2)}",
             f"    local_addrs = {_fmt(t.get('local_addrs', '%any'))}",
             f"    remote_addrs = {_fmt(t['remote_addrs'])}",
             "    encap = yes",
             f"    proposals = {_fmt(t['ike_proposals'])}",
             f"    rekey_time = {t.get('ike_rekey_time', 28800)}s",
             f"    over_time = {t.get('ike_over_time', 540)}s",
             f"    dpd_delay = {t.get('dpd_delay', 10)}s",
             "    mobike = no",
             f"    keyingtries = {t.get('keyingtries', 0)}",
             "    local {", "      auth = psk", f"      id = {t['local_id']}", "    }",
             "    remote {", "      auth = psk", f"      id = {t['remote_id']}", "    }",
             "    children {", f"      {name} {{",
             "        local_ts = 0.0.0.0/0", "        remote_ts = 0.0.0.0/0",
             f"        esp_proposals = {_fmt(t['esp_proposals'])}",
             f"        rekey_time = {t.get('rekey_time', 3060)}s",
             f"        life_time = {t.get('life_time', 3600)}s",
             f"        rand_time = {t.get('rand_time', 540)}s",
             f"        replay_window = {t.get('replay_window', 1024)}",
             f"        dpd_action = {t.get('dpd_action', 'clear')}",
             f"        start_action = {t.get('start_action', 'none')}",
             f"        close_action = {t.get('close_action', 'none')}"]
    if t.get("updown"):
        lines.append(f"        updown = {t['updown']}")
    lines += ["      }", "    }", "  }", "}", "secrets {", f"  ike-{name} {{",
              f"    id-local = {t['local_id']}", f"    id-remote = {t['remote_id']}",
              f"    secret = \"{t['psk']}\"", "  }", "}", ""]
    return "\n".join(lines)


def render_updown(near_addr: str, inner_dev: str = "in0", table: int = 100) -> str:
    """updown script of a crypto box: the inner veth follows the CHILD_SA (a VTI's line
    protocol), libipsec's table-220 rule goes, and what leaves the tunnel is routed to the
    router next to the box (policy table ``table``, so no prefix list is needed here)."""
    return f"""#!/bin/sh
# generated by sitevpn-lab: crypto box updown ($PLUTO_VERB from charon)
case "$PLUTO_VERB" in
up-client)
    while ip rule del priority 220 2>/dev/null; do :; done
    ip link set {inner_dev} up
    ip route replace default dev ipsec0
    ip route replace {near_addr}/32 dev {inner_dev}
    ip route replace default via {near_addr} dev {inner_dev} onlink table {table}
    ip rule show | grep -q 'iif ipsec0 lookup {table}' || ip rule add iif ipsec0 lookup {table} priority 100
    ;;
down-client)
    ip link set {inner_dev} down
    ;;
esac
exit 0
"""


# --- daemon lifecycle ---------------------------------------------------------------------
def start_charon(state: State, key: str, ns: str, box_dir: Path, strongswan_conf: str,
                 timeout: float = 10) -> int:
    """Write strongswan.conf into BOX_DIR and start charon in NS with a private /run."""
    box_dir.mkdir(parents=True, exist_ok=True)
    conf = box_dir / "strongswan.conf"
    conf.write_text(strongswan_conf)
    sock = box_dir / "charon.vici"
    if sock.exists():
        sock.unlink()
    script = f"mount --make-rprivate / && mount -t tmpfs tmpfs /run && exec {CHARON}"
    pid = spawn(state, key, ns, ["unshare", "-m", "sh", "-c", script], box_dir / "charon.out",
                env={"STRONGSWAN_CONF": str(conf)})
    wait_for(lambda: sock.exists() or not state.pid_of(key), timeout, f"charon VICI socket in {ns}")
    if not state.pid_of(key):
        raise LabError(f"charon in {ns} exited; see {box_dir}/charon.out and charon.log")
    return pid


def stop(state: State, key: str) -> None:
    rec = state.pids.pop(key, None)
    if rec:
        kill_pid(rec["pid"], rec["start"])


def vici_uri(box_dir: Path) -> str:
    return f"unix://{box_dir}/charon.vici"


def load_swanctl(box_dir: Path, swanctl_conf: str) -> None:
    """Write swanctl.conf (mode 0600: it holds the PSK) and load it into the box's charon."""
    f = box_dir / "swanctl.conf"
    fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(swanctl_conf)
    run([SWANCTL, "--load-all", "--noprompt", "--file", str(f), "--uri", vici_uri(box_dir)])


def initiate(box_dir: Path, child: str, timeout: int = 5) -> bool:
    res = run([SWANCTL, "--initiate", "--child", child, "--timeout", str(timeout),
               "--uri", vici_uri(box_dir)], check=False, timeout=timeout + 5)
    return res.returncode == 0


def terminate(box_dir: Path, ike: str, timeout: int = 5) -> bool:
    res = run([SWANCTL, "--terminate", "--ike", ike, "--timeout", str(timeout),
               "--uri", vici_uri(box_dir)], check=False, timeout=timeout + 5)
    return res.returncode == 0


# --- a minimal VICI client (list-sas), so polling needs no process per tunnel --------------
_SECTION_START, _SECTION_END, _KEY_VALUE, _LIST_START, _LIST_ITEM, _LIST_END = range(1, 7)
_CMD_REQUEST, _CMD_RESPONSE, _CMD_UNKNOWN, _EVENT_REGISTER, _EVENT_UNREGISTER = 0, 1, 2, 3, 4
_EVENT_CONFIRM, _EVENT_UNKNOWN, _EVENT = 5, 6, 7


def _encode(msg: dict) -> bytes:
    out = b""
    for k, v in msg.items():
        kb = k.encode()
        if isinstance(v, dict):
            out += bytes([_SECTION_START, len(kb)]) + kb + _encode(v) + bytes([_SECTION_END])
        elif isinstance(v, list):
            out += bytes([_LIST_START, len(kb)]) + kb
            for item in v:
                ib = str(item).encode()
                out += bytes([_LIST_ITEM]) + struct.pack("!H", len(ib)) + ib
            out += bytes([_LIST_END])
        else:
            vb = str(v).encode()
            out += bytes([_KEY_VALUE, len(kb)]) + kb + struct.pack("!H", len(vb)) + vb
    return out


def _decode(data: bytes) -> dict:
    stack = [{}]
    lst = None
    i = 0
    while i < len(data):
        t = data[i]
        i += 1
        if t in (_SECTION_START, _KEY_VALUE, _LIST_START):
            n = data[i]
            name = data[i + 1:i + 1 + n].decode()
            i += 1 + n
        if t == _SECTION_START:
            new = {}
            stack[-1][name] = new
            stack.append(new)
        elif t == _SECTION_END:
            stack.pop()
        elif t == _KEY_VALUE:
            (n,) = struct.unpack("!H", data[i:i + 2])
            stack[-1][name] = data[i + 2:i + 2 + n].decode(errors="replace")
            i += 2 + n
        elif t == _LIST_START:
            lst = stack[-1][name] = []
        elif t == _LIST_ITEM:
            (n,) = struct.unpack("!H", data[i:i + 2])
            lst.append(data[i + 2:i + 2 + n].decode(errors="replace"))
            i += 2 + n
        elif t == _LIST_END:
            lst = None
    return stack[0]


class Vici:
    def __init__(self, path: str | Path, timeout: float = 3.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))

    def close(self):
        self.sock.close()

    def _send(self, ptype: int, name: str, body: bytes = b"") -> None:
        nb = name.encode()
        payload = bytes([ptype, len(nb)]) + nb + body
        self.sock.sendall(struct.pack("!I", len(payload)) + payload)

    def _recv(self) -> tuple[int, bytes]:
        hdr = self._read(4)
        (n,) = struct.unpack("!I", hdr)
        data = self._read(n)
        return data[0], data[1:]

    def _read(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("VICI socket closed")
            buf += chunk
        return buf

    def request(self, cmd: str, msg: dict | None = None) -> dict:
        self._send(_CMD_REQUEST, cmd, _encode(msg or {}))
        ptype, data = self._recv()
        if ptype != _CMD_RESPONSE:
            raise LabError(f"VICI {cmd}: unexpected packet {ptype}")
        return _decode(data)

    def streamed(self, cmd: str, event: str, msg: dict | None = None) -> list[dict]:
        self._send(_EVENT_REGISTER, event)
        if self._recv()[0] != _EVENT_CONFIRM:
            raise LabError(f"VICI cannot register {event}")
        self._send(_CMD_REQUEST, cmd, _encode(msg or {}))
        events = []
        while True:
            ptype, data = self._recv()
            if ptype == _EVENT:
                n = data[0]
                events.append(_decode(data[1 + n:]))
            elif ptype == _CMD_RESPONSE:
                break
            else:
                raise LabError(f"VICI {cmd}: unexpected packet {ptype}")
        self._send(_EVENT_UNREGISTER, event)
        self._recv()
        return events


def list_sas(box_dir: Path) -> dict:
    """{ike_name: ike_sa_dict} from the box's charon; {} if it does not answer."""
    try:
        v = Vici(box_dir / "charon.vici")
    except OSError:
        return {}
    try:
        out = {}
        for ev in v.streamed("list-sas", "list-sa"):
            out.update(ev)
        return out
    except (OSError, LabError):
        return {}
    finally:
        v.close()


def tunnel_status(box_dir: Path) -> dict:
    """{'ike': state|None, 'child': state|None, 'bytes_in': n, 'bytes_out': n}."""
    res = {"ike": None, "child": None, "bytes_in": 0, "bytes_out": 0}
    for ike in list_sas(box_dir).values():
        if ike.get("state") == "ESTABLISHED" or res["ike"] is None:
            res["ike"] = ike.get("state")
        for child in (ike.get("child-sas") or {}).values():
            if child.get("state") == "INSTALLED":
                res["child"] = "INSTALLED"
                res["bytes_in"] += int(child.get("bytes-in", 0))
                res["bytes_out"] += int(child.get("bytes-out", 0))
            elif res["child"] is None:
                res["child"] = child.get("state")
    return res
