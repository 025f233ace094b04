"""`--image FILE --size S`: a sparse image file on a loop device, detached whatever happens.

`losetup -P` asks the kernel to scan partitions, and `partx -u` makes it (and devtmpfs) create
`/dev/loopNpM` — there is no udev to do it. Taking it down is the reverse, in this order:
`partx -d` (partitions forgotten), then `losetup -d`; detaching with partitions still known
leaves stale ones that resurface on the next use of that loop number.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kodos.runner import CommandFailed, run


@contextmanager
def attached_image(image: Path, size: int) -> Iterator[str]:
    """`image` (created or resized to `size` bytes, sparse) on a loop device for the body."""
    image.parent.mkdir(parents=True, exist_ok=True)
    run(["truncate", "-s", str(size), str(image)])
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
