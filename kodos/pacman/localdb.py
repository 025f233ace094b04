"""Read pacman's databases straight from disk: fast, read-only, no pacman process.

Two sources, both in the format libalpm writes:

* the local database, `ROOT/var/lib/pacman/local/NAME-VERSION/desc` — what is installed, at
  which version, and why (explicitly or as a dependency);
* sync databases, `DBPATH/sync/REPO.db` — a tar (gzip, xz, bzip2, zstd or plain) of
  `NAME-VERSION/desc` entries as `repo-add` writes them — what the repositories offer, indexed
  by `SyncIndex` the way `pacman -S` resolves names. (`kodos/pacman/filelists.py` reads the
  `REPO.files` lists next to them.)

Nothing here changes a file or runs pacman: reading facts is pure (house habit 2). Only a
zstd-compressed sync database needs help from outside Python 3.11, the `zstd` decompressor.
Names are kept exactly as pacman writes them (`libsigc++`, `memtest86+`) and versions stay
strings with their epoch (`1:1.2-1`): comparing versions is vercmp's job, not a parser's.
"""

from __future__ import annotations

import os
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from kodos.pacman.archive import PacmanDbError as PacmanDbError
from kodos.pacman.archive import read_database_bytes, read_entries
from kodos.system.rootfs import resolve_in_root

LOCAL_DB = Path("var/lib/pacman/local")
"""Where the local database lives, relative to the root being managed."""


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
    filename: str = ""
    """The package file's name (`%FILENAME%`), as it lands in the pacman cache."""
    download_size: int = 0
    """`%CSIZE%`: bytes to download."""
    installed_size: int = 0
    """`%ISIZE%`: bytes it takes once installed."""


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
    for block in text.rstrip("\n").split("\n\n"):
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


# A context variable, not a module global: each thread has its own, so plans made in threads at
# once (the tests make three) never end another's block or share its answers.
_READ_ONCE: ContextVar[dict[str, dict[str, InstalledPackage]] | None] = ContextVar(
    "kodos_local_packages_read_once", default=None
)


@contextmanager
def local_packages_read_once() -> Iterator[None]:
    """Within the block, `read_local_packages` reads each root's database once.

    A plan reads it for the providers and again for dependency resolution, and nothing
    changes the database in between; outside a block every call reads afresh (pacman rewrites
    a `desc` in place, so no file date could tell a cached answer is stale).
    """
    if _READ_ONCE.get() is not None:  # an outer block already reads once
        yield
        return
    token = _READ_ONCE.set({})
    try:
        yield
    finally:
        _READ_ONCE.reset(token)


def read_local_packages(root: Path) -> dict[str, InstalledPackage]:
    """Every package installed in `root`, by name; an empty dict when `root` has no database.

    Raises `PacmanDbError` for an entry that cannot be read or is not what pacman writes.
    """
    local = Path(resolve_in_root(root, str(LOCAL_DB)))  # as the root's own pacman sees it
    read_once = _READ_ONCE.get()
    if read_once is None:
        return _read_local_directory(local)
    if str(local) not in read_once:
        read_once[str(local)] = _read_local_directory(local)
    return dict(read_once[str(local)])  # a copy: callers may change theirs


def _read_local_directory(local: Path) -> dict[str, InstalledPackage]:
    try:
        entries = list(os.scandir(local))
    except FileNotFoundError:
        return {}  # a fresh root: nothing installed yet
    except OSError as err:
        raise PacmanDbError(local, f"cannot list: {err.strerror or err}") from err
    packages: dict[str, InstalledPackage] = {}
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue  # ALPM_DB_VERSION and other bookkeeping files
        package = _local_package(entry.name, os.path.join(entry.path, "desc"))
        if package.name in packages:
            raise PacmanDbError(Path(entry.path), f"{package.name} is installed twice")
        packages[package.name] = package
    return packages


def _desc_texts(db_file: Path, raw: bytes) -> Iterator[tuple[str, str]]:
    """(entry directory, text) of every `desc` and old-style `depends` file of a database."""
    for entry, leaf, content in read_entries(db_file, ("desc", "depends"), raw):
        try:
            yield entry, content.decode("utf-8")
        except UnicodeDecodeError as err:
            raise PacmanDbError(db_file, f"{entry}/{leaf} is not UTF-8 text") from err


SYNC_FIELDS = ("NAME", "VERSION", "GROUPS", "PROVIDES", "DEPENDS", "FILENAME", "CSIZE", "ISIZE")
"""The fields of a sync entry kodos reads; Arch's entries carry some twenty (a signature,
checksums, sizes, optional and build dependencies...)."""


def sync_fields(text: str, path: Path | str) -> dict[str, str]:
    """The `SYNC_FIELDS` blocks of a sync `desc`, as `parse_desc` would return them.

    Splitting every block of 15,000 entries takes ~100 ms, most of a plan's database load;
    finding the six wanted headers with `str.rfind` takes a fraction. rfind gives the last
    occurrence, which is the block libalpm keeps for a repeated field. When that occurrence
    does not start a block (a value line that looks like a header), the entry is unusual and
    `parse_desc` reads it the careful way.
    """
    fields: dict[str, str] = {}
    for key in SYNC_FIELDS:
        header = f"%{key}%\n"
        at = text.rfind(header)
        if at == -1:
            continue
        if at > 0 and not (text[at - 1] == "\n" and (at == 1 or text[at - 2] == "\n")):
            full = parse_desc(text, path)
            return {key: full[key] for key in SYNC_FIELDS if key in full}
        start = at + len(header)
        # The block ends at the first blank line: search from the header's own newline, so
        # an empty block (`%GROUPS%` then a blank line) has an empty value.
        end = text.find("\n\n", start - 1)
        fields[key] = text[start:end] if end != -1 else text[start:].rstrip("\n")
    return fields


def read_sync_database(db_file: Path, repo: str | None = None) -> dict[str, SyncPackage]:
    """Every package in one sync database (`NAME.db`), by name.

    `repo` names the repository in the returned packages; by default the file name before
    its first dot (`core.db` → `core`). An empty file is an empty repository, as for pacman.
    """
    repo_name = repo if repo is not None else db_file.name.split(".", 1)[0]
    if db_file.is_file() and db_file.stat().st_size == 0:
        return {}
    raw = read_database_bytes(db_file)
    read_once = _SYNC_READ_ONCE.get()
    if read_once is None:
        return _parse_sync_database(db_file, repo_name, raw)
    last = read_once.get(repo_name)
    if last is not None and last[0] == raw:
        return dict(last[1])  # a copy: callers may change theirs (the packages are frozen)
    packages = _parse_sync_database(db_file, repo_name, raw)
    read_once[repo_name] = (raw, packages)
    return dict(packages)


# Per repository, the bytes of the last database read within the block and its packages.
_SYNC_READ_ONCE: ContextVar[dict[str, tuple[bytes, dict[str, SyncPackage]]] | None] = ContextVar(
    "kodos_sync_databases_read_once", default=None
)


@contextmanager
def sync_databases_read_once() -> Iterator[None]:
    """Within the block, `read_sync_database` parses the same bytes once.

    `apply --upgrade` reads the same databases three times (its plan, the check of the copy
    in the snapshot, the verifying plan): the same bytes parse to the same packages, so a read
    again costs a comparison of the files' bytes, not a parse. Unlike the local database, the
    bytes are compared, so a database changed in between is parsed afresh.
    """
    if _SYNC_READ_ONCE.get() is not None:  # an outer block already reads once
        yield
        return
    token = _SYNC_READ_ONCE.set({})
    try:
        yield
    finally:
        _SYNC_READ_ONCE.reset(token)


def _parse_sync_database(db_file: Path, repo_name: str, raw: bytes) -> dict[str, SyncPackage]:
    # Until pacman 5, repo-add split an entry over `desc` and `depends`: merge them per entry.
    fields_by_entry: dict[str, dict[str, str]] = {}
    for entry, text in _desc_texts(db_file, raw):
        where = f"{db_file}/{entry}"  # a string: only an error message ever needs it
        fields_by_entry.setdefault(entry, {}).update(sync_fields(text, where))
    packages: dict[str, SyncPackage] = {}
    for entry, fields in fields_by_entry.items():
        package = _sync_package(repo_name, fields, db_file, entry)
        packages[package.name] = package
    return packages


def _sync_package(repo: str, fields: Mapping[str, str], db_file: Path, entry: str) -> SyncPackage:
    # Written out rather than through field_values/_single: five calls per entry are a fifth
    # of the time to load 15,000 entries.
    name, version = fields.get("NAME"), fields.get("VERSION")
    if not name or not version or "\n" in name or "\n" in version:
        where = f"{db_file}/{entry}"
        name, version = _single(fields, "NAME", where), _single(fields, "VERSION", where)
    groups, provides, depends = fields.get("GROUPS"), fields.get("PROVIDES"), fields.get("DEPENDS")
    return SyncPackage(
        repo,
        name,
        version,
        tuple(groups.split("\n")) if groups else (),
        tuple(provides.split("\n")) if provides else (),
        tuple(depends.split("\n")) if depends else (),
        fields.get("FILENAME", ""),
        _size(fields.get("CSIZE")),
        _size(fields.get("ISIZE")),
    )


def _size(value: str | None) -> int:
    """A size field; 0 when absent or not a number (sizes are shown, never relied on)."""
    return int(value) if value and value.isdigit() else 0


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

    def digest(self) -> str:
        """sha256 of what the repositories offer (every package's repository, name, version,
        depends, provides and groups, in pacman.conf order): it moves exactly when what a
        transaction would install can. Read from the packages, not the files, so the same
        offer gives the same digest however the databases were compressed or dated."""
        import hashlib

        hasher = hashlib.sha256()
        for repo in self.repos:
            packages = self.packages[repo]
            for name in sorted(packages):
                package = packages[name]
                fields = (repo, name, package.version, *package.depends, "|", *package.provides)
                hasher.update("\t".join((*fields, "|", *package.groups)).encode() + b"\n")
        return "sha256:" + hasher.hexdigest()

    def get(self, name: str) -> SyncPackage | None:
        """The package called exactly `name`, from the first repository that has it."""
        for repo in self.repos:
            found = self.packages[repo].get(name)
            if found is not None:
                return found
        return None

    def satisfier(self, name: str, installed: Container[str] = ()) -> SyncPackage | None:
        """What `pacman -S name` would pick: the package of that name, else a provider.

        Like libalpm (`resolvedep`), a literal name in any repository beats a provider in an
        earlier one, and among providers the first one already installed (a name in
        `installed`) wins over the first one in repository order: pacman does not replace a
        provider the machine already has.
        """
        literal = self.get(name)
        if literal is not None:
            return literal
        found = self.providers.get(name, ())
        for provider in found:
            if provider.name in installed:
                return provider
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
    return read_sync_directory(dbpath / "sync", repos)


def read_sync_directory(directory: Path, repos: Sequence[str]) -> SyncIndex:
    """Load `directory/REPO.db` for each repository, in pacman.conf order (see above)."""
    databases = []
    for repo in repos:
        db_file = directory / f"{repo}.db"
        if not db_file.exists():
            raise PacmanDbError(db_file, f"no sync database for [{repo}]; run pacman -Sy first")
        databases.append((repo, read_sync_database(db_file, repo)))
    return SyncIndex.build(databases)
