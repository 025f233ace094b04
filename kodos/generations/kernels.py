"""A generation's kernel: the one its packages installed, and the copy in its /boot it boots.

On Arch a kernel package ships only `usr/lib/modules/VER/vmlinuz` and `.../pkgbase`; mkinitcpio's
pacman hook copies the image to `/boot/vmlinuz-PKGBASE` and builds `/boot/initramfs-PKGBASE.img`.
So the truth about a generation's kernel is its own `usr/lib/modules`, and `/boot` holds a copy
that is current or not:

* The kernel a generation boots is the packaged one named `linux` (Arch's default), else the
  first by name. Its `/boot/vmlinuz-PKGBASE` counts only when it is byte for byte the packaged
  image (a snapshot of a root whose ESP is mounted at `/boot` has an empty `/boot`, or one left
  from an older kernel); the initramfs beside a current image is taken as built for it, as
  the hook builds both together. `kodos.apply.kernel` puts them there when they are not.
* A generation with no packaged kernel (one built and installed by hand) boots what its /boot
  holds: `vmlinuz-linux`, else the first `vmlinuz-*` by name.
* Generation 0 is the running root: with the ESP mounted at `/boot`, its `/boot` files are
  the ESP's, read as files of the ESP (`BootFiles`), never through a link out of it.

Only regular files count (a kernel linked to a device is no kernel), every link resolved inside
the root it belongs to (`kodos.system.rootfs`).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import NamedTuple

from kodos.errors import KodosError, ReadError
from kodos.system.rootfs import (
    GENERATION,
    UnsafePath,
    checked_in_root,
    is_file_in_root,
    open_in_root,
    read_text_in_root,
)

MODULES_DIR = "/usr/lib/modules"
PREFERRED_KERNEL = "linux"
# Arch's package names (PKGBUILD(5)); a pkgbase file holding anything else is refused.
_PACKAGE_NAME = r"[a-z0-9@_+][a-z0-9@._+-]*"


class BootEntryError(KodosError):
    """A boot entry, its kernel or loader.conf could not be written or read."""


class KernelFiles(NamedTuple):
    """A generation's kernel (`linux` for `/boot/vmlinuz-linux`) and its image and initramfs,
    as host paths: regular files, every link on the way resolved in their root."""

    name: str
    vmlinuz: Path
    initramfs: Path | None


class PackagedKernel(NamedTuple):
    """A kernel as its package installed it: `usr/lib/modules/VERSION/{vmlinuz,pkgbase}`."""

    pkgbase: str
    version: str

    @property
    def image(self) -> str:
        return f"{MODULES_DIR}/{self.version}/vmlinuz"

    @property
    def boot_image(self) -> str:
        """Where mkinitcpio's hook copies it: `/boot/vmlinuz-PKGBASE`."""
        return f"/boot/vmlinuz-{self.pkgbase}"

    @property
    def boot_initramfs(self) -> str:
        return f"/boot/initramfs-{self.pkgbase}.img"


class BootFiles(NamedTuple):
    """Where a generation's `/boot/NAME` is: `root` + `prefix` + NAME, checked as `where`
    (the generation itself, or the ESP when generation 0's /boot is the ESP)."""

    root: Path
    prefix: str = "/boot"
    where: str = GENERATION

    def path(self, boot_path: str) -> str:
        """`/boot/vmlinuz-linux` → the path to check inside `root`."""
        return self.prefix + boot_path.removeprefix("/boot")


def packaged_kernels(root: Path) -> list[PackagedKernel]:
    """Every kernel a package installed in `root`, by pkgbase: a `usr/lib/modules/VERSION`
    holding the regular files `vmlinuz` and `pkgbase` (directories left with only extra
    modules are no kernel)."""
    try:
        modules = Path(checked_in_root(root, MODULES_DIR))
        versions = sorted(p.name for p in modules.iterdir() if not p.name.startswith("."))
    except (FileNotFoundError, NotADirectoryError, UnsafePath, ReadError):
        return []
    found = []
    for version in versions:
        base = f"{MODULES_DIR}/{version}"
        files = (f"{base}/vmlinuz", f"{base}/pkgbase")
        if not all(is_file_in_root(root, path) for path in files):
            continue
        try:
            pkgbase = read_text_in_root(root, f"{base}/pkgbase").strip()
        except (OSError, UnicodeDecodeError):
            pkgbase = ""
        if not re.fullmatch(_PACKAGE_NAME, pkgbase):
            raise BootEntryError(
                f"{root}{base}/pkgbase: {pkgbase!r} is not a package name: "
                "this generation's kernel cannot be named"
            )
        found.append(PackagedKernel(pkgbase, version))
    return sorted(found)


def booted_kernel(root: Path) -> PackagedKernel | None:
    """The packaged kernel a generation's entry boots: `linux` when installed, else the
    first by pkgbase; None when no package installed a kernel."""
    kernels = packaged_kernels(root)
    preferred = [k for k in kernels if k.pkgbase == PREFERRED_KERNEL]
    chosen = preferred or kernels
    return chosen[0] if chosen else None


def find_kernel(generation_root: Path, boot: BootFiles | None = None) -> KernelFiles:
    """The kernel and initramfs the generation boots (see the module's rules); `boot` says
    where its /boot files are when not inside `generation_root`. No kernel, or a /boot whose
    image is not the packaged kernel, is an error: such a generation cannot boot."""
    boot = boot or BootFiles(generation_root)
    packaged = booted_kernel(generation_root)
    if packaged is None:
        return _kernel_by_hand(generation_root, boot)
    if not image_is_current(generation_root, packaged, boot):
        raise BootEntryError(
            f"{boot.root}{boot.path(packaged.boot_image)} is not the kernel of "
            f"{generation_root}{packaged.image}: this generation cannot boot"
        )
    return _kernel_files(packaged.pkgbase, boot)


def image_is_current(root: Path, kernel: PackagedKernel, boot: BootFiles | None = None) -> bool:
    """Whether /boot's `vmlinuz-PKGBASE` is a regular file byte for byte the packaged image."""
    boot = boot or BootFiles(root)
    if not is_file_in_root(boot.root, boot.path(kernel.boot_image), where=boot.where):
        return False
    copied = _digest(boot.root, boot.path(kernel.boot_image), boot.where)
    return copied == _digest(root, kernel.image, GENERATION)


def kernel_name(files: KernelFiles) -> str:
    """The kernel's name as its files are named: `linux` for `vmlinuz-linux`."""
    return files.name


def _kernel_by_hand(generation_root: Path, boot: BootFiles) -> KernelFiles:
    directory = Path(checked_in_root(boot.root, boot.prefix or "/", where=boot.where))
    listed = sorted(p.name for p in directory.glob("vmlinuz-*"))
    kernels = [
        name
        for name in listed
        if is_file_in_root(boot.root, f"{boot.prefix}/{name}", where=boot.where)
    ]
    if not kernels:
        raise BootEntryError(
            f"{generation_root / 'boot'}: no kernel (vmlinuz-*): this generation cannot boot"
        )
    preferred = f"vmlinuz-{PREFERRED_KERNEL}"
    name = (preferred if preferred in kernels else kernels[0]).removeprefix("vmlinuz-")
    return _kernel_files(name, boot)


def _kernel_files(name: str, boot: BootFiles) -> KernelFiles:
    vmlinuz = Path(checked_in_root(boot.root, boot.path(f"/boot/vmlinuz-{name}"), where=boot.where))
    initramfs = boot.path(f"/boot/initramfs-{name}.img")
    if not is_file_in_root(boot.root, initramfs, where=boot.where):
        return KernelFiles(name, vmlinuz, None)
    return KernelFiles(name, vmlinuz, Path(checked_in_root(boot.root, initramfs, where=boot.where)))


def _digest(root: Path, path: str, where: str) -> str:
    digest = hashlib.sha256()
    with os.fdopen(open_in_root(root, path, where=where), "rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
