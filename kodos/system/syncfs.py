"""Making one file system durable: `syncfs(2)`, now or in the background.

`sync(2)` writes every file system of the host and waits for all of them: on a busy machine
that is other people's data too, and it takes as long as the slowest disk. What an apply needs
on disk is one file system (the Btrfs one its generation is a subvolume of); `syncfs(2)` on it
gives that file system the same guarantee `sync(2)` would — its dirty data written and, for
Btrfs, its transaction committed — and nothing else waits. A loop device's file system passes
the flush on to the file underneath (the loop driver fsyncs it), as `sync(2)` would.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from kodos.errors import KodosError


class FileSystemSyncError(KodosError):
    """A file system could not be flushed to disk (an I/O error underneath)."""


def sync_file_system(directory: Path) -> None:
    """`syncfs(2)` of the file system holding `directory` (Python has no `os.syncfs`)."""
    _syncfs(_libc(), directory)


@contextmanager
def file_systems_synced(directories: Sequence[Path]) -> Iterator[None]:
    """`syncfs(2)` of each of `directories`' file systems, in a thread while the block runs
    (work that only reads, waiting on the disk meanwhile); leaving the block waits for them.
    ctypes lets go of the interpreter during the call, so the block runs at full speed. A
    failed flush raises `FileSystemSyncError`; an error of the block itself wins over it (the
    flushes are waited for all the same)."""
    from kodos.system.background import meanwhile

    libc = _libc()  # loaded here, not in the thread

    def flush() -> None:
        for directory in directories:
            try:
                _syncfs(libc, directory)
            except OSError as err:
                raise FileSystemSyncError(
                    f"flushing the file system of {directory} to disk failed: {err.strerror}"
                ) from err

    with meanwhile(flush) as flushing:
        yield
    flushing.result()


@contextmanager
def flushing_meanwhile(directories: Sequence[Path], every: float = 0.2) -> Iterator[None]:
    """While the block writes (a pacman transaction), `directories`' file systems are flushed
    every `every` seconds in a thread: what the block writes goes to disk as it is written,
    so the flush that makes it durable afterwards (`file_systems_synced`) finds little left to
    write. Leaving the block waits for a flush under way. These early flushes only save time:
    one that fails is not reported here (the flush after the block is the one that counts,
    and reports)."""
    from kodos.system.background import meanwhile

    libc = _libc()
    stop = threading.Event()

    def flush_until_stopped() -> None:
        while not stop.wait(every):
            for directory in directories:
                with suppress(OSError):
                    _syncfs(libc, directory)

    with meanwhile(flush_until_stopped):
        try:
            yield
        finally:
            stop.set()


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _syncfs(libc: ctypes.CDLL, directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if libc.syncfs(descriptor) != 0:
            error = ctypes.get_errno()
            raise OSError(error, os.strerror(error), str(directory))
    finally:
        os.close(descriptor)
