"""The local pacman repository built AUR packages go to: `[kodos-aur]`, outside every
generation (the top level's `kodos/aur/` on a machine), so a rollback still finds them.

The directory holds the package files, the database `repo-add` keeps (`kodos-aur.db`) and
`kodos-aur.json`: which commit of which base built which files, with their sha256. A base
already built at a commit is not built again: `built` finds it. Builds of other commits of a
base stay (a locked generation may ask for one again, see `add`); the database lists the one
added last. The records file is written atomically after `repo-add` succeeded, and checked
against its model when read.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kodos.aur.errors import AurError
from kodos.aur.names import COMMIT_RE, NAME_RE, checked_name
from kodos.aur.source import AurBase
from kodos.system.atomic import TEMPORARY_PREFIX, fsync_directory
from kodos.system.jsonfile import read_model, write_json
from kodos.system.ownership import foreign_reason
from kodos.system.runner import CommandFailed, run

REPO_NAME = "kodos-aur"
RECORDS = f"{REPO_NAME}.json"
DATABASE = f"{REPO_NAME}.db.tar.gz"
PACKAGE_SUFFIXES = (".pkg.tar.zst", ".pkg.tar.gz", ".pkg.tar.xz", ".pkg.tar.bz2", ".pkg.tar")


@dataclass(frozen=True)
class BuiltPackage:
    """One package file of the local repository, built from `pkgbase` at `commit`."""

    name: str
    version: str
    pkgbase: str
    commit: str
    filename: str
    sha256: str


class _Package(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=f"^{NAME_RE.pattern}$")
    version: str = Field(min_length=1, pattern=r"^[^\s/]+$")
    filename: str = Field(pattern=r"^[a-z0-9@_+][a-zA-Z0-9@._+:-]*\.pkg\.tar(\.[a-z0-9]+)?$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    mtime_ns: int = Field(ge=0)
    """The file's size and time when recorded: unchanged, it is not hashed again."""


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current: str = Field(pattern=f"^{COMMIT_RE.pattern}$")
    builds: dict[str, list[_Package]]


class _Records(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format_version: Literal[1] = 1
    bases: dict[str, _Base] = {}


class LocalRepo:
    """The local repository in `directory` (created 0755 when missing, refused when someone
    else could write in it)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @property
    def database(self) -> Path:
        return self.directory / DATABASE

    def pacman_section(self) -> str:
        """The pacman.conf section that makes the repository available."""
        return f"[{REPO_NAME}]\nSigLevel = Optional TrustAll\nServer = file://{self.directory}\n"

    def built(self, base: AurBase) -> list[BuiltPackage] | None:
        """The packages `base` built at exactly its commit, when they are all still here
        with the sha256 they were recorded with; None otherwise. A file whose size and time
        are as recorded is taken as it was (hashing a large package on every apply would cost
        more than the rest of it; pacman checks the sha256 the database lists anyway)."""
        record = self._records().bases.get(base.pkgbase)
        packages = record.builds.get(base.commit) if record is not None else None
        if not packages or not all(self._intact(package) for package in packages):
            return None
        return [self._built(base, package) for package in packages]

    def _intact(self, package: _Package) -> bool:
        path = self.directory / package.filename
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return False
        if not stat.S_ISREG(info.st_mode) or info.st_size != package.size:
            return False
        return info.st_mtime_ns == package.mtime_ns or _sha256(path) == package.sha256

    def current(self, pkgbase: str) -> str | None:
        """The commit of `pkgbase` whose packages the database lists, if any."""
        record = self._records().bases.get(checked_name(pkgbase, "package base"))
        return record.current if record is not None else None

    def add(self, base: AurBase, files: list[Path]) -> list[BuiltPackage]:
        """Put the package files `base` built (at its commit) into the repository and its
        database, replacing the packages of the same names there; files already in the
        directory (an earlier build of that commit, listed again) are not copied."""
        return self.add_many([(base, files)])[0]

    def add_many(self, builds: list[tuple[AurBase, list[Path]]]) -> list[list[BuiltPackage]]:
        """`add` for several bases with one `repo-add` (it costs a few hundred ms a call)."""
        self._prepare()
        added = [self._copied(base, files) for base, files in builds]
        paths = [str(self.directory / package.filename) for each in added for package in each]
        if not paths:
            return added
        try:
            run(["repo-add", "--quiet", "--nocolor", str(self.database), *paths])
        except CommandFailed as err:
            bases = ", ".join(base.pkgbase for base, _ in builds)
            raise AurError(
                f"repo-add could not add the packages of {bases}: {err.message}"
            ) from None
        records = self._records()
        for (base, _), packages in zip(builds, added, strict=True):
            entry = records.bases.setdefault(base.pkgbase, _Base(current=base.commit, builds={}))
            entry.current = base.commit
            entry.builds[base.commit] = [
                _recorded(self.directory / p.filename, p) for p in packages
            ]
        write_json(self.directory / RECORDS, records.model_dump(mode="json"))
        return added

    def prune(self, keep: Mapping[str, Collection[str]]) -> list[str]:
        """Forget the builds no generation needs: `keep` maps each package base to the commits
        to keep (those records lock). A kept base also keeps the build its database lists; a
        base not in `keep` leaves the database (`repo-remove`). Package files no remaining
        build uses are deleted; their names are returned, sorted."""
        if not self.directory.is_dir():
            return []
        records = self._records()
        removed_names: list[str] = []
        for pkgbase in sorted(records.bases):
            entry = records.bases[pkgbase]
            if pkgbase not in keep:
                removed_names += [p.name for p in entry.builds.get(entry.current, [])]
                del records.bases[pkgbase]
                continue
            kept = {*keep[pkgbase], entry.current}
            entry.builds = {c: p for c, p in entry.builds.items() if c in kept}
        if removed_names:
            try:
                run(["repo-remove", "--quiet", "--nocolor", str(self.database), *removed_names])
            except CommandFailed as err:
                raise AurError(
                    f"repo-remove could not remove {', '.join(removed_names)}: {err.message}"
                ) from None
        used = {p.filename for e in records.bases.values() for b in e.builds.values() for p in b}
        gone = sorted(
            path.name for path in self.directory.iterdir()
            if path.name.endswith(PACKAGE_SUFFIXES) and path.name not in used
        )  # fmt: skip
        write_json(self.directory / RECORDS, records.model_dump(mode="json"))
        for name in gone:
            (self.directory / name).unlink()
        return gone

    def _copied(self, base: AurBase, files: list[Path]) -> list[BuiltPackage]:
        """The files copied into the directory (unless there already), as `BuiltPackage`s."""
        added = []
        for source in files:
            name, version = _package_identity(source)
            if name not in base.info.packages:
                raise AurError(f"{source.name}: package {name!r} is not one of {base.pkgbase}'s")
            target = self.directory / source.name
            if source.resolve() != target.resolve():
                _copy_atomic(source, target)
            added.append(
                BuiltPackage(name, version, base.pkgbase, base.commit, source.name, _sha256(target))
            )
        return added

    def _built(self, base: AurBase, package: _Package) -> BuiltPackage:
        return BuiltPackage(
            package.name,
            package.version,
            base.pkgbase,
            base.commit,
            package.filename,
            package.sha256,
        )

    def _records(self) -> _Records:
        path = self.directory / RECORDS
        if not path.exists():
            return _Records()
        return read_model(path, _Records)

    def _prepare(self) -> None:
        try:
            self.directory.mkdir(mode=0o755, parents=True, exist_ok=True)
            reason = foreign_reason(os.lstat(self.directory))
        except OSError as err:
            raise AurError(f"local AUR repository {self.directory}: {err.strerror}") from None
        if reason is not None:
            raise AurError(
                f"local AUR repository {self.directory} is not this user's alone: {reason}"
            )


def _recorded(path: Path, package: BuiltPackage) -> _Package:
    info = os.stat(path)
    return _Package(
        name=package.name, version=package.version, filename=package.filename,
        sha256=package.sha256, size=info.st_size, mtime_ns=info.st_mtime_ns,
    )  # fmt: skip


def _package_identity(path: Path) -> tuple[str, str]:
    """(pkgname, pkgver) from the package's `.PKGINFO`, read by bsdtar (any compression)."""
    if not path.name.endswith(PACKAGE_SUFFIXES):
        raise AurError(f"{path}: not a package file")
    try:
        text = run(["bsdtar", "-x", "-O", "-f", str(path), ".PKGINFO"]).stdout
    except CommandFailed as err:
        raise AurError(f"{path}: cannot read .PKGINFO: {err.message}") from None
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, equals, value = line.partition(" = ")
        if equals and key in ("pkgname", "pkgver"):
            fields.setdefault(key, value.strip())
    if "pkgname" not in fields or "pkgver" not in fields:
        raise AurError(f"{path}: .PKGINFO has no pkgname or pkgver")
    return checked_name(fields["pkgname"]), fields["pkgver"]


def _copy_atomic(source: Path, target: Path) -> None:
    temporary = target.with_name(f"{TEMPORARY_PREFIX}{target.name}")
    shutil.copyfile(source, temporary)
    with temporary.open("rb") as stream:
        os.fsync(stream.fileno())
    os.chmod(temporary, 0o644)
    os.replace(temporary, target)
    fsync_directory(target.parent)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
