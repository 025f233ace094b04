"""The machine lock, contended by a real second process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodos.lock import LockTimeout, lock_path, machine_lock, read_holder

UUID = "5b1e3c1a-8a7e-4e43-9d6c-7c1f0e2f6a10"
REPO = Path(__file__).resolve().parents[1]

# A second kodos: takes the lock, says so, then holds it until told to stop (a line on stdin)
# or killed.
HOLDER = """
import sys
from pathlib import Path
from kodos.lock import machine_lock
with machine_lock(sys.argv[1], timeout=5, command="kodos apply -c /etc/kodos",
                  directory=Path(sys.argv[2])):
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, UUID, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "held\n"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait()


def release(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.write("done\n")
    process.stdin.flush()


def test_the_holder_writes_itself_into_the_file(tmp_path: Path) -> None:
    with machine_lock(UUID, timeout=0, command="kodos rollback 3", directory=tmp_path) as path:
        data = json.loads(path.read_text())
        assert path == tmp_path / f"kodos-{UUID}.lock"
        assert data["pid"] == os.getpid()
        assert data["command"] == "kodos rollback 3"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", data["since"])

    assert path.read_text() == ""  # released: no stale holder details
    with machine_lock(UUID, timeout=0, command="again", directory=tmp_path):
        pass  # free again within the same process


def test_a_second_process_times_out_naming_the_holder(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    started = time.monotonic()

    with (
        pytest.raises(LockTimeout) as caught,
        machine_lock(UUID, timeout=0.3, command="kodos rollback", directory=tmp_path),
    ):
        pytest.fail("the lock was taken twice")

    waited = time.monotonic() - started
    assert 0.3 <= waited < 2
    message = str(caught.value)
    assert re.fullmatch(
        rf"another kodos \(pid {holder.pid}, `kodos apply -c /etc/kodos`, since \d\d:\d\d:\d\d\) "
        r"holds the lock for this machine; waited 0\.3 s",
        message,
    ), message
    assert caught.value.holder.pid == holder.pid


def test_waiting_ends_when_the_holder_lets_go(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    release(holder)

    with machine_lock(UUID, timeout=10, command="kodos rollback", directory=tmp_path) as path:
        assert json.loads(path.read_text())["command"] == "kodos rollback"
    assert holder.wait(5) == 0


def test_a_killed_holder_leaves_no_stale_lock(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait(5)

    with machine_lock(UUID, timeout=0, command="kodos rollback", directory=tmp_path):
        pass


def test_an_unknown_holder_is_still_reported(tmp_path: Path) -> None:
    # Between taking the lock and writing itself, a holder's file is empty (or damaged).
    path = lock_path(UUID, tmp_path)
    path.write_text("not json")
    assert read_holder(path).pid is None
    blocker = subprocess.Popen(
        ["flock", "--exclusive", str(path), "sleep", "30"], stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            probe = subprocess.run(["flock", "--nonblock", str(path), "true"], check=False)
            if probe.returncode != 0:
                break
            time.sleep(0.02)
        with (
            pytest.raises(LockTimeout) as caught,
            machine_lock(UUID, timeout=0, command="kodos rollback", directory=tmp_path),
        ):
            pass
    finally:
        blocker.kill()
        blocker.wait()
    assert str(caught.value) == ("another kodos holds the lock for this machine; waited 0 s")


def test_the_directory_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KODOS_LOCK_DIR", str(tmp_path / "locks"))

    with machine_lock(UUID, timeout=0, command="kodos rollback") as path:
        assert path == tmp_path / "locks" / f"kodos-{UUID}.lock"

    monkeypatch.delenv("KODOS_LOCK_DIR")
    assert lock_path(UUID) == Path(f"/run/lock/kodos-{UUID}.lock")
