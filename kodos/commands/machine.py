"""The managed root a generations command works on: opened in a private mount namespace (the
Btrfs top level it mounts vanishes with the process however it ends), read as it is or locked
for a change.

Kept apart from the commands' bodies so that a command refused here (not Btrfs, not managed,
locked) has imported nothing else: `kodos rollback` reaches its first refusal in this module.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kodos.generations.host import ManagedRoot, locked_top_level, open_managed_root, top_level


def command_line() -> str:
    """This process's command as the lock file records it."""
    return shlex.join(["kodos", *sys.argv[1:]])


@contextmanager
def reading(root: Path) -> Iterator[tuple[ManagedRoot, Path]]:
    """The machine at `root` with its top level mounted, for the body."""
    machine = _open(root)
    with top_level(machine) as top:
        yield machine, top


@contextmanager
def changing(root: Path, lock_timeout: float) -> Iterator[tuple[ManagedRoot, Path]]:
    """The machine at `root`, locked, with its top level mounted, for the body."""
    machine = _open(root)
    with locked_top_level(machine, timeout=lock_timeout, command=command_line()) as top:
        yield machine, top


def _open(root: Path) -> ManagedRoot:
    from kodos.system.mountns import enter_private_mount_namespace

    enter_private_mount_namespace()
    return open_managed_root(root)
