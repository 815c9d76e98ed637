# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Write a Lambda deployment zip that depends only on the sources' names and bytes.

Fixed timestamps, sorted entries, fixed permissions and compression: an unchanged source gives
the same bytes, so its sha256 equals the function's CodeSha256 and nothing is redeployed.

Usage: deterministic_zip.py OUT.zip FILE...   Prints {"changed": bool, "code_sha256": base64}.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
import zipfile

EPOCH = (1980, 1, 1, 0, 0, 0)


def build(paths):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(paths, key=os.path.basename):
            info = zipfile.ZipInfo(os.path.basename(path), date_time=EPOCH)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the build host
            with open(path, "rb") as source:
                archive.writestr(info, source.read(), compresslevel=9)
    return buffer.getvalue()


def main(argv):
    out, sources = argv[0], argv[1:]
    data = build(sources)
    try:
        with open(out, "rb") as current:
            changed = current.read() != data
    except FileNotFoundError:
        changed = True
    if changed:
        # other runs may read it meanwhile: never show them half a file
        partial = f"{out}.{os.getpid()}.partial"
        with open(partial, "wb") as target:
            target.write(data)
        os.replace(partial, out)
    sys.stdout.write(json.dumps({"changed": changed, "code_sha256": base64.b64encode(hashlib.sha256(data).digest()).decode()}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
