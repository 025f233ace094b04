"""One kodos at a time per machine: an flock on `/run/kodos-locks/kodos-<btrfs uuid>.lock`.

Every command that changes a machine's generations (apply, rollback, generations delete/gc)
holds it. The kernel releases an flock when its holder exits, however it exits (kill -9 too),
so a crashed run never leaves a stale lock. A second run says once that it waits, and for whom:

    kodos: waiting for another kodos (pid 123, `kodos apply -c /etc/kodos`, since 12:01:03)
    to finish (up to 60 s)

and, when it gives up waiting, names the holder again:

    another kodos (pid 123, `kodos apply -c /etc/kodos`, since 12:01:03) holds the lock for
    this machine; waited 5 s

Nobody else can hold or steer it. An flock needs only a read-only descriptor, and a file
created through a planted link truncates whatever the link names, so the lock lives in a
directory only its owner can enter: `/run/kodos-locks` (made 0700 when missing; not
`/run/kodos`, which every apply covers with a private tmpfs inside its own mount namespace),
refused when it is a link, belongs to another user or others can write it. `KODOS_LOCK_DIR`
(tests, unprivileged runs) is held to the same rule. The file is opened relative to that
directory's descriptor, without following links, mode 0600.

The holder is named from the kernel, not from the file: `/proc/locks` gives the pid that
holds an flock on the file's inode. The details the holder wrote into the file (command,
start time) are shown only when they belong to that live process — the pid and the
process's start time both match — so stale content from a dead run is never reported.

The file is never removed (removing an flock'd file lets two processes lock two different
files); the holder empties it on release.
"""

from __future__ import annotations

import fcntl
import os
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kodos.errors import KodosError
from kodos.system.ownership import foreign_reason

DEFAULT_LOCK_DIR = Path("/run/kodos-locks")
DEFAULT_TIMEOUT = 60.0
"""Seconds a command waits for another kodos by default (`--lock-timeout`)."""
_POLL_SECONDS = 0.05
_PROC_LOCKS = Path("/proc/locks")


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds the lock (all None when unknown): the pid from the kernel, the command and
    start time from the file when they are that live process's own."""

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

    def __init__(self, holder: Holder, waited: float, subject: str = "this machine") -> None:
        self.holder = holder
        self.waited = waited
        super().__init__(f"{holder.describe()} holds the lock for {subject}; waited {waited:g} s")


class UnsafeLockError(KodosError):
    """The lock's directory or file could be reached or steered by another user."""


def lock_directory(directory: Path | None = None) -> Path:
    return directory or Path(os.environ.get("KODOS_LOCK_DIR") or DEFAULT_LOCK_DIR)


def lock_path(fs_uuid: str, directory: Path | None = None) -> Path:
    return lock_directory(directory) / f"kodos-{fs_uuid}.lock"


@contextmanager
def machine_lock(
    fs_uuid: str,
    *,
    timeout: float,
    command: str,
    directory: Path | None = None,
    subject: str = "this machine",
) -> Iterator[Path]:
    """Hold the machine's lock for the `with` block, waiting up to `timeout` seconds for it;
    `LockTimeout` names the holder when it does not come free, `UnsafeLockError` refuses a
    directory or file another user could reach. Yields the lock file's path."""
    path = lock_path(fs_uuid, directory)
    descriptor = _open_lock_file(path)
    try:
        _acquire(descriptor, timeout=max(timeout, 0.0), subject=subject)
        _write_holder(descriptor, command)
        try:
            yield path
        finally:
            os.ftruncate(descriptor, 0)  # the next holder writes itself; no stale details
    finally:
        os.close(descriptor)  # closing the last descriptor releases the flock


def read_holder(descriptor: int) -> Holder:
    """Who holds an flock on the open file: the pid from `/proc/locks` (by device and inode),
    with the file's details only when they are that live process's."""
    info = os.fstat(descriptor)
    pid = _flock_holder_pid(info.st_dev, info.st_ino)
    if pid is None:
        return Holder()
    import json  # here, not at the top: the CLI imports this module to build its parser

    try:
        data = json.loads(os.pread(descriptor, 4096, 0).decode("utf-8"))
        if data["pid"] != pid or data["started"] != process_start(pid):
            return Holder(pid)
        return Holder(pid, str(data["command"]) or None, datetime.fromisoformat(data["since"]))
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return Holder(pid)


def process_start(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (`/proc/PID/stat` field 22): with
    the pid, it tells a live process from a dead one whose pid was reused."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
        return int(text.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _open_lock_file(path: Path) -> int:
    directory = _open_private_directory(path.parent)
    try:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
        try:
            descriptor = os.open(path.name, flags, 0o600, dir_fd=directory)
        except OSError as err:
            reason = "a symbolic link" if _is_link(path) else _reason(err)
            raise UnsafeLockError(f"lock file {path}: {reason}; refusing it") from None
    finally:
        os.close(directory)
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
        os.close(descriptor)
        raise UnsafeLockError(f"lock file {path}: not a regular file of this user; refusing it")
    os.fchmod(descriptor, 0o600)
    return descriptor


def _open_private_directory(directory: Path) -> int:
    """The lock directory's descriptor, made 0700 when missing; refused when it is a link,
    not this user's, or writable by others — anyone who can write it could plant the file."""
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    except OSError as err:
        raise UnsafeLockError(f"lock directory {directory}: {_reason(err)}") from None
    try:
        descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as err:
        reason = "a symbolic link" if _is_link(directory) else _reason(err)
        raise UnsafeLockError(f"lock directory {directory}: {reason}; refusing it") from None
    problem = foreign_reason(os.fstat(descriptor))
    if problem:
        os.close(descriptor)
        raise UnsafeLockError(
            f"lock directory {directory}: {problem}; refusing it "
            "(use a directory only this user can write)"
        )
    return descriptor


def _acquire(descriptor: int, *, timeout: float, subject: str) -> None:
    deadline = time.monotonic() + timeout
    said = False
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LockTimeout(read_holder(descriptor), timeout, subject) from None
            if not said:
                _say_waiting(read_holder(descriptor), timeout)
                said = True
            time.sleep(min(_POLL_SECONDS, remaining))


def _say_waiting(holder: Holder, timeout: float) -> None:
    """One line on standard error, once, when the lock is not free: a command that seems to
    hang should say what it waits for, and for how long at most. Said here, not by each
    command, so every command that takes the lock says it alike."""
    message = f"kodos: waiting for {holder.describe()} to finish (up to {timeout:g} s)"
    print(message, file=sys.stderr, flush=True)


def _write_holder(descriptor: int, command: str) -> None:
    import json

    since = datetime.now().astimezone().isoformat(timespec="seconds")
    pid = os.getpid()
    details = {"pid": pid, "started": process_start(pid), "command": command, "since": since}
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, (json.dumps(details) + "\n").encode(), 0)
    os.fsync(descriptor)


def _flock_holder_pid(device: int, inode: int) -> int | None:
    """The pid `/proc/locks` names for an flock on (device, inode); lines read
    `1: FLOCK  ADVISORY  WRITE 1234 fe:00:2180687 0 EOF` (major:minor in hex)."""
    wanted = f"{os.major(device):02x}:{os.minor(device):02x}:{inode}"
    try:
        lines = _PROC_LOCKS.read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if "->" in fields:  # a waiter queued behind a holder, not the holder
            continue
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted:
            return int(fields[4]) if fields[4].isdigit() else None
    return None


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def _reason(err: OSError) -> str:
    return (err.strerror or str(err)).lower()


def _clock(moment: datetime) -> str:
    """Time of day for today's moments, with the date for older ones."""
    local = moment.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M:%S")
