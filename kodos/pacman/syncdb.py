"""Where a plan's sync databases come from: what the repositories offer, for checking names.

A plan of root R checks every package name of the configuration against the repositories'
sync databases (`core.db`, `extra.db`) and, when present, their file lists (`core.files`, ...)
to tell which package ships a unit. They are found, in this order:

1. `--sync-dir DIR`: `DIR/core.db`, `DIR/extra.db` (and `DIR/*.files`), read as they are.
2. `--refresh`: the real pacman downloads them from the configuration's Arch mirror into a kodos
   cache directory (`/var/cache/kodos/sync/<digest of the mirror>` for root, whatever its
   environment says; `$XDG_CACHE_HOME/kodos/sync/<digest>` for anyone else). Asking for a refresh
   wins over R's own databases, which may be weeks old: a flag the user typed must not be a
   silent no-op. R's own sync directory is never written by a plan.
3. R's own `var/lib/pacman/sync` when it holds `core.db`, as every synchronised Arch machine
   does; the repositories are then the ones R's pacman.conf lists (multilib, testing...), in
   its order, so a plan sees what `pacman -S` on that machine would.
   With `cached` (`apply --upgrade PLAN`), the databases the last refresh left in that cache
   are read as they are: a saved upgrade plan pins their digest, and applies only while the
   cache still holds what the plan was made with.
4. Nothing: `locate_sync_databases` returns None and the plan says so
   (`missing_databases_note`); names then pass unchecked (see `kodos.plan.resolve`).

Downloading uses pacman itself (`-Sy`, then `-Fy`) with a generated pacman.conf: its mirror
handling, caching (`If-Modified-Since`) and signature checks are the ones users trust.
`SigLevel` defaults to Arch's own `Required DatabaseOptional`: a database is verified against
the host's pacman keyring when the mirror publishes a `.sig` for it, and used unsigned when it
does not (Arch's official databases are not signed). `Never` is not needed even for the
file:// mirrors of the tests, since they publish no `.sig` either — so no code path switches
verification off. Packages are never downloaded here; apply installs them with the target's own
pacman.conf and keyring, where `Required` package signatures protect the machine.

pacman synchronises only as root; an unprivileged user's plan runs it under fakeroot, as Arch's
`checkupdates` does. A failure raises `CommandFailed` carrying pacman's `error:` lines.

The cache is written by whoever runs kodos — often root — and pacman follows links when it
writes its log and databases. So root's cache never comes from the environment (after `sudo
-E` or `su`, `$XDG_CACHE_HOME` and `$HOME` are a user's, who could plant links to root's files
there or keep a poisoned `extra.db` in it), and before any refresh the cache directory is
checked (`check_cache_directory`): it and its `sync/` must be this user's own directories,
not links, writable by no one else, every directory above it owned by this user or root and
not writable by others unless sticky; the files kodos and pacman write there must not be
links. A cache that fails is refused, never repaired.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kodos.errors import KodosError
from kodos.pacman import confread
from kodos.pacman.conf import ARCH_REPOS as ARCH_REPOS  # re-exported: its old home
from kodos.pacman.conf import server_line
from kodos.pacman.filelists import UnitIndex, read_unit_index
from kodos.pacman.localdb import SyncIndex, read_sync_directory
from kodos.system.atomic import write_text_atomic
from kodos.system.ownership import foreign_reason
from kodos.system.runner import CommandFailed, run, tail
from kodos.text.lazyregex import lazy

if TYPE_CHECKING:
    from kodos.system.background import Pending

DEFAULT_SIG_LEVEL = "Required DatabaseOptional"
ROOT_SYNC_DIR = Path("var/lib/pacman/sync")
ROOT_CACHE_DIR = Path("/var/cache/kodos")
"""root's kodos cache, whatever its environment says."""

_SIG_LEVEL = lazy(r"[A-Za-z]+( [A-Za-z]+)*")


class SyncOrigin(StrEnum):
    """How a plan's databases were found."""

    SYNC_DIR = "sync-dir"
    REFRESH = "refresh"
    CACHE = "cache"
    ROOT = "root"


@dataclass(frozen=True, slots=True)
class SyncSource:
    """Sync databases to read: `directory/REPO.db` (and `REPO.files`) for each of `repos`."""

    directory: Path
    repos: tuple[str, ...]
    origin: SyncOrigin

    def describe(self) -> str:
        """One line for the plan: where its package names were checked."""
        repos = ", ".join(self.repos)
        return f"package names checked against {repos} in {self.directory} ({self.origin})"


@dataclass(frozen=True)
class SyncDatabases:
    """What a plan loads from a `SyncSource`: packages, and units when file lists exist."""

    source: SyncSource
    index: SyncIndex

    @cached_property
    def units(self) -> UnitIndex | None:
        """The unit index, read on first use: the `.files` lists cost as much as the package
        databases, and a plan whose units are all on the machine already never needs them.
        None unless every repository has its list (a partial index would wrongly say nothing
        ships the units of the missing ones)."""
        wait_for_file_lists()  # a refresh may still be downloading them
        directory, repos = self.source.directory, self.source.repos
        has_lists = all((directory / f"{repo}.files").exists() for repo in repos)
        return read_unit_index(directory, repos) if has_lists else None


class SyncDatabaseError(KodosError):
    """The databases a plan was told to use cannot be used."""


def locate_sync_databases(
    root: Path | None,
    *,
    sync_dir: Path | None,
    mirror: str | None,
    refresh: bool,
    cache_dir: Path | None,
    upgrade: bool = False,
    cached: bool = False,
) -> SyncSource | None:
    """Find (with `refresh`: download) the sync databases for a plan of `root`; see the module
    docstring for the order. `root` is None for a plan made from saved facts, which has no
    root to look in. `mirror` is the configuration's Arch mirror base URL; `cache_dir`
    replaces the default cache directory for downloads. `upgrade` downloads as `refresh` does;
    with `cached` as well, the cache is read as the last download left it. Raises
    `SyncDatabaseError` for an unusable request and `CommandFailed` when the download fails."""
    if sync_dir is not None:
        if refresh:
            raise SyncDatabaseError(
                "--sync-dir and --refresh exclude each other: --sync-dir names databases "
                "to read as they are"
            )
        return _given_sync_dir(sync_dir)
    if refresh or upgrade:
        flag = "--refresh" if refresh else "--upgrade"
        if mirror is None:
            raise SyncDatabaseError(
                f"{flag} needs an Arch mirror: add one to repos with repos.arch_repo(...)"
            )
        dbpath = cache_dir if cache_dir is not None else default_cache_dir(mirror)
        if cached and not refresh:
            return _cached(dbpath / "sync", mirror)
        refresh_databases(mirror, dbpath)
        return SyncSource(dbpath / "sync", ARCH_REPOS, SyncOrigin.REFRESH)
    return _root_sync_dir(root) if root is not None else None


def missing_databases_note(root: Path | None) -> str:
    """The plan's note when `locate_sync_databases` found nothing (for `resolve`)."""
    if root is None:
        return (
            "package names were not checked: a facts file holds no sync databases "
            "(pass --sync-dir, or plan with --refresh)"
        )
    return (
        f"package names were not checked: no sync databases in {root / ROOT_SYNC_DIR} "
        "(run `pacman -Sy`, pass --sync-dir, or plan with --refresh)"
    )


def load_sync_index(source: SyncSource) -> SyncIndex:
    """The packages alone, for a caller that checks no units."""
    return read_sync_directory(source.directory, source.repos)


def load_sync_databases(source: SyncSource) -> SyncDatabases:
    """Read the packages now, and the units when first asked for."""
    return SyncDatabases(source=source, index=load_sync_index(source))


def _given_sync_dir(sync_dir: Path) -> SyncSource:
    missing = [repo for repo in ARCH_REPOS if not (sync_dir / f"{repo}.db").exists()]
    if missing:
        names = ", ".join(f"{repo}.db" for repo in missing)
        raise SyncDatabaseError(f"--sync-dir {sync_dir}: no {names} in that directory")
    return SyncSource(sync_dir, ARCH_REPOS, SyncOrigin.SYNC_DIR)


def _cached(directory: Path, mirror: str) -> SyncSource:
    check_cache_directory(directory.parent)
    if not all((directory / f"{repo}.db").is_file() for repo in ARCH_REPOS):
        raise SyncDatabaseError(
            f"no sync databases of {mirror} in {directory}: make the plan with "
            "`kodos plan --upgrade` first"
        )
    return SyncSource(directory, ARCH_REPOS, SyncOrigin.CACHE)


def _root_sync_dir(root: Path) -> SyncSource | None:
    directory = root / ROOT_SYNC_DIR
    if not (directory / "core.db").exists():
        return None
    listed = root_repos(root)
    # A repository pacman.conf lists but never synchronised is skipped, as pacman -S skips it
    # (with a warning) rather than failing.
    repos = tuple(repo for repo in listed if (directory / f"{repo}.db").exists())
    if not repos:  # a pacman.conf naming none of the synchronised ones: trust the files
        repos = tuple(repo for repo in ARCH_REPOS if (directory / f"{repo}.db").exists())
    return SyncSource(directory, repos, SyncOrigin.ROOT)


def root_repos(root: Path) -> tuple[str, ...]:
    """The repositories R's pacman.conf enables, in its order, those of the files it includes
    too (`kodos.pacman.confread`); core and extra without one, or when it cannot be read (the
    pacman provider says why)."""
    try:
        repos = tuple(confread.read_repositories(root))
    except (OSError, ValueError, KodosError):
        return ARCH_REPOS
    return repos or ARCH_REPOS


# ---- downloading with the real pacman ------------------------------------------------------


def default_cache_dir(mirror: str) -> Path:
    """One pacman dbpath per mirror, so switching mirrors never mixes their databases: under
    `/var/cache/kodos` for root (never from its environment), `user_cache_dir` for others."""
    if os.geteuid() == 0:
        return ROOT_CACHE_DIR / "sync" / _mirror_digest(mirror)
    return user_cache_dir(mirror)


def user_cache_dir(mirror: str) -> Path:
    """`$XDG_CACHE_HOME/kodos/sync/<digest>`; a relative XDG_CACHE_HOME is ignored, as the
    spec requires."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    cache = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return cache / "kodos" / "sync" / _mirror_digest(mirror)


def _mirror_digest(mirror: str) -> str:
    return hashlib.sha256(mirror.rstrip("/").encode()).hexdigest()[:16]


_CACHE_FILES = ("pacman.conf", "pacman.log", "db.lck")
"""What kodos and pacman write in a dbpath, besides the databases in `sync/`."""


def check_cache_directory(dbpath: Path) -> None:
    """Create `dbpath` (and `sync/` in it) where missing, checking each directory from the top
    before going into it; refuse the cache unless nobody else can steer what is written there
    (module docstring). Raises `SyncDatabaseError`."""
    for ancestor in reversed(dbpath.parents):
        _make_directory(ancestor)
        _check_ancestor(ancestor)
    for directory in (dbpath, dbpath / "sync"):
        _make_directory(directory)
        problem = foreign_reason(os.lstat(directory))
        if problem:
            raise _unsafe(directory, problem)
    names = [dbpath / name for name in _CACHE_FILES]
    names += sorted((dbpath / "sync").iterdir())
    for path in names:
        _check_cache_file(path)


def _make_directory(directory: Path) -> None:
    """mkdir with a fixed mode (`parents=True` would give parents a umask-dependent one)."""
    if os.path.lexists(directory):
        return
    try:
        directory.mkdir(mode=0o755)
    except OSError as err:
        raise SyncDatabaseError(f"cache {directory}: {_reason(err)}") from None


def _check_ancestor(directory: Path) -> None:
    """A directory above the cache may be root's or this user's (a link too, if its owner is
    one of them: /home may link elsewhere); writable by others only when sticky (as /tmp),
    where nobody else can move what lies in it."""
    for info in (os.lstat(directory), os.stat(directory)):
        if info.st_uid not in (0, os.geteuid()):
            raise _unsafe(directory, f"owned by uid {info.st_uid}, above the cache")
    writable = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if writable and not info.st_mode & stat.S_ISVTX:
        raise _unsafe(directory, f"writable by others (mode {stat.S_IMODE(info.st_mode):04o})")


def _check_cache_file(path: Path) -> None:
    info = _lstat(path)
    if info is None:
        return
    if stat.S_ISLNK(info.st_mode):
        raise _unsafe(path, f"a symbolic link (to {os.readlink(path)})")
    if not stat.S_ISREG(info.st_mode):
        raise _unsafe(path, "not a regular file")
    if info.st_uid != os.geteuid():
        raise _unsafe(path, f"owned by uid {info.st_uid}, not by this user (uid {os.geteuid()})")


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _unsafe(path: Path, problem: str) -> SyncDatabaseError:
    return SyncDatabaseError(
        f"cache {path}: {problem}; refusing it (pacman would write through it)"
    )


def _reason(err: OSError) -> str:
    return (err.strerror or str(err)).lower()


def pacman_conf(
    mirror: str,
    repos: Sequence[str] = ARCH_REPOS,
    *,
    sig_level: str = DEFAULT_SIG_LEVEL,
    arch: str = "x86_64",
) -> str:
    """A pacman.conf serving `repos` from `mirror` (its base URL, before `$repo/os/$arch`)."""
    check_pacman_values(mirror, sig_level)
    server = server_line(mirror)
    lines = ["[options]", f"Architecture = {arch}", f"SigLevel = {sig_level}", ""]
    for repo in repos:
        lines += [f"[{repo}]", f"Server = {server}", ""]
    return "\n".join(lines)


def check_pacman_values(mirror: str, sig_level: str) -> None:
    """Both values end up in a configuration file: a line break would let them add options."""
    if not mirror or any(char.isspace() for char in mirror):
        raise SyncDatabaseError(f"not a mirror URL: {mirror!r}")
    if not _SIG_LEVEL.fullmatch(sig_level):
        raise SyncDatabaseError(f"not a pacman SigLevel: {sig_level!r}")


def refresh_databases(
    mirror: str,
    dbpath: Path,
    *,
    sig_level: str = DEFAULT_SIG_LEVEL,
    file_lists: bool = True,
) -> None:
    """Download core and extra (and their file lists) from `mirror` into `dbpath/sync` with
    `pacman -Sy` (`-Fy`), pacman's own dbpath layout, once `check_cache_directory` accepts it.
    Raises `SyncDatabaseError` or `CommandFailed`."""
    check_cache_directory(dbpath)
    conf = dbpath / "pacman.conf"
    text = pacman_conf(mirror, sig_level=sig_level)
    if not _holds(conf, text):  # the same mirror's next refresh: no write, no fsync
        write_text_atomic(conf, text)  # replaces, never follows
    check(run(pacman_sync_argv(dbpath, conf, "-Sy"), check=False))
    if file_lists:
        _refresh_file_lists(dbpath, conf)


def _refresh_file_lists(dbpath: Path, conf: Path) -> None:
    """`pacman -Fy` after `-Sy`: now, or inside `file_lists_in_background` in a thread."""

    def download() -> None:
        check(run(pacman_sync_argv(dbpath, conf, "-Fy"), check=False))

    later = _FILE_LISTS_LATER.get()
    if later is None:
        download()
    else:
        from kodos.system.background import Pending

        later.append(Pending(download))


# The file list downloads started within a `file_lists_in_background` block, not waited for.
_FILE_LISTS_LATER: ContextVar[list[Pending[None]] | None] = ContextVar(
    "kodos_file_lists_later", default=None
)


@contextmanager
def file_lists_in_background() -> Iterator[None]:
    """Within the block, a refresh downloads the file lists (`pacman -Fy`) in a thread and
    returns once the package databases are in (`-Sy`): `apply --upgrade` plans and runs its
    transaction meanwhile, since neither reads a file list unless it must check a unit.
    Whoever reads them waits first (`wait_for_file_lists`: `SyncDatabases.units` does, and
    the applier before it copies them or commits); a failed download raises there as it would
    have at the refresh. Leaving the block waits for any still running."""
    if _FILE_LISTS_LATER.get() is not None:  # an outer block already defers them
        yield
        return
    later: list[Pending[None]] = []
    token = _FILE_LISTS_LATER.set(later)
    try:
        yield
        wait_for_file_lists()
    finally:
        _FILE_LISTS_LATER.reset(token)
        for pending in later:
            pending.wait()


def wait_for_file_lists() -> None:
    """Wait for the file list downloads `file_lists_in_background` deferred; the first that
    failed raises its error (`CommandFailed`)."""
    later = _FILE_LISTS_LATER.get() or []
    while later:
        later.pop(0).result()


def _holds(path: Path, text: str) -> bool:
    """Whether the file (checked not to be a link: `check_cache_directory`) holds `text`."""
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def pacman_sync_argv(dbpath: Path, conf: Path, operation: str) -> list[str]:
    """`pacman -Sy`/`-Fy` into `dbpath` only: no log written outside it, no prompt.

    pacman refuses to synchronise unless it runs as root; an unprivileged user gets fakeroot,
    exactly as Arch's `checkupdates` does it, since the cache belongs to that user anyway.
    """
    argv = [
        "pacman", operation,
        "--dbpath", str(dbpath),
        "--config", str(conf),
        "--logfile", str(dbpath / "pacman.log"),
        "--noconfirm", "--noprogressbar", "--color", "never",
    ]  # fmt: skip
    return argv if os.geteuid() == 0 else ["fakeroot", "--", *argv]


def check(done: subprocess.CompletedProcess[str]) -> None:
    """Raise `CommandFailed` if the command failed, with pacman's `error:` lines as message.

    pacman's last error line is its summary ("failed to synchronize all databases (download
    library error)"); the line before it says which file or URL failed, so both are kept.
    """
    if done.returncode == 0:
        return
    lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    errors = [line.removeprefix("error: ") for line in lines if line.startswith("error:")]
    message = "; ".join(dict.fromkeys(errors)) if errors else (lines or ["(no output)"])[-1]
    output = tail(done.stderr + done.stdout)
    raise CommandFailed(done.args, done.returncode, output, message=message)
