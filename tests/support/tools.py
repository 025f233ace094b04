"""Which external tools a test needs, and what happens when one is missing.

A test that needs root or a real tool (pacman, btrfs, loop devices, qemu…) carries the
`system` marker, so `pytest -m "not system"` runs the pure core anywhere. The marker is
checked where the need is declared: `require_tools` and `require_root` fail a test that
lacks it, so a missing marker shows up in CI, where every test runs.
"""

from __future__ import annotations

import os
import shutil

import pytest

_running: pytest.Item | None = None  # set by tests/conftest.py before each test's set-up


def running(item: pytest.Item | None) -> None:
    """Note the test being set up and run (tests/conftest.py calls this)."""
    global _running
    _running = item


def require_tools(*names: str) -> None:
    """Skip the test when a tool is missing — but fail it in CI, where every real-component
    test must run (a skipped integration test there would hide a broken setup)."""
    require_system_marker()
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        _unavailable(f"required tools not installed: {', '.join(missing)}")


def require_root() -> None:
    """pacman installs into a root only as root (it chroots to run scriptlets)."""
    require_system_marker()
    if os.geteuid() != 0:
        _unavailable("needs root: pacman --root installs and runs scriptlets in a chroot")


def require_system_marker() -> None:
    """Fail the running test unless it is marked `system` (it needs root or real tools)."""
    if _running is not None and _running.get_closest_marker("system") is None:
        pytest.fail(
            f"{_running.nodeid} needs root or real tools but is not marked: add "
            "@pytest.mark.system (or `pytestmark = pytest.mark.system` for a whole file)",
            pytrace=False,
        )


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: these tests must run)", pytrace=False)
    pytest.skip(message)
