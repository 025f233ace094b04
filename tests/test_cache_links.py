"""root's sync-database cache cannot be steered by another user: never taken from a user's
environment (`sudo -E`, `su`), and a cache directory someone else could write in — or holding
links — is refused before pacman writes anything there. The victims stay byte-identical."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodos.pacman.syncdb import (
    ROOT_CACHE_DIR,
    SyncDatabaseError,
    load_sync_databases,
    locate_sync_databases,
    user_cache_dir,
)
from tests.support.fixtures import PACMAN_TOOLS
from tests.support.mirror import Mirror
from tests.support.privilege import require_root_for
from tests.support.tools import require_tools

pytestmark = pytest.mark.system

MIRROR = "file:///nonexistent/mirror"  # refusals come before any download


@pytest.fixture
def shared() -> Iterator[Path]:
    """A sticky world-writable directory, as /tmp is, where the unprivileged account works."""
    require_root_for("an unprivileged account plants links for root")
    require_tools("setpriv")
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o1777)
        yield Path(tmp)


def as_nobody(*argv: str | Path) -> None:
    done = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *map(str, argv)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def victims(shared: Path) -> dict[str, Path]:
    """root's files and a directory a user would like root to write into."""
    mine = shared / "root-owned"
    mine.mkdir(mode=0o755)
    (mine / "pacman.conf").write_text("[options]\nSigLevel = Required\n")
    (mine / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n")
    (mine / "sync").mkdir()
    (mine / "sync" / "core.db").write_bytes(b"root's own database")
    return {
        "conf": mine / "pacman.conf",
        "key": mine / "id_ed25519",
        "directory": mine / "sync",
    }


def tree(path: Path) -> dict[str, object]:
    """Everything under `path` (links as their targets), to compare before and after."""
    found: dict[str, object] = {}
    for directory, dirs, files in os.walk(path):
        for name in dirs + files:
            full = Path(directory, name)
            relative = str(full.relative_to(path))
            if full.is_symlink():
                found[relative] = ("link", os.readlink(full))
            elif full.is_file():
                found[relative] = full.read_bytes()
            else:
                found[relative] = "directory"
    return found


def refresh(cache_dir: Path | None) -> None:
    locate_sync_databases(None, sync_dir=None, mirror=MIRROR, refresh=True, cache_dir=cache_dir)


def user_cache(shared: Path, target: Path, planted: str) -> Path:
    """nobody's dbpath under `shared`, with `planted` a link to `target`."""
    dbpath = shared / "cache"
    as_nobody("mkdir", "-p", dbpath / "sync")
    as_nobody("ln", "-s", target, dbpath / planted)
    return dbpath


@pytest.mark.parametrize(
    "planted, target",
    [("pacman.conf", "conf"), ("pacman.log", "key"), ("sync/extra.db", "key"), ("db.lck", "conf")],
)
def test_a_users_cache_is_refused(
    planted: str, target: str, shared: Path, victims: dict[str, Path]
) -> None:
    dbpath = user_cache(shared, victims[target], planted)
    before = tree(shared)

    with pytest.raises(SyncDatabaseError) as caught:
        refresh(dbpath)

    assert str(caught.value) == (
        f"cache {dbpath}: owned by uid {dbpath.stat().st_uid}, not by this user (uid 0); "
        "refusing it (pacman would write through it)"
    )
    assert tree(shared) == before


@pytest.mark.parametrize("target", ["conf", "key"])
@pytest.mark.parametrize("planted", ["pacman.conf", "pacman.log", "sync/core.db"])
def test_a_link_left_in_roots_own_cache_is_refused(
    planted: str, target: str, shared: Path, victims: dict[str, Path]
) -> None:
    dbpath = shared / "roots-cache"
    (dbpath / "sync").mkdir(parents=True, mode=0o755)
    (dbpath / planted).symlink_to(victims[target])
    before = tree(shared)

    with pytest.raises(SyncDatabaseError) as caught:
        refresh(dbpath)

    assert str(caught.value) == (
        f"cache {dbpath / planted}: a symbolic link (to {victims[target]}); refusing it "
        "(pacman would write through it)"
    )
    assert tree(shared) == before


def test_a_linked_or_shared_cache_directory_is_refused(
    shared: Path, victims: dict[str, Path]
) -> None:
    as_nobody("ln", "-s", victims["directory"].parent, shared / "linked")
    as_nobody("ln", "-s", victims["directory"].parent / "new", shared / "dangling")
    before = tree(shared)
    expected = {
        shared / "linked": "a symbolic link",  # a user's link to root's directory
        shared / "dangling": "a symbolic link",  # ... to where root would create one
        shared: "writable by others (mode 1777)",  # the shared directory itself
    }
    for dbpath, problem in expected.items():
        with pytest.raises(SyncDatabaseError) as caught:
            refresh(dbpath)
        assert str(caught.value) == (
            f"cache {dbpath}: {problem}; refusing it (pacman would write through it)"
        )

    assert tree(shared) == before


def test_a_directory_above_the_cache_of_another_user_is_refused(shared: Path) -> None:
    as_nobody("mkdir", shared / "theirs")
    # root's own directories below it: nobody can still rename them away and swap in others
    subprocess.run(["chmod", "0777", shared / "theirs"], check=True)
    dbpath = shared / "theirs" / "cache"
    as_nobody("chmod", "0755", shared / "theirs")
    uid = (shared / "theirs").stat().st_uid

    with pytest.raises(SyncDatabaseError) as caught:
        refresh(dbpath)

    assert str(caught.value) == (
        f"cache {shared}/theirs: owned by uid {uid}, above the cache; refusing it (pacman "
        "would write through it)"
    )


def test_root_after_sudo_e_uses_its_own_cache(
    shared: Path,
    victims: dict[str, Path],
    standard_mirror: Mirror,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`sudo -E kodos plan --refresh`: the user's XDG cache, full of links and a poisoned
    extra.db, is not used, not read and not written."""
    require_tools(*PACMAN_TOOLS)
    mirror = standard_mirror.path.resolve().as_uri()
    xdg = shared / "xdg"
    as_nobody("mkdir", "-p", xdg)
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    monkeypatch.setenv("HOME", str(shared))
    dbpath = user_cache_dir(mirror)
    as_nobody("mkdir", "-p", dbpath / "sync")
    as_nobody("ln", "-s", victims["conf"], dbpath / "pacman.conf")
    as_nobody("ln", "-s", victims["key"], dbpath / "pacman.log")
    as_nobody("cp", "/etc/hostname", dbpath / "sync" / "extra.db")  # a "poisoned" database
    before = tree(shared)

    source = locate_sync_databases(None, sync_dir=None, mirror=mirror, refresh=True, cache_dir=None)

    assert source is not None
    assert source.directory == ROOT_CACHE_DIR / "sync" / dbpath.name / "sync"
    assert tree(shared) == before
    packages = load_sync_databases(source).index.packages
    assert set(packages) == {"core", "extra"} and packages["extra"]  # the mirror's, intact
