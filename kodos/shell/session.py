"""`kodos shell`: find or build the environment, then run the shell or command inside it.

A warm start reads no database: the key (`cache.environment_key`) is a few `stat` calls, and a
built environment only needs mounting. A cold start checks the names, builds under the key's
exclusive lock (a second cold start waits and then finds it built) and renames the build into
place; the session then holds the lock shared, so `--gc` leaves an environment in use alone.

The session runs in a child (`process.in_child`): root of new namespaces, it lays the tree
with a private tmpfs taking every write of the session, nests a namespace mapped back to the
user, chroots and execs. When the command ends, the namespaces and their mounts end with it.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kodos.shell import cache, namespace, tree
from kodos.shell.process import ShellFailure, in_child, restore_signals
from kodos.shell.request import package_names

SYNC_DIR = Path("var/lib/pacman/sync")
VARIABLE = "KODOS_SHELL"
"""Holds the added packages inside the environment (space-separated), for prompts and scripts."""
NOT_FOUND_EXIT_CODE = 127
NOT_EXECUTABLE_EXIT_CODE = 126


@dataclass(frozen=True)
class ShellOptions:
    """What `kodos shell` was asked: packages over `system`, and the command (empty: the
    user's `$SHELL`)."""

    system: Path
    packages: Sequence[str]
    command: Sequence[str]


def open_shell(options: ShellOptions) -> int:
    """Run the command in the environment and return its exit status."""
    names = package_names(options.packages)
    system = options.system.resolve()
    sync_dir = system / SYNC_DIR
    if not sync_dir.is_dir() or not any(sync_dir.glob("*.db")):
        raise ShellFailure(
            f"no sync databases in {sync_dir}: kodos shell installs from the repositories "
            "the system has synchronised; download them first with `pacman -Sy` (as root)"
        )
    directory = cache.prepare(cache.cache_directory())
    key = cache.environment_key(system, names, sync_dir)
    entry = directory / key
    with cache.locked(directory, key, exclusive=False) as fd:
        if not entry.is_dir():
            fcntl.flock(fd, fcntl.LOCK_EX)  # another cold start may be building it: wait
            if not entry.is_dir():
                _build(system, names, directory, key)
            cache.share(fd)
        return _session(system, names, entry, options.command)


def _build(system: Path, names: Sequence[str], directory: Path, key: str) -> None:
    from kodos.shell.build import build, check_names

    check_names(system, names)
    building = directory / f"{key}{cache.BUILDING}"
    if building.exists():  # left by a build that was killed
        cache.remove_tree(building)
    building.mkdir(mode=0o700)
    print(f"kodos shell: installing {' '.join(names)} into a new environment", file=sys.stderr)
    try:
        build(system, names, building)
        for scratch in ("work", "pkg", "tree"):
            if (building / scratch).exists():
                cache.remove_tree(building / scratch)
        (building / "locations").unlink(missing_ok=True)
        (building / "packages").write_text("".join(f"{name}\n" for name in names))
        (building / "root").write_text(f"{system}\n")
        (building / "session").mkdir()
        os.rename(building, directory / key)
    except BaseException:
        cache.remove_tree(building)
        raise


def _session(system: Path, names: Sequence[str], entry: Path, command: Sequence[str]) -> int:
    uid, gid = os.geteuid(), os.getegid()
    argv = list(command) or [os.environ.get("SHELL") or "/bin/sh"]
    env = {**os.environ, VARIABLE: " ".join(names)}
    cwd = _working_directory()

    def enter() -> int:
        namespace.enter_as_root()
        scratch = entry / "session"
        namespace.mount("kodos-shell", scratch, "tmpfs", 0, "mode=0700")
        target = scratch / "root"
        target.mkdir()
        layers = tree.Layers(
            lower=(entry / "layers",), upper=scratch / "upper", work=scratch / "work"
        )
        tree.assemble(system, target, layers, user=uid != 0)
        namespace.enter_as_user(uid, gid)
        os.chroot(target)
        _change_directory(cwd, env.get("HOME"))
        restore_signals()
        return _exec(argv, env)

    return in_child(enter)


def _working_directory() -> str:
    try:
        return os.getcwd()
    except OSError:  # removed under us
        return "/"


def _change_directory(cwd: str, home: str | None) -> None:
    """The user's working directory when the environment has it (the system at --root may
    not), else the home, else /."""
    for candidate in (cwd, home, "/"):
        if candidate:
            try:
                os.chdir(candidate)
                return
            except OSError:
                continue


def _exec(argv: list[str], env: dict[str, str]) -> int:
    try:
        os.execvpe(argv[0], argv, env)
    except FileNotFoundError:
        raise ShellFailure(
            f"{argv[0]}: command not found in the environment", NOT_FOUND_EXIT_CODE
        ) from None
    except PermissionError:
        raise ShellFailure(
            f"{argv[0]}: permission denied in the environment", NOT_EXECUTABLE_EXIT_CODE
        ) from None
