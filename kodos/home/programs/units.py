"""Starting user units, best effort: only a running user manager can, and kodos never needs one.

The unit files and `.wants` links are the real change (the home activation places them); the
user's systemd reads them at its next start, i.e. at next login. When the manager is reachable
now (its private socket `$XDG_RUNTIME_DIR/systemd/private` exists), kodos asks it to re-read
its units and to (re)start the changed ones, and reports what happened as notes — a failure
there is said, never fatal.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from kodos.system.runner import CommandFailed, run

NEXT_LOGIN = "user units take effect at next login: no user manager is running for this session"


def manager_socket() -> Path | None:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime) / "systemd" / "private" if runtime else None


def reachable() -> bool:
    """Whether the user's systemd manager is running and reachable from here."""
    socket = manager_socket()
    try:
        return socket is not None and stat.S_ISSOCK(os.stat(socket).st_mode)
    except OSError:
        return False


def start_or_reload(names: Iterable[str]) -> list[str]:
    """Reload the manager and (re)start `names` when it is reachable; notes saying what
    happened (or that the units start at next login)."""
    wanted = sorted(names)
    if not reachable():
        return [NEXT_LOGIN] if wanted else []
    try:
        run(["systemctl", "--user", "daemon-reload"])
    except CommandFailed as err:
        return [f"user units not reloaded ({err.headline()}); they take effect at next login"]
    notes = []
    for name in wanted:
        try:
            run(["systemctl", "--user", "reload-or-restart", "--", name])
            notes.append(f"started {name}")
        except CommandFailed as err:
            notes.append(f"{name} not started: {err.message}")
    return notes
