"""Reading Lua source files without reading the rest of the machine.

A configuration directory is input like any other: a module in it may be a link to a private
key, to /dev/zero or to a FIFO, or be gigabytes long. kodos reads a source file only when,
with every link resolved, it is a regular file inside one of the directories sources may come
from (the configuration's directory, the `--lua-path` directories, kodos's lua-lib), and at
most MAX_SOURCE_BYTES long. A file that breaks the rule is refused before it is opened, so its
text never reaches an error message; the descriptor actually opened is checked again, so a
link swapped in between cannot widen the rule.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

MAX_SOURCE_BYTES = 16 * 1024 * 1024

OUTSIDE = "it leads outside the directories Lua files are read from"
NOT_REGULAR = "not a regular file"
TOO_LARGE = f"larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MiB"


class SourceRefused(Exception):
    """The file exists but may not be read; `reason` is a phrase for the message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_source(path: Path, roots: Sequence[Path]) -> str | None:
    """The text of `path`, or None when nothing is there. Raises SourceRefused when the file
    breaks the rule above, OSError or UnicodeDecodeError when it cannot be read as text.
    `roots` are resolved directories (see `resolved_root`)."""
    if not os.path.lexists(path):
        return None
    real = os.path.realpath(path)
    if not _inside(real, roots):
        raise SourceRefused(OUTSIDE)
    _check(os.lstat(real))
    fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        _check(os.fstat(fd))
        if not _inside(os.readlink(f"/proc/self/fd/{fd}"), roots):
            raise SourceRefused(OUTSIDE)
        data = _read_at_most(fd, MAX_SOURCE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceRefused(TOO_LARGE)
    return data.decode("utf-8")


def resolved_root(directory: Path) -> Path:
    return Path(os.path.realpath(directory))


def _inside(real: str, roots: Sequence[Path]) -> bool:
    return any(real.startswith(str(root).rstrip("/") + "/") for root in roots)


def _check(status: os.stat_result) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise SourceRefused(NOT_REGULAR)
    if status.st_size > MAX_SOURCE_BYTES:
        raise SourceRefused(TOO_LARGE)


def _read_at_most(fd: int, limit: int) -> bytes:
    parts, total = [], 0
    while total < limit:
        chunk = os.read(fd, limit - total)
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)
