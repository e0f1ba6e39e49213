"""Where a command's data goes: stdout, or a file written so no reader sees half of it.

A regular file (or a link to one) is replaced atomically: written beside it under a temporary
name, then renamed over it. Anything else a user names (``/dev/null``, ``/dev/stdout``, a
FIFO) is written to as it is: renaming a file over a device node, as root, would replace the
device with a regular file.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile

from sparklineage.errors import UsageError, shown


def write_output(data: bytes, output: str | None) -> None:
    """Write ``data`` to stdout, or to ``output``."""
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    target = os.path.realpath(output)
    try:
        if os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode):
            with open(target, "wb") as handle:  # a device or a pipe: written, never replaced
                handle.write(data)
            return
        _replace(data, target)
    except FileNotFoundError:
        directory = shown(os.path.dirname(os.path.abspath(output)) or ".")
        raise UsageError(f"{shown(output)}: the directory {directory} does not exist") from None
    except OSError as exc:
        raise UsageError(f"{shown(output)}: cannot write ({exc.strerror or exc})") from None


def _replace(data: bytes, target: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".sparklineage-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is an ordinary file
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
