"""`kodos install --image` never harms an existing file or a device in use (issue 17.7).

Nothing is created, resized, attached or written before the confirmation; an image that is
attached to a loop device (by any name), mounted (through its loop device, or the file itself
bind-mounted), not a regular file, or that `--size` would shrink is refused with one line; a
disk that is mounted, active swap, or held open exclusively is refused. After each refusal the
victim is byte-identical where it was written to (markers at its start, middle and end), the
same size, and nothing is left attached.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kodos.system.runner import run
from tests.support.installing import install_config
from tests.support.mirror import Mirror
from tests.test_apply import REPO, write_config
from tests.test_install import install, install_mirror, sync_dir
from tests.test_install_refusals import last_line

pytestmark = pytest.mark.system

__all__ = ["install_mirror", "sync_dir"]  # module fixtures shared with test_install

GIB = 1024**3
MARK = b"KODOS-VICTIM-DATA"


def victim(path: Path, size: int) -> Path:
    """A sparse file of `size` bytes with a marker at its start, middle and end."""
    with path.open("wb") as stream:
        stream.truncate(size)
        for offset in _marks(size):
            stream.seek(offset)
            stream.write(MARK)
    return path


def _marks(size: int) -> list[int]:
    return [0, size // 2, size - len(MARK)]


def intact(path: Path, size: int) -> bool:
    if path.stat().st_size != size:
        return False
    with path.open("rb") as stream:
        for offset in _marks(size):
            stream.seek(offset)
            if stream.read(len(MARK)) != MARK:
                return False
    return True


def loops_of(image: Path) -> str:
    return run(["losetup", "-j", str(image)]).stdout.strip()


@pytest.fixture
def config(install_mirror: Mirror, tmp_path: Path) -> Path:
    return write_config(tmp_path, install_config(install_mirror))


@pytest.mark.parametrize("existing", [3 * GIB, 2 * GIB + 1, 4 * GIB])
def test_an_image_that_would_shrink_is_refused(
    config: Path, sync_dir: Path, tmp_path: Path, existing: int
) -> None:
    from kodos.disklayout import human

    image = victim(tmp_path / "disk.img", existing)
    done = install(config, image, sync_dir, "--yes", size="2G")

    assert done.returncode == 1
    assert last_line(done) == (
        f"error: {image} is {human(existing)}: --size 2G would shrink it to 2 GiB; give a "
        f"--size of at least {human(existing)} or another file; nothing was written"
    )
    assert intact(image, existing) and loops_of(image) == ""


def _answer(argv: list[str], answer: str) -> tuple[int, str]:
    """Run `argv` with a terminal on stdin, typing `answer` at the question."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        argv, stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO
    )
    os.close(terminal)
    os.write(controller, answer.encode() + b"\n")
    out, err = process.communicate(timeout=120)
    os.close(controller)
    return process.returncode, (out + err).decode()


@pytest.mark.parametrize("answer", ["no", "", "YES"])
def test_declining_leaves_an_existing_image_as_it_was(
    config: Path, sync_dir: Path, tmp_path: Path, answer: str
) -> None:
    image = victim(tmp_path / "disk.img", GIB + GIB // 2)  # --size 2G would grow it
    argv = [sys.executable, "-m", "kodos", "install", "-c", str(config), "--image", str(image)]
    argv += ["--size", "2G", "--sync-dir", str(sync_dir), "--siglevel", "Never"]

    code, output = _answer(argv, answer)

    assert code == 1
    assert output.strip().splitlines()[-1] == ("error: not confirmed: nothing changed")
    assert f"kodos install will ERASE {image} (2 GiB)" in " ".join(output.split())
    assert intact(image, GIB + GIB // 2) and loops_of(image) == ""


def test_the_question_shows_what_is_in_the_image_file(
    config: Path, sync_dir: Path, tmp_path: Path
) -> None:
    image = victim(tmp_path / "disk.img", 2 * GIB)
    with attached(image, partition_and_mount=tmp_path / "fs") as loop:
        run(["btrfs", "filesystem", "label", str(tmp_path / "fs"), "precious"])
        assert loop
    head = _first_mb(image)
    argv = [sys.executable, "-m", "kodos", "install", "-c", str(config), "--image", str(image)]
    argv += ["--size", "2G", "--sync-dir", str(sync_dir), "--siglevel", "Never"]

    code, output = _answer(argv, "no")

    assert code == 1, output
    assert f"{image}1 2.0 GiB btrfs label precious" in " ".join(output.split()), output
    assert _first_mb(image) == head and loops_of(image) == ""


def test_declining_creates_no_new_image(config: Path, sync_dir: Path, tmp_path: Path) -> None:
    image = tmp_path / "new" / "disk.img"
    argv = [sys.executable, "-m", "kodos", "install", "-c", str(config), "--image", str(image)]
    argv += ["--size", "2G", "--sync-dir", str(sync_dir), "--siglevel", "Never"]
    code, output = _answer(argv, "no")
    assert code == 1, output
    assert "(no partition table and no filesystem)" in output
    assert not image.parent.exists()


@contextmanager
def attached(image: Path, *, partition_and_mount: Path | None = None) -> Iterator[str]:
    loop = run(["losetup", "-P", "--show", "-f", str(image)]).stdout.strip()
    try:
        if partition_and_mount is not None:
            run(["sfdisk", "--quiet", loop], input="label: gpt\ntype=linux\n")
            run(["partx", "-u", loop])
            run(["mkfs.btrfs", "-q", "-f", f"{loop}p1"])
            partition_and_mount.mkdir()
            run(["mount", f"{loop}p1", str(partition_and_mount)])
        yield loop
    finally:
        if partition_and_mount is not None:
            run(["umount", str(partition_and_mount)], check=False)
            run(["partx", "-d", loop], check=False)
        run(["losetup", "-d", loop])


def _first_mb(path: Path) -> bytes:
    with path.open("rb") as stream:
        return stream.read(1 << 20)


def test_an_attached_image_is_refused(config: Path, sync_dir: Path, tmp_path: Path) -> None:
    image = victim(tmp_path / "disk.img", 2 * GIB)
    with attached(image) as loop:
        done = install(config, image, sync_dir, "--yes")
        assert last_line(done) == (
            f"error: {image} is in use (attached to {loop}): unmount and detach it first; "
            "nothing was written"
        )
    assert done.returncode == 1 and intact(image, 2 * GIB)


def test_an_image_attached_and_mounted_is_refused(
    config: Path, sync_dir: Path, tmp_path: Path
) -> None:
    image = victim(tmp_path / "disk.img", 2 * GIB)
    mount_point = tmp_path / "mounted"
    with attached(image, partition_and_mount=mount_point) as loop:
        (mount_point / "precious").write_text("user data\n")
        head = _first_mb(image)
        done = install(config, image, sync_dir, "--yes")
        assert last_line(done) == (
            f"error: {image} is in use (attached to {loop}, {loop}p1 mounted at {mount_point}): "
            "unmount and detach it first; nothing was written"
        )
        assert (mount_point / "precious").read_text() == "user data\n"
        assert _first_mb(image) == head
    assert done.returncode == 1


def test_an_image_attached_under_another_name_is_refused(
    config: Path, sync_dir: Path, tmp_path: Path
) -> None:
    """Matched by device and inode: a hard link, a symlink, a rename since attaching."""
    image = victim(tmp_path / "disk.img", 2 * GIB)
    with attached(image) as loop:
        linked = tmp_path / "hard.img"
        os.link(image, linked)
        symlinked = tmp_path / "soft.img"
        symlinked.symlink_to(image)
        for other in (linked, symlinked):
            done = install(config, other, sync_dir, "--yes")
            assert last_line(done) == (
                f"error: {other} is in use (attached to {loop}): unmount and detach it first; "
                "nothing was written"
            )
        renamed = tmp_path / "renamed.img"
        linked.unlink()
        image.rename(renamed)
        done = install(config, renamed, sync_dir, "--yes")
        assert f"is in use (attached to {loop})" in last_line(done)
        assert intact(renamed, 2 * GIB)


def test_a_bind_mounted_image_is_refused(config: Path, sync_dir: Path, tmp_path: Path) -> None:
    image = victim(tmp_path / "disk.img", 2 * GIB)
    target = tmp_path / "elsewhere.img"
    target.touch()
    run(["mount", "--bind", str(image), str(target)])
    try:
        done = install(config, image, sync_dir, "--yes")
    finally:
        run(["umount", str(target)])
    assert last_line(done) == (
        f"error: {image} is in use (mounted at {target}): unmount and detach it first; "
        "nothing was written"
    )
    assert intact(image, 2 * GIB)


def test_what_is_not_a_regular_file_is_refused(
    config: Path, sync_dir: Path, tmp_path: Path
) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    backing = victim(tmp_path / "backing.img", 2 * GIB)
    with attached(backing) as loop:
        device_link = tmp_path / "device.img"
        device_link.symlink_to(loop)
        for path in (directory, device_link, Path(loop)):
            done = install(config, path, sync_dir, "--yes")
            assert last_line(done) == (
                f"error: {path} is not a regular file: --image takes an image file (a disk is "
                "named in the configuration's devices); nothing was written"
            )
    assert intact(backing, 2 * GIB)


# ---- a disk device in use --------------------------------------------------------------------


@contextmanager
def partitioned_loop(image: Path) -> Iterator[str]:
    run(["sfdisk", "--quiet", str(image)], input="label: gpt\nsize=512MiB, type=swap\ntype=linux\n")
    loop = run(["losetup", "-P", "--show", "-f", str(image)]).stdout.strip()
    try:
        run(["partx", "-u", loop])
        yield loop
    finally:
        run(["partx", "-d", loop], check=False)
        run(["losetup", "-d", loop])


def _install_on(device: str, install_mirror: Mirror, sync: Path, tmp_path: Path) -> str:
    text = install_config(install_mirror).replace("/dev/vda", device)
    config = write_config(tmp_path, text, "disk-config")
    argv = [sys.executable, "-m", "kodos", "install", "-c", str(config), "--sync-dir", str(sync)]
    done = subprocess.run(
        [*argv, "--siglevel", "Never", "--yes"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout
    return last_line(done)


def test_a_disk_with_active_swap_is_refused(
    install_mirror: Mirror, sync_dir: Path, tmp_path: Path
) -> None:
    image = victim(tmp_path / "disk.img", 2 * GIB)
    with partitioned_loop(image) as loop:
        run(["mkswap", "-q", f"{loop}p1"])
        run(["swapon", f"{loop}p1"])
        try:
            line = _install_on(loop, install_mirror, sync_dir, tmp_path)
        finally:
            run(["swapoff", f"{loop}p1"])
        assert line == (
            f"error: {loop} is in use ({loop}p1 is active swap): unmount it first; "
            "nothing was written"
        )


def test_a_disk_held_open_exclusively_is_refused(
    install_mirror: Mirror, sync_dir: Path, tmp_path: Path
) -> None:
    """Not in the mount table, not swap: a program (mkfs, device-mapper, RAID) holds it."""
    image = victim(tmp_path / "disk.img", 2 * GIB)
    with partitioned_loop(image) as loop:
        for held in (loop, f"{loop}p2"):
            fd = os.open(held, os.O_RDONLY | os.O_EXCL)
            try:
                line = _install_on(loop, install_mirror, sync_dir, tmp_path)
            finally:
                os.close(fd)
            assert line == (
                f"error: {loop} is in use (held exclusively, e.g. by device-mapper, RAID or a "
                "running program): stop using it first; nothing was written"
            )
        with open(image, "rb") as stream:
            table = stream.read(34 * 512)
        assert b"EFI PART" in table  # the partition table is still there
