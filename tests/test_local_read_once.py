"""Plans made in threads at once each read the local database once, and leave nothing cached:
one thread's block ending never ends another's, nor keeps its answers for the next plan."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kodos.pacman import localdb


def test_blocks_in_threads_that_overlap_leave_no_cache_behind(tmp_path: Path) -> None:
    # A enters, B enters, A leaves, B leaves: the order that once left B's cache in place
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with localdb.local_packages_read_once():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second() -> None:
        a_in.wait(5)
        with localdb.local_packages_read_once():
            localdb.read_local_packages(tmp_path)  # cached in this block only
            b_in.set()
            a_out.wait(5)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert a_out.is_set() and b_in.is_set()
    assert localdb._READ_ONCE.get() is None
    package = tmp_path / "var/lib/pacman/local/htop-3.3.0-1"
    package.mkdir(parents=True)
    (package / "desc").write_text("%NAME%\nhtop\n\n%VERSION%\n3.3.0-1\n\n%REASON%\n0\n\n")
    (tmp_path / "var/lib/pacman/local/ALPM_DB_VERSION").write_text("9\n")
    assert list(localdb.read_local_packages(tmp_path)) == ["htop"]  # read afresh


def test_sync_databases_read_once_parse_the_same_bytes_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.sync import FakeSyncEntry, fake_sync_repo

    parsed: list[Path] = []
    parse = localdb._parse_sync_database

    def counted(db_file: Path, repo: str, raw: bytes) -> dict[str, localdb.SyncPackage]:
        parsed.append(db_file)
        return parse(db_file, repo, raw)

    monkeypatch.setattr(localdb, "_parse_sync_database", counted)

    one, two = tmp_path / "one", tmp_path / "two"
    fake_sync_repo(one, "core", [FakeSyncEntry("htop", "3.3.0-1")])
    fake_sync_repo(two, "core", [FakeSyncEntry("htop", "3.4.0-1")])
    with localdb.sync_databases_read_once():
        first = localdb.read_sync_database(one / "core.db")
        first.clear()  # a caller's copy: the next read is whole
        again = localdb.read_sync_database(one / "core.db")
        assert again["htop"].version == "3.3.0-1"
        assert localdb._SYNC_READ_ONCE.get() is not None
        # other bytes for the same repository are parsed, not taken for the first ones
        assert localdb.read_sync_database(two / "core.db")["htop"].version == "3.4.0-1"
        assert localdb.read_sync_database(one / "core.db")["htop"].version == "3.3.0-1"
    assert parsed == [one / "core.db", two / "core.db", one / "core.db"]
    assert localdb._SYNC_READ_ONCE.get() is None  # nothing kept past the block
    localdb.read_sync_database(one / "core.db")
    assert len(parsed) == 4  # outside a block every read parses
