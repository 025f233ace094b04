"""The machine under a managed root: its Btrfs filesystem, running subvolume and ESP.

`open_managed_root(root)` finds what a managed root is made of: its Btrfs filesystem, the
subvolume mounted as the root (the *running* generation) and its ESP (found the way the
bootloader provider finds it). The functions of `kodos.generations` take the filesystem's top
level mounted (`top_level`), or hold the machine's lock while it is (`locked_top_level`).
"""

from __future__ import annotations

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
    from kodos.providers.bootloader import ESP_CANDIDATES, find_esp

    esp = find_esp(root)
    if esp is None:
        looked = ", ".join(f"{root / c}" for c in ESP_CANDIDATES)
        raise GenerationsError(
            f"no ESP with systemd-boot found (looked for loader/loader.conf or EFI/systemd in "
            f"{looked}); is the ESP mounted?"
        )
    return ManagedRoot(root, fs, running, Path(esp))


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
