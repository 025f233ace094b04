"""Real Btrfs machines on loop images, for tests of apply, generations and rollback.

`btrfs_machine(tmp_path, mirror)` builds, in about a second:

    tmp/disk.img          sparse GPT image: p1 ESP (unformatted), p2 Btrfs root
    top level             @ (the managed root) and @home
    tmp/machine           @ mounted: a pacman root with `base` from `mirror`, its own
                          etc/pacman.conf pointing at the mirror (so kodos's applier can use
                          the target's configuration) — what tests pass as `--root`
    tmp/machine/home      @home mounted
    tmp/esp               the ESP's content, bind-mounted at tmp/machine/efi with systemd-boot
                          installed by the real bootctl

The ESP is a directory, not the vfat partition: these kernels have no vfat. bootctl accepts it
with `SYSTEMD_RELAX_ESP_CHECKS=1` once it is a mount point (a plain directory is "not the root
of the file system"). Keeping it outside @ is what a real machine does: snapshots of @ never
carry the ESP.

Teardown, also when the test fails: unmount everything under tmp and everything from the loop
device (a test may leak a mount elsewhere), innermost first, then `partx -d`, then
`losetup -d` — detaching with partitions still known leaves stale ones on the next use of that
loop number. A mount that will not go away fails the test instead of being hidden.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from kodos.system.btrfs import Filesystem, filesystem_uuid
from kodos.system.runner import CommandFailed, run
from tests.support.mirror import Mirror, write_pacman_conf
from tests.support.target import TargetRoot, make_root
from tests.support.tools import require_root, require_tools

BTRFS_TOOLS = ("btrfs", "mkfs.btrfs", "losetup", "partx", "sfdisk", "findmnt", "bootctl")

# sfdisk script: a 64 MiB EFI system partition, then Linux filesystem for the rest.
PARTITIONS = "label: gpt\nsize=64MiB, type=uefi, name=esp\ntype=linux, name=root\n"
SUBVOLUMES = ("@", "@home")
BOOTCTL_ENV = {"SYSTEMD_RELAX_ESP_CHECKS": "1", "SYSTEMD_LOG_LEVEL": "err"}


@dataclass(frozen=True)
class BtrfsMachine:
    """A machine on a loop image, mounted under a test's tmp directory (see the module doc)."""

    image: Path
    loop: str
    """The loop device, `/dev/loopN`; its partitions are `{loop}p1` (ESP) and `{loop}p2`."""
    fs: Filesystem
    root: Path
    """`@` mounted: the managed root, `--root` for kodos."""
    home: Path
    esp: Path | None
    """`root/efi` (or where `esp_at` put it) with systemd-boot installed; None when built with
    `esp=False`."""
    target: TargetRoot
    """pacman on `root`, with the root's own `etc/pacman.conf`."""

    @property
    def esp_partition(self) -> str:
        return f"{self.loop}p1"


@contextmanager
def btrfs_machine(
    tmp_path: Path, mirror: Mirror, *, size: str = "2G", esp: bool = True, esp_at: str = "efi"
) -> Iterator[BtrfsMachine]:
    """Build a machine under `tmp_path` for the body, and take it all down afterwards; its
    ESP mounted at `esp_at` in the root (`efi`, `boot/efi`, or `boot`, Arch's usual)."""
    image = tmp_path / "disk.img"
    with ExitStack() as stack:
        loop = _attach(image, size)
        # Callbacks run last-registered first: unmount, then forget partitions, then detach.
        stack.callback(run, ["losetup", "-d", loop])
        stack.callback(_forget_partitions, loop)
        stack.callback(unmount_all, tmp_path, loop)
        fs = _make_filesystem(f"{loop}p2", tmp_path / "top")
        root, home = _mount_root(fs, tmp_path / "machine")
        target = _install_base(root, mirror)
        efi = _install_esp(tmp_path / "esp", root / esp_at) if esp else None
        yield BtrfsMachine(image, loop, fs, root, home, efi, target)


def _attach(image: Path, size: str) -> str:
    run(["truncate", "-s", size, str(image)])
    # --no-tell-kernel: an image file has no partitions to re-read, and sfdisk's attempt
    # (sync, then a sleep) costs a quarter of a second.
    run(["sfdisk", "--quiet", "--no-tell-kernel", str(image)], input=PARTITIONS)
    loop = run(["losetup", "-P", "--show", "-f", str(image)]).stdout.strip()
    try:
        # No udev here: partx makes the kernel (and devtmpfs) create {loop}p1, {loop}p2.
        run(["partx", "-u", loop])
    except CommandFailed:
        run(["losetup", "-d", loop])
        raise
    return loop


def _forget_partitions(loop: str, attempts: int = 50) -> None:
    """`partx -d`, retried for up to ten seconds: a process killed by the test (or a lazy
    unmount) can hold a partition for a moment after it is gone, and any process that entered
    a private mount namespace while the machine was mounted holds its copy of the mounts
    until it exits."""
    for attempt in range(attempts):
        try:
            run(["partx", "-d", loop])
            return
        except CommandFailed:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2)


def _make_filesystem(device: str, top: Path) -> Filesystem:
    run(["mkfs.btrfs", "-q", "-f", device])
    top.mkdir()
    run(["mount", "-o", "subvolid=5", device, str(top)])
    try:
        for name in SUBVOLUMES:
            run(["btrfs", "subvolume", "create", str(top / name)])
    finally:
        run(["umount", str(top)])
        top.rmdir()
    return Filesystem(device=device, uuid=filesystem_uuid(device))


def _mount_root(fs: Filesystem, root: Path) -> tuple[Path, Path]:
    root.mkdir()
    run(["mount", "-o", "subvol=@", fs.device, str(root)])
    home = root / "home"
    home.mkdir()
    run(["mount", "-o", "subvol=@home", fs.device, str(home)])
    return root, home


def _install_base(root: Path, mirror: Mirror) -> TargetRoot:
    make_root(root)
    target = TargetRoot(path=root, conf=write_pacman_conf(root / "etc/pacman.conf", mirror))
    target.install("base")
    return target


def _install_esp(content: Path, esp: Path) -> Path:
    content.mkdir()
    esp.mkdir(parents=True, exist_ok=True)
    run(["mount", "--bind", str(content), str(esp)])
    bootctl = ["bootctl", f"--esp-path={esp}", "--no-variables", "--no-pager", "install"]
    run(bootctl, env=BOOTCTL_ENV)
    return esp


def mounts_under(directory: Path, device_prefix: str = "") -> list[Path]:
    """Mount points below `directory`, or of a device starting with `device_prefix`, in the
    kernel's mount order."""
    done = run(["findmnt", "--json", "--list", "-v", "-o", "TARGET,SOURCE"])
    rows = json.loads(done.stdout or '{"filesystems": []}')["filesystems"]
    base = directory.resolve()
    return [
        Path(row["target"])
        for row in rows
        if Path(row["target"]).is_relative_to(base)
        or (device_prefix and str(row.get("source") or "").startswith(device_prefix))
    ]


def unmount_all(directory: Path, loop: str) -> None:
    """Unmount everything under `directory` or from `loop`'s partitions, newest first.

    A mount still busy is detached lazily so the loop device can go, and the teardown then
    fails: something in the test kept a file open in it."""
    busy: list[str] = []
    for target in reversed(mounts_under(directory, f"{loop}p")):
        try:
            run(["umount", str(target)])
        except CommandFailed as err:
            run(["umount", "--lazy", str(target)])
            busy.append(f"{target}: {err}")
    if busy:
        raise AssertionError("mounts were busy at teardown:\n" + "\n".join(busy))


def attached_loops(image: Path) -> str:
    """`losetup -j IMAGE`: the loop devices still attached to `image` (empty when none)."""
    return run(["losetup", "-j", str(image)]).stdout.strip()


@pytest.fixture(name="btrfs_machine")
def btrfs_machine_fixture(tmp_path: Path, standard_mirror: Mirror) -> Iterator[BtrfsMachine]:
    """A fresh `BtrfsMachine` per test, with `base` from the standard mirror."""
    require_tools(*BTRFS_TOOLS)
    require_root()
    with btrfs_machine(tmp_path, standard_mirror) as machine:
        yield machine
