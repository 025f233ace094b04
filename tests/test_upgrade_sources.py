"""Where `--upgrade` takes its sync databases from, and what it says when it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.pacman.syncdb import SyncDatabaseError, SyncOrigin, locate_sync_databases
from tests.support.mirror import Mirror
from tests.support.sync import mirror_sync_dir


def test_upgrade_without_an_arch_mirror_says_so(tmp_path: Path) -> None:
    with pytest.raises(SyncDatabaseError) as raised:
        locate_sync_databases(
            tmp_path, sync_dir=None, mirror=None, refresh=False, cache_dir=None, upgrade=True
        )

    assert str(raised.value) == (
        "--upgrade needs an Arch mirror: add one to repos with repos.arch_repo(...)"
    )


def test_a_saved_upgrade_plan_needs_the_databases_its_plan_downloaded(tmp_path: Path) -> None:
    cache = tmp_path / "cache"

    with pytest.raises(SyncDatabaseError) as raised:
        locate_sync_databases(
            None, sync_dir=None, mirror="https://m.example", refresh=False, cache_dir=cache,
            upgrade=True, cached=True,
        )  # fmt: skip

    assert str(raised.value) == (
        f"no sync databases of https://m.example in {cache}/sync: make the plan with "
        "`kodos plan --upgrade` first"
    )


@pytest.mark.system
def test_upgrade_reads_given_databases_or_the_cache_as_it_is(
    standard_mirror: Mirror, tmp_path: Path
) -> None:
    given = mirror_sync_dir(standard_mirror, tmp_path / "given")
    source = locate_sync_databases(
        None, sync_dir=given, mirror=None, refresh=False, cache_dir=None, upgrade=True
    )
    assert source is not None and (source.directory, source.origin) == (given, SyncOrigin.SYNC_DIR)

    cache = tmp_path / "cache"
    mirror = f"file://{standard_mirror.path.resolve()}"
    downloaded = locate_sync_databases(
        None, sync_dir=None, mirror=mirror, refresh=False, cache_dir=cache, upgrade=True
    )
    assert downloaded is not None and downloaded.origin == SyncOrigin.REFRESH
    stamp = (cache / "sync/core.db").stat().st_mtime_ns
    kept = locate_sync_databases(
        None, sync_dir=None, mirror=mirror, refresh=False, cache_dir=cache, upgrade=True,
        cached=True,
    )  # fmt: skip
    assert kept is not None and (kept.directory, kept.origin) == (cache / "sync", SyncOrigin.CACHE)
    assert (cache / "sync/core.db").stat().st_mtime_ns == stamp
