"""A kodos that has to wait for the machine's lock says so once, naming the holder and how long
it will wait at most, whether the wait ends with the lock or with a timeout; a free lock, or no
wait at all (timeout 0), says nothing. The line comes from the lock itself, so every command
that takes it (apply, rollback, generations delete/gc/repair) says it alike."""

from __future__ import annotations

import re
import subprocess
import threading
from pathlib import Path

import pytest

from kodos.system.lock import LockTimeout, machine_lock
from tests.test_lock import UUID, holder, release

__all__ = ["holder"]  # the fixture, shared with tests/test_lock.py

WAITING = (
    r"kodos: waiting for another kodos \(pid {pid}, `kodos apply -c /etc/kodos`, "
    r"since \d\d:\d\d:\d\d\) to finish \(up to {timeout} s\)\n"
)


def give_up(directory: Path, timeout: float) -> None:
    """Wait for the held lock up to `timeout` seconds, and give up."""
    with (
        pytest.raises(LockTimeout),
        machine_lock(UUID, timeout=timeout, command="kodos rollback", directory=directory),
    ):
        pytest.fail("the lock was taken twice")


def test_a_wait_that_times_out_is_announced_once(
    tmp_path: Path, holder: subprocess.Popen[str], capsys: pytest.CaptureFixture[str]
) -> None:
    give_up(tmp_path, 0.3)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.fullmatch(WAITING.format(pid=holder.pid, timeout=r"0\.3"), captured.err), captured.err


def test_a_wait_that_ends_with_the_lock_is_announced_once(
    tmp_path: Path, holder: subprocess.Popen[str], capsys: pytest.CaptureFixture[str]
) -> None:
    threading.Timer(0.5, release, [holder]).start()  # ten polls and more go by meanwhile
    with machine_lock(UUID, timeout=30, command="kodos rollback", directory=tmp_path):
        pass
    assert re.fullmatch(WAITING.format(pid=holder.pid, timeout="30"), capsys.readouterr().err)


def test_no_wait_says_nothing(
    tmp_path: Path, holder: subprocess.Popen[str], capsys: pytest.CaptureFixture[str]
) -> None:
    give_up(tmp_path, 0)
    release(holder)
    holder.wait(5)
    with machine_lock(UUID, timeout=5, command="kodos rollback", directory=tmp_path):
        pass
    assert capsys.readouterr().err == ""
