"""Where a command's `--out FILE` goes: a regular file replaced atomically, or standard output.

kodos runs as root, and an atomic write replaces whatever name it is given: `--out /dev/null`
once turned the device node into a 0600 regular file. So `--out` writes only

* over a regular file, or where nothing is yet — atomically (temp file, fsync, rename);
* to standard output for `-` and `/dev/stdout`, streamed — instead of the command's usual
  output there, so the stream holds the document alone (`kodos plan --out - | jq`).

Anything else — a device, a FIFO, a socket, a directory, a symbolic link (even to a regular
file: replacing it would break the link, following it would write where the link points) —
is refused before the command does its work, and again just before writing.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from kodos.errors import KodosError
from kodos.system.atomic import write_text_atomic

STANDARD_OUTPUT = ("-", "/dev/stdout")

_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


class OutFileError(KodosError):
    """`--out` names something kodos will not replace."""


def is_standard_output(out: Path | str) -> bool:
    return str(out) in STANDARD_OUTPUT


def check_out(out: Path) -> None:
    """Refuse, with what it is, an `--out` that is neither a regular file, nothing yet, nor
    standard output."""
    if is_standard_output(out):
        return
    try:
        info = os.lstat(out)
    except FileNotFoundError:
        return
    except OSError as err:
        raise OutFileError(f"--out {out}: {(err.strerror or str(err)).lower()}") from None
    if stat.S_ISREG(info.st_mode):
        return
    if stat.S_ISLNK(info.st_mode):
        what = f"a symbolic link (to {os.readlink(out)})"
    else:
        what = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
    raise OutFileError(
        f"--out {out}: {what}; kodos writes only a regular file (or `-` for standard output)"
    )


def write_out(out: Path, text: str) -> None:
    """`text` into `out`: streamed to standard output, or replacing a regular file atomically."""
    if is_standard_output(out):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    check_out(out)
    write_text_atomic(out, text)
