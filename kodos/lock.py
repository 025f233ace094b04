"""One kodos at a time per machine: an flock on `/run/lock/kodos-<btrfs uuid>.lock`.

Every command that changes a machine's generations (apply, rollback, generations delete/gc)
holds it. The kernel releases an flock when its holder exits, however it exits (kill -9 too),
so a crashed run never leaves a stale lock. Once held, the holder writes its pid, command and
start time into the file, and a second run that gives up waiting names them:

    another kodos (pid 123, `kodos apply -c /etc/kodos`, since 12:01:03) holds the lock for
    this machine; waited 5 s

The file is never removed (removing an flock'd file lets two processes lock two different
files); the holder empties it on release. The directory is `/run/lock` unless a `directory`
argument or the `KODOS_LOCK_DIR` environment variable says otherwise (tests).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kodos.errors import KodosError

DEFAULT_LOCK_DIR = Path("/run/lock")
DEFAULT_TIMEOUT = 60.0
"""Seconds a command waits for another kodos by default (`--lock-timeout`)."""
_POLL_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds the lock, as it wrote itself into the lock file (all None when unknown)."""

    pid: int | None = None
    command: str | None = None
    since: datetime | None = None

    def describe(self) -> str:
        if self.pid is None:
            return "another kodos"
        details = [f"pid {self.pid}"]
        if self.command:
            details.append(f"`{self.command}`")
        if self.since:
            details.append(f"since {_clock(self.since)}")
        return f"another kodos ({', '.join(details)})"


class LockTimeout(KodosError):
    """Another kodos held the machine's lock for longer than this one would wait."""

    def __init__(self, holder: Holder, waited: float) -> None:
        self.holder = holder
        self.waited = waited
        super().__init__(
            f"{holder.describe()} holds the lock for this machine; waited {waited:g} s"
        )


def lock_path(fs_uuid: str, directory: Path | None = None) -> Path:
    base = directory or Path(os.environ.get("KODOS_LOCK_DIR") or DEFAULT_LOCK_DIR)
    return base / f"kodos-{fs_uuid}.lock"


@contextmanager
def machine_lock(
    fs_uuid: str, *, timeout: float, command: str, directory: Path | None = None
) -> Iterator[Path]:
    """Hold the machine's lock for the `with` block, waiting up to `timeout` seconds for it;
    `LockTimeout` names the holder when it does not come free. Yields the lock file's path."""
    path = lock_path(fs_uuid, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _acquire(descriptor, path, max(timeout, 0.0))
        _write_holder(descriptor, command)
        try:
            yield path
        finally:
            os.ftruncate(descriptor, 0)  # the next holder writes itself; no stale details
    finally:
        os.close(descriptor)  # closing the last descriptor releases the flock


def read_holder(path: Path) -> Holder:
    """The holder's details from a lock file; empty or damaged details give an unknown one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        since = datetime.fromisoformat(data["since"]) if data.get("since") else None
        return Holder(int(data["pid"]), str(data.get("command") or "") or None, since)
    except (OSError, ValueError, TypeError, KeyError):
        return Holder()


def _acquire(descriptor: int, path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LockTimeout(read_holder(path), timeout) from None
            time.sleep(min(_POLL_SECONDS, remaining))


def _write_holder(descriptor: int, command: str) -> None:
    since = datetime.now().astimezone().isoformat(timespec="seconds")
    details = json.dumps({"pid": os.getpid(), "command": command, "since": since})
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, (details + "\n").encode(), 0)
    os.fsync(descriptor)


def _clock(moment: datetime) -> str:
    """Time of day for today's moments, with the date for older ones."""
    local = moment.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M:%S")
