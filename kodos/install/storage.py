"""Partitions, filesystems and the Btrfs layout of a fresh install (docs/generations.md).

A fresh install has no generation 0: the top level holds `@home` (shared by every
generation) and `kodos/generations/1`, the first generation's root, which becomes the Btrfs
default subvolume once it is complete.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kodos.disklayout import Layout, partition_node
from kodos.install.image import refresh_partitions
from kodos.state.index import generation_subvolume
from kodos.system.btrfs import Filesystem, filesystem_uuid
from kodos.system.runner import run

HOME_SUBVOLUME = "@home"
FIRST_GENERATION = 1


@dataclass(frozen=True, slots=True)
class Formatted:
    """The new filesystems: Btrfs (its device and UUID), the ESP's and the swap's UUIDs."""

    root: Filesystem
    esp_device: str
    esp_uuid: str
    swap_uuid: str | None


def partition(device: str, layout: Layout) -> None:
    """Write a new GPT. `--wipe always` also erases old signatures (an old Btrfs or swap
    header where the new partitions start), so nothing stale is recognised later."""
    argv = ["sfdisk", "--quiet", "--wipe", "always", "--wipe-partitions", "always", device]
    run(argv, input=layout.sfdisk_script())
    refresh_partitions(device)  # no udev: the kernel and devtmpfs learn of them now
    missing = [n for n in _nodes(device, layout) if not os.path.exists(n)]
    if missing:
        raise FileNotFoundError(f"the kernel did not create {', '.join(missing)}")


def _nodes(device: str, layout: Layout) -> list[str]:
    count = 3 if layout.swap else 2
    return [partition_node(device, n) for n in range(1, count + 1)]


def format_partitions(device: str, layout: Layout) -> Formatted:
    esp = partition_node(device, 1)
    # -s 1: one sector a cluster keeps a small ESP FAT32 (mtools would take it for FAT16).
    run(["mkfs.vfat", "-F", "32", "-s", "1", "-n", "ESP", esp])
    swap = layout.swap_node(device)
    if swap is not None:
        run(["mkswap", "-L", "swap", swap])
    root = layout.root_node(device)
    run(["mkfs.btrfs", "-q", "-f", "-L", "kodos", root])
    return Formatted(
        root=Filesystem(root, filesystem_uuid(root)),
        esp_device=esp,
        esp_uuid=_uuid(esp),
        swap_uuid=_uuid(swap) if swap is not None else None,
    )


def _uuid(device: str) -> str:
    output = run(["blkid", "-p", "-o", "export", device]).stdout
    fields = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    return fields["UUID"]


def create_subvolumes(top: Path) -> Path:
    """`@home` and generation 1's subvolume; returns generation 1's root (under `top`)."""
    run(["btrfs", "subvolume", "create", str(top / HOME_SUBVOLUME)])
    first = top / generation_subvolume(FIRST_GENERATION)
    first.parent.mkdir(parents=True)
    run(["btrfs", "subvolume", "create", str(first)])
    return first
