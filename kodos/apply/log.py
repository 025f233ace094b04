"""The log of one apply: the plan, each step, pacman's output — kept outside every generation.

A failed apply leaves no generation to look into, so what happened is written where it
survives: `/var/log/kodos/` when the machine's `/var/log` is a shared subvolume (mounted, as on
a typical Btrfs Arch), else the top level's `kodos/logs/`. One file per apply, named by its
start time; its path is printed at the end of the apply, failed or not.

The applier's steps write through `log_output`/`log_line`, which do nothing unless an apply's
log is open (`open_log`): `kodos.apply.execute` used on its own (tests, install) logs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

LOG_DIRECTORY = "kodos/logs"
SHARED_LOG_DIRECTORY = "var/log"

_current: ContextVar[TextIO | None] = ContextVar("kodos_apply_log", default=None)
_current_path: ContextVar[Path | None] = ContextVar("kodos_apply_log_path", default=None)


def log_directory(machine_root: Path, top: Path) -> Path:
    """`/var/log/kodos` on a shared log subvolume, else the top level's `kodos/logs`."""
    shared = machine_root / SHARED_LOG_DIRECTORY
    if os.path.ismount(shared):
        return shared / "kodos"
    return top / LOG_DIRECTORY


@contextmanager
def open_log(directory: Path) -> Iterator[Path]:
    """Open a new log in `directory` for the duration of the block; yields its path."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = directory / f"apply-{stamp}.log"
    # O_EXCL|O_NOFOLLOW: a new file, never one a link leads to
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        token, path_token = _current.set(stream), _current_path.set(path)
        try:
            yield path
        finally:
            _current.reset(token)
            _current_path.reset(path_token)


def current_log() -> Path | None:
    """The host path of the log of the apply running now, if one is open."""
    return _current_path.get()


def log_line(text: str) -> None:
    """A line of the current apply's log, with the time."""
    stream = _current.get()
    if stream is not None:
        stream.write(f"[{datetime.now(UTC).strftime('%H:%M:%S')}] {text}\n")
        stream.flush()


def log_output(output: str) -> None:
    """A command's output, indented under the line that ran it."""
    stream = _current.get()
    if stream is not None and output.strip():
        stream.write("".join(f"    {line}\n" for line in output.rstrip("\n").splitlines()))
        stream.flush()
