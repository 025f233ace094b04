"""Whether a directory is this user's alone: the test before root writes anything in it.

Root writes the machine lock and the sync-database cache in directories; if another user can
write one, they can plant a link there and have root write through it (truncate a file, append
to it) or swap what root reads. A directory passes when it is a real directory (not a link),
owned by the running user and writable by no one else.
"""

from __future__ import annotations

import os
import stat


def foreign_reason(info: os.stat_result) -> str | None:
    """Why the directory `info` describes (an `lstat` or an `fstat`) is not this user's alone;
    None when it is."""
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "not a directory"
    if info.st_uid != os.geteuid():
        return f"owned by uid {info.st_uid}, not by this user (uid {os.geteuid()})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"writable by others (mode {stat.S_IMODE(info.st_mode):04o})"
    return None
