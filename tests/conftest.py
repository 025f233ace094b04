"""Shared fixtures, and the `system` marker's check (tests/support/tools.py).

`pytest -m "not system"` runs the tests that need neither root nor real tools."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import tools

pytest_plugins = [
    "tests.support.fixtures",
    "tests.support.btrfs",
    "tests.support.seed",
    "tests.support.home",
]


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Note the running test, so needing root or a tool can check it is marked `system`."""
    tools.running(item)
    yield
    tools.running(None)
