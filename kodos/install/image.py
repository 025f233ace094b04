"""`--image FILE --size S`: a sparse image file on a loop device, detached whatever happens.

`losetup -P` asks the kernel to scan partitions, and `partx -u` makes it (and devtmpfs) create
`/dev/loopNpM` — there is no udev to do it. Taking it down is the reverse, in this order:
`partx -d` (partitions forgotten), then `losetup -d`; detaching with partitions still known
leaves stale ones that resurface on the next use of that loop number.

Nothing touches the file before the user confirmed (`check_image` only reads): an image that
is attached to a loop device (`losetup --list`, matched by device and inode, not by name) or
mounted, or that `--size` would shrink, is refused; after the confirmation the file is only
ever created or grown (`truncate -s >SIZE`), then attached.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kodos.disklayout import human
from kodos.install.disk import InstallRefused, mounted_partitions
from kodos.system.runner import CommandFailed, run

NOTHING_WRITTEN = "nothing was written"


def check_image(image: Path, size: int, size_text: str) -> int:
    """Refuse an `--image` that is not a regular file, is in use, or that `size` would shrink;
    the file's current size (0 when it does not exist yet). Reads only."""
    try:
        status = os.stat(image)
    except FileNotFoundError:
        return 0
    if not stat.S_ISREG(status.st_mode):
        raise InstallRefused(
            f"{image} is not a regular file: --image takes an image file (a disk is named in "
            f"the configuration's devices); {NOTHING_WRITTEN}"
        )
    in_use = image_in_use(image, status)
    if in_use:
        raise InstallRefused(
            f"{image} is in use ({'; '.join(in_use)}): unmount and detach it first; "
            f"{NOTHING_WRITTEN}"
        )
    if status.st_size > size:
        raise InstallRefused(
            f"{image} is {human(status.st_size)}: --size {size_text} would shrink it to "
            f"{human(size)}; give a --size of at least {human(status.st_size)} or another "
            f"file; {NOTHING_WRITTEN}"
        )
    return status.st_size


def image_in_use(image: Path, status: os.stat_result | None = None) -> list[str]:
    """How `image` is in use: each loop device it is attached to (with what of it is mounted)
    and each place the file itself is mounted (a bind mount)."""
    from kodos.system.btrfs import mount_table

    status = status or os.stat(image)
    found = []
    for loop in attached_loops(status):
        mounted = mounted_partitions(loop)
        found.append(f"attached to {loop}" + (f", {', '.join(mounted)}" if mounted else ""))
    for mount in mount_table():
        try:
            target = os.stat(mount.target)
        except OSError:
            continue
        if not stat.S_ISDIR(target.st_mode) and _same_file(target, status):
            found.append(f"mounted at {mount.target}")
    return found


def attached_loops(status: os.stat_result) -> list[str]:
    """The loop devices whose backing file is the file of `status` (device and inode: the
    name a loop device shows is the one it was attached by, which can since have moved)."""
    done = run(
        ["losetup", "--list", "--json", "--output", "NAME,BACK-INO,BACK-MAJ:MIN"], check=False
    )
    if done.returncode != 0 or not done.stdout.strip():
        return []  # no loop device is set up
    wanted = f"{os.major(status.st_dev)}:{os.minor(status.st_dev)}"
    return [
        row["name"]
        for row in json.loads(done.stdout).get("loopdevices", [])
        if str(row.get("back-ino")) == str(status.st_ino)
        and str(row.get("back-maj:min", "")).strip() == wanted
    ]


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


@contextmanager
def attached_image(image: Path, size: int) -> Iterator[str]:
    """`image` (created, or grown to `size` bytes, sparse; never shrunk) on a loop device for
    the body. Call it only after `check_image` and the user's confirmation."""
    image.parent.mkdir(parents=True, exist_ok=True)
    run(["truncate", "-s", f">{size}", str(image)])
    loop = run(["losetup", "-P", "--show", "-f", str(image)]).stdout.strip()
    try:
        refresh_partitions(loop)
        yield loop
    finally:
        detach(loop)


def refresh_partitions(device: str) -> None:
    """Make the kernel's view of `device`'s partitions match its table (no udev here).
    `partx -u` fails on a disk without a table, which is fine: there is nothing to show."""
    run(["partx", "-u", device], check=False)


def detach(loop: str, attempts: int = 10) -> None:
    """`partx -d`, retried for a moment (a lazily unmounted partition can stay busy for a few
    milliseconds), then `losetup -d`."""
    for attempt in range(attempts):
        done = run(["partx", "-d", loop], check=False)
        # Only a busy partition is worth waiting for; no table or no partitions is done.
        if done.returncode == 0 or "busy" not in done.stderr or attempt == attempts - 1:
            break
        time.sleep(0.2)
    try:
        run(["losetup", "-d", loop])
    except CommandFailed:
        time.sleep(0.5)
        run(["losetup", "-d", loop])
