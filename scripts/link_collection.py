"""Make this checkout importable as the collection sitevpn.aws from the venv.

Ansible, ansible-test and the lab's Python code all find the collection as
``ansible_collections.sitevpn.aws`` next to the collections the ``ansible`` package ships.
"""
import os
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    site = Path(sysconfig.get_paths()["purelib"])
    target = site / "ansible_collections" / "sitevpn" / "aws"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.exists():
        if target.resolve() == ROOT:
            return 0
        target.unlink()
    os.symlink(ROOT, target)
    print(f"linked {target} -> {ROOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
