"""Tests that need root, saying why (tools.require_root's message is about pacman), and the
non-root paths run as a real unprivileged user."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.tools import require_system_marker


def require_root_for(why: str) -> None:
    """Skip the test unless running as root — but fail it in CI, where it must run."""
    require_system_marker()
    if os.geteuid() == 0:
        return
    message = f"needs root: {why}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: these tests must run)", pytrace=False)
    pytest.skip(message)


NOBODY = 65534
"""The unprivileged user the non-root paths run as (Debian's and Arch's `nobody`)."""


def as_nobody(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """`argv` run as a real unprivileged user (uid and gid 65534, no supplementary groups, no
    capabilities), the way `setpriv` drops them; needs root to switch."""
    require_root_for("switching to an unprivileged user with setpriv")
    drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return subprocess.run([*drop, *argv], capture_output=True, text=True, check=False, **kwargs)


@contextmanager
def world_readable_directory() -> Iterator[Path]:
    """A fresh directory every user can enter and read (pytest's tmp_path is root's alone), for
    what an unprivileged run must read; removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="kodos-nonroot-"))
    try:
        directory.chmod(0o755)
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
