"""files.file and files.symlink changes: atomic writes inside the target, never outside it.

A path is interpreted the way the machine will see it: its directories are resolved with
`resolve_in_root` (an absolute symlink such as `/etc/foo -> /srv/foo` means the target's
`/srv/foo`, and `..` cannot climb above the target), and the last component is never
followed, so a write replaces a symlink rather than writing through it. Paths with `..`
components are refused before anything is changed.

* file create/update: the content goes to a temporary file next to the destination, gets the
  mode (and the owner of the file it replaces; root for a new one), is flushed to disk and
  renamed over the destination: a reader sees the old file or the new one, never half of it.
  Missing parent directories are created (0755, root).
* symlink create/update: a temporary link renamed over the destination, likewise.
* delete: the path is removed if it still is what was deleted (a file, or a symlink: a plan
  that turns a managed symlink into a file writes the file first). If a package owns the path
  (`/etc/locale.gen` belongs to glibc), the packaged version is extracted again from the
  package in the target's pacman cache, so "stop managing it" leaves the file the system
  would have without kodos; when the cache no longer holds that package, the path stays
  removed and a note says how to restore it.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from kodos.apply.packages import CACHE_DIR
from kodos.apply.work import Work, failing_as
from kodos.pacman.localdb import LOCAL_DB, InstalledPackage, read_local_packages
from kodos.plan.model import Change
from kodos.system.atomic import TEMPORARY_PREFIX, write_bytes_atomic
from kodos.system.rootfs import checked_in_root, inside
from kodos.system.runner import run

STEP = "write files"
DELETE_STEP = "delete files"
DIRECTORY_MODE = 0o755


def path_problem(path: str) -> str | None:
    """Why a managed path cannot be used, or None: it must be absolute, name something below
    `/` and hold no `..` (which could only be meant to leave the directory it names)."""
    if "\0" in path or "\n" in path:
        return f"{path!r}: a path must not contain NUL or newline characters"
    if not path.startswith("/") or path.rstrip("/") == "" or path.endswith("/"):
        return f"{path}: a managed path must be absolute and name a file"
    if ".." in path.split("/"):
        return f"{path}: refusing a path with '..' components"
    return None


def host_path(target: Path, path: str) -> Path:
    """Where `path` of the target is on the host: directories resolved inside the target,
    the last component as it is."""
    directory, _, leaf = path.rpartition("/")
    return Path(checked_in_root(target, directory or "/")) / leaf


def write(work: Work, changes: Sequence[Change]) -> None:
    for change in changes:
        values = work.wanted(change)
        with failing_as(STEP, [change]):
            destination = host_path(work.target, change.name)
            _refuse_directory(destination, change.name)
            _make_directories(destination.parent)
            if change.kind == "symlink":
                _replace_with_symlink(destination, str(values["target"]))
            else:
                mode = int(str(values["mode"]), 8)
                _replace_with_file(destination, str(values["content"]).encode(), mode)


def delete(work: Work, changes: Sequence[Change]) -> None:
    for change in changes:
        with failing_as(DELETE_STEP, [change]):
            destination = host_path(work.target, change.name)
            if _is_kind(destination, change.kind):
                destination.unlink()
                _restore_packaged(work, destination, change.name)


def _refuse_directory(destination: Path, path: str) -> None:
    if destination.is_dir() and not destination.is_symlink():
        raise IsADirectoryError(21, "a directory is in the way of a managed file", path)


def _make_directories(directory: Path) -> None:
    """Create `directory` and its missing parents, each 0755 whatever the umask: a file kodos
    writes into a new directory must be reachable by the programs that read it."""
    missing = [d for d in [directory, *directory.parents] if not d.exists()]
    for new in reversed(missing):
        new.mkdir()
        new.chmod(DIRECTORY_MODE)


def _replace_with_file(destination: Path, data: bytes, mode: int) -> None:
    write_bytes_atomic(destination, data, mode=mode, owner=_owner(destination))


def _replace_with_symlink(destination: Path, link_target: str) -> None:
    temporary = destination.parent / f"{TEMPORARY_PREFIX}{destination.name}.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    os.symlink(link_target, temporary)
    try:
        os.replace(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _owner(path: Path) -> tuple[int, int]:
    """The owner a replaced file keeps; root for a new file (or one replacing a symlink)."""
    try:
        status = path.lstat()
    except FileNotFoundError:
        return 0, 0
    return (status.st_uid, status.st_gid) if stat.S_ISREG(status.st_mode) else (0, 0)


def _is_kind(path: Path, kind: str) -> bool:
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return False
    return stat.S_ISLNK(mode) if kind == "symlink" else stat.S_ISREG(mode)


def _restore_packaged(work: Work, destination: Path, path: str) -> None:
    """Put back the version of `path` its owning package ships, if a package owns it."""
    relative = inside(work.target, str(destination)).lstrip("/")
    owner = owning_package(work.target, relative)
    if owner is None:
        return
    archive = cached_package(work.target, owner)
    if archive is None:
        work.notes.append(
            f"{path} belongs to {owner.name}, whose package is not in the target's pacman "
            f"cache: it was removed, not restored (pacman -S {owner.name} restores it)"
        )
        return
    run(["bsdtar", "-x", "-p", "-f", str(archive), "-C", str(work.target), relative])
    work.notes.append(f"{path}: no longer managed, restored the version {owner.name} ships")


def owning_package(target: Path, relative: str) -> InstalledPackage | None:
    """The installed package listing `relative` (no leading `/`) among its files, as
    `pacman -Qo` would answer; None when no package owns it."""
    line = f"\n{relative}\n"
    local = Path(checked_in_root(target, str(LOCAL_DB)))
    for name, package in sorted(read_local_packages(target).items()):
        try:
            listing = (local / f"{name}-{package.version}" / "files").read_text(
                encoding="utf-8", errors="replace"
            )
        except FileNotFoundError:
            continue
        if line in listing:  # the list starts with a %FILES% line, so every path follows one
            return package
    return None


def cached_package(target: Path, package: InstalledPackage) -> Path | None:
    """The file of exactly this package version in the target's pacman cache, if any."""
    prefix = f"{package.name}-{package.version}-"
    cache = Path(checked_in_root(target, CACHE_DIR))
    found = sorted(
        path
        for path in cache.glob(f"{glob.escape(prefix)}*.pkg.tar*")
        # what follows the version is ARCH.pkg.tar.EXT: no further `-`, no signature
        if "-" not in path.name[len(prefix) :] and not path.name.endswith(".sig")
    )
    return found[0] if found else None
