"""Paths inside a managed root: symlinks are followed the way the machine itself would see them.

The root being read is another system's `/` mounted somewhere (or an image being built). Its
absolute symlinks (`/etc/localtime -> /usr/share/zoneinfo/UTC`, `/lib -> usr/lib`) mean paths
inside that root, never on the host, and `..` cannot climb above it — exactly what `chroot`
would do. Every provider that follows a link goes through `resolve_in_root`.
"""

from __future__ import annotations

import os
from pathlib import Path

from kodos.providers import ReadError

# Linux's limit on symlinks followed while resolving one path (ELOOP beyond it).
MAX_SYMLINKS = 40


def resolve_in_root(root: Path | str, path: str, *, follow_last: bool = True) -> str:
    """The host path of `path` (absolute or relative, interpreted inside `root`), with every
    symlink along it resolved inside the root. Missing components are kept as written, so the
    result may not exist. `follow_last=False` leaves a symlink in the last component alone
    (to read the link itself). Raises `ReadError` for a symlink loop."""
    base = os.fspath(root)
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
            if target.startswith("/"):
                resolved = []
            pending.extend(p for p in reversed(target.split("/")) if p not in ("", "."))
            continue
        resolved.append(part)
    return os.path.join(base, *resolved)


def inside(root: Path | str, host_path: str) -> str:
    """How the machine names a host path under `root`: `/tmp/r/etc/passwd` → `/etc/passwd`."""
    relative = os.path.relpath(host_path, os.fspath(root))
    return "/" if relative == "." else "/" + relative
