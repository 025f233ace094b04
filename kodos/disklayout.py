"""The layout `kodos install` gives a disk, and sizes as configurations and `--size` write them.

A leaf: it imports nothing of kodos but its errors, so every layer may use it — the
configuration model checks `swap_size` with `parse_size` (a bad size is a located `kodos
validate` problem), `kodos plan` describes the layout, `kodos install` partitions by it.

Layout (GPT): an EFI system partition of `ESP_SIZE`, a swap partition when the configuration
sizes one, and a Btrfs root filling the rest, at least `ROOT_MINIMUM`.

Sizes: `4GB`, `512MiB`, `1.5G`. Every unit is a power of 1024 (`GB` and `GiB` alike), as sfdisk
and truncate read `G`: a configuration saying `"4GB"` of swap gets 4 GiB, never a few percent
less.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kodos.errors import KodosError

MIB = 1024 * 1024
ESP_SIZE = 512 * MIB
DEFAULT_ESP_MOUNT = "/efi"
ROOT_MINIMUM = 1024 * MIB
# 1 MiB before the first partition (alignment, the primary GPT) and the backup GPT at the end.
GPT_OVERHEAD = 2 * MIB
# Linux addresses a file or a block device with a signed 64-bit offset: no disk, partition or
# image can hold more.
MAX_SIZE = 2**63 - 1

# A string, not a compiled pattern: nothing is compiled at import (`re` caches it on first use).
_SIZE = r"(?P<amount>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>[KMGT])(?:i?B)?"
_POWERS = {"K": 1, "M": 2, "G": 3, "T": 4}
NOT_A_SIZE = 'a size such as "4GB" or "512MiB"'


class SizeError(KodosError):
    """A size that does not parse, or that nothing could have; `explanation` says which, in
    words that follow "is not a valid size: "."""

    def __init__(self, what: str, text: str, explanation: str) -> None:
        self.explanation = explanation
        super().__init__(f"{what} {text!r} is not a valid size: {explanation}")


def parse_size(text: str, what: str) -> int:
    """`text` in bytes, at least 1 and at most `MAX_SIZE`; `what` names it in the error
    (`swap_size`, `--size`)."""
    match = re.fullmatch(_SIZE, text, re.IGNORECASE)
    if match is None:
        raise SizeError(what, text, NOT_A_SIZE)
    # A float, so `1.5G` is exact to the byte; a 400-digit amount is infinity, refused below.
    size = float(match["amount"]) * 1024 ** _POWERS[match["unit"].upper()]
    if size < 1:  # "0GB", or "0.0000001K": less than a byte
        raise SizeError(what, text, "it must be more than zero")
    if size > MAX_SIZE:
        raise SizeError(what, text, "it must be less than 8 EiB, the most Linux can address")
    return int(size)


def mib_up(size: int) -> int:
    """Whole MiB, rounded up: sfdisk's unit here, and aligned partitions."""
    return -(-size // MIB)


def human(size: int) -> str:
    """`2.0 GiB`, `512 MiB`: for the wipe warning and errors."""
    for unit, power in (("TiB", 4), ("GiB", 3), ("MiB", 2), ("KiB", 1)):
        if size >= 1024**power:
            value = size / 1024**power
            return f"{value:.1f} {unit}" if value < 100 and value % 1 else f"{value:.0f} {unit}"
    return f"{size} B"


@dataclass(frozen=True, slots=True)
class Layout:
    """The partitions `kodos install` creates; `swap` in bytes, 0 for none."""

    swap: int = 0
    esp_mount: str = DEFAULT_ESP_MOUNT
    """Where the installed system mounts the ESP (`/efi`, `/boot`, `/boot/efi`)."""

    @property
    def minimum(self) -> int:
        return ESP_SIZE + self.swap + ROOT_MINIMUM + GPT_OVERHEAD

    def sfdisk_script(self) -> str:
        lines = ["label: gpt", f"size={ESP_SIZE // MIB}MiB, type=uefi, name=esp"]
        if self.swap:
            lines.append(f"size={mib_up(self.swap)}MiB, type=swap, name=swap")
        lines.append("type=linux, name=root")
        return "\n".join(lines) + "\n"

    def summary(self) -> str:
        """The layout in one line, without knowing the disk's size (what `kodos plan` shows)."""
        swap = f", {human(self.swap)} swap" if self.swap else ""
        return (
            f"GPT with a {human(ESP_SIZE)} EFI system partition{self._mounted()}{swap} and a "
            "Btrfs root on the rest (@home, kodos/generations/1)"
        )

    def _mounted(self) -> str:
        """Said only when not the default, so the usual layout reads as it always has."""
        return f" (mounted at {self.esp_mount})" if self.esp_mount != DEFAULT_ESP_MOUNT else ""

    def describe(self, device: str, size: int) -> list[str]:
        """One line a partition, as the confirmation shows the result."""
        root = size - ESP_SIZE - mib_up(self.swap) * MIB - GPT_OVERHEAD
        esp = f"{partition_node(device, 1)}  {human(ESP_SIZE)}  vfat   EFI system partition"
        lines = [esp + self._mounted()]
        if self.swap:
            lines.append(f"{partition_node(device, 2)}  {human(self.swap)}  swap")
        lines.append(
            f"{self.root_node(device)}  {human(root)}  btrfs  "
            "root: @home, kodos/generations/1 (generation 1)"
        )
        return lines

    def root_node(self, device: str) -> str:
        return partition_node(device, 3 if self.swap else 2)

    def swap_node(self, device: str) -> str | None:
        return partition_node(device, 2) if self.swap else None


def disk_layout(swap_size: str | None, esp_mount: str = DEFAULT_ESP_MOUNT) -> Layout:
    """The layout of a configured disk (`devices.NAME.swap_size` and `esp_mount`, already
    validated by the configuration model, so they parse)."""
    swap = 0 if swap_size is None else parse_size(swap_size, "swap_size")
    return Layout(swap=swap, esp_mount=esp_mount)


def partition_node(device: str, number: int) -> str:
    """`/dev/vda1`, but `/dev/loop0p1` and `/dev/nvme0n1p1`: the kernel adds a `p` when the
    disk's name ends in a digit."""
    return f"{device}{'p' if device[-1].isdigit() else ''}{number}"
