"""The machine under a managed root: its Btrfs filesystem, running subvolume and ESP.

`open_managed_root(root)` finds what a managed root is made of: its Btrfs filesystem, the
subvolume mounted as the root (the *running* generation) and its ESP (found the way the
bootloader provider finds it). The functions of `kodos.generations` take the filesystem's top
level mounted (`top_level`), or hold the machine's lock while it is (`locked_top_level`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kodos.errors import KodosError
from kodos.system import btrfs
from kodos.system.lock import machine_lock


class GenerationsError(KodosError):
    """A generations command cannot do what it was asked; nothing was changed."""


class NoGenerations(GenerationsError):
    def __init__(self, root: Path) -> None:
        super().__init__(f"{root}: kodos has built no generations here yet (run kodos apply)")


class IndexUnusable(GenerationsError):
    """The index is missing on a machine kodos has built generations on, or cannot be read:
    nothing but `kodos generations repair` may change the machine's generations."""


@dataclass(frozen=True, slots=True)
class ManagedRoot:
    """A managed root and what it stands on."""

    root: Path
    fs: btrfs.Filesystem
    running_subvolume: str
    """The subvolume mounted at `root`, relative to the top level (`@`, `kodos/generations/3`)."""
    esp: Path
    """The ESP's host path (systemd-boot's `loader/` is inside)."""


def open_managed_root(root: Path) -> ManagedRoot:
    """The machine whose root filesystem is mounted at `root`: its root must be a Btrfs
    subvolume (not the top level) and it must have an ESP with systemd-boot."""
    fs = btrfs.filesystem_of(root)
    running = btrfs.subvolume_of(root)
    if not running:
        raise GenerationsError(
            f"{root} is the top level of its Btrfs filesystem: kodos needs the root in a "
            "subvolume (such as @) to keep generations beside it"
        )
    return ManagedRoot(root, fs, running, find_machine_esp(root))


def find_machine_esp(root: Path) -> Path:
    """The running machine's ESP, from its mounts: the first of `/efi`, `/boot/efi`, `/boot`
    mounted and holding systemd-boot (with the ESP at /boot, a root's own /boot/efi or /efi
    directory is never taken for it). An ESP the root's /etc/fstab mounts at one of them
    (vfat) but that is not mounted is refused: entries written under the mount point would
    never be seen by the firmware. A root where none of them is a mount point (a test root, a
    chroot) has its ESP found by its files, as the bootloader provider finds it."""
    from kodos.providers.bootloader import ESP_CANDIDATES, find_esp, holds_systemd_boot
    from kodos.system.rootfs import resolve_in_root

    for candidate in ESP_CANDIDATES:
        path = resolve_in_root(root, candidate)
        if os.path.ismount(path) and holds_systemd_boot(path):
            return Path(path)
    for mount_point in _fstab_esp_mount_points(root):
        if not os.path.ismount(resolve_in_root(root, mount_point)):
            raise GenerationsError(
                f"/etc/fstab mounts the ESP at {mount_point}, but nothing is mounted at "
                f"{root / mount_point.lstrip('/')}: mount it, then try again"
            )
    esp = find_esp(root)
    if esp is None:
        looked = ", ".join(f"{root / c}" for c in ESP_CANDIDATES)
        raise GenerationsError(
            f"no ESP with systemd-boot found (looked for loader/loader.conf or EFI/systemd in "
            f"{looked}); is the ESP mounted?"
        )
    return Path(esp)


def _fstab_esp_mount_points(root: Path) -> list[str]:
    """The ESP mount points (`/efi`, `/boot/efi`, `/boot`) the root's /etc/fstab gives a vfat
    file system, in fstab's order; [] without a readable fstab."""
    from kodos.providers.bootloader import ESP_CANDIDATES
    from kodos.system.rootfs import read_text_in_root

    try:
        text = read_text_in_root(root, "/etc/fstab")
    except (OSError, UnicodeDecodeError, KodosError):
        return []
    candidates = {f"/{c}" for c in ESP_CANDIDATES}
    found = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 3 and fields[2] == "vfat":
            mount_point = "/" + fields[1].strip("/")
            if mount_point in candidates:
                found.append(mount_point)
    return found


def shown_top(machine: ManagedRoot) -> str:
    """How messages name the machine's Btrfs top level: where kodos mounts it is a temporary
    directory in its own mount namespace, which the user can neither see nor find."""
    return f"<btrfs top level of {machine.fs.device}>"


@contextmanager
def top_level(machine: ManagedRoot) -> Iterator[Path]:
    """The machine's Btrfs top level, mounted for the body."""
    with btrfs.top_level(machine.fs) as top:
        yield top


@contextmanager
def locked_top_level(machine: ManagedRoot, *, timeout: float, command: str) -> Iterator[Path]:
    """Hold the machine's lock, then mount its top level, for the body."""
    with machine_lock(machine.fs.uuid, timeout=timeout, command=command), top_level(machine) as top:
        yield top
