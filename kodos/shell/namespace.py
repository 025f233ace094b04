"""The system calls behind `kodos shell`: user and mount namespaces, mounts, the way back.

A normal user gets a new user namespace mapped to root (so pacman runs, and mounts are
allowed) together with a new mount namespace; root gets a plain mount namespace. Either way
every mount made afterwards exists only inside, and the kernel removes them all when the last
process of the namespace exits, however it exits: nothing is left to unmount.

The shell or command then runs in a nested user namespace mapped back to the user's own uid
and gid, so it keeps its identity. A chrooted process may not create a user namespace, so the
nesting comes first and the chroot after it (the nested namespace's root may chroot).

Python 3.11 has no `os.unshare` or `os.mount`: the calls go through libc with ctypes (the
`mount` program refuses to mount for a mapped uid). Call `enter_*` in a process that runs a
single thread: the kernel refuses `unshare` to a threaded one.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from kodos.errors import KodosError
from kodos.system.mountns import libc_calls

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

MAX_USER_NAMESPACES = Path("/proc/sys/user/max_user_namespaces")
# errno values unshare(CLONE_NEWUSER) gives when the kernel forbids it to this user: EPERM
# (a sysctl or security module forbids it), ENOSPC/EUSERS (the namespace limit is reached or 0).
_FORBIDDEN = (errno.EPERM, errno.ENOSPC, errno.EUSERS)


class NamespaceError(KodosError):
    """A namespace or mount the environment needs could not be made."""


class UserNamespacesUnavailable(NamespaceError):
    """This kernel does not let a normal user create a user namespace."""


def enter_as_root() -> None:
    """Become root of a new user namespace with a new mount namespace (a normal user), or
    enter a new mount namespace (root); either way, mounts made next never reach the host."""
    uid, gid = os.geteuid(), os.getegid()
    if uid == 0:
        _unshare(CLONE_NEWNS, "a mount namespace")
    else:
        if libc_calls().unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
            code = ctypes.get_errno()
            if code in _FORBIDDEN:
                raise UserNamespacesUnavailable(unavailable_message(code))
            _fail("unshare(CLONE_NEWUSER | CLONE_NEWNS)")
        _write_maps(inside=0, uid=uid, gid=gid)
    # On a systemd host every mount is shared: private, so nothing made here propagates out.
    mount("none", "/", None, MS_REC | MS_PRIVATE)


def enter_as_user(uid: int, gid: int) -> None:
    """From root of the namespace `enter_as_root` made, nest a user namespace in which this
    process is `uid`/`gid` again (the ids it had outside); root stays as it is."""
    if uid == 0:
        return
    _unshare(CLONE_NEWUSER, "a nested user namespace")
    _write_maps(inside=uid, uid=0, gid=0, inside_gid=gid)


def unavailable_message(code: int) -> str:
    """The refusal for a kernel that keeps user namespaces from normal users."""
    why = os.strerror(code)
    try:
        if MAX_USER_NAMESPACES.read_text().strip() == "0":
            why = "user.max_user_namespaces is 0"
    except OSError:
        pass
    return (
        f"this kernel does not let normal users create user namespaces ({why}), "
        "which kodos shell needs without root: run it as root (sudo kodos shell ...)"
    )


def mount(
    source: str, target: str | Path, fstype: str | None, flags: int, data: str | None = None
) -> None:
    """mount(2); a failure raises `NamespaceError` naming the target."""
    libc = libc_calls()
    encoded = data.encode() if data is not None else None
    done = libc.mount(
        source.encode(), str(target).encode(), fstype.encode() if fstype else None, flags, encoded
    )
    if done != 0:
        _fail(f"mounting {fstype or 'a bind'} on {target}")


def bind(source: Path, target: Path, *, read_only: bool = False) -> None:
    """A recursive bind mount of `source` on `target`, read-only if asked."""
    mount(str(source), target, None, MS_BIND | MS_REC)
    if read_only:
        mount("none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY)


def overlay(target: Path, lower: Sequence[Path], upper: Path, work: Path, *, user: bool) -> None:
    """An overlay on `target`: `lower` top first, writes to `upper`. In a user namespace the
    overlay keeps its whiteouts and opaque marks in `user.` extended attributes
    (`userxattr`): `trusted.` ones are root's alone."""
    for path in lower:
        if ":" in str(path) or "," in str(path):
            raise NamespaceError(f"cannot lay an overlay over {path}: its name holds ':' or ','")
    options = f"lowerdir={':'.join(map(str, lower))},upperdir={upper},workdir={work}"
    mount("overlay", target, "overlay", 0, options + (",userxattr" if user else ""))


def _write_maps(*, inside: int, uid: int, gid: int, inside_gid: int | None = None) -> None:
    """Map one id each way: `inside` ↔ `uid` (and `inside_gid` or `inside` ↔ `gid`). A
    process without CAP_SETGID outside may map its gid only after giving up setgroups."""
    _write(Path("/proc/self/setgroups"), "deny")
    _write(Path("/proc/self/uid_map"), f"{inside} {uid} 1")
    _write(Path("/proc/self/gid_map"), f"{inside if inside_gid is None else inside_gid} {gid} 1")


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError as err:
        raise NamespaceError(f"writing {path}: {err.strerror}") from None


def _unshare(flags: int, what: str) -> None:
    if libc_calls().unshare(flags) != 0:
        _fail(f"creating {what}")


def _fail(call: str) -> NoReturn:
    code = ctypes.get_errno()
    raise NamespaceError(f"{call} failed: {os.strerror(code)}")
