"""Empty target roots and the real pacman run against them, fully offline.

Every command is an argv list; pacman always gets `--root`, `--dbpath`, `--cachedir` and
`--hookdir` inside the target so nothing of the host's pacman setup is read or touched.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Enough for `useradd --root` / `groupadd --root` (shadow-utils reads it from the target).
LOGIN_DEFS = """\
UID_MIN 1000
UID_MAX 60000
SYS_UID_MIN 100
SYS_UID_MAX 999
GID_MIN 1000
GID_MAX 60000
SYS_GID_MIN 100
SYS_GID_MAX 999
CREATE_HOME yes
USERGROUPS_ENAB yes
ENCRYPT_METHOD SHA512
UMASK 077
HOME_MODE 0700
"""

# (path, content, mode): the root account only, as a freshly installed Arch system has.
ACCOUNT_FILES = (
    ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0o644),
    ("etc/group", "root:x:0:root\n", 0o644),
    ("etc/shadow", "root:*:19000::::::\n", 0o600),
    ("etc/gshadow", "root:::root\n", 0o600),
    ("etc/login.defs", LOGIN_DEFS, 0o644),
)

ROOT_DIRS = (
    "var/lib/pacman",
    "var/cache/pacman/pkg",
    "var/log",  # without it pacman silently writes no log at all
    "etc/pacman.d/hooks",
    "tmp",
    "home",
    "root",
)

# pacman prints this and still exits 0 when a scriptlet cannot run (e.g. no /bin/sh).
SCRIPTLET_FAILURES = ("call to execv failed", "error: command failed to execute correctly")


class PacmanFailed(Exception):
    """pacman failed, or exited 0 but reported a failed scriptlet."""

    def __init__(self, argv: Sequence[str], exit_code: int, output: str) -> None:
        self.argv = list(argv)
        self.exit_code = exit_code
        self.output = output
        super().__init__(f"{' '.join(argv)} → exit {exit_code}\n{output}")


def make_root(directory: Path) -> Path:
    """An empty target root: pacman's directories, the root account, login.defs."""
    for sub in ROOT_DIRS:
        (directory / sub).mkdir(parents=True, exist_ok=True)
    (directory / "tmp").chmod(0o1777)
    for relative, content, mode in ACCOUNT_FILES:
        path = directory / relative
        path.write_text(content)
        path.chmod(mode)
    return directory


def pacman_argv(root: Path, conf: Path, *args: str) -> list[str]:
    """pacman confined to `root`: its database, cache, hooks and log all live inside it."""
    return [
        "pacman",
        "--root", str(root),
        "--dbpath", str(root / "var/lib/pacman"),
        "--config", str(conf),
        "--cachedir", str(root / "var/cache/pacman/pkg"),
        "--hookdir", str(root / "etc/pacman.d/hooks"),
        "--logfile", str(root / "var/log/pacman.log"),
        "--color", "never",
        *args,
    ]  # fmt: skip


def run_pacman(root: Path, conf: Path, *args: str) -> str:
    """Run pacman on `root` and return its stdout; raise `PacmanFailed` on failure."""
    argv = pacman_argv(root, conf, *args)
    # LC_ALL=C: tests compare pacman's messages and list output.
    env = {**os.environ, "LC_ALL": "C"}
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    output = done.stdout + done.stderr
    if done.returncode != 0 or any(marker in output for marker in SCRIPTLET_FAILURES):
        raise PacmanFailed(argv, done.returncode, output)
    return done.stdout


def pacman_install(root: Path, conf: Path, names: Sequence[str], *, asdeps: bool = False) -> str:
    """`pacman -Sy --noconfirm NAMES` into `root` (package or group names)."""
    reason = ["--asdeps"] if asdeps else []
    return run_pacman(root, conf, "-Sy", "--noconfirm", "--noprogressbar", *reason, *names)


@dataclass(frozen=True)
class TargetRoot:
    """A target root together with the pacman.conf used for it."""

    path: Path
    conf: Path

    def install(self, *names: str, asdeps: bool = False) -> str:
        return pacman_install(self.path, self.conf, names, asdeps=asdeps)

    def pacman(self, *args: str) -> str:
        return run_pacman(self.path, self.conf, *args)

    def query(self, *args: str) -> list[str]:
        """Lines of a read-only query such as `-Q`, `-Qe`, `-Sg gnome` (none → empty list).

        pacman exits 1 when a query filter matches nothing (`-Qd` on a root without
        dependencies); that is an empty answer, not a failure.
        """
        try:
            return self.pacman(*args).splitlines()
        except PacmanFailed as failed:
            if failed.exit_code == 1 and not failed.output.strip():
                return []
            raise
