"""No test hook in a production run (issue 17.9): the installed `kodos` ignores
KODOS_TEST_FAIL_AT and KODOS_TEST_PAUSE_AT; only the tests' own entry point
(tests/support/faulty_kodos.py) injects faults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.btrfs import BtrfsMachine
from tests.test_apply import FIRST, REPO, apply, generations, write_config

INSTALLED = Path(sys.executable).with_name("kodos")
"""The console script pip installed, as a user runs it."""


@pytest.mark.system
def test_the_installed_cli_ignores_the_test_variables(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    assert INSTALLED.is_file()
    config = write_config(tmp_path, FIRST)
    hooks = {"KODOS_TEST_PAUSE_AT": "lock", "KODOS_TEST_FAIL_AT": "snapshot"}
    argv = [INSTALLED, "apply", "-c", config, "--root", btrfs_machine.root, "--yes"]

    done = subprocess.run(
        list(map(str, argv)),
        cwd=tmp_path,  # not the repository: nothing of tests/ on the path
        env={**os.environ, **hooks},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,  # a pause at "lock" would sleep an hour
    )

    assert done.returncode == 0, done.stderr
    assert "Built generation 1; it boots next." in done.stdout
    assert "paused" not in done.stderr and "injected" not in done.stderr
    assert [g["id"] for g in generations(btrfs_machine)] == [0, 1]


@pytest.mark.system
def test_the_tests_entry_point_does_inject(btrfs_machine: BtrfsMachine, tmp_path: Path) -> None:
    """The negative control: the same variables through tests/support/faulty_kodos.py."""
    config = write_config(tmp_path, FIRST)
    failed = apply(btrfs_machine, config, env={"KODOS_TEST_FAIL_AT": "snapshot"}, faulty=True)
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[-1] == "error: injected failure at step 'snapshot'"
    assert [g["id"] for g in generations(btrfs_machine)] == [0]


def test_kodos_sources_name_no_test_variable() -> None:
    sources = [
        path
        for package in ("kodos", "providers", "state")
        for path in (REPO / package).rglob("*.py")
    ]
    assert sources
    assert [p for p in sources if "KODOS_TEST_" in p.read_text(encoding="utf-8")] == []
