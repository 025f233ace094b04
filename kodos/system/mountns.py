"""A private mount namespace for the process that builds a generation.

After `enter_private_mount_namespace()`, every mount the process (and any child it starts:
pacman, chroot scriptlets) makes exists only inside its own namespace: the host never sees
it, and the kernel removes it when the last process of the namespace exits — also after
`kill -9` or a crash, where no `finally` runs. That is what lets an interrupted apply leave no
mounted snapshot behind (docs/generations.md, step 4).

Call it early, before the process starts any thread: the kernel refuses `unshare(CLONE_NEWNS)`
(EINVAL) to a process whose threads share its filesystem information, which every thread does.
A child that outlives kodos (a daemon a scriptlet started) keeps the namespace, and so its
mounts, alive until it exits.

Python 3.11 has no `os.unshare`, so both system calls go through ctypes; no helper program is
needed, and the mount(2) call makes `/` private without depending on `mount` being in PATH.
"""

from __future__ import annotations

import ctypes
import errno
import os
import tempfile
from pathlib import Path
from typing import NoReturn

from kodos.errors import KodosError

CLONE_NEWNS = 0x00020000
SCRATCH = Path("/run/kodos")
MS_REC = 0x4000
MS_PRIVATE = 1 << 18


class MountNamespaceError(KodosError):
    """The process could not get a private mount namespace."""


def enter_private_mount_namespace() -> None:
    """Move this process into a new mount namespace whose mounts never propagate to the host.

    The new namespace starts as a copy of the current one. Marking `/` recursively private
    matters: on a systemd host every mount is shared, and without it mounts made here would
    still propagate back to the host's namespace.
    """
    from kodos.system.privilege import require_root

    require_root()  # the kernel would refuse unshare(CLONE_NEWNS) with a message no one can use
    threads = thread_count()
    if threads > 1:
        raise MountNamespaceError(
            f"cannot enter a private mount namespace: this process runs {threads} threads "
            "(enter it before starting any)"
        )
    libc = libc_calls()
    if libc.unshare(CLONE_NEWNS) != 0:
        _fail("unshare(CLONE_NEWNS)")
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        _fail("making / private (mount --make-rprivate /)")
    _private_scratch(libc)


def _private_scratch(libc: ctypes.CDLL) -> None:
    """Mount points (a top level, a snapshot) need directories; made in the host's /tmp, a
    killed run would leave them behind. A tmpfs only this namespace sees, over one fixed
    directory, takes the temporary files instead: they vanish with the process, however it
    ends."""
    try:
        SCRATCH.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # no /run: temporary directories stay in the default place
    if libc.mount(b"kodos", str(SCRATCH).encode(), b"tmpfs", 0, b"mode=0700") != 0:
        _fail(f"mounting a private tmpfs on {SCRATCH}")
    tempfile.tempdir = str(SCRATCH)


def thread_count() -> int:
    """The process's threads as the kernel counts them (Python's and any library's)."""
    return len(os.listdir("/proc/self/task"))


def libc_calls() -> ctypes.CDLL:
    """libc with unshare(2) and mount(2) typed, errno kept (kodos.shell mounts with it too)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.unshare.argtypes = [ctypes.c_int]
    libc.unshare.restype = ctypes.c_int
    libc.mount.argtypes = [
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_ulong,
        ctypes.c_void_p,
    ]
    libc.mount.restype = ctypes.c_int
    return libc


def _fail(call: str) -> NoReturn:
    code = ctypes.get_errno()
    hint = " (needs root: CAP_SYS_ADMIN)" if code == errno.EPERM else ""
    raise MountNamespaceError(f"{call} failed: {os.strerror(code)}{hint}")
