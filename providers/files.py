"""The `files` provider: files and symlinks kodos manages (mostly under `/etc`).

Manages `files.file[PATH]` — actual attributes `content` (the text, or None with a note when
it is not UTF-8 or not readable) and `mode` (`"0644"`, special bits included: `"4755"`) — and
`files.symlink[PATH]` — `target`, exactly as the link holds it. Only paths in `Scope` are read:
a machine has far too many files to read them all, and kodos has no business with the rest.

Whatever the address asked for, what is on disk decides the kind: a path in scope as
`files.file` that is a symlink is read as `files.symlink`, and the other way round, so the plan
can replace one with the other. Paths are absolute paths inside the root; their directories are
resolved as the machine would (`/bin -> usr/bin` followed inside the root, never out of it),
the last component is never followed. A path with `..` components is refused.

Ownership: kodos deletes a file or symlink only when its address is in the current generation's
managed set and the configuration no longer declares it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kodos.errors import ReadError
from kodos.providers import Reading, Scope
from kodos.resources import Resource
from kodos.system.rootfs import resolve_in_root

PROVIDER = "files"
READS_ALL = False


def read(root: Path, scope: Scope) -> Reading:
    """The files and symlinks at the paths in scope; a path with nothing there is absent."""
    reading = Reading()
    paths = scope.names(PROVIDER, "file") | scope.names(PROVIDER, "symlink")
    for path in sorted(paths):
        resource = read_path(root, path, reading.notes)
        if resource is not None:
            reading.resources.append(resource)
    return reading


def read_path(root: Path, path: str, notes: list[str]) -> Resource | None:
    """What is at `path` inside `root`: a `files.file`, a `files.symlink` or nothing."""
    check_path(path)
    directory, _, leaf = path.rpartition("/")
    host = os.path.join(resolve_in_root(root, directory), leaf)
    try:
        status = os.lstat(host)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        notes.append(f"{path}: cannot be examined ({err.strerror}); treated as absent")
        return None
    if stat.S_ISLNK(status.st_mode):
        return Resource(PROVIDER, "symlink", path, {"target": os.readlink(host)})
    if not stat.S_ISREG(status.st_mode):
        notes.append(f"{path}: {_kind_of(status.st_mode)}, not a file kodos can manage")
        return None
    mode = f"{stat.S_IMODE(status.st_mode):04o}"
    return Resource(PROVIDER, "file", path, {"content": _content(host, path, notes), "mode": mode})


def check_path(path: str) -> None:
    """Refuse what is not an absolute, normal path to a file inside the root."""
    if not path.startswith("/") or path.rstrip("/") == "" or path.endswith("/"):
        raise ReadError(path, "a managed file's path must be absolute and name a file")
    if ".." in path.split("/"):
        raise ReadError(path, "refusing a path with '..' components")


def _content(host: str, path: str, notes: list[str]) -> str | None:
    try:
        # O_NOFOLLOW: the last component was a regular file a moment ago; if it was swapped
        # for a symlink since, fail rather than read through it.
        fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as stream:
            data = stream.read()
    except OSError as err:
        notes.append(f"{path}: not readable ({err.strerror}); content unknown")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        notes.append(f"{path}: not UTF-8 text ({len(data)} bytes); content not compared")
        return None


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device node"
