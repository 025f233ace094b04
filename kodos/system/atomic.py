"""Atomic file writes: readers see the old file or the new one, never half of either.

Every file kodos writes that someone else may read at any moment — records, the index, boot
entries, loader.conf, a generation's managed files — goes through here: a temporary file in
the same directory, fsync, rename over the old one, fsync of the directory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEMPORARY_PREFIX = ".kodos-"


def write_bytes_atomic(
    path: Path, data: bytes, *, mode: int | None = None, owner: tuple[int, int] | None = None
) -> None:
    """Replace `path` with `data` (creating parent directories); `mode` and `owner` are set on
    the new file before it takes the old one's place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            if owner is not None:
                os.fchown(stream.fileno(), *owner)
            if mode is not None:
                os.fchmod(stream.fileno(), mode)  # after chown, which clears setuid bits
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def fsync_directory(directory: Path) -> None:
    """Make a rename or removal in `directory` durable."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
