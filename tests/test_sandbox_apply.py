"""A configuration that hangs during `kodos apply` on a real Btrfs machine: apply holds the
machine lock while it evaluates, the evaluating child holds no copy of it, the hang ends at the
deadline with a located error and nothing changed, and a kill -9 of kodos takes the child
with it — the next apply gets the lock at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.btrfs import BtrfsMachine
from tests.test_apply import FIRST, REPO, apply, generations, kodos_mounts, state, write_config

pytestmark = pytest.mark.system

HUNG = "setmetatable({}, { __gc = function() while true do end end })\n" + FIRST


def test_a_hung_configuration_ends_at_the_deadline_and_changes_nothing(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    assert apply(btrfs_machine, write_config(tmp_path, FIRST)).returncode == 0
    before = state(btrfs_machine)
    config = write_config(tmp_path, HUNG, "hung")
    started = time.monotonic()
    done = apply(btrfs_machine, config)
    assert time.monotonic() - started < 30
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        f"error: {config}/configuration.lua: evaluation stopped after 10 seconds; "
        "is there an endless loop?"
    )
    assert state(btrfs_machine) == before
    assert kodos_mounts() == []
    second = write_config(tmp_path, FIRST.replace('"first"', '"second"'), "second")
    assert apply(btrfs_machine, second).returncode == 0
    assert [g["id"] for g in generations(btrfs_machine)] == [0, 1, 2]


def test_the_child_holds_no_lock_and_dies_with_kodos(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    config = write_config(tmp_path, HUNG, "hung")
    argv = [sys.executable, "-m", "kodos", "apply", "-c", str(config), "--yes", "--root"]
    process = subprocess.Popen(
        [*argv, str(btrfs_machine.root)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        child = _child_of(process.pid)
        parent_files = _open_files(process.pid)
        child_files = _open_files(child)
        assert any(name.endswith(".lock") for name in parent_files)  # apply holds the lock
        assert not any(name.endswith(".lock") for name in child_files)
        assert set(child_files) <= {"/dev/null"} | {f for f in child_files if f.startswith("pipe:")}
        process.send_signal(signal.SIGKILL)
        process.wait()
        _wait_until_gone(child)
    finally:
        process.kill()
        process.wait()
    done = apply(btrfs_machine, write_config(tmp_path, FIRST), "--lock-timeout", "1")
    assert done.returncode == 0, done.stderr


def _child_of(pid: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for task in os.listdir(f"/proc/{pid}/task"):
            for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
                # a fork runs kodos's interpreter; the tools kodos runs are other programs
                # (and a fork about to exec one runs it too, briefly: the evaluator stays)
                if _program(int(child)) == _program(pid):
                    time.sleep(1)
                    if _program(int(child)) == _program(pid):
                        return int(child)
        time.sleep(0.05)
    raise AssertionError("kodos started no evaluating child")


def _program(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except FileNotFoundError:
        return None


def _open_files(pid: int) -> list[str]:
    directory = Path(f"/proc/{pid}/fd")
    return [os.readlink(directory / fd) for fd in os.listdir(directory)]


def _wait_until_gone(pid: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return
        if status == "Z":
            return
        time.sleep(0.05)
    raise AssertionError(f"the evaluating child {pid} outlived kodos")
