"""Reading and changing paths inside a home without ever following a link out of it.

Every path kodos places in a home is home-relative (`.config/git/config`) and is reached one
component at a time from the home's own directory descriptor, each directory opened with
`O_NOFOLLOW`: a symbolic link standing where kodos expects a directory — `~/.config -> /etc`,
planted by someone or left by a program — is refused, never followed, so kodos cannot be made
to write outside the home. Missing directories are created (0755, as a program would) by the
user itself. The last component is read with `lstat` and replaced by a rename in its directory
(temporary file, fsync, `renameat`), so a reader sees the old file or the new one.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from kodos.errors import KodosError

_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_TEMPORARY_PREFIX = ".kodos-"
SHOWN_BYTES = 16 * 1024


class UnsafeHomePath(KodosError):
    """A path in the home leads through a link or something that is not a directory."""


@dataclass(frozen=True, slots=True)
class Found:
    """What is at a path in the home: a regular file (its sha256 and mode), a link (its
    target), or something else (`other`, in words)."""

    kind: str  # "file", "link" or "other"
    sha256: str | None = None
    mode: int | None = None
    target: str | None = None
    other: str | None = None
    content: bytes | None = None
    """A small file's content (up to `SHOWN_BYTES`), for the plan to show what changes."""


def shown(path: str) -> str:
    return f"~/{path}"


def check_relative(path: str) -> str | None:
    """Why `path` cannot name a place in the home (None when it can)."""
    parts = path.split("/")
    if not path or path.startswith("/"):
        return "must be a path relative to the home"
    if any(part in ("", ".", "..") for part in parts):
        return "must not contain empty, '.' or '..' components"
    if "\0" in path:
        return "must not contain a NUL character"
    return None


class Home:
    """A home directory, opened once; every operation goes through its descriptor."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # Directories changed since the last `sync`: their renames are made durable together,
        # once each, rather than one fsync of the directory per file.
        self._changed: set[str] = set()
        try:
            # The home's own path may be a link (`/home -> /var/home`): the user's to set.
            self._fd = os.open(os.path.realpath(root), _DIRECTORY_FLAGS)
        except OSError as err:
            raise UnsafeHomePath(f"{root}: cannot open the home: {_reason(err)}") from None

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> Home:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def directory(self, path: str, *, create: bool) -> Iterator[int | None]:
        """The descriptor of the directory holding `path` (None when missing and not
        `create`); `UnsafeHomePath` when a component is a link or not a directory."""
        parts = path.split("/")[:-1]
        fd = os.dup(self._fd)
        try:
            for index, part in enumerate(parts):
                try:
                    next_fd = os.open(part, _DIRECTORY_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        yield None
                        return
                    os.mkdir(part, 0o755, dir_fd=fd)
                    next_fd = os.open(part, _DIRECTORY_FLAGS, dir_fd=fd)
                except OSError:
                    raise self._unsafe(fd, parts, index) from None
                os.close(fd)
                fd = next_fd
            yield fd
        finally:
            os.close(fd)

    def _unsafe(self, fd: int, parts: list[str], index: int) -> UnsafeHomePath:
        where = "/".join(parts[: index + 1])
        info = os.lstat(parts[index], dir_fd=fd)
        if stat.S_ISLNK(info.st_mode):
            target = os.readlink(parts[index], dir_fd=fd)
            return UnsafeHomePath(
                f"{shown(where)} is a symbolic link (to {target}): kodos places files only "
                "under real directories in the home and never follows a link there"
            )
        return UnsafeHomePath(f"{shown(where)} is not a directory: kodos cannot place files in it")

    def find(self, path: str) -> Found | None:
        """What is at `path`, without following a link there; None when nothing is."""
        with self.directory(path, create=False) as fd:
            if fd is None:
                return None
            name = path.rsplit("/", 1)[-1]
            try:
                info = os.lstat(name, dir_fd=fd)
            except FileNotFoundError:
                return None
            if stat.S_ISLNK(info.st_mode):
                return Found("link", target=os.readlink(name, dir_fd=fd))
            if not stat.S_ISREG(info.st_mode):
                return Found("other", other="a directory" if stat.S_ISDIR(info.st_mode) else
                             "not a regular file")  # fmt: skip
            digest, content = _read(fd, name)
            return Found("file", sha256=digest, mode=stat.S_IMODE(info.st_mode), content=content)

    def place_file(self, path: str, content: bytes, mode: int) -> None:
        with self.directory(path, create=True) as fd:
            assert fd is not None
            name = path.rsplit("/", 1)[-1]
            temporary = _temporary_name(name)
            out = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW |
                          os.O_CLOEXEC, 0o600, dir_fd=fd)  # fmt: skip
            try:
                with os.fdopen(out, "wb") as stream:
                    stream.write(content)
                    os.fchmod(stream.fileno(), mode)
                    stream.flush()
                    os.fsync(stream.fileno())
                os.rename(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)
            except BaseException:
                _unlink_quietly(temporary, fd)
                raise
            self._changed.add(path)

    def place_link(self, path: str, target: str) -> None:
        with self.directory(path, create=True) as fd:
            assert fd is not None
            name = path.rsplit("/", 1)[-1]
            temporary = _temporary_name(name)
            os.symlink(target, temporary, dir_fd=fd)
            try:
                os.rename(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)
            except BaseException:
                _unlink_quietly(temporary, fd)
                raise
            self._changed.add(path)

    def remove(self, path: str) -> None:
        """Remove the file or link at `path` (nothing there is fine)."""
        with self.directory(path, create=False) as fd:
            if fd is not None:
                _unlink_quietly(path.rsplit("/", 1)[-1], fd)
                self._changed.add(path)

    def sync(self) -> None:
        """Make every placement, removal and move since the last call durable: one fsync of
        each directory they changed (the files themselves were fsynced when written)."""
        directories = {path.rpartition("/")[0] + "/x" if "/" in path else "x"
                       for path in self._changed}  # fmt: skip
        for inside in sorted(directories):
            with self.directory(inside, create=False) as fd:
                if fd is not None:
                    os.fsync(fd)
        self._changed.clear()

    def move_aside(self, path: str, suffix: str) -> str:
        """Rename `path` to `path + suffix` in its directory (`--backup`); the new path.
        Refused when something is already there: a backup never replaces another."""
        aside = path + suffix
        with self.directory(path, create=False) as fd:
            assert fd is not None
            name, new = path.rsplit("/", 1)[-1], aside.rsplit("/", 1)[-1]
            try:
                os.lstat(new, dir_fd=fd)
            except FileNotFoundError:
                os.rename(name, new, src_dir_fd=fd, dst_dir_fd=fd)
                self._changed.add(path)
                return aside
            raise UnsafeHomePath(
                f"{shown(path)} cannot be moved aside: {shown(aside)} exists already; nothing "
                "changed (choose another --backup suffix)"
            )


def _read(fd: int, name: str) -> tuple[str, bytes | None]:
    """The file's sha256, and its content when it is at most `SHOWN_BYTES`."""
    descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                         dir_fd=fd)  # fmt: skip
    digest = hashlib.sha256()
    kept = bytearray()
    with os.fdopen(descriptor, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            if len(kept) <= SHOWN_BYTES:
                kept += chunk
    return digest.hexdigest(), bytes(kept) if len(kept) <= SHOWN_BYTES else None


def _temporary_name(name: str) -> str:
    return f"{_TEMPORARY_PREFIX}{os.getpid()}-{name}"[:255]


def _unlink_quietly(name: str, fd: int) -> None:
    with suppress(FileNotFoundError):
        os.unlink(name, dir_fd=fd)


def _reason(err: OSError) -> str:
    return (err.strerror or str(err)).lower()
