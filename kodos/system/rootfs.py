"""Paths inside a managed root: symlinks are followed the way the machine itself would see them.

The root being read or changed is another system's `/` mounted somewhere (a generation, or an
image being built), or the ESP. Its absolute symlinks (`/etc/localtime ->
/usr/share/zoneinfo/UTC`, `/lib -> usr/lib`) mean paths inside that root, never on the host, and
`..` cannot climb above it — exactly what `chroot` (or `openat2`'s `RESOLVE_IN_ROOT`) would do.
Every path kodos reads or writes inside a root, and every path it hands a tool (pacman's
`--config`, `--dbpath`, `--logfile`…), goes through this module:

* `resolve_in_root`: the lexical resolution, as chroot would see it. With `confined_to` a link
  that would leave the root (an absolute one, or one climbing above it) is refused instead:
  the ESP has no symlinks of its own (vfat), so such a link is damage, never a layout to honour.
* `checked_in_root`: that resolution, then a check that the host path really is under the root
  (`realpath`). The two are not one atomic step (`openat2` would be): they guard roots that
  only kodos changes while it works on them — a private snapshot, the ESP under the lock.
* `tool_path`: a path a tool will open itself, checked and of the expected kind (a regular
  file or a directory; missing is fine), so pacman never appends its log to a device.
* `open_in_root` / `read_bytes_in_root` / `read_text_in_root`: a regular file inside the root,
  opened without following a link in its last component and never blocking on a FIFO.

Tools that take the root themselves need no check: `useradd`/`usermod`/`userdel`/`chpasswd
--root` chroot into it, `systemctl --root` resolves links inside it, and follow-up programs run
under `chroot`.

`unchecked_paths` swaps all of it for the plain join kodos once used; it exists only so
`benchmarks/apply.py` can measure what the checks cost (no command reaches it).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kodos.errors import KodosError, ReadError

# Linux's limit on symlinks followed while resolving one path (ELOOP beyond it).
MAX_SYMLINKS = 40
GENERATION = "the generation"
ESP = "the ESP"
# Roots where a link leading out is refused rather than re-rooted: vfat has no symlinks, so one
# on the ESP is damage (or an ESP directory on another file system in tests).
CONFINED = frozenset({ESP})
# O_NONBLOCK: opening a FIFO must not wait for a writer (the type check then refuses it).
_OPEN_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_KINDS = (
    (stat.S_ISREG, "a regular file"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)


class UnsafePath(KodosError):
    """A path inside a root leads somewhere kodos must not read or write: out of the root, or
    to something other than the regular file or directory it needs. `path` is named as the
    machine names it (or, on the ESP, as the host does)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason  # "is a link out of the ESP", "leads to /dev/zero, …"
        super().__init__(f"{path} {reason}")


_checks = True


@contextmanager
def unchecked_paths() -> Iterator[None]:
    """For benchmarks only: inside the block every function here joins paths as they are
    written (following host links), as kodos did before the checks. Never used by a command."""
    global _checks
    saved, _checks = _checks, False
    try:
        yield
    finally:
        _checks = saved


def resolve_in_root(
    root: Path | str, path: str, *, follow_last: bool = True, confined_to: str | None = None
) -> str:
    """The host path of `path` (absolute or relative, interpreted inside `root`), with every
    symlink along it resolved inside the root. Missing components are kept as written, so the
    result may not exist. `follow_last=False` leaves a symlink in the last component alone
    (to read or remove the link itself). With `confined_to` (what the root is, "the ESP"), a
    link leading out of the root raises `UnsafePath` instead of being re-rooted. Raises
    `ReadError` for a symlink loop."""
    base = os.fspath(root)
    if not _checks:
        return os.path.join(base, path.lstrip("/"))
    pending = [part for part in reversed(path.split("/")) if part not in ("", ".")]
    resolved: list[str] = []
    followed = 0
    while pending:
        part = pending.pop()
        if part == "..":
            if resolved:  # `..` at the root stays at the root, as under chroot
                resolved.pop()
            continue
        candidate = os.path.join(base, *resolved, part)
        if (pending or follow_last) and os.path.islink(candidate):
            followed += 1
            if followed > MAX_SYMLINKS:
                raise ReadError(candidate, "too many levels of symbolic links")
            target = os.readlink(candidate)
            if confined_to is not None and _leaves(resolved, target):
                raise UnsafePath(candidate, f"is a link out of {confined_to}")
            if target.startswith("/"):
                resolved = []
            pending.extend(p for p in reversed(target.split("/")) if p not in ("", "."))
            continue
        resolved.append(part)
    return os.path.join(base, *resolved)


def _leaves(resolved: list[str], target: str) -> bool:
    """Whether a link in the directory `resolved` (components below the root) pointing to
    `target` would, followed by the host, lead out of the root."""
    if target.startswith("/"):
        return True
    depth = len(resolved)
    for part in target.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def checked_in_root(
    root: Path | str, path: str, *, follow_last: bool = True, where: str = GENERATION
) -> str:
    """`resolve_in_root`, then proof that the host path is under the root: its real path
    (the last component's link, with `follow_last=False`, left alone) starts with the root's.
    `UnsafePath` names `path` as the machine names it otherwise. `where` says what the root
    is: the generation (links re-rooted, as chroot does) or the ESP (links out refused)."""
    confined_to = where if where in CONFINED else None
    host = resolve_in_root(root, path, follow_last=follow_last, confined_to=confined_to)
    if not _checks:
        return host
    parent, leaf = os.path.split(host)
    real = os.path.join(os.path.realpath(parent), leaf)
    if follow_last:
        real = os.path.realpath(real)
    top = os.path.realpath(root)
    if real != top and not real.startswith(top.rstrip("/") + "/"):
        raise UnsafePath(_named(path), f"is a link out of {where}")
    return host


def kind_of(host_path: str) -> str | None:
    """What is at `host_path` without following a link there ("a regular file", "a
    character device"…), or None when nothing is."""
    try:
        mode = os.lstat(host_path).st_mode
    except FileNotFoundError:
        return None
    return next((name for test, name in _KINDS if test(mode)), "something else")


def tool_path(root: Path | str, path: str, wanted: str, *, where: str = GENERATION) -> str:
    """The host path to hand a tool for `path` inside the root: checked like
    `checked_in_root`, and either missing or `wanted` ("a regular file", "a directory")."""
    host = checked_in_root(root, path, where=where)
    if _checks:
        found = kind_of(host)
        if found is not None and found != wanted:
            raise UnsafePath(_named(path), _wrong_kind(root, path, host, found, wanted))
    return host


def open_in_root(root: Path | str, path: str, *, where: str = GENERATION) -> int:
    """A read-only descriptor of the regular file `path` inside the root (links resolved in
    the root, none followed by the open itself). `FileNotFoundError` when missing,
    `UnsafePath` when it is not a regular file."""
    host = checked_in_root(root, path, where=where)
    if not _checks:
        return os.open(host, os.O_RDONLY | os.O_CLOEXEC)
    descriptor = os.open(host, os.O_RDONLY | _OPEN_FLAGS)
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        found = next((name for test, name in _KINDS if test(mode)), "something else")
        raise UnsafePath(_named(path), _wrong_kind(root, path, host, found, "a regular file"))
    os.set_blocking(descriptor, True)
    return descriptor


def read_bytes_in_root(root: Path | str, path: str, *, where: str = GENERATION) -> bytes:
    """The content of the regular file `path` inside the root (see `open_in_root`)."""
    with os.fdopen(open_in_root(root, path, where=where), "rb") as stream:
        return stream.read()


def read_text_in_root(root: Path | str, path: str, *, where: str = GENERATION) -> str:
    return read_bytes_in_root(root, path, where=where).decode("utf-8")


def is_file_in_root(root: Path | str, path: str, *, where: str = GENERATION) -> bool:
    """Whether `path` inside the root, links resolved in it, is a regular file."""
    try:
        host = checked_in_root(root, path, where=where)
    except (UnsafePath, ReadError):
        return False
    return os.path.isfile(host) if not _checks else kind_of(host) == "a regular file"


def inside(root: Path | str, host_path: str) -> str:
    """How the machine names a host path under `root`: `/tmp/r/etc/passwd` → `/etc/passwd`."""
    relative = os.path.relpath(host_path, os.fspath(root))
    return "/" if relative == "." else "/" + relative


def _named(path: str) -> str:
    return "/" + path.lstrip("/")


def _wrong_kind(root: Path | str, path: str, host: str, found: str, wanted: str) -> str:
    """What follows `/var/log/pacman.log` in `… leads to /dev/zero, a character device: kodos
    uses only a regular file there`."""
    named, resolved = _named(path), inside(root, host)
    what = f"is {found}" if resolved == named else f"leads to {resolved}, {found}"
    return f"{what}: kodos uses only {wanted} there"
