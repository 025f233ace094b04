"""Running programs inside the target: the kernel file systems they expect, and `chroot`.

pacman runs install scriptlets and hooks chrooted into the target, and kodos runs follow-up
programs (`locale-gen`, `mkinitcpio -P`) there. pacman itself needs nothing mounted (it only
needs `/bin/sh` in the target for scriptlets), but what runs in the chroot does: Arch's
scriptlets and hooks write to `/dev/null`, systemd tools read `/proc`, mkinitcpio reads `/sys`.
Without the mounts, `> /dev/null` even creates a regular file `dev/null` inside the
generation. So around every command that runs programs in the target, `api_filesystems`
mounts what arch-chroot mounts (proc, sys read-only, dev, run, tmp) and unmounts it after.

Only onto directories the target already has (Arch's `filesystem` package ships them): kodos
never adds directories to a generation, and never mounts onto a symlink, which `mount` would
follow out of the target. `/dev` is a fresh tmpfs holding the few device nodes programs use,
not a bind of the host's `/dev`: deleting inside the target can then never reach the host's
devices. In production all of this happens in kodos's private mount namespace, so even a
killed run leaves nothing mounted; the unmounting here keeps the snapshot clean for the
re-plan and serves runs outside one (tests).
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from kodos.system.rootfs import resolve_in_root
from kodos.system.runner import run

# (directory, mount arguments) as arch-chroot mounts them.
API_MOUNTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("proc", ("-t", "proc", "-o", "nosuid,noexec,nodev", "proc")),
    ("sys", ("-t", "sysfs", "-o", "ro,nosuid,noexec,nodev", "sys")),
    ("dev", ("-t", "tmpfs", "-o", "mode=0755,nosuid", "dev")),
    ("run", ("-t", "tmpfs", "-o", "mode=0755,nosuid,nodev", "run")),
    ("tmp", ("-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "tmp")),
)
# name, major, minor: the character devices programs open by name.
DEVICE_NODES = (
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
)
DEVICE_LINKS = (
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
)


@contextmanager
def api_filesystems(target: Path, notes: list[str]) -> Iterator[None]:
    """proc, sys, dev, run and tmp mounted in `target` for the duration of the block."""
    with ExitStack() as mounted:
        for directory, arguments in API_MOUNTS:
            point = target / directory
            if not point.is_dir() or point.is_symlink():
                continue
            run(["mount", *arguments, str(point)])
            mounted.callback(_unmount, point, notes)
            if directory == "dev":
                _populate_dev(point)
        yield


def _populate_dev(dev: Path) -> None:
    for name, major, minor in DEVICE_NODES:
        os.mknod(dev / name, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
        os.chmod(dev / name, 0o666)  # mknod's mode is filtered by the umask
    for name, target in DEVICE_LINKS:
        os.symlink(target, dev / name)


def _unmount(point: Path, notes: list[str]) -> None:
    done = run(["umount", str(point)], check=False)
    if done.returncode != 0:
        # Busy: a scriptlet left a process behind (gpg-agent after pacman-key). Detaching
        # removes the mount from the tree at once; the kernel frees it when the process ends.
        run(["umount", "--lazy", str(point)])
        notes.append(f"{point} was busy after the commands run in the target; detached it")


def program_in_target(target: Path, path: str) -> bool:
    """Whether `path` (absolute, inside the target) is an executable file there."""
    host = resolve_in_root(target, path)
    return os.path.isfile(host) and os.access(host, os.X_OK)


def run_in_target(
    target: Path, argv: Sequence[str], notes: list[str]
) -> subprocess.CompletedProcess[str]:
    """`chroot TARGET ARGV` with the kernel file systems mounted; `CommandFailed` on failure."""
    with api_filesystems(target, notes):
        return run(["chroot", str(target), *argv])
