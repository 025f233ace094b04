"""Sync databases for tests and benchmarks: a mirror's databases gathered into one directory,
and large fake repositories written directly (repo-add takes ~30 ms a package; a benchmark
needs 15,000).

`fake_sync_repo` writes `REPO.db` and `REPO.files` in the layout repo-add gives them (a gzip
ustar archive of `NAME-VERSION/desc` and `NAME-VERSION/files`); pacman reads them (see
tests/test_syncdb.py), though no package file exists behind them.
"""

from __future__ import annotations

import gzip
import io
import random
import tarfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.mirror import ARCH, BUILD_DATE, Mirror

PREFIXES = ("", "", "", "lib", "python-", "perl-", "haskell-", "ruby-", "ttf-", "qt6-", "gst-")
SUFFIXES = ("", "", "", "", "-git", "-docs", "++", "-utils", "5", "-bin")
SYLLABLES = ("ka", "lo", "mi", "tre", "xon", "pa", "gru", "net", "vi", "sol", "dra", "qu", "bel")


def mirror_sync_dir(mirror: Mirror, directory: Path) -> Path:
    """`directory/REPO.db` and `REPO.files` for each of the mirror's repositories (symlinks),
    the layout `--sync-dir` reads."""
    directory.mkdir(parents=True, exist_ok=True)
    for repo in mirror.repos:
        for kind in ("db", "files"):
            link = directory / f"{repo}.{kind}"
            link.unlink(missing_ok=True)
            link.symlink_to((mirror.repo_dir(repo) / f"{repo}.{kind}").resolve())
    return directory


@dataclass(frozen=True)
class FakeSyncEntry:
    """One package `fake_sync_repo` wrote."""

    name: str
    version: str
    groups: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    depends: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    files: tuple[str, ...] = ()


def fake_names(count: int, seed: int = 0) -> list[str]:
    """`count` distinct Arch-like names (`python-kalo`, `libtrexon++`, `soldra-git`...)."""
    rng = random.Random(seed)
    names: dict[str, None] = {}
    while len(names) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4)))
        names[rng.choice(PREFIXES) + word + rng.choice(SUFFIXES)] = None
    return list(names)


def fake_sync_entries(
    count: int, *, seed: int = 0, files_per_package: int = 20
) -> list[FakeSyncEntry]:
    """A deterministic repository: one package in 20 in a group, one in 8 providing a virtual
    name, one in 10 shipping a unit, epochs, dependencies on earlier packages."""
    entries: list[FakeSyncEntry] = []
    for i, name in enumerate(fake_names(count, seed)):
        units = (f"{name}.service",) if i % 10 == 0 else ()
        files = tuple(f"usr/share/{name}/file{j}" for j in range(files_per_package))
        entries.append(
            FakeSyncEntry(
                name,
                version=f"{1 + i % 3}:{i}.{i % 7}-1" if i % 5 == 0 else f"{i}.0-{1 + i % 2}",
                groups=(f"group{i % 12}",) if i % 20 == 0 else (),
                provides=(f"virtual{i % 50}",) if i % 8 == 0 else (),
                depends=(f"{entries[i // 2].name}>=0",) if i > 1 and i % 3 == 0 else (),
                units=units,
                files=(*files, *(f"usr/lib/systemd/system/{unit}" for unit in units)),
            )
        )
    return entries


# What Arch's entries carry besides the fields kodos reads: a signature (~560 bytes of base64),
# checksums, optional and build dependencies. Sizes matter: they are what a reader wades through.
_SIGNATURE = "iHUEABYKAB0WIQ" + "Q" * 540 + "=="
_SHA256 = "0123456789abcdef" * 4


def _desc(entry: FakeSyncEntry) -> str:
    """A sync `desc` with every field repo-add writes for an Arch package, in its order."""
    blocks = [
        ("FILENAME", [f"{entry.name}-{entry.version}-{ARCH}.pkg.tar.zst"]),
        ("NAME", [entry.name]),
        ("BASE", [entry.name]),
        ("VERSION", [entry.version]),
        ("DESC", [f"fake package {entry.name}, generated for kodos tests and benchmarks"]),
        ("GROUPS", list(entry.groups)),
        ("CSIZE", ["1024"]),
        ("ISIZE", ["4096"]),
        ("SHA256SUM", [_SHA256]),
        ("PGPSIG", [_SIGNATURE]),
        ("URL", [f"https://example.invalid/{entry.name}"]),
        ("LICENSE", ["GPL-3.0-or-later"]),
        ("ARCH", [ARCH]),
        ("BUILDDATE", [str(BUILD_DATE)]),
        ("PACKAGER", ["kodos tests <tests@kodos.invalid>"]),
        ("PROVIDES", list(entry.provides)),
        ("DEPENDS", list(entry.depends)),
        ("OPTDEPENDS", ["python: for the python bindings"]),
        ("MAKEDEPENDS", ["cmake", "ninja"]),
    ]
    return "".join(
        f"%{key}%\n" + "".join(v + "\n" for v in vals) + "\n" for key, vals in blocks if vals
    )


def _files_list(entry: FakeSyncEntry) -> str:
    directories = {str(p) + "/" for f in entry.files for p in Path(f).parents if str(p) != "."}
    return "%FILES%\n" + "".join(f"{path}\n" for path in sorted([*directories, *entry.files]))


def _write_db(path: Path, members: list[tuple[str, str | None]]) -> None:
    buffer = io.BytesIO()
    # Level 1: a 15,000-package repository is written in about a second.
    gz = gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1, mtime=BUILD_DATE)
    with gz, tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, text in members:
            info = tarfile.TarInfo(name)
            info.mtime = BUILD_DATE
            if text is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                data = text.encode()
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())


def fake_sync_repo(directory: Path, repo: str, entries: list[FakeSyncEntry]) -> None:
    """Write `directory/REPO.db` and `directory/REPO.files` for `entries`."""
    directory.mkdir(parents=True, exist_ok=True)
    db: list[tuple[str, str | None]] = []
    files: list[tuple[str, str | None]] = []
    for entry in entries:
        entry_dir = f"{entry.name}-{entry.version}"
        desc = (f"{entry_dir}/desc", _desc(entry))
        db += [(f"{entry_dir}/", None), desc]
        files += [(f"{entry_dir}/", None), desc, (f"{entry_dir}/files", _files_list(entry))]
    _write_db(directory / f"{repo}.db", db)
    _write_db(directory / f"{repo}.files", files)
