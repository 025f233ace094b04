"""`kodos.system.background` and `kodos.system.syncfs`: work run in a thread while the caller
goes on — its result or its error handed over, the caller's context carried, the thread
always waited for — and the flushes of a file system done that way (during a block, and
after it)."""

from __future__ import annotations

import threading
from contextvars import ContextVar
from pathlib import Path

import pytest

from kodos.errors import KodosError
from kodos.system.background import Pending, meanwhile
from kodos.system.syncfs import (
    FileSystemSyncError,
    file_systems_synced,
    flushing_meanwhile,
    sync_file_system,
)

SEEN: ContextVar[str] = ContextVar("seen", default="unset")


def test_the_work_runs_in_another_thread_with_the_callers_context() -> None:
    token = SEEN.set("the caller's")
    try:
        pending = Pending(lambda: (SEEN.get(), threading.current_thread().name))
        value, thread = pending.result()
    finally:
        SEEN.reset(token)
    assert value == "the caller's"
    assert thread != threading.current_thread().name


def test_what_the_work_raised_is_raised_by_result() -> None:
    def failing() -> None:
        raise KodosError("the download failed")

    pending = Pending(failing)
    with pytest.raises(KodosError, match=r"^the download failed$"):
        pending.result()


def test_the_blocks_error_wins_and_the_work_is_waited_for() -> None:
    finished = threading.Event()
    release = threading.Event()

    def slow() -> None:
        release.wait(10)
        finished.set()
        raise KodosError("second")

    with pytest.raises(KodosError, match=r"^first$"), meanwhile(slow):
        release.set()
        raise KodosError("first")
    assert finished.is_set()


def test_meanwhile_hands_over_the_result() -> None:
    with meanwhile(lambda: 42) as pending:
        pass
    assert pending.result() == 42


def test_file_systems_are_flushed_while_the_block_runs(tmp_path: Path) -> None:
    ran = []
    with file_systems_synced([tmp_path, tmp_path]):
        ran.append(True)
    sync_file_system(tmp_path)
    assert ran == [True]


def test_a_flush_that_fails_is_a_located_error(tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    with pytest.raises(FileSystemSyncError) as raised, file_systems_synced([tmp_path, missing]):
        pass
    assert str(raised.value) == (
        f"flushing the file system of {missing} to disk failed: No such file or directory"
    )


def test_early_flushes_run_while_the_block_writes_and_stop_with_it(tmp_path: Path) -> None:
    threads = threading.active_count()
    with flushing_meanwhile([tmp_path, tmp_path / "gone"], every=0.01):
        # a flush that fails is left to the flush after the block: nothing raised here
        (tmp_path / "written").write_text("data")
        threading.Event().wait(0.05)
        assert threading.active_count() == threads + 1
    assert threading.active_count() == threads
