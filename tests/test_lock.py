"""The machine lock, contended by a real second process."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodos.system.lock import (
    DEFAULT_LOCK_DIR,
    LockTimeout,
    UnsafeLockError,
    lock_path,
    machine_lock,
)
from tests.support.privilege import require_root_for

UUID = "5b1e3c1a-8a7e-4e43-9d6c-7c1f0e2f6a10"
REPO = Path(__file__).resolve().parents[1]

# A second kodos: takes the lock, says so, then holds it until told to stop (a line on stdin)
# or killed.
HOLDER = """
import sys
from pathlib import Path
from kodos.system.lock import machine_lock
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


def hold_with_flock(path: Path) -> subprocess.Popen[bytes]:
    """util-linux's flock holding `path` (another program, which writes nothing into it)."""
    blocker = subprocess.Popen(
        ["flock", "--exclusive", str(path), "sleep", "30"], stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        probe = subprocess.run(["flock", "--nonblock", str(path), "true"], check=False)
        if probe.returncode != 0:
            return blocker
        time.sleep(0.02)
    blocker.kill()
    pytest.fail("flock never took the lock")


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json",
        # a dead run's details: a pid that is gone, a plausible command
        '{"pid": 999999, "started": 1, "command": "kodos apply", "since": "2020-01-01T00:00:00+00:00"}',
        # a live process's pid (this test's) but not its start time: pid reuse
        json.dumps({"pid": os.getpid(), "started": 1, "command": "kodos apply", "since": "x"}),
        '{"pid": "1", "command": []}',
    ],
    ids=["empty", "damaged", "dead-pid", "reused-pid", "wrong-types"],
)
def test_the_holder_is_named_from_the_kernel_never_from_stale_content(
    tmp_path: Path, content: str
) -> None:
    # The lock is held by a program that writes nothing; whatever the file says is stale.
    with machine_lock(UUID, timeout=0, command="first", directory=tmp_path) as path:
        pass
    path.write_text(content)
    blocker = hold_with_flock(path)
    try:
        with (
            pytest.raises(LockTimeout) as caught,
            machine_lock(UUID, timeout=0, command="kodos rollback", directory=tmp_path),
        ):
            pass
    finally:
        blocker.kill()
        blocker.wait()
    assert str(caught.value) == (
        f"another kodos (pid {blocker.pid}) holds the lock for this machine; waited 0 s"
    )


def test_the_directory_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KODOS_LOCK_DIR", str(tmp_path / "locks"))

    with machine_lock(UUID, timeout=0, command="kodos rollback") as path:
        assert path == tmp_path / "locks" / f"kodos-{UUID}.lock"

    monkeypatch.delenv("KODOS_LOCK_DIR")
    assert lock_path(UUID) == Path(f"/run/kodos-locks/kodos-{UUID}.lock")


def test_the_lock_is_private_to_its_owner(tmp_path: Path) -> None:
    with machine_lock(UUID, timeout=0, command="kodos rollback", directory=tmp_path / "d") as path:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.system
def test_the_default_directory_is_root_owned_and_private() -> None:
    require_root_for("the default lock directory is under /run")
    with machine_lock(UUID, timeout=5, command="kodos rollback", directory=None) as path:
        assert path.parent == DEFAULT_LOCK_DIR
        info = path.parent.lstat()
        assert stat.S_ISDIR(info.st_mode) and info.st_uid == 0
        assert stat.S_IMODE(info.st_mode) == 0o700


# ---- another user can neither hold nor steer the lock --------------------------------------


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A directory the unprivileged account can write, as it can /tmp (pytest's tmp_path is
    private to root)."""
    require_root_for("an unprivileged account attacks root's lock")
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o1777)
        yield Path(tmp)


def as_nobody(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv],
        capture_output=True,
        text=True,
        check=False,
    )


def victims(base: Path) -> dict[str, Path]:
    """Root's files an attacker would like truncated: a file, a private key, a directory."""
    root_files = base / "root-owned"
    root_files.mkdir()
    file = root_files / "shadow"
    file.write_bytes(b"root:$6$salt$hash:19000::::::\n")
    key = root_files / "id_ed25519"
    key.write_bytes(b"-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n")
    return {"file": file, "key": key, "directory": root_files}


def contents(paths: dict[str, Path]) -> dict[str, object]:
    return {
        name: sorted(os.listdir(path)) if path.is_dir() else path.read_bytes()
        for name, path in paths.items()
    }


@pytest.mark.system
def test_another_user_cannot_hold_the_lock(shared_tmp: Path) -> None:
    locks = shared_tmp / "locks"
    with machine_lock(UUID, timeout=0, command="first", directory=locks) as path:
        pass

    # flock works on a read-only descriptor: the old world-readable file let anyone hold it
    held = as_nobody("flock", "--nonblock", "--shared", str(path), "true")
    assert held.returncode != 0
    assert "Permission denied" in held.stderr
    planted = as_nobody("ln", "-s", "/etc/hostname", str(locks / "kodos-other.lock"))
    assert planted.returncode != 0
    with machine_lock(UUID, timeout=0, command="kodos rollback", directory=locks):
        pass


@pytest.mark.system
@pytest.mark.parametrize("target", ["file", "key", "directory"])
def test_a_link_planted_in_a_shared_directory_is_refused(shared_tmp: Path, target: str) -> None:
    # KODOS_LOCK_DIR pointing at a world-writable directory (as /run/lock and /tmp are): an
    # unprivileged user plants the lock file as a link to root's file before root runs.
    paths = victims(shared_tmp)
    shared = shared_tmp / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    lock = shared / f"kodos-{UUID}.lock"
    planted = as_nobody("ln", "-s", str(paths[target]), str(lock))
    assert planted.returncode == 0, planted.stderr
    before = contents(paths)

    with (
        pytest.raises(UnsafeLockError) as caught,
        machine_lock(UUID, timeout=0, command="kodos rollback", directory=shared),
    ):
        pytest.fail("locked through a shared directory")

    assert str(caught.value) == (
        f"lock directory {shared}: writable by others (mode 1777); refusing it "
        "(use a directory only this user can write)"
    )
    assert contents(paths) == before


@pytest.mark.system
def test_a_directory_of_another_user_is_refused(shared_tmp: Path) -> None:
    paths = victims(shared_tmp)
    theirs = shared_tmp / "theirs"
    made = as_nobody("mkdir", "-m", "0700", str(theirs))
    assert made.returncode == 0, made.stderr
    before = contents(paths)
    nobody = theirs.stat().st_uid

    with (
        pytest.raises(UnsafeLockError) as caught,
        machine_lock(UUID, timeout=0, command="kodos rollback", directory=theirs),
    ):
        pytest.fail("locked in another user's directory")

    assert str(caught.value) == (
        f"lock directory {theirs}: owned by uid {nobody}, not by this user (uid 0); refusing "
        "it (use a directory only this user can write)"
    )
    assert contents(paths) == before
    assert os.listdir(theirs) == []


@pytest.mark.system
@pytest.mark.parametrize("target", ["file", "key", "directory"])
def test_links_as_the_directory_or_the_file_are_refused(shared_tmp: Path, target: str) -> None:
    paths = victims(shared_tmp)
    before = contents(paths)
    # the directory itself a link (made by a user in a shared place)
    linked_dir = shared_tmp / "linked"
    made = as_nobody("ln", "-s", str(paths["directory"]), str(linked_dir))
    assert made.returncode == 0, made.stderr
    with (
        pytest.raises(UnsafeLockError) as caught,
        machine_lock(UUID, timeout=0, command="kodos rollback", directory=linked_dir),
    ):
        pytest.fail("locked through a linked directory")
    assert str(caught.value) == f"lock directory {linked_dir}: a symbolic link; refusing it"

    # the file a link in a private directory (left from before it was private)
    private = shared_tmp / "private"
    private.mkdir(mode=0o700)
    (private / f"kodos-{UUID}.lock").symlink_to(paths[target])
    with (
        pytest.raises(UnsafeLockError) as caught,
        machine_lock(UUID, timeout=0, command="kodos rollback", directory=private),
    ):
        pytest.fail("locked through a linked file")
    assert str(caught.value) == (
        f"lock file {private}/kodos-{UUID}.lock: a symbolic link; refusing it"
    )
    assert contents(paths) == before
