"""Shared pytest fixtures for real-component tests (loaded by tests/conftest.py).

* `standard_mirror` (session): the `standard_packages()` set as a file:// Arch mirror.
* root's sync caches made for this session's mirrors are removed when it ends (autouse).
* `new_root` (per test): a factory of fresh target roots wired to that mirror; by default each
  root already has `base` installed, so package scriptlets have a shell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.catalog import standard_packages
from tests.support.mirror import (
    Mirror,
    build_mirror,
    remove_sync_caches_serving,
    write_pacman_conf,
)
from tests.support.target import TargetRoot, make_root
from tests.support.tools import require_root, require_tools

PACMAN_TOOLS = ("pacman", "repo-add", "bsdtar")

NewRoot = Callable[..., TargetRoot]


@pytest.fixture(scope="session", autouse=True)
def _sync_caches_of_test_mirrors_removed(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """Root's sync caches made for this session's mirrors go with the session (every test
    mirror is below its base temporary directory): see `remove_sync_caches_serving`."""
    yield
    remove_sync_caches_serving(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def standard_mirror(tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    require_tools(*PACMAN_TOOLS, "busybox")  # busybox-static: the fixture roots' shell
    return build_mirror(tmp_path_factory.mktemp("mirror"), standard_packages())


@pytest.fixture
def new_root(tmp_path: Path, standard_mirror: Mirror) -> NewRoot:
    """`new_root(base=True, mirror=None) -> TargetRoot`: each call makes another root."""
    require_root()
    made: list[TargetRoot] = []

    def make(*, base: bool = True, mirror: Mirror | None = None) -> TargetRoot:
        directory = tmp_path / f"root{len(made)}"
        root = TargetRoot(
            path=make_root(directory),
            conf=write_pacman_conf(tmp_path / f"pacman{len(made)}.conf", mirror or standard_mirror),
        )
        made.append(root)
        if base:
            root.install("base")
        return root

    return make
