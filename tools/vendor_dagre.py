"""Refresh the layout library the lineage page inlines: dagre, from the npm registry.

Run by hand when upgrading (needs npm), then review and commit the result::

    python tools/vendor_dagre.py 3.1.3

It packs ``@dagrejs/dagre`` at that version, checks the tarball against the registry's
integrity hash (npm does), and writes ``sparklineage/sinks/html_page/dagre.min.js``: the
package's own minified browser build (graphlib bundled in), with its licence text put in
front and its source-map reference taken out (a page opened from file:// must not point at
files it does not have), plus ``DAGRE-LICENSE``. The page never loads anything from outside.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "sparklineage" / "sinks" / "html_page"


def main() -> None:
    version = sys.argv[1] if len(sys.argv) > 1 else "3.1.3"
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            ["npm", "pack", f"@dagrejs/dagre@{version}", "--pack-destination", scratch],
            check=True,
            capture_output=True,
        )
        (tarball,) = Path(scratch).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            build = archive.extractfile("package/dist/dagre.min.js")
            legal = archive.extractfile("package/dist/dagre.min.js.LEGAL.txt")
            licence = archive.extractfile("package/LICENSE")
            assert build and legal and licence
            code = build.read().decode()
            notice = legal.read().decode().strip()
            (TARGET / "DAGRE-LICENSE").write_bytes(licence.read())
    lines = [
        line
        for line in code.splitlines()
        if not line.startswith("//# sourceMappingURL=") and "LEGAL.txt" not in line
    ]
    header = f"/* @dagrejs/dagre {version} (MIT), vendored by tools/vendor_dagre.py\n"
    body = "\n".join(lines)
    (TARGET / "dagre.min.js").write_text(f"{header}{notice.strip('/* ').strip()}\n*/\n{body}\n")
    print(f"wrote {TARGET / 'dagre.min.js'} ({len(body)} characters of code)")


if __name__ == "__main__":
    main()
