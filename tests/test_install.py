"""`kodos install` for real: partitions, filesystems, pacman, bootctl and mtools on a loop image
built from the synthetic mirror; then the installed generation is planned, applied to and
rolled back like any machine kodos manages. Every refusal comes before anything is written."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kodos.system.runner import run
from tests.support.installing import (
    INSTALL_TOOLS,
    MTOOLS,
    attached_loops,
    build_install_mirror,
    install_config,
    installed_machine,
)
from tests.support.mirror import Mirror
from tests.support.sync import mirror_sync_dir
from tests.support.tools import require_root, require_tools
from tests.test_apply import kodos, kodos_mounts, write_config

pytestmark = pytest.mark.system

DONE = "Installed generation 1 on {image} (ESP written with mtools: this kernel cannot mount vfat); it boots next."
# What the progress view says, in order, as an install passes each step (kodos.steps).
INSTALL_PROGRESS = (
    "partitioned the disk (GPT)",
    "made the filesystems (vfat ESP, swap, Btrfs)",
    "created @home and kodos/generations/1",
    "installed base",
    "installed the kernel, btrfs-progs and firmware",
    "wrote fstab",
    "installed systemd-boot",
    "applied the configuration",
    "verified: generation 1 matches the configuration",
    "wrote the generation record",
    "wrote the boot entry",
    "wrote the index",
    "made generation 1 systemd-boot's default",
    "made it the Btrfs default subvolume",
    "wrote the ESP",
)


@pytest.fixture(scope="module")
def install_mirror(tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    require_tools(*INSTALL_TOOLS)
    require_root()
    return build_install_mirror(tmp_path_factory.mktemp("install-mirror"))


@pytest.fixture(scope="module")
def sync_dir(install_mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mirror_sync_dir(install_mirror, tmp_path_factory.mktemp("install-sync"))


def install(config: Path, image: Path, sync_dir: Path, *extra: str, size: str = "2G", **kw: object):  # type: ignore[no-untyped-def]
    args = ["install", "-c", config, "--image", image, "--size", size, "--sync-dir", sync_dir]
    return kodos(*args, "--siglevel", "Never", *extra, **kw)  # type: ignore[arg-type]


def nothing_left(image: Path) -> None:
    # `losetup -d` of a loop device something still has open only marks it to go when closed:
    # a kodos process of another test that entered its private mount namespace while this
    # image was mounted keeps a copy of that mount until it exits. Give that a few seconds.
    for _ in range(100):
        if str(image) not in attached_loops():
            break
        time.sleep(0.1)
    assert str(image) not in attached_loops()
    assert kodos_mounts() == []


def test_install_plan_apply_rollback(
    install_mirror: Mirror, sync_dir: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path, install_config(install_mirror))
    image = tmp_path / "disk.img"
    done = install(config, image, sync_dir, "--yes")
    assert done.returncode == 0, done.stderr
    assert f"kodos install will ERASE {image} (2 GiB)" in done.stderr
    assert done.stdout.strip() == DONE.format(image=image)
    assert [line for line in done.stderr.splitlines() if "✓" in line] == [
        f"  ✓ {label}" for label in INSTALL_PROGRESS
    ]
    nothing_left(image)
    _check_esp(image)

    with installed_machine(image, tmp_path / "mounted") as root:
        plan = kodos("plan", "-c", config, "--root", root, "--sync-dir", sync_dir)
        assert plan.returncode == 0, plan.stderr
        assert "No changes. The system matches the configuration." in plan.stdout
        fstab = (root / "etc/fstab").read_text()
        assert "subvol=@home" in fstab and "subvol=kodos" not in fstab and " swap " in fstab
        entry = (root / "efi/loader/entries/kodos-1+3.conf").read_text()
        assert "rootflags=subvol=kodos/generations/1" in entry
        loader = (root / "efi/loader/loader.conf").read_text()
        assert "timeout 3" in loader and "default kodos-*" in loader

        changed = install_config(install_mirror).replace('"htop"', '"htop", "git"')
        applied = kodos(
            "apply", "-c", write_config(tmp_path, changed, "changed"), "--root", root, "--yes"
        )
        assert applied.returncode == 0, applied.stderr
        assert "Built generation 2" in applied.stdout
        assert [(g["id"], g["default"]) for g in generations_of(root)] == [(1, False), (2, True)]
        rolled = kodos("rollback", "1", "--root", root)
        assert rolled.returncode == 0, rolled.stderr
        assert [g["id"] for g in generations_of(root) if g["default"]] == [1]
    nothing_left(image)


def generations_of(root: Path) -> list[dict[str, object]]:
    done = kodos("generations", "list", "--root", root, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _check_esp(image: Path) -> None:
    """Read the vfat partition itself, at its offset in the image (sfdisk's 1 MiB)."""
    where = f"{image}@@{1024 * 1024}"
    listing = run(["mdir", "-/", "-b", "-i", where, "::/"], env=MTOOLS).stdout
    for path in (
        "::/EFI/BOOT/BOOTX64.EFI",
        "::/loader/loader.conf",
        "::/loader/entries/kodos-1+3.conf",
        "::/kodos/1/vmlinuz-linux",
        "::/kodos/1/initramfs-linux.img",
    ):
        assert path in listing.splitlines(), listing
    entry = run(["mtype", "-i", where, "::/loader/entries/kodos-1+3.conf"], env=MTOOLS).stdout
    assert "linux      /kodos/1/vmlinuz-linux" in entry


def test_an_interrupted_install_names_its_step_and_can_be_rerun(
    install_mirror: Mirror, sync_dir: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path, install_config(install_mirror, swap=None))
    image = tmp_path / "disk.img"
    fault = {"KODOS_TEST_FAIL_AT": "configure"}
    failed = install(config, image, sync_dir, "--yes", env=fault, faulty=True)
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1] == (
        "error: install failed at step 'configure': injected failure at step 'configure'. "
        "Nothing is left mounted; run kodos install again to start over (the disk is repartitioned)"
    )
    nothing_left(image)
    again = install(config, image, sync_dir, "--yes")
    assert again.returncode == 0, again.stderr
    assert "btrfs" in again.stderr.split("It will create:")[0]  # the old install was shown
    nothing_left(image)
