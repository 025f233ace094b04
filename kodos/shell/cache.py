"""Where built environments are kept, and the lock that lets a package set be built once.

An environment is cached by what decides its content (`environment_key`): the system it lies
over, the requested packages, and the state of that system's sync databases, pacman.conf and
package database. A normal user's cache is `$XDG_CACHE_HOME/kodos/shell`; root's is
`/var/cache/kodos/shell` whatever root's environment says (after `sudo -E` the variables are
a user's). Either directory must be this user's alone (`kodos.system.ownership`): whoever
could write in it could swap the packages root is about to run.

One directory per key: `KEY/layers/{usr,etc,opt,pacman}` (what pacman installed, an overlay
layer), `KEY/packages` (the requested names), `KEY/root` (the system's path), `KEY/session`
(where a session mounts its private tmpfs). A build happens in `KEY.building` and is renamed
into place when it succeeded, so a key's directory is always whole. `KEY.lock` serialises
them: a build holds it exclusively (two cold starts build once), a session shares it (`--gc`
skips an environment in use).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from kodos.errors import KodosError
from kodos.system.ownership import foreign_reason

ROOT_CACHE = Path("/var/cache/kodos/shell")
BUILDING = ".building"
LOCK = ".lock"
KEY_LENGTH = 16
# What in the system decides what pacman would install, besides the sync databases.
STATE_PATHS = ("etc/pacman.conf", "var/lib/pacman/local")


class ShellCacheError(KodosError):
    """The cache directory cannot be used safely."""


@dataclass(frozen=True)
class CachedEnvironment:
    """One built environment, as `--list` shows it."""

    key: str
    path: Path
    root: str
    packages: tuple[str, ...]

    def size(self) -> int:
        """Bytes its files take (links not followed)."""
        total = 0
        for directory, _, files in os.walk(self.path):
            for name in files:
                with suppress(OSError):  # removed meanwhile
                    total += os.lstat(os.path.join(directory, name)).st_size
        return total


def cache_directory() -> Path:
    """This user's cache of environments (see the module docstring)."""
    if os.geteuid() == 0:
        return ROOT_CACHE
    base = os.environ.get("XDG_CACHE_HOME", "")
    cache = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return cache / "kodos" / "shell"


def prepare(directory: Path) -> Path:
    """Create `directory` where missing (mode 0700, parents 0755) and make sure it is this
    user's alone and every directory above it is root's or this user's and writable by no one
    else unless sticky (/tmp). Raises `ShellCacheError`."""
    for ancestor in reversed(directory.parents):
        _make(ancestor, 0o755)
        _check_ancestor(ancestor)
    _make(directory, 0o700)
    problem = foreign_reason(os.lstat(directory))
    if problem:
        raise ShellCacheError(f"cache {directory}: {problem}; refusing to build environments there")
    return directory


def environment_key(system: Path, packages: Sequence[str], sync_dir: Path) -> str:
    """The key of the environment of `packages` over `system`: it changes when the system's
    sync databases, pacman.conf or installed packages change (their sizes and times: a
    stat each, no reading, so a warm start stays fast)."""
    digest = hashlib.sha256()
    digest.update(f"{system}\0{os.geteuid()}\0".encode())
    for name in sorted(set(packages)):
        digest.update(f"package {name}\0".encode())
    state = sorted(sync_dir.iterdir()) + [system / path for path in STATE_PATHS]
    for path in state:
        try:
            info = os.stat(path)
        except OSError:
            digest.update(f"{path} missing\0".encode())
            continue
        digest.update(f"{path} {info.st_size} {info.st_mtime_ns} {info.st_ino}\0".encode())
    return digest.hexdigest()[:KEY_LENGTH]


@contextmanager
def locked(directory: Path, key: str, *, exclusive: bool, wait: bool = True) -> Iterator[int]:
    """Hold `KEY.lock` (exclusively for a build or removal, shared for a session); yields the
    descriptor, so a caller may change the lock's kind. Without `wait`, a held lock raises
    BlockingIOError."""
    fd = os.open(directory / f"{key}{LOCK}", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        fcntl.flock(fd, mode if wait else mode | fcntl.LOCK_NB)
        yield fd
    finally:
        os.close(fd)


def share(fd: int) -> None:
    """Turn a held exclusive lock into a shared one (a build done, its session starting)."""
    fcntl.flock(fd, fcntl.LOCK_SH)


def cached(directory: Path) -> list[CachedEnvironment]:
    """The built environments in `directory`, by key."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.iterdir()):
        if path.is_symlink() or not path.is_dir() or "." in path.name:
            continue
        root = _read(path / "root").strip()
        packages = tuple(_read(path / "packages").split())
        found.append(CachedEnvironment(path.name, path, root, packages))
    return found


def remove_unused(directory: Path) -> tuple[list[str], list[str]]:
    """Remove every environment no session is using, and any build a crash left behind;
    returns the keys removed and those kept because a shell is using them."""
    removed: list[str] = []
    busy: list[str] = []
    if not directory.is_dir():
        return removed, busy
    keys = sorted({path.name.split(".")[0] for path in directory.iterdir()})
    for key in keys:
        try:
            with locked(directory, key, exclusive=True, wait=False):
                for path in (directory / key, directory / f"{key}{BUILDING}"):
                    if path.is_dir() and not path.is_symlink():
                        remove_tree(path)
                (directory / f"{key}{LOCK}").unlink(missing_ok=True)
            removed.append(key)
        except BlockingIOError:
            busy.append(key)
    return removed, busy


def remove_tree(path: Path) -> None:
    """Remove `path` and everything in it, also read-only directories packages made (a
    normal user's rmtree stops at those) and overlayfs's mode-0 work directories: each
    directory is made the owner's to write before the walk goes into it."""
    os.chmod(path, stat.S_IRWXU)

    for directory, dirs, _ in os.walk(path):
        for name in dirs:
            full = os.path.join(directory, name)
            if not os.path.islink(full):
                os.chmod(full, stat.S_IRWXU)
    shutil.rmtree(path)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _make(directory: Path, mode: int) -> None:
    """Make `directory` unless something is there; the caller checks what is there."""
    if os.path.lexists(directory):
        return
    try:
        directory.mkdir(mode=mode)
    except FileExistsError:
        pass  # another kodos shell made it in between (two started at once)
    except OSError as err:
        raise ShellCacheError(f"cache {directory}: {err.strerror}") from None


def _check_ancestor(directory: Path) -> None:
    for info in (os.lstat(directory), os.stat(directory)):
        if info.st_uid not in (0, os.geteuid()):
            raise ShellCacheError(f"cache {directory}: owned by uid {info.st_uid}, above the cache")
    writable = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if writable and not info.st_mode & stat.S_ISVTX:
        raise ShellCacheError(
            f"cache {directory}: writable by others (mode {stat.S_IMODE(info.st_mode):04o})"
        )
