"""Directories an unprivileged install writes in, made the user's in the layer beforehand.

In a user namespace the system's root-owned directories belong to no one mapped, and root of
the namespace cannot write in them (capabilities cover mapped owners only). A directory that
exists in an overlay's upper layer lends the merged directory its owner, though, so the
directories pacman will write in — the parents of every file the packages hold, pacman's
database, and for a package the system has in another version the directories of the files
the upgrade removes and its database entry — are first made in the layer, owned by the user,
with the system's modes. This is done on the host, before the overlays that install are
mounted (overlayfs does not expect its layers to change under it). As root none of this is
needed. Packages removed as conflicts are not covered: their removal fails for a normal user.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from kodos.system.runner import run

LOCAL_DB = Path("var/lib/pacman/local")
DATABASE_DIRS = ("var/lib/pacman", str(LOCAL_DB))
_METADATA = (".PKGINFO", ".MTREE", ".BUILDINFO", ".INSTALL", ".CHANGELOG")


def archive_directories(archive: Path) -> set[str]:
    """The directories the files of a package archive go in (bsdtar reads every compression
    pacman accepts, zstd included)."""
    listing = run(["bsdtar", "-tf", str(archive)]).stdout
    found: set[str] = set()
    for line in listing.splitlines():
        member = PurePosixPath(line.strip().removeprefix("./"))
        if not line.strip() or str(member) in _METADATA:
            continue
        found.update(str(parent) for parent in member.parents if str(parent) != ".")
        if line.rstrip().endswith("/"):
            found.add(str(member))
    return found


def installed_directories(system: Path, name: str) -> set[str]:
    """For a package `system` has installed: its database entry and the directories of its
    files (an upgrade removes them, which needs their directories to be writable)."""
    local = system / LOCAL_DB
    found: set[str] = set()
    for entry in local.iterdir() if local.is_dir() else ():
        if entry.name.rsplit("-", 2)[0] != name:
            continue
        found.add(str(LOCAL_DB / entry.name))
        for path in _listed_files(entry / "files"):
            found.update(
                str(parent) for parent in PurePosixPath(path).parents if str(parent) != "."
            )
            if path.endswith("/"):
                found.add(path.rstrip("/"))
    return found


def _listed_files(files: Path) -> list[str]:
    """The %FILES% section of a local database entry's `files`."""
    try:
        lines = files.read_text(errors="replace").splitlines()
    except OSError:
        return []
    listed: list[str] = []
    within = False
    for line in lines:
        if line.startswith("%"):
            within = line == "%FILES%"
        elif within and line:
            listed.append(line)
    return listed


def prepare(system: Path, upper: Path, overlaid: Iterable[str], directories: Iterable[str]) -> None:
    """Make each of `directories` (relative to the root) and its ancestors in `upper` where
    the system has them as real directories under an overlaid top (`upper/TOP/...`)."""
    tops = set(overlaid)
    for directory in sorted(set(directories)):
        parts = PurePosixPath(directory).parts
        if not parts or parts[0] not in tops:
            continue
        for depth in range(1, len(parts) + 1):
            relative = Path(*parts[:depth])
            source = system / relative
            if source.is_symlink() or not source.is_dir():
                break  # pacman makes it, in a parent that is the user's now
            copy = upper / relative
            if not copy.exists():
                mode = stat.S_IMODE(os.lstat(source).st_mode) | stat.S_IRWXU
                copy.mkdir(mode=mode)
                copy.chmod(mode)  # mkdir's mode passes through the umask
