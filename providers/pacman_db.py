"""Read pacman's databases straight from disk: fast, read-only, no pacman process.

Two sources, both in the format libalpm writes:

* the local database, `ROOT/var/lib/pacman/local/NAME-VERSION/desc` — what is installed, at
  which version, and why (explicitly or as a dependency);
* sync databases, `DBPATH/sync/REPO.db` — a tar (gzip, xz, bzip2, zstd or plain) of
  `NAME-VERSION/desc` entries as `repo-add` writes them — what the repositories offer.

Nothing here changes a file or runs pacman: reading facts is pure (house habit 2). Only a
zstd-compressed sync database needs help from outside Python 3.11, the `zstd` decompressor.
Names are kept exactly as pacman writes them (`libsigc++`, `memtest86+`) and versions stay
strings with their epoch (`1:1.2-1`): comparing versions is vercmp's job, not a parser's.
"""

from __future__ import annotations

import bz2
import gzip
import importlib
import io
import lzma
import os
import subprocess
import tarfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from kodos.errors import KodosError

LOCAL_DB = Path("var/lib/pacman/local")
"""Where the local database lives, relative to the root being managed."""


class PacmanDbError(KodosError):
    """A database file could not be read or is not in the format pacman writes."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class InstallReason(StrEnum):
    """Why a package is installed; pacman's `%REASON%` (absent or 0 = explicit, 1 = dependency)."""

    EXPLICIT = "explicit"
    DEPENDENCY = "dependency"


@dataclass(frozen=True, slots=True)
class InstalledPackage:
    """One entry of the local database.

    `depends` and `provides` are kept as pacman writes them, version constraints included
    (`ncurses>=6`, `libfoo.so=1-64`); use `dependency_name` to get the bare name.
    """

    name: str
    version: str
    reason: InstallReason
    groups: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    depends: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SyncPackage:
    """One package offered by a repository (an entry of a sync database)."""

    repo: str
    name: str
    version: str
    groups: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    depends: tuple[str, ...] = ()


def dependency_name(spec: str) -> str:
    """The package name of a depends/provides entry: `ncurses>=6` → `ncurses`."""
    for i, char in enumerate(spec):
        if char in "<>=":
            return spec[:i]
    return spec


def parse_desc(text: str, path: Path | str) -> dict[str, str]:
    """Split a `desc` file into its `%FIELD%` blocks, the way libalpm reads it: field name →
    the block's value lines, still joined by newlines (see `field_values`).

    A block is a `%FIELD%` line followed by its values up to the next blank line; extra blank
    lines are skipped. libalpm takes the line after a header as a value even when it looks like
    a header, and a field given twice keeps its last block: so do we.
    """
    fields: dict[str, str] = {}
    # Splitting in C and leaving values joined until asked for is what makes 2,000 entries
    # parse in a few milliseconds; a Python loop over lines takes three times as long.
    for block in text.split("\n\n"):
        header, _, values = block.lstrip("\n").partition("\n")
        if len(header) > 2 and header[0] == "%" and header[-1] == "%":
            fields[header[1:-1]] = values
        elif header:
            raise PacmanDbError(Path(path), f"expected a %FIELD% header, found {header!r}")
    return fields


def field_values(fields: Mapping[str, str], key: str) -> tuple[str, ...]:
    """The value lines of one field; () when the field is absent or empty."""
    values = fields.get(key)
    return tuple(values.split("\n")) if values else ()


def _single(fields: Mapping[str, str], key: str, path: Path | str) -> str:
    values = field_values(fields, key)
    if len(values) != 1:
        raise PacmanDbError(
            Path(path), f"%{key}% must hold exactly one value, found {list(values)}"
        )
    return values[0]


def _read_text(path: str) -> str:
    # os.open/os.read in 64 KiB chunks: about twice as fast as open().read() for the many
    # small files of a local database (desc files are a few hundred bytes).
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            chunks = []
            while chunk := os.read(fd, 65536):
                chunks.append(chunk)
        finally:
            os.close(fd)
        return b"".join(chunks).decode("utf-8")
    except OSError as err:
        raise PacmanDbError(Path(path), f"cannot read: {err.strerror or err}") from err
    except UnicodeDecodeError as err:
        raise PacmanDbError(
            Path(path), f"not UTF-8 text: {err.reason} at byte {err.start}"
        ) from err


def _install_reason(fields: Mapping[str, str], path: str) -> InstallReason:
    # pacman writes %REASON% only for dependencies; 0 is accepted as well since libalpm does.
    if "REASON" not in fields:
        return InstallReason.EXPLICIT
    value = _single(fields, "REASON", path)
    if value == "0":
        return InstallReason.EXPLICIT
    if value == "1":
        return InstallReason.DEPENDENCY
    raise PacmanDbError(Path(path), f"%REASON% must be 0 or 1, found {value!r}")


def _local_package(entry_dir: str, desc: str) -> InstalledPackage:
    # Paths stay strings here: building a Path per entry costs more than reading the file.
    fields = parse_desc(_read_text(desc), desc)
    name = _single(fields, "NAME", desc)
    version = _single(fields, "VERSION", desc)
    # libalpm names the entry directory NAME-VERSION and refuses a desc that disagrees with it
    # ("database is inconsistent"); an entry pacman would reject must not pass here either.
    if entry_dir != f"{name}-{version}":
        reason = f"describes {name} {version}, but its directory is {entry_dir}"
        raise PacmanDbError(Path(desc), reason)
    return InstalledPackage(
        name=name,
        version=version,
        reason=_install_reason(fields, desc),
        groups=field_values(fields, "GROUPS"),
        provides=field_values(fields, "PROVIDES"),
        depends=field_values(fields, "DEPENDS"),
    )


def read_local_packages(root: Path) -> dict[str, InstalledPackage]:
    """Every package installed in `root`, by name; an empty dict when `root` has no database.

    Raises `PacmanDbError` for an entry that cannot be read or is not what pacman writes.
    """
    local = root / LOCAL_DB
    try:
        entries = list(os.scandir(local))
    except FileNotFoundError:
        return {}  # a fresh root: nothing installed yet
    except OSError as err:
        raise PacmanDbError(local, f"cannot list: {err.strerror or err}") from err
    packages: dict[str, InstalledPackage] = {}
    for entry in entries:
        if not entry.is_dir():
            continue  # ALPM_DB_VERSION and other bookkeeping files
        package = _local_package(entry.name, os.path.join(entry.path, "desc"))
        if package.name in packages:
            raise PacmanDbError(Path(entry.path), f"{package.name} is installed twice")
        packages[package.name] = package
    return packages


def _zstd_decompress(db_file: Path, data: bytes) -> bytes:
    # Python 3.14 has zstd in the standard library; before that the zstd tool does the work.
    try:
        zstd = importlib.import_module("compression.zstd")
    except ImportError:
        pass
    else:
        return bytes(zstd.decompress(data))
    argv = ["zstd", "--decompress", "--stdout", "--quiet"]
    try:
        # Fixed argv, data on stdin: nothing from the database reaches the command line.
        done = subprocess.run(argv, input=data, capture_output=True, check=False)
    except FileNotFoundError as err:
        raise PacmanDbError(db_file, "zstd-compressed, and no zstd tool is installed") from err
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise PacmanDbError(db_file, f"zstd could not decompress it: {message}")
    return done.stdout


# Compression is recognised by its magic bytes, as libarchive does for pacman: the `.db` name
# says nothing (repo-add's `core.db` is a symlink to `core.db.tar.gz`, `.tar.zst`, ...).
DECOMPRESSORS: dict[bytes, Callable[[bytes], bytes]] = {
    b"\x1f\x8b": gzip.decompress,
    b"\xfd7zXZ\x00": lzma.decompress,
    b"BZh": bz2.decompress,
}
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _tar_bytes(db_file: Path) -> bytes:
    """The uncompressed tar; decompressing up front puts every damage error in one place."""
    try:
        data = db_file.read_bytes()
    except OSError as err:
        raise PacmanDbError(db_file, f"cannot read: {err.strerror or err}") from err
    if data.startswith(ZSTD_MAGIC):
        return _zstd_decompress(db_file, data)
    for magic, decompress in DECOMPRESSORS.items():
        if data.startswith(magic):
            try:
                return decompress(data)
            except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as err:
                raise PacmanDbError(db_file, f"damaged compressed data: {err}") from err
    return data  # an uncompressed tar, or not a database at all (tarfile will say)


def _ustar_files(data: bytes) -> list[tuple[str, bytes]] | None:
    """(name, content) of every regular file of a plain ustar archive — what repo-add's bsdtar
    writes — twenty times faster than tarfile. None when the archive holds anything else (pax
    or GNU long-name records, an unexpected entry type, damage): tarfile then reads it.
    """
    files: list[tuple[str, bytes]] = []
    offset = 0
    while offset + 512 <= len(data):
        header = data[offset : offset + 512]
        if header == _ZERO_BLOCK:
            return files  # end-of-archive marker
        kind = header[156:157]
        if header[257:262] != b"ustar" or kind not in (b"0", b"\0", b"5"):
            return None
        try:
            size = int(header[124:136].rstrip(b" \0") or b"0", 8)
            name = header[:100].split(b"\0", 1)[0].decode()
            prefix = header[345:500].split(b"\0", 1)[0].decode()
        except ValueError:  # UnicodeDecodeError is a ValueError too
            return None
        start = offset + 512
        if kind != b"5":
            files.append((f"{prefix}/{name}" if prefix else name, data[start : start + size]))
        offset = start + (size + 511) // 512 * 512
    return None  # no end-of-archive marker: truncated, let tarfile judge


_ZERO_BLOCK = bytes(512)


def _tarfile_files(db_file: Path, data: bytes) -> list[tuple[str, bytes]]:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            files = []
            for member in archive:
                extracted = archive.extractfile(member) if member.isfile() else None
                if extracted is not None:
                    files.append((member.name, extracted.read()))
            return files
    except (tarfile.TarError, EOFError) as err:
        raise PacmanDbError(db_file, f"not a readable tar archive: {err}") from err


def _desc_texts(db_file: Path) -> Iterator[tuple[str, str]]:
    """(entry directory, text) of every `desc` and old-style `depends` file of a database."""
    data = _tar_bytes(db_file)
    files = _ustar_files(data)
    for name, content in files if files is not None else _tarfile_files(db_file, data):
        entry, _, leaf = name.rpartition("/")
        if leaf not in ("desc", "depends"):
            continue
        try:
            yield entry, content.decode("utf-8")
        except UnicodeDecodeError as err:
            raise PacmanDbError(db_file, f"{name} is not UTF-8 text") from err


def read_sync_database(db_file: Path, repo: str | None = None) -> dict[str, SyncPackage]:
    """Every package in one sync database (`NAME.db`), by name.

    `repo` names the repository in the returned packages; by default the file name before
    its first dot (`core.db` → `core`). An empty file is an empty repository, as for pacman.
    """
    repo_name = repo if repo is not None else db_file.name.split(".", 1)[0]
    if db_file.is_file() and db_file.stat().st_size == 0:
        return {}
    # Until pacman 5, repo-add split an entry over `desc` and `depends`: merge them per entry.
    fields_by_entry: dict[str, dict[str, str]] = {}
    for entry, text in _desc_texts(db_file):
        where = f"{db_file}/{entry}"  # a string: only an error message ever needs it
        fields_by_entry.setdefault(entry, {}).update(parse_desc(text, where))
    packages: dict[str, SyncPackage] = {}
    for entry, fields in fields_by_entry.items():
        where = f"{db_file}/{entry}"
        package = SyncPackage(
            repo=repo_name,
            name=_single(fields, "NAME", where),
            version=_single(fields, "VERSION", where),
            groups=field_values(fields, "GROUPS"),
            provides=field_values(fields, "PROVIDES"),
            depends=field_values(fields, "DEPENDS"),
        )
        packages[package.name] = package
    return packages


@dataclass(frozen=True, slots=True)
class SyncIndex:
    """What a set of repositories offers, answered the way pacman resolves `-S` targets.

    Repositories are searched in `repos` order (the order of pacman.conf) and the first one
    holding a name wins, as in pacman. Build one with `SyncIndex.build` or
    `read_sync_databases`. `packages` maps repo → name → package; `providers` and `groups`
    are lookup tables derived from it (name → packages, in the order pacman considers them).
    """

    repos: tuple[str, ...]
    packages: Mapping[str, Mapping[str, SyncPackage]]
    providers: Mapping[str, tuple[SyncPackage, ...]] = field(repr=False)
    groups: Mapping[str, tuple[SyncPackage, ...]] = field(repr=False)

    @classmethod
    def build(cls, databases: Iterable[tuple[str, Mapping[str, SyncPackage]]]) -> SyncIndex:
        """Index `(repo, packages)` pairs given in pacman.conf order."""
        pairs = list(databases)
        providers: dict[str, list[SyncPackage]] = {}
        groups: dict[str, dict[str, SyncPackage]] = {}
        for _, packages in pairs:
            # Within a repository libalpm keeps packages sorted by name; so do we.
            for name in sorted(packages):
                package = packages[name]
                for provided in package.provides:
                    providers.setdefault(dependency_name(provided), []).append(package)
                for group in package.groups:
                    groups.setdefault(group, {}).setdefault(name, package)
        return cls(
            repos=tuple(repo for repo, _ in pairs),
            packages=dict(pairs),
            providers={name: tuple(found) for name, found in providers.items()},
            groups={group: tuple(members.values()) for group, members in groups.items()},
        )

    def get(self, name: str) -> SyncPackage | None:
        """The package called exactly `name`, from the first repository that has it."""
        for repo in self.repos:
            found = self.packages[repo].get(name)
            if found is not None:
                return found
        return None

    def satisfier(self, name: str) -> SyncPackage | None:
        """What `pacman -S name` would pick: the package of that name, else its first provider.

        Like libalpm, a literal name in any repository beats a provider in an earlier one.
        """
        literal = self.get(name)
        if literal is not None:
            return literal
        found = self.providers.get(name)
        return found[0] if found else None

    def exists(self, name: str) -> bool:
        """Whether `pacman -S name` finds a package (by name or by provides)."""
        return self.satisfier(name) is not None

    def group(self, name: str) -> tuple[SyncPackage, ...]:
        """Members of group `name` (empty if no such group), repository order then by name;
        a name in two repositories counts once, from the first."""
        return self.groups.get(name, ())


def read_sync_databases(dbpath: Path, repos: Sequence[str]) -> SyncIndex:
    """Load `dbpath/sync/REPO.db` for each repository, in pacman.conf order.

    A missing file raises `PacmanDbError`: the repository was never synchronised (`pacman -Sy`).
    """
    databases = []
    for repo in repos:
        db_file = dbpath / "sync" / f"{repo}.db"
        if not db_file.exists():
            raise PacmanDbError(db_file, f"no sync database for [{repo}]; run pacman -Sy first")
        databases.append((repo, read_sync_database(db_file, repo)))
    return SyncIndex.build(databases)
