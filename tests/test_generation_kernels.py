"""A generation's kernel: the packaged one in usr/lib/modules, its copy in /boot, and what
kodos does inside a new snapshot when /boot lacks them (docs/generations.md, "The rule for
/boot")."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.apply.kernel import boot_kernel, place_kernel
from kodos.generations.kernels import (
    BootEntryError,
    BootFiles,
    KernelFiles,
    PackagedKernel,
    booted_kernel,
    find_kernel,
    packaged_kernels,
)
from kodos.system.rootfs import ESP
from tests.support.target import TargetRoot

VERSIONS = {"linux": "6.12.1-arch1-1", "linux-lts": "6.6.63-1-lts", "linux-zen": "6.12.1-zen1"}


def packaged(root: Path, *pkgbases: str) -> Path:
    """`root` with each kernel as its package installs it: usr/lib/modules/VER/{vmlinuz,pkgbase}."""
    for pkgbase in pkgbases:
        modules = root / "usr/lib/modules" / VERSIONS[pkgbase]
        modules.mkdir(parents=True, exist_ok=True)
        (modules / "vmlinuz").write_bytes(f"kernel {pkgbase}".encode())
        (modules / "pkgbase").write_text(f"{pkgbase}\n")
    return root


def in_boot(root: Path, pkgbase: str, image: bytes | None = None) -> None:
    """What mkinitcpio's hook leaves in /boot for `pkgbase` (`image`: another one)."""
    (root / "boot").mkdir(exist_ok=True)
    (root / f"boot/vmlinuz-{pkgbase}").write_bytes(image or f"kernel {pkgbase}".encode())
    (root / f"boot/initramfs-{pkgbase}.img").write_text("initramfs\n")


@pytest.mark.parametrize(
    ("installed", "chosen"),
    [
        (("linux-lts", "linux"), "linux"),  # Arch's default kernel first
        (("linux-zen", "linux-lts"), "linux-lts"),  # else the first by name
        ((), None),
    ],
)
def test_the_kernel_a_generation_boots(
    tmp_path: Path, installed: tuple[str, ...], chosen: str | None
) -> None:
    root = packaged(tmp_path, *installed)
    (root / "usr/lib/modules/6.1.0-extramodules").mkdir(parents=True)  # no kernel there

    kernel = booted_kernel(root)

    assert (kernel.pkgbase if kernel else None) == chosen
    assert [k.pkgbase for k in packaged_kernels(root)] == sorted(installed)


def test_a_current_copy_in_boot_is_the_kernel(tmp_path: Path) -> None:
    root = packaged(tmp_path, "linux")
    in_boot(root, "linux")

    assert find_kernel(root) == KernelFiles(
        "linux", root / "boot/vmlinuz-linux", root / "boot/initramfs-linux.img"
    )


@pytest.mark.parametrize("image", [b"kernel linux 6.11", None])
def test_a_stale_or_missing_copy_cannot_boot(tmp_path: Path, image: bytes | None) -> None:
    root = packaged(tmp_path, "linux")
    if image is not None:
        in_boot(root, "linux", image)

    with pytest.raises(BootEntryError) as caught:
        find_kernel(root)

    assert str(caught.value) == (
        f"{root}/boot/vmlinuz-linux is not the kernel of "
        f"{root}/usr/lib/modules/6.12.1-arch1-1/vmlinuz: this generation cannot boot"
    )


def test_a_pkgbase_that_is_no_package_name_is_refused(tmp_path: Path) -> None:
    root = packaged(tmp_path, "linux")
    (root / "usr/lib/modules/6.12.1-arch1-1/pkgbase").write_text("../../etc\n")

    with pytest.raises(BootEntryError) as caught:
        booted_kernel(root)

    assert str(caught.value) == (
        f"{root}/usr/lib/modules/6.12.1-arch1-1/pkgbase: '../../etc' is not a package name: "
        "this generation's kernel cannot be named"
    )


def test_generation_0_reads_its_boot_on_the_esp(tmp_path: Path) -> None:
    """With the ESP mounted at /boot the running root's /boot files are the ESP's."""
    root, esp = packaged(tmp_path / "root", "linux"), tmp_path / "esp"
    esp.mkdir()
    (esp / "vmlinuz-linux").write_bytes(b"kernel linux")

    files = find_kernel(root, BootFiles(esp, "", ESP))

    assert files == KernelFiles("linux", esp / "vmlinuz-linux", None)
    (esp / "vmlinuz-linux").unlink()
    (esp / "vmlinuz-linux").symlink_to(root / "usr/lib/modules/6.12.1-arch1-1/vmlinuz")
    with pytest.raises(BootEntryError, match="is not the kernel of"):  # a link out of the ESP
        find_kernel(root, BootFiles(esp, "", ESP))


def test_placing_copies_the_image_and_drops_the_stale_initramfs(tmp_path: Path) -> None:
    root = packaged(tmp_path / "root", "linux")
    in_boot(root, "linux", b"kernel linux 6.11")
    host = tmp_path / "host-file"
    host.write_text("host\n")
    (root / "boot/vmlinuz-linux").unlink()
    (root / "boot/vmlinuz-linux").symlink_to(host)  # a link is replaced, never written through

    assert place_kernel(root) == PackagedKernel("linux", "6.12.1-arch1-1")

    assert (root / "boot/vmlinuz-linux").read_bytes() == b"kernel linux"
    assert not (root / "boot/vmlinuz-linux").is_symlink()
    assert not (root / "boot/initramfs-linux.img").exists()
    assert host.read_text() == "host\n"
    assert place_kernel(root) == PackagedKernel("linux", "6.12.1-arch1-1")  # current: untouched


def test_an_empty_boot_is_filled(tmp_path: Path) -> None:
    root = packaged(tmp_path, "linux-lts")

    place_kernel(root)

    assert (root / "boot/vmlinuz-linux-lts").read_bytes() == b"kernel linux-lts"


def test_without_mkinitcpio_a_missing_initramfs_cannot_be_built(tmp_path: Path) -> None:
    root = packaged(tmp_path, "linux")

    with pytest.raises(BootEntryError) as caught:
        boot_kernel(root)

    assert str(caught.value) == (
        f"{root}/boot/initramfs-linux.img is missing and the generation has no "
        "/usr/bin/mkinitcpio to build it for kernel 6.12.1-arch1-1: it cannot boot"
    )


def with_mkinitcpio(target: TargetRoot, script: str) -> Path:
    """The root (with a shell) holding `linux` as packaged and `script` as its mkinitcpio."""
    root = packaged(target.path, "linux")
    mkinitcpio = root / "usr/bin/mkinitcpio"
    mkinitcpio.write_text(script)
    mkinitcpio.chmod(0o755)
    return root


@pytest.mark.system
def test_a_failing_mkinitcpio_fails_the_build(new_root) -> None:  # type: ignore[no-untyped-def]
    script = "#!/bin/sh\necho '==> ERROR: no such hook: nope' >&2\nexit 3\n"
    root = with_mkinitcpio(new_root(), script)

    with pytest.raises(BootEntryError) as caught:
        boot_kernel(root)

    assert str(caught.value) == (
        "`/usr/bin/mkinitcpio -k 6.12.1-arch1-1 -g /boot/initramfs-linux.img` failed in the new "
        "generation with exit code 3: ==> ERROR: no such hook: nope"
    )


@pytest.mark.system
def test_mkinitcpio_builds_a_missing_initramfs_inside_the_generation(new_root) -> None:  # type: ignore[no-untyped-def]
    root = with_mkinitcpio(new_root(), '#!/bin/sh\necho "built for $2" > "$4"\n')

    files = boot_kernel(root)

    assert files.initramfs == root / "boot/initramfs-linux.img"
    assert (root / "boot/initramfs-linux.img").read_text() == "built for 6.12.1-arch1-1\n"
