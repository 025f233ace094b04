"""The `system` marker: a test that needs root or a real tool must carry it."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytest_plugins = ["pytester"]

NEEDS = """
import pytest

from tests.support.tools import require_root, require_tools
from tests.support.privilege import require_root_for


def test_tools_unmarked():
    require_tools("sh")


def test_root_unmarked():
    require_root()


def test_root_for_unmarked():
    require_root_for("a reason")


@pytest.mark.system
def test_tools_marked():
    require_tools("sh")
"""


def test_needing_tools_or_root_without_the_marker_fails(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("from tests.conftest import pytest_runtest_protocol  # noqa: F401\n")
    pytester.makepyfile(test_needs=NEEDS)
    pytester.syspathinsert(str(REPO))  # for tests.conftest and tests.support
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-o", "markers=system: x")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 3, result.stdout.str()
    for name in ("test_tools_unmarked", "test_root_unmarked", "test_root_for_unmarked"):
        result.stdout.fnmatch_lines(
            [
                f"*test_needs.py::{name} needs root or real tools but is not marked: add "
                "@pytest.mark.system (or `pytestmark = pytest.mark.system` for a whole file)"
            ]
        )
    # the marked one runs (or skips for want of root/tools outside CI): it never fails
    assert "test_tools_marked" not in "".join(
        line for line in result.stdout.lines if line.startswith("FAILED")
    )
