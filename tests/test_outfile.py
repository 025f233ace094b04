"""`plan --out` and `facts --out` write only a regular file (atomically) or standard output;
a device, FIFO, socket, directory or link is refused and left exactly as it was."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.privilege import require_root_for

REPO = Path(__file__).resolve().parent.parent
MINIMAL = REPO / "examples" / "minimal"
HINT = "kodos writes only a regular file (or `-` for standard output)"


def kodos(*args: str | Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kodos", *map(str, args)]
    env = {**os.environ, "LC_ALL": "C"}
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False, env=env)


@pytest.fixture
def facts(tmp_path: Path) -> Path:
    (tmp_path / "root").mkdir()
    path = tmp_path / "facts.json"
    assert kodos("facts", "--root", tmp_path / "root", "--out", path).returncode == 0
    return path


def command(name: str, facts: Path, out: Path | str) -> subprocess.CompletedProcess[str]:
    if name == "plan":
        return kodos("plan", "-c", MINIMAL, "--facts", facts, "--out", out)
    return kodos("facts", "--root", facts.parent / "root", "--out", out)


def snapshot(path: Path) -> tuple[object, ...]:
    """What must not change: the kind of node, its device numbers, mode, and what it holds."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        content: object = os.readlink(path)
    elif stat.S_ISDIR(info.st_mode):
        content = sorted(os.listdir(path))
    elif stat.S_ISREG(info.st_mode):
        content = path.read_bytes()
    else:
        content = None
    return (stat.S_IFMT(info.st_mode), info.st_mode, info.st_rdev, info.st_ino, content)


def char_device(path: Path) -> Path:
    require_root_for("mknod of a device node")
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own
    return path


def block_device(path: Path) -> Path:
    require_root_for("mknod of a device node")
    os.mknod(path, 0o660 | stat.S_IFBLK, os.makedev(7, 200))  # a loop device number
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def directory(path: Path) -> Path:
    path.mkdir()
    (path / "kept").write_text("kept\n")
    return path


def unix_socket(path: Path) -> Path:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()
    return path


def link_to(target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        aimed = target(path.with_name(f"{path.name}.target"))
        path.symlink_to(aimed)
        return path

    return make


def regular(path: Path) -> Path:
    path.write_text("a user's file\n")
    return path


VICTIMS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "char-device": (char_device, "a character device"),
    "block-device": (block_device, "a block device"),
    "fifo": (fifo, "a FIFO"),
    "directory": (directory, "a directory"),
    "socket": (unix_socket, "a socket"),
    "link-to-device": (link_to(char_device), "a symbolic link (to {path}.target)"),
    "link-to-fifo": (link_to(fifo), "a symbolic link (to {path}.target)"),
    "link-to-file": (link_to(regular), "a symbolic link (to {path}.target)"),
    "dangling-link": (
        lambda path: (path.symlink_to(path.with_name("nowhere")), path)[1],
        "a symbolic link (to {nowhere})",
    ),
}


def system_if_device(victim: str) -> object:
    """The victims that are device nodes need root (mknod): those cases are `system` tests."""
    marks = pytest.mark.system if "device" in victim else ()
    return pytest.param(victim, id=victim, marks=marks)


@pytest.mark.parametrize("name", ["plan", "facts"])
@pytest.mark.parametrize("victim", [system_if_device(victim) for victim in VICTIMS])
def test_what_is_not_a_regular_file_is_refused(
    victim: str, name: str, facts: Path, tmp_path: Path
) -> None:
    make, what = VICTIMS[victim]
    out = make(tmp_path / "out")
    target = out.with_name("out.target")
    before = snapshot(out), (snapshot(target) if os.path.lexists(target) else None)

    done = command(name, facts, out)

    what = what.format(path=out, nowhere=tmp_path / "nowhere")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"error: --out {out}: {what}; {HINT}\n"
    after = snapshot(out), (snapshot(target) if os.path.lexists(target) else None)
    assert after == before
    assert not (tmp_path / "nowhere").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kodos-")]


@pytest.mark.parametrize("name", ["plan", "facts"])
@pytest.mark.parametrize("out", ["-", "/dev/stdout"])
def test_standard_output_is_streamed_alone(
    name: str, out: str, facts: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "saved.json"
    assert command(name, facts, saved).returncode == 0

    done = command(name, facts, out)

    assert done.returncode == 0, done.stderr
    assert done.stdout == saved.read_text()  # the document alone, as a file would hold it
    json.loads(done.stdout)


@pytest.mark.parametrize("name", ["plan", "facts"])
def test_a_regular_file_is_replaced_atomically(name: str, facts: Path, tmp_path: Path) -> None:
    out = regular(tmp_path / "out.json")
    inode = out.stat().st_ino

    done = command(name, facts, out)

    assert done.returncode == 0, done.stderr
    json.loads(out.read_text())
    assert out.stat().st_ino != inode  # renamed into place, not written in place


@pytest.fixture
def private_dev() -> Iterator[None]:
    require_root_for("a private mount namespace with its own /dev")
    yield


# Inside a private mount namespace: a tmpfs over /dev holding only a null device, then the
# real `/dev/null` path given to --out.
IN_NAMESPACE = """
import os, stat, subprocess, sys
subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "kodos-test-dev", "/dev"], check=True)
os.mknod("/dev/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
before = os.lstat("/dev/null")
done = subprocess.run([sys.executable, "-m", "kodos", *sys.argv[1:]], capture_output=True,
                      text=True)
after = os.lstat("/dev/null")
print(done.returncode, stat.S_ISCHR(after.st_mode), after.st_rdev == before.st_rdev,
      after.st_ino == before.st_ino, os.listdir("/dev"))
print(done.stderr, end="")
"""


@pytest.mark.system
@pytest.mark.parametrize("name", ["plan", "facts"])
def test_the_real_dev_null_is_refused(name: str, facts: Path, private_dev: None) -> None:
    if name == "plan":
        args = ["plan", "-c", str(MINIMAL), "--facts", str(facts), "--out", "/dev/null"]
    else:
        args = ["facts", "--root", str(facts.parent / "root"), "--out", "/dev/null"]

    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", IN_NAMESPACE,
         *args],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "1 True True True ['null']",
        f"error: --out /dev/null: a character device; {HINT}",
    ]
