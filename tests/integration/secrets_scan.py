"""Search a run's output and the files it wrote for the lab's pre-shared keys (issue 9, secrets).

    from secrets_scan import find_leaks, lab_psks, default_roots
    leaks = find_leaks(lab_psks(url), {"ansible-playbook -vvv": output}, default_roots(...), since)
    assert leaks == [], "\\n".join(map(str, leaks))

A key may only be in a file meant to hold keys (:data:`KEY_FILE_NAMES`), of mode 0600 and owned
by root: the device's and the lab edge's swanctl ``secrets.conf`` / ``swanctl.conf``. Anywhere
else - the playbook's output, logs, reports, other configuration files, a 0644 copy of a key file
- it is a leak. Besides the plain key, its JSON-escaped form and its base64 forms (``slurp``,
module transfer) are searched.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# swanctl's configuration (the lab edge writes the PSK into swanctl.conf, the strongSwan role into
# secrets.conf, which swanctl.conf includes)
KEY_FILE_NAMES = frozenset({"secrets.conf", "swanctl.conf"})
# not written by a run, and big
SKIP_DIRS = frozenset({".git", ".venv", "build", "__pycache__", ".pytest_cache", "node_modules"})
MAX_FILE_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Finding:
    """One leak: where (a text's name or a file's path), which key (masked) and in what form."""

    where: str
    psk: str
    form: str

    def __str__(self) -> str:
        return f"{self.where}: PSK {self.psk} ({self.form})"


def mask(psk: str) -> str:
    return psk[:3] + "\u2026"


def forms(psk: str) -> dict[str, bytes]:
    """The byte strings that betray PSK: plain, JSON-escaped, and base64 at each of the three
    alignments a key can have inside a larger base64-encoded text (the chars that depend on the
    neighbouring bytes are cut off)."""
    raw = psk.encode()
    out = {"plain": raw}
    escaped = json.dumps(psk)[1:-1].encode()
    if escaped != raw:
        out["json"] = escaped
    for shift in range(3):
        enc = base64.b64encode(b"\0" * shift + raw)
        head = 4 if shift else 0
        tail = len(enc) if (shift + len(raw)) % 3 == 0 else len(enc) - 4
        core = enc[head:tail]
        if len(core) >= 8:
            out[f"base64+{shift}"] = core
    return out


def is_key_file(path: Path, st: os.stat_result) -> bool:
    """A file meant to hold keys: a swanctl configuration of mode 0600, owned by root."""
    return path.name in KEY_FILE_NAMES and stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0


def _search(data: bytes, patterns: dict[str, dict[str, bytes]]) -> list[tuple[str, str, str]]:
    """(psk, form, where in DATA) of every form found: the line of its first occurrence and the
    Ansible task it is in (the last "TASK [...]" header above it), to find the leaking task."""
    found = []
    for psk, by_form in patterns.items():
        for form, pat in by_form.items():
            at = data.find(pat)
            if at < 0:
                continue
            line = data.count(b"\n", 0, at) + 1
            task = data.rfind(b"TASK [", 0, at)
            name = data[task + 6:data.find(b"]", task)].decode(errors="replace")[:120] if task >= 0 else ""
            found.append((psk, form, f"line {line}" + (f", TASK [{name}]" if name else "")))
    return found


def _files(roots: list[Path], since: float):
    """Regular files under ROOTS (not following symlinks) changed at or after SINCE."""
    seen = set()
    for root in roots:
        root = Path(root)
        if root.is_file():
            candidates = [(str(root.parent), [], [root.name])]
        elif root.is_dir():
            candidates = os.walk(root, followlinks=False)
        else:
            continue
        for dirpath, dirnames, filenames in candidates:
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for name in filenames:
                path = Path(dirpath) / name
                try:
                    st = path.lstat()
                except OSError:
                    continue  # gone meanwhile
                if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
                # ctime too: a copy that kept its source's mtime was still written now
                if max(st.st_mtime, st.st_ctime) >= since:
                    yield path, st


def find_leaks(psks, texts: dict[str, str], roots: list[Path], since: float, allowed=is_key_file) -> list[Finding]:
    """Every place a key of PSKS appears: in TEXTS (name -> text, e.g. the playbook's output) and in
    the files under ROOTS changed since SINCE (a time.time()), except files ALLOWED(path, stat)
    says may hold keys. Returns [] when there is no leak."""
    patterns = {psk: forms(psk) for psk in sorted(set(p for p in psks if p))}
    if not patterns:
        raise ValueError("no pre-shared keys to search for")
    findings = []
    for name, text in texts.items():
        findings += [Finding(f"{name} {at}", mask(psk), form)
                     for psk, form, at in _search(text.encode(errors="surrogateescape"), patterns)]
    for path, st in _files(roots, since):
        if allowed(path, st):
            continue
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES)
        except OSError:
            continue
        where = f"{path} (mode {stat.S_IMODE(st.st_mode):04o}, uid {st.st_uid})"
        findings += [Finding(f"{where} {at}", mask(psk), form) for psk, form, at in _search(data, patterns)]
    return findings


def lab_psks(url: str, timeout: float = 10) -> list[str]:
    """Every tunnel's pre-shared key the lab API holds (GET /_lab/vpn-connections)."""
    with urllib.request.urlopen(f"{url.rstrip('/')}/_lab/vpn-connections", timeout=timeout) as resp:
        conns = json.load(resp)["vpn_connections"]
    return sorted({t["psk"] for c in conns for t in c.get("tunnels", []) if t.get("psk")})


def default_roots(root: Path, state_dir: Path, *extra: Path) -> list[Path]:
    """Where a site.yml run on the lab writes: the collection (reports/, anything new; .venv and
    build skipped), the lab state dir (edge configs, logs), the devices' private /etc entries
    (/etc/netns/NS/...), the strongSwan role's config and run dirs, FRR's config and run dirs,
    Ansible's local temp dir, and EXTRA (log files, TMPDIR)."""
    return [Path(root), Path(state_dir), Path("/etc/netns"), Path("/etc/sitevpn-strongswan"),
            Path("/var/lib/sitevpn-strongswan"), Path("/etc/frr"), Path("/run/frr"),
            Path.home() / ".ansible", *map(Path, extra)]
