"""`kodos install` refuses bad input before anything is written, each with one clear line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kodos.system.runner import run
from tests.support.installing import attached_loops, install_config
from tests.support.mirror import Mirror
from tests.test_apply import kodos, kodos_mounts, write_config
from tests.test_disklayout import NOT_A_SIZE, TOO_LARGE, ZERO
from tests.test_install import install, install_mirror, sync_dir

pytestmark = pytest.mark.system

__all__ = ["install_mirror", "sync_dir"]  # module fixtures shared with test_install


def last_line(done: object) -> str:
    return done.stderr.strip().splitlines()[-1]  # type: ignore[attr-defined, no-any-return]


def refused(config: Path, image: Path, sync: Path, *extra: str, size: str = "2G") -> str:
    done = install(config, image, sync, "--yes", *extra, size=size)
    assert done.returncode == 1, done.stdout
    assert kodos_mounts() == [] and str(image) not in attached_loops()
    return last_line(done)


def test_missing_devices_section(install_mirror: Mirror, sync_dir: Path, tmp_path: Path) -> None:
    text = (
        install_config(install_mirror)
        .replace("devices = {", "unused = {")
        .replace('unused = { disk0 = disk.disk_definition("/dev/vda", "64MiB") },', "")
    )
    config = write_config(tmp_path, text)
    assert refused(config, tmp_path / "disk.img", sync_dir) == (
        f"error: {config}/configuration.lua has no devices section: kodos install needs the disk "
        'to install on, e.g. devices = { disk0 = disk.disk_definition("/dev/vda", "4GB") }'
    )
    assert not (tmp_path / "disk.img").exists()


def test_a_kernel_no_repository_has(install_mirror: Mirror, sync_dir: Path, tmp_path: Path) -> None:
    text = install_config(install_mirror).replace('package = "linux"', 'package = "linux-nope"')
    config = write_config(tmp_path, text)
    assert refused(config, tmp_path / "disk.img", sync_dir) == (
        "error: no repository has the kernel package 'linux-nope' (boot.kernel.package; "
        "looked in core, extra); nothing was written"
    )


def test_too_small(install_mirror: Mirror, sync_dir: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path, install_config(install_mirror))
    image = tmp_path / "disk.img"
    assert refused(config, image, sync_dir, size="1G") == (
        f"error: {image} is too small: 1 GiB, the layout needs at least 1.6 GiB (ESP 512 MiB, "
        "swap 64 MiB, root at least 1 GiB); nothing was written"
    )
    assert not image.exists()


def test_a_swap_that_does_not_fit(install_mirror: Mirror, sync_dir: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path, install_config(install_mirror, swap="100GB"))
    image = tmp_path / "disk.img"
    assert refused(config, image, sync_dir) == (
        f"error: {image} is too small: 2 GiB, the layout needs at least 102 GiB (ESP 512 MiB, "
        "swap 100 GiB, root at least 1 GiB); nothing was written"
    )


@pytest.mark.parametrize(
    ("swap", "explanation"),
    [("0GB", ZERO), ("1.5.2GB", NOT_A_SIZE), ("8388608TB", TOO_LARGE)],
)
def test_a_swap_size_no_disk_could_have(
    swap: str, explanation: str, install_mirror: Mirror, sync_dir: Path, tmp_path: Path
) -> None:
    """Refused as `kodos validate` refuses it: at its configuration path, before any check."""
    text = install_config(install_mirror).replace(
        'disk.disk_definition("/dev/vda", "64MiB")',
        f'{{ type = "disk", device = "/dev/vda", swap_size = "{swap}" }}',
    )
    config = write_config(tmp_path, text)
    assert refused(config, tmp_path / "disk.img", sync_dir) == (
        f'error: devices.disk0.swap_size: "{swap}" is not a valid size: {explanation}'
    )
    assert not (tmp_path / "disk.img").exists()


@pytest.mark.parametrize(
    ("size", "explanation"), [("0G", ZERO), ("2X", NOT_A_SIZE), ("8388608T", TOO_LARGE)]
)
def test_an_image_size_no_disk_could_have(
    size: str, explanation: str, install_mirror: Mirror, sync_dir: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path, install_config(install_mirror))
    assert refused(config, tmp_path / "disk.img", sync_dir, size=size) == (
        f"error: --size {size!r} is not a valid size: {explanation}; nothing was written"
    )
    assert not (tmp_path / "disk.img").exists()


def test_a_device_that_does_not_exist(
    install_mirror: Mirror, sync_dir: Path, tmp_path: Path
) -> None:
    text = install_config(install_mirror).replace("/dev/vda", "/dev/kodos-no-such-disk")
    config = write_config(tmp_path, text)
    done = kodos("install", "-c", config, "--sync-dir", sync_dir, "--yes")
    assert done.returncode == 1
    assert last_line(done) == "error: /dev/kodos-no-such-disk does not exist; nothing was written"


@pytest.fixture
def mounted_disk(tmp_path: Path) -> Iterator[str]:
    """A loop device with a partition table and a mounted Btrfs partition."""
    image = tmp_path / "busy.img"
    run(["truncate", "-s", "2G", str(image)])
    run(["sfdisk", "--quiet", "--no-tell-kernel", str(image)], input="label: gpt\ntype=linux\n")
    loop = run(["losetup", "-P", "--show", "-f", str(image)]).stdout.strip()
    mount_point = tmp_path / "busy"
    mount_point.mkdir()
    try:
        run(["partx", "-u", loop])
        run(["mkfs.btrfs", "-q", "-f", f"{loop}p1"])
        run(["mount", f"{loop}p1", str(mount_point)])
        yield loop
    finally:
        run(["umount", str(mount_point)], check=False)
        run(["partx", "-d", loop], check=False)
        run(["losetup", "-d", loop])


def test_a_mounted_device(
    install_mirror: Mirror, sync_dir: Path, tmp_path: Path, mounted_disk: str
) -> None:
    text = install_config(install_mirror).replace("/dev/vda", mounted_disk)
    config = write_config(tmp_path, text)
    done = kodos("install", "-c", config, "--sync-dir", sync_dir, "--yes")
    assert done.returncode == 1
    assert last_line(done) == (
        f"error: {mounted_disk} is in use ({mounted_disk}p1 mounted at {tmp_path / 'busy'}): "
        "unmount it first; nothing was written"
    )
    assert "btrfs" in run(["blkid", "-p", f"{mounted_disk}p1"]).stdout


def test_no_tty_and_no_yes(install_mirror: Mirror, sync_dir: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path, install_config(install_mirror))
    image = tmp_path / "disk.img"
    done = install(config, image, sync_dir)
    assert done.returncode == 1
    assert last_line(done) == (
        "error: kodos install asks for confirmation: run again with --yes; nothing changed"
    )
    assert kodos_mounts() == [] and str(image) not in attached_loops()
    assert not image.exists()  # not even created before the question
