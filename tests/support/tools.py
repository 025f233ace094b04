"""Which external tools a test needs, and what happens when one is missing."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tools(*names: str) -> None:
    """Skip the test when a tool is missing — but fail it in CI, where every real-component
    test must run (a skipped integration test there would hide a broken setup)."""
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        _unavailable(f"required tools not installed: {', '.join(missing)}")


def require_root() -> None:
    """pacman installs into a root only as root (it chroots to run scriptlets)."""
    if os.geteuid() != 0:
        _unavailable("needs root: pacman --root installs and runs scriptlets in a chroot")


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: these tests must run)", pytrace=False)
    pytest.skip(message)
