"""What is on the disk `kodos install` is given now (the layout it will get: `kodos.disklayout`).

It is read from the device itself — `sfdisk --json` for the partition table, `blkid -p` for each
filesystem, the kernel's mount table and /proc/swaps — since there may be no udev (lsblk would
show no filesystems). Nothing here writes to the device.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from kodos.disklayout import human
from kodos.errors import KodosError
from kodos.system.btrfs import mount_table
from kodos.system.runner import run


class InstallRefused(KodosError):
    """`kodos install` will not start: nothing was written."""


@dataclass(frozen=True, slots=True)
class Existing:
    """A partition (or the whole disk) and the filesystem on it, if any."""

    node: str
    size: int
    filesystem: str
    label: str


@dataclass(frozen=True, slots=True)
class Survey:
    """What is on `device` now."""

    device: str
    size: int
    table: str  # "gpt", "dos", or "" for none
    contents: tuple[Existing, ...]

    def describe(self) -> list[str]:
        if not self.contents:
            return ["(no partition table and no filesystem)"]
        return [
            f"{c.node}  {human(c.size)}  {c.filesystem or 'no filesystem'}"
            + (f"  label {c.label}" if c.label else "")
            for c in self.contents
        ]


def survey(device: str) -> Survey:
    """What is on `device`; `InstallRefused` when it is not a block device or is in use."""
    _require_block_device(device)
    in_use = mounted_partitions(device)
    if in_use:
        raise InstallRefused(
            f"{device} is in use ({', '.join(in_use)}): unmount it first; nothing was written"
        )
    table, partitions = _partition_table(device)
    _require_unclaimed(device, [device, *(node for node, _, _ in partitions)])
    size = int(run(["blockdev", "--getsize64", device]).stdout.strip())
    contents = [_probe(node, part_size) for node, part_size, _ in partitions]
    if not partitions:
        whole = _probe(device, size)
        contents = [whole] if whole.filesystem else []
    return Survey(device, size, table, tuple(contents))


def survey_image(image: Path, size: int) -> Survey:
    """What is in the image file now (nothing, when it does not exist yet), as `survey` tells
    it for a device, read from the file without attaching it; `size` is the size it will have."""
    if not image.exists():
        return Survey(str(image), size, "", ())
    table, partitions = _partition_table(str(image))
    contents = [
        _probe(str(image), part_size, node=node, offset=start)
        for node, part_size, start in partitions
    ]
    if not partitions:
        whole = _probe(str(image), size)
        contents = [whole] if whole.filesystem else []
    return Survey(str(image), size, table, tuple(contents))


def _require_unclaimed(device: str, nodes: list[str]) -> None:
    """The kernel refuses an exclusive open of a device that is mounted, active swap, or held
    by device-mapper, RAID or another exclusive user (what mkfs calls "apparently in use by
    the system"): the test that no mount table can fool. A claim on a partition makes the
    whole disk busy and the other way round, so the message names the disk."""
    for node in nodes:
        try:
            fd = os.open(node, os.O_RDONLY | os.O_EXCL | os.O_CLOEXEC)
        except FileNotFoundError:
            continue  # a partition the kernel does not show: nothing can be using it
        except OSError as err:
            if err.errno != errno.EBUSY:
                reason = f"cannot open {node}: {err.strerror}; nothing was written"
                raise InstallRefused(reason) from None
            raise InstallRefused(
                f"{device} is in use (held exclusively, e.g. by device-mapper, RAID or a "
                "running program): stop using it first; nothing was written"
            ) from None
        os.close(fd)


def _require_block_device(device: str) -> None:
    try:
        mode = os.stat(device).st_mode
    except FileNotFoundError:
        raise InstallRefused(f"{device} does not exist; nothing was written") from None
    if not stat.S_ISBLK(mode):
        raise InstallRefused(f"{device} is not a block device; nothing was written")


def mounted_partitions(device: str) -> list[str]:
    """The mounts and active swap of `device` or its partitions (`mount point` or `swap`)."""
    own = re.compile(re.escape(os.path.realpath(device)) + r"(p?[0-9]+)?")
    found = [
        f"{m.source} mounted at {m.target}"
        for m in mount_table()
        if own.fullmatch(os.path.realpath(m.source) if m.source.startswith("/") else m.source)
    ]
    swaps = Path("/proc/swaps").read_text(encoding="utf-8").splitlines()[1:]
    found += [
        f"{line.split()[0]} is active swap" for line in swaps if own.fullmatch(line.split()[0])
    ]
    return found


def _partition_table(device: str) -> tuple[str, list[tuple[str, int, int]]]:
    """The table's label and its partitions: (node, size, start), in bytes."""
    done = run(["sfdisk", "--json", device], check=False)
    if done.returncode != 0:  # "does not contain a recognized partition table"
        return "", []
    table = json.loads(done.stdout)["partitiontable"]
    sector = int(table.get("sectorsize", 512))
    return table.get("label", ""), [
        (p["node"], int(p["size"]) * sector, int(p.get("start", 0)) * sector)
        for p in table.get("partitions", [])
    ]


def _probe(path: str, size: int, *, node: str | None = None, offset: int = 0) -> Existing:
    """The filesystem at `offset` of `path` (a partition inside an image file), named `node`."""
    # blkid exits 2 when it finds nothing: an empty partition, not an error.
    where = ["--offset", str(offset), "--size", str(size)] if offset else []
    done = run(["blkid", "-p", "-o", "export", *where, path], check=False)
    fields = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return Existing(node or path, size, fields.get("TYPE", ""), fields.get("LABEL", ""))
