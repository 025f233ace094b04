"""Tests that need root, saying why (tools.require_root's message is about pacman)."""

from __future__ import annotations

import os

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
