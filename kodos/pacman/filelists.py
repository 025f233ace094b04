"""Which repository package ships which systemd unit, from pacman's file-list databases.

`repo-add` writes `NAME.files` next to `NAME.db` (`pacman -Fy` downloads them): the same tar as
the sync database plus a `NAME-VERSION/files` entry per package listing every path it installs
(`%FILES%`, one path a line, directories ending in `/`). A real Arch `extra.files` lists
millions of paths; planning needs only unit files, so each list is scanned for
`usr/lib/systemd/{system,user}/UNIT` lines by one regular expression and nothing else is kept.
The archive is walked as a stream (`pacman_archive.stream_entries`), so memory stays at a few
megabytes where reading it whole would take hundreds.

Read-only and pure, like `pacman_db`: no file written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kodos.pacman.archive import (
    NotPlainUstar,
    PacmanDbError,
    read_entries,
    stream_entries,
)
from kodos.text.lazyregex import lazy

# A unit file directly in one of the two directories: `.wants/` links and drop-in directories
# below them are not units a package ships, and directory lines end in `/`.
_UNIT_LINE = lazy(rb"^usr/lib/systemd/(system|user)/([^/\n]+)$", re.MULTILINE)
_UNIT_DIRS = b"usr/lib/systemd/"  # a fast substring test skips the lists without any unit


@dataclass(frozen=True, slots=True)
class UnitIndex:
    """Unit file name → names of the packages that ship it, per scope (`system` for
    `usr/lib/systemd/system`, `user` for `usr/lib/systemd/user`), in repository order."""

    system: Mapping[str, tuple[str, ...]]
    user: Mapping[str, tuple[str, ...]]

    def owners(self, unit: str, *, user: bool = False) -> tuple[str, ...]:
        """The packages shipping `unit`; an instance (`syncthing@alice.service`) is shipped by
        its template's file (`syncthing@.service`)."""
        table = self.user if user else self.system
        found = table.get(unit)
        if found is None and (template := template_of(unit)) is not None:
            found = table.get(template)
        return found or ()


def template_of(unit: str) -> str | None:
    """`getty@tty1.service` → `getty@.service`; None for a unit that is no instance."""
    prefix, at, rest = unit.partition("@")
    instance, dot, suffix = rest.rpartition(".")
    if not at or not dot or not instance:
        return None
    return f"{prefix}@.{suffix}"


def package_name(entry: str) -> str:
    """`libsigc++-2.12.1-2` → `libsigc++`: pkgver and pkgrel never hold a `-`, names may."""
    return entry.rsplit("-", 2)[0]


def read_unit_files(files_db: Path) -> list[tuple[str, str, str]]:
    """(package, scope, unit) for every unit file listed in one `NAME.files` database."""
    if files_db.is_file() and files_db.stat().st_size == 0:
        return []  # an empty repository, as for sync databases
    try:
        with stream_entries(files_db, ("files",)) as entries:
            return _units(files_db, entries)
    except NotPlainUstar:
        return _units(files_db, read_entries(files_db, ("files",)))


def _units(
    files_db: Path, listings: Iterable[tuple[str, str, bytes]]
) -> list[tuple[str, str, str]]:
    found = []
    for entry, _, listing in listings:
        if _UNIT_DIRS not in listing:
            continue
        package = package_name(entry)
        for match in _UNIT_LINE.finditer(listing):
            try:
                found.append((package, match[1].decode(), match[2].decode("utf-8")))
            except UnicodeDecodeError as err:
                raise PacmanDbError(files_db, f"{entry}/files is not UTF-8 text") from err
    return found


def build_unit_index(units: Iterable[tuple[str, str, str]]) -> UnitIndex:
    """Index (package, scope, unit) triples given in repository order."""
    tables: dict[str, dict[str, list[str]]] = {"system": {}, "user": {}}
    for package, scope, unit in units:
        owners = tables[scope].setdefault(unit, [])
        if package not in owners:
            owners.append(package)
    system, user = ({u: tuple(p) for u, p in tables[s].items()} for s in ("system", "user"))
    return UnitIndex(system=system, user=user)


def read_unit_index(directory: Path, repos: Sequence[str]) -> UnitIndex:
    """Load `directory/REPO.files` for each repository, in pacman.conf order.

    A missing file raises `PacmanDbError`: an index missing a repository would wrongly say
    that nothing ships the units of that repository's packages.
    """
    units: list[tuple[str, str, str]] = []
    for repo in repos:
        files_db = directory / f"{repo}.files"
        if not files_db.exists():
            raise PacmanDbError(files_db, f"no file list for [{repo}]; run pacman -Fy first")
        units.extend(read_unit_files(files_db))
    return build_unit_index(units)
