"""Commands that need root say so in one line, before anything fails half-way.

Reading and changing generations mounts the Btrfs top level in a private mount namespace, which
only root (CAP_SYS_ADMIN) may do; as a normal user the kernel's refusal, `unshare(CLONE_NEWNS)
failed: Operation not permitted`, tells the user nothing they can act on. `require_root` is asked
first instead. Read-only commands that can do without root (`plan`, `validate`, `show`) never ask.
"""

from __future__ import annotations

import os
import sys

from kodos.errors import KodosError

ROOT_ADVICE = "run as root (sudo)"
COMMAND_GROUPS = frozenset({"generations"})
"""Commands whose subcommand belongs to the name shown (`kodos generations list`)."""


class NeedsRoot(KodosError):
    """The command needs root and this process is not root; nothing was done."""

    def __init__(self, command: str) -> None:
        super().__init__(f"{command} needs root: {ROOT_ADVICE}")


def require_root(command: str | None = None) -> None:
    """`NeedsRoot` unless this process runs as root; `command` names what needs it (default:
    the kodos command this process runs)."""
    if os.geteuid() != 0:
        raise NeedsRoot(command or invoked_command())


def invoked_command(argv: list[str] | None = None) -> str:
    """`kodos generations list` for `kodos generations list --root /mnt`: the command words,
    without options or arguments."""
    words = [word for word in (sys.argv if argv is None else argv)[1:] if not word.startswith("-")]
    shown = words[:2] if words[:1] and words[0] in COMMAND_GROUPS else words[:1]
    return " ".join(["kodos", *shown])


def drop_privileges(uid: int, gid: int, groups: list[int]) -> None:
    """Become `uid` for good: supplementary groups, then the group, then the user (real,
    effective and saved, so nothing can take root back). Root only; the order matters, as
    once the uid is dropped the groups can no longer be changed."""
    os.setgroups(groups)
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
