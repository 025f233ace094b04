"""`run_guarded(..., meanwhile=...)`: the parent's own work runs while the child works (this is
how `kodos validate` imports its model during the Lua evaluation), and a failure in it still
stops the child."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kodos.lua.guard import run_guarded

MIB = 1024 * 1024


def test_meanwhile_runs_while_the_child_works() -> None:
    def work(emit: Callable[[str], None]) -> int:
        time.sleep(0.5)
        return 7

    started = time.monotonic()
    ran: list[float] = []
    result = run_guarded(
        work,
        wall_seconds=10,
        memory_bytes=256 * MIB,
        on_output=print,
        meanwhile=lambda: (time.sleep(0.5), ran.append(time.monotonic() - started)),
    )
    elapsed = time.monotonic() - started
    assert result == 7
    assert ran and ran[0] >= 0.5
    assert elapsed < 0.95  # one after the other would take a second


def test_a_failing_meanwhile_stops_the_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"

    def work(emit: Callable[[str], None]) -> None:
        pid_file.write_text(str(os.getpid()))
        time.sleep(60)

    def meanwhile() -> None:
        deadline = time.monotonic() + 10
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        raise RuntimeError("meanwhile failed")

    with pytest.raises(RuntimeError, match="meanwhile failed"):
        run_guarded(
            work, wall_seconds=60, memory_bytes=256 * MIB, on_output=print, meanwhile=meanwhile
        )
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left running
        os.kill(int(pid_file.read_text()), 0)
