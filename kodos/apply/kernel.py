"""A new generation's kernel and initramfs in its own /boot, as mkinitcpio's hook leaves them.

A snapshot of a root whose ESP is mounted at `/boot` (the Arch wiki's systemd-boot layout) has
an empty `/boot`: the kernel and initramfs of the running system are on the ESP, not in the
root. And a `/boot` may hold an image older than the packaged kernel (pacman run by hand while
the ESP was mounted there). So the snapshot's `/boot` is brought in step with its own
`usr/lib/modules` (`kodos.generations.kernels`) — what the hook does when pacman installs a
kernel:

* `place_kernel` (right after the snapshot, so `mkinitcpio -P` presets that read
  `/boot/vmlinuz-PKGBASE` work): the packaged image copied to `/boot/vmlinuz-PKGBASE` when
  the one there is not it, and the initramfs beside it, built for the old image, removed.
* `boot_kernel` (at the commit): the same, then a missing initramfs built by the generation's
  own mkinitcpio, chrooted into the snapshot (`mkinitcpio -k VERSION -g
  /boot/initramfs-PKGBASE.img`); without mkinitcpio there it is an error — the kernel needs one.

Everything is written inside the snapshot, never on the ESP: kodos copies the result to
`ESP/kodos/N/` afterwards, so no older generation's files change.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kodos.apply.chroot import program_in_target, run_in_target
from kodos.generations.kernels import (
    BootEntryError,
    KernelFiles,
    PackagedKernel,
    booted_kernel,
    find_kernel,
    image_is_current,
)
from kodos.system.atomic import fsync_directory
from kodos.system.rootfs import checked_in_root, open_in_root
from kodos.system.runner import CommandFailed

MKINITCPIO = "/usr/bin/mkinitcpio"


def place_kernel(target: Path) -> PackagedKernel | None:
    """The generation's packaged kernel image in its /boot (see the module doc); returns the
    kernel, or None when no package installed one (its /boot is then left as it is)."""
    kernel = booted_kernel(target)
    if kernel is None or image_is_current(target, kernel):
        return kernel
    boot = Path(checked_in_root(target, "/boot"))
    boot.mkdir(mode=0o755, exist_ok=True)
    image = Path(checked_in_root(target, kernel.boot_image, follow_last=False))
    temporary = image.with_name(f".{image.name}.kodos")
    temporary.unlink(missing_ok=True)
    with os.fdopen(open_in_root(target, kernel.image), "rb") as reader:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
        with os.fdopen(os.open(temporary, flags, 0o644), "wb") as writer:
            shutil.copyfileobj(reader, writer, 1024 * 1024)
    os.replace(temporary, image)
    # built for the image just replaced (or a link kodos will not write through)
    Path(checked_in_root(target, kernel.boot_initramfs, follow_last=False)).unlink(missing_ok=True)
    fsync_directory(boot)
    return kernel


def boot_kernel(target: Path) -> KernelFiles:
    """The kernel and initramfs the new generation boots, current in its /boot."""
    kernel = place_kernel(target)
    if kernel is not None:
        initramfs = checked_in_root(target, kernel.boot_initramfs)
        if not os.path.lexists(initramfs):
            _build_initramfs(target, kernel)
    return find_kernel(target)


def _build_initramfs(target: Path, kernel: PackagedKernel) -> None:
    if not program_in_target(target, MKINITCPIO):
        raise BootEntryError(
            f"{target}{kernel.boot_initramfs} is missing and the generation has no "
            f"{MKINITCPIO} to build it for kernel {kernel.version}: it cannot boot"
        )
    argv = [MKINITCPIO, "-k", kernel.version, "-g", kernel.boot_initramfs]
    try:
        run_in_target(target, argv, [])
    except CommandFailed as failed:
        raise BootEntryError(
            f"`{' '.join(argv)}` failed in the new generation with exit code "
            f"{failed.exit_code}: {failed.message}"
        ) from None
