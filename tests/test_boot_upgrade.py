"""The boot proof for the Arch wiki's layout and for an upgrade: an image installed with the ESP
at `/boot` (the kernel and initramfs live on the ESP, the generation's own `/boot` is only a
mount point) boots; then `kodos apply --upgrade` brings the same kernel repackaged at a new
version, and the new generation boots the initramfs built from that package — the proof's
initramfs prints the `linux` version it was built from, its init the one installed in the
booted root — while generation 1's entry and kernel stay as they were.

Two boots (TCG, 10-50 s each here); each boot's time is printed, and the whole proof's."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kodos.system.runner import run
from tests.support.bootable import (
    INITRAMFS_LINE,
    LINUX_LINE,
    Kernel,
    bootable_config,
    linux_package,
)
from tests.support.installing import MTOOLS
from tests.support.mirror import Mirror, copy_mirror, publish
from tests.support.sync import mirror_sync_dir
from tests.test_apply import kodos, write_config
from tests.test_boot import (  # noqa: F401 (fixtures)
    ESP_OFFSET,
    _boot_times_on_the_terminal,
    boot_image,
    booted,
    entry_files,
    kernel,
    kodos_on_image,
    machine,
    mirror,
    say,
)

NEW_RELEASE = "99"


def booted_linux(image: Path, log: Path, label: str) -> tuple[str, str, str]:
    """(generation, the root's linux version, the initramfs's linux version) of one boot."""
    generation, _ = booted(image, log, label)
    text = log.read_text(errors="replace")
    root, initramfs = LINUX_LINE.search(text), INITRAMFS_LINE.search(text)
    assert root and initramfs, f"boot {label}: no linux versions; serial log:\n{text}"
    return generation, root["linux"], initramfs["linux"]


def fstab_of_generation_1(image: Path, work: Path) -> str:
    from tests.support.installing import installed_machine

    with installed_machine(image, work, esp_at="boot") as root:
        return (root / "etc/fstab").read_text()


def esp_file(image: Path, path: str, copy: Path) -> bytes:
    """A file of the image's ESP, copied out with mtools."""
    run(["mcopy", "-o", "-i", f"{image}@@{ESP_OFFSET}", f"::/{path}", str(copy)], env=MTOOLS)
    return copy.read_bytes()


@pytest.mark.system
def test_esp_at_boot_installs_and_boots_and_an_upgraded_kernel_boots_from_its_own_entry(
    mirror: Mirror,  # noqa: F811
    kernel: Kernel,  # noqa: F811
    machine: tuple[Path, Path],  # noqa: F811
) -> None:
    image, work = machine
    started = time.monotonic()
    served = copy_mirror(mirror, work / "mirror")  # the new kernel is published here only
    old = next(pkg for pkg in served.packages if pkg.name == "linux").version
    config = write_config(work, bootable_config(served, esp_mount="/boot"))
    done = kodos(
        "install", "-c", config, "--image", image, "--size", "2G",
        "--sync-dir", mirror_sync_dir(served, work / "sync"), "--siglevel", "Never", "--yes",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    fstab = fstab_of_generation_1(image, work / "fstab")
    assert " /boot  vfat " in fstab and " /efi " not in fstab, fstab
    assert booted_linux(image, work / "1.log", "generation 1 (ESP at /boot)") == ("1", old, old)
    first_initramfs = esp_file(image, "kodos/1/initramfs-linux.img", work / "before.img")

    new = old.rsplit("-", 1)[0] + f"-{NEW_RELEASE}"
    publish(served, [linux_package(kernel, new)])
    said = kodos_on_image(
        image, work / "upgrade", "apply", "-c", config, "--upgrade", "--yes", esp_at="boot"
    )
    assert f'~ pacman.package[linux]\n      version: "{old}" -> "{new}"' in said, said
    assert sorted(entry_files(image)) == ["kodos-1+2-1.conf", "kodos-2+3.conf"]
    assert booted_linux(image, work / "2.log", "generation 2 (upgraded kernel)") == (
        "2",
        new,
        new,
    )
    assert "(subvol=kodos/generations/2)" in (work / "2.log").read_text(errors="replace")
    # systemd-boot counted the try on the entry it booted, generation 2's; 1's is as it was
    assert sorted(entry_files(image)) == ["kodos-1+2-1.conf", "kodos-2+2-1.conf"]
    assert esp_file(image, "kodos/1/initramfs-linux.img", work / "after.img") == first_initramfs
    say(f"whole proof: {time.monotonic() - started:.1f} s")
