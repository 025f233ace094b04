"""Btrfs filesystems, subvolumes and mounts: thin, typed wrappers over btrfs-progs, findmnt,
blkid and mount, every one run through `kodos.system.runner`.

Subvolumes are named by their path relative to the top level (subvolid 5) without a leading
slash — `@`, `kodos/generations/3` — as docs/generations.md lays them out. Functions taking
`top` expect the mount point `top_level` yields: the top level of the filesystem, where those
paths resolve.

Only tools that work without udev are used: `findmnt -J` reads the kernel's mount table and
`blkid -p` probes the device itself (lsblk shows no UUID without udev). Every failure raises a
`BtrfsError` that says what kodos was doing; the command's own message follows.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from kodos.errors import KodosError
from kodos.system.runner import CommandFailed, run
from kodos.text.lazyregex import lazy

TOP_LEVEL_ID = 5
SUBVOLUME_ROOT_INODE = 256
"""The inode number of every subvolume's root directory (BTRFS_FIRST_FREE_OBJECTID)."""
DELETED_SUFFIX = "//deleted"
"""What the kernel appends to the FSROOT of a mount whose subvolume was deleted under it."""

_FINDMNT_COLUMNS = "SOURCE,FSTYPE,FSROOT,TARGET,MAJ:MIN"
_SUBVOLUME_ID = lazy(r"^\s*Subvolume ID:\s*(\d+)\s*$", re.MULTILINE)
_SUBVOLUME_UUID = lazy(r"^\s*UUID:\s*([0-9a-f-]{36})\s*$", re.MULTILINE)
_PARENT_UUID = lazy(r"^\s*Parent UUID:\s*([0-9a-f-]{36})\s*$", re.MULTILINE)
_LISTED = lazy(r"^ID (\d+) gen \d+ top level \d+ path (.*)$")


class BtrfsError(KodosError):
    """A Btrfs, mount or device operation failed; the message says what kodos was doing."""


class NotOnBtrfs(BtrfsError):
    """A path kodos needs on Btrfs is on another filesystem."""


class SubvolumeBusy(BtrfsError):
    """A subvolume kodos was asked to delete is mounted."""


@dataclass(frozen=True, slots=True)
class Filesystem:
    """A Btrfs filesystem: a device holding it (any one, for a multi-device filesystem) and
    its UUID (what `root=UUID=` names in a boot entry)."""

    device: str
    uuid: str


@dataclass(frozen=True, slots=True)
class Mount:
    """One line of the kernel's mount table, as findmnt reports it.

    `fsroot` is the path inside the filesystem that is mounted: `/@` for a subvolume, `/`
    for the top level, `/@//deleted` once that subvolume was deleted. `device_number` (the
    `MAJ:MIN` column) is the same for every mount of one Btrfs filesystem, whichever device
    node or subvolume was mounted, so it tells which mounts share a filesystem.
    """

    source: str
    fstype: str
    fsroot: str
    target: Path
    device_number: str


# ---- reading the mount table ----------------------------------------------------------------


def mount_containing(path: Path) -> Mount:
    """The mount holding `path` (`findmnt -T`)."""
    if not path.exists():
        raise BtrfsError(f"{path} does not exist")
    rows = _findmnt(f"finding the mount that holds {path}", ["-T", str(path)])
    if not rows:
        raise BtrfsError(f"finding the mount that holds {path}: findmnt listed none")
    return rows[0]


def mount_table() -> list[Mount]:
    """Every mount this process can see, in the kernel's (mount) order."""
    return _findmnt("reading the mount table", ["--list"])


def _findmnt(what: str, args: list[str]) -> list[Mount]:
    # -v (--nofsroot): SOURCE is the bare device, not `/dev/sda2[/@]`; FSROOT has the path.
    argv = ["findmnt", "--json", "-v", "-o", _FINDMNT_COLUMNS, *args]
    document = json.loads(_run(what, argv) or '{"filesystems": []}')
    return [_mount(row) for row in _flatten(document.get("filesystems", []))]


def _flatten(rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """findmnt's tree form nests mounts under `children`; the list form does not."""
    for row in rows:
        yield row
        yield from _flatten(row.get("children", []))


def _mount(row: dict[str, Any]) -> Mount:
    return Mount(
        source=row.get("source") or "",
        fstype=row.get("fstype") or "",
        fsroot=row.get("fsroot") or "",
        target=Path(row.get("target") or ""),
        device_number=row.get("maj:min") or "",
    )


# ---- which filesystem and subvolume ---------------------------------------------------------


def filesystem_of(path: Path) -> Filesystem:
    """The Btrfs filesystem holding `path`; `NotOnBtrfs` when it is on anything else."""
    mount = _btrfs_mount(path)
    return Filesystem(device=mount.source, uuid=filesystem_uuid(mount.source))


def subvolume_of(path: Path) -> str:
    """The subvolume mounted at the mount point holding `path`, relative to the top level
    (`@`, `kodos/generations/3`; "" for the top level itself).

    It is read from the mount's FSROOT: a subvolume nested inside the mounted one, and not
    mounted itself, is not seen — kodos asks this of a root's mount point.
    """
    mount = _btrfs_mount(path)
    if mount.fsroot.endswith(DELETED_SUFFIX):
        raise BtrfsError(f"the subvolume mounted at {mount.target} has been deleted")
    return mount.fsroot.strip("/")


def filesystem_uuid(device: str) -> str:
    """The filesystem UUID of `device`, probed from the device itself (`blkid -p`)."""
    output = _run(f"reading the UUID of {device}", ["blkid", "-p", "-o", "export", device])
    fields = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    if not fields.get("UUID"):
        raise BtrfsError(f"reading the UUID of {device}: blkid found none")
    return fields["UUID"]


def _btrfs_mount(path: Path) -> Mount:
    mount = mount_containing(path)
    if mount.fstype != "btrfs":
        raise NotOnBtrfs(
            f"{path} is not on Btrfs (it is on {mount.fstype or 'an unknown filesystem'}): "
            "kodos keeps generations as Btrfs subvolumes"
        )
    return mount


# ---- mounting -------------------------------------------------------------------------------


@contextmanager
def top_level(fs: Filesystem) -> Iterator[Path]:
    """The top level of `fs` (subvolid 5) mounted at a fresh temporary directory; unmounted,
    and the directory removed, on exit — also when the body raises."""
    with _mounted(fs.device, f"subvolid={TOP_LEVEL_ID}", f"the top level of {fs.device}") as top:
        yield top


@contextmanager
def mount_subvolume(fs: Filesystem, path: str) -> Iterator[Path]:
    """Subvolume `path` of `fs` mounted at a fresh temporary directory, for the body."""
    name = subvolume_path(path)
    # A comma would end the subvol= option and start another one.
    if "," in name:
        raise BtrfsError(f"cannot mount subvolume {name!r}: its name holds a comma")
    with _mounted(fs.device, f"subvol={name}", f"subvolume {name} of {fs.device}") as where:
        yield where


@contextmanager
def _mounted(device: str, options: str, what: str) -> Iterator[Path]:
    target = Path(tempfile.mkdtemp(prefix="kodos-mount-"))
    try:
        _run(f"mounting {what}", ["mount", "-t", "btrfs", "-o", options, device, str(target)])
    except BtrfsError:
        target.rmdir()
        raise
    try:
        yield target
    finally:
        unmount(target)
        target.rmdir()


def unmount(target: Path) -> None:
    """Unmount `target`. A busy mount (a file still open in it) is detached lazily instead:
    kodos's own mounts must never outlive the operation that made them, and the kernel
    finishes the unmount when the last user lets go."""
    try:
        run(["umount", str(target)])
    except CommandFailed:
        _run(f"unmounting {target}", ["umount", "--lazy", str(target)])


# ---- subvolumes -----------------------------------------------------------------------------


def subvolume_path(path: str) -> str:
    """`path` checked as a subvolume path relative to the top level: not empty, not absolute,
    no `.` or `..` — a path that could leave the top level is a bug, never a request."""
    parts = PurePosixPath(path).parts if path else ()
    bad = not parts or path.startswith("/") or any(p in (".", "..") for p in path.split("/"))
    if bad or "\0" in path or "\n" in path:
        raise BtrfsError(f"not a subvolume path relative to the top level: {path!r}")
    return "/".join(parts)


def on_top_level(top: Path, path: str) -> Path:
    """The host path of subvolume path `path` on the top level mounted at `top`, refusing a
    link anywhere along it: kodos makes none there, and btrfs would follow one to another
    subvolume (`kodos/generations/5 -> ../../@home` would delete `@home`)."""
    path = subvolume_path(path)
    current = top
    for part in path.split("/"):
        current = current / part
        if current.is_symlink():
            link = current.relative_to(top)
            raise BtrfsError(f"refusing subvolume {path}: {link} on the top level is a link")
    return top / path


def snapshot(top: Path, source: str, dest: str) -> None:
    """A writable snapshot of subvolume `source` as `dest`, creating `dest`'s parent
    directories. `dest` must not exist: btrfs would put the snapshot inside it."""
    source, dest = subvolume_path(source), subvolume_path(dest)
    what = f"snapshotting subvolume {source} as {dest}"
    if not on_top_level(top, source).is_dir():
        raise BtrfsError(f"{what}: there is no subvolume {source}")
    if (top / dest).exists() or (top / dest).is_symlink():
        raise BtrfsError(f"{what}: {dest} already exists")
    on_top_level(top, dest).parent.mkdir(parents=True, exist_ok=True)
    _run(what, ["btrfs", "subvolume", "snapshot", str(top / source), str(top / dest)])


def delete_subvolume(top: Path, path: str) -> None:
    """Delete subvolume `path`; `SubvolumeBusy` when it (or a directory in it) is mounted
    anywhere — btrfs would delete it anyway and leave a `//deleted` mount behind — or when it
    is the default subvolume (btrfs refuses that too, with a less telling message)."""
    host = on_top_level(top, path)
    path = subvolume_path(path)
    targets = mounted_at(top, path)
    if targets:
        where = ", ".join(str(target) for target in targets)
        raise SubvolumeBusy(f"refusing to delete subvolume {path}: it is mounted at {where}")
    if get_default(top) == path:
        raise SubvolumeBusy(f"refusing to delete subvolume {path}: it is the default subvolume")
    _run(f"deleting subvolume {path}", ["btrfs", "subvolume", "delete", str(host)])


def mounted_at(top: Path, path: str) -> list[Path]:
    """Where subvolume `path` of the filesystem mounted at `top`, or a directory inside it,
    is mounted (this mount namespace's view)."""
    path = subvolume_path(path)
    device_number = mount_containing(top).device_number
    inside = f"/{path}/"
    return [
        mount.target
        for mount in mount_table()
        if mount.device_number == device_number
        and mount.fstype == "btrfs"
        and not mount.fsroot.endswith(DELETED_SUFFIX)
        and (mount.fsroot == f"/{path}" or mount.fsroot.startswith(inside))
    ]


def subvolume_id(top: Path, path: str) -> int:
    """The numeric ID of subvolume `path`; an error when `path` is a plain directory."""
    host = on_top_level(top, path)
    path = subvolume_path(path)
    output = _run(f"reading subvolume {path}", ["btrfs", "subvolume", "show", str(host)])
    found = _SUBVOLUME_ID.search(output)
    if found is None:
        raise BtrfsError(f"reading subvolume {path}: btrfs printed no subvolume ID")
    return int(found.group(1))


def subvolume_uuid(top: Path, path: str) -> str:
    """The Btrfs UUID of subvolume `path` (unique to it: a snapshot gets a new one)."""
    found = _uuids(top, path)[0]
    if found is None:
        raise BtrfsError(f"reading subvolume {path}: btrfs printed no UUID")
    return found


def parent_uuid(top: Path, path: str) -> str | None:
    """The UUID of the subvolume `path` was snapshotted from (None: not a snapshot)."""
    return _uuids(top, path)[1]


def _uuids(top: Path, path: str) -> tuple[str | None, str | None]:
    path = subvolume_path(path)
    output = _run(f"reading subvolume {path}", ["btrfs", "subvolume", "show", str(top / path)])
    own, parent = _SUBVOLUME_UUID.search(output), _PARENT_UUID.search(output)
    return (own.group(1) if own else None, parent.group(1) if parent else None)


def set_default(top: Path, path: str) -> None:
    """Make subvolume `path` what a mount without `subvol=` (a bare `root=`) mounts.

    Named by its path (`set-default PATH`, no `btrfs subvolume show` for its ID first), which
    btrfs would resolve to the subvolume *containing* a plain directory: so it must be a
    subvolume's own root, whose inode number Btrfs always makes 256."""
    host = on_top_level(top, path)
    path = subvolume_path(path)
    what = f"making subvolume {path} the default"
    try:
        inode = host.lstat().st_ino
    except OSError as err:
        raise BtrfsError(f"{what}: {err.strerror}") from err
    if inode != SUBVOLUME_ROOT_INODE or not host.is_dir():
        raise BtrfsError(f"{what}: {path} is not a subvolume (a plain directory or file)")
    _run(what, ["btrfs", "subvolume", "set-default", str(host)])


def get_default(top: Path) -> str:
    """The default subvolume's path ("" when it is the top level, as on a fresh filesystem)."""
    output = _run("reading the default subvolume", ["btrfs", "subvolume", "get-default", str(top)])
    line = output.strip()
    if line.startswith(f"ID {TOP_LEVEL_ID} "):  # "ID 5 (FS_TREE)"
        return ""
    found = _LISTED.match(line)
    if found is None:
        raise BtrfsError(f"reading the default subvolume: unexpected btrfs output {line!r}")
    return found.group(2)


def list_subvolumes(top: Path) -> list[str]:
    """Every subvolume's path (the top level itself excepted), sorted."""
    output = _run("listing subvolumes", ["btrfs", "subvolume", "list", str(top)])
    found = (_LISTED.match(line) for line in output.splitlines())
    return sorted(match.group(2) for match in found if match is not None)


def _run(what: str, argv: list[str]) -> str:
    """Run `argv`, returning its stdout; a failure becomes a `BtrfsError` saying `what`."""
    try:
        return run(argv).stdout
    except CommandFailed as err:
        raise BtrfsError(f"{what}: {err}") from err
