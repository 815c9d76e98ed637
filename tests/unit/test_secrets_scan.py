"""tests/integration/secrets_scan.py: planted keys are found in every form and place, key files
of mode 0600 owned by root are allowed, anything else (a 0644 copy, an old file) is judged right."""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from secrets_scan import Finding, find_leaks, forms, mask  # noqa: E402  pylint: disable=wrong-import-position

PSK = "Xq3_vT9.abcDEF0123456789ghiJKLmn"
OTHER = "Zz9_unrelated.key.0000000000000"


def write(path: Path, text: str, mode: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_mask_shows_three_chars_only():
    assert mask(PSK) == "Xq3\u2026"


def test_clean_text_and_files_give_nothing(tmp_path):
    since = time.time() - 1
    write(tmp_path / "report.json", json.dumps({"psk": "********"}), 0o644)
    assert find_leaks([PSK], {"output": "ok: [site] => {\"censored\": \"...\"}"}, [tmp_path], since) == []


def test_planted_leak_in_the_output_is_found_masked():
    output = f"TASK [role : Keep the plan] ***\nok: [site]\n  pre_shared_key: {PSK}\n"
    leaks = find_leaks([PSK, OTHER], {"output": output}, [], 0)
    assert leaks == [Finding("output line 3, TASK [role : Keep the plan]", "Xq3\u2026", "plain")]
    assert PSK not in str(leaks[0])


@pytest.mark.parametrize("shift", [0, 1, 2])
def test_base64_forms_are_found_at_any_alignment(shift):
    prefix = b"secret = "[:shift + 7]
    blob = base64.b64encode(prefix + PSK.encode() + b"\n}").decode()
    leaks = find_leaks([PSK], {"slurp": f'"content": "{blob}"'}, [], 0)
    assert [f.form for f in leaks if f.form.startswith("base64")], leaks


def test_json_escaped_form_is_searched():
    odd = 'ab"cd\\ef/gh12345'
    assert forms(odd)["json"] == b'ab\\"cd\\\\ef/gh12345'
    leaks = find_leaks([odd], {"out": json.dumps({"k": odd})}, [], 0)
    assert [f.form for f in leaks] == ["json"]


def test_planted_leak_in_a_file_is_found(tmp_path):
    since = time.time() - 1
    log = write(tmp_path / "logs" / "ansible.log", f"2026 | {PSK} |\n", 0o644)
    leaks = find_leaks([PSK], {}, [tmp_path], since)
    assert len(leaks) == 1 and str(log) in leaks[0].where and leaks[0].psk == mask(PSK)


@pytest.mark.skipif(os.geteuid() != 0, reason="key files must be owned by root")
def test_a_0600_key_file_is_allowed_a_0644_copy_is_not(tmp_path):
    since = time.time() - 1
    text = f'secrets {{\n  ike-1 {{\n    secret = "{PSK}"\n  }}\n}}\n'
    write(tmp_path / "tunnel1" / "secrets.conf", text, 0o600)
    assert find_leaks([PSK], {}, [tmp_path], since) == []
    copy = write(tmp_path / "backup" / "secrets.conf", text, 0o644)
    other_name = write(tmp_path / "tunnel1" / "psk.txt", text, 0o600)
    leaks = find_leaks([PSK], {}, [tmp_path], since)
    assert sorted(f.where.split(" ")[0] for f in leaks) == sorted([str(copy), str(other_name)])


def test_files_older_than_the_run_are_not_searched(tmp_path):
    old = write(tmp_path / "old.log", PSK, 0o644)
    os.utime(old, (1000, 1000))
    # the ctime still counts: a file changed now with an old mtime is searched
    assert find_leaks([PSK], {}, [tmp_path], time.time() - 1) != []
    assert find_leaks([PSK], {}, [tmp_path], time.time() + 5) == []


def test_symlinks_and_missing_roots_are_skipped(tmp_path):
    target = write(tmp_path / "real" / "k.txt", PSK, 0o644)
    (tmp_path / "link").mkdir()
    (tmp_path / "link" / "k.txt").symlink_to(target)
    leaks = find_leaks([PSK], {}, [tmp_path / "link", tmp_path / "nowhere"], 0)
    assert leaks == []
    assert len(find_leaks([PSK], {}, [tmp_path], 0)) == 1


def test_no_keys_is_an_error():
    with pytest.raises(ValueError):
        find_leaks([], {"out": "x"}, [], 0)
