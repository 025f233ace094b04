"""kodos.plan.actual.read_actual: every provider over one root, an empty root as a fresh install."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import cast

import pytest

from kodos.errors import KodosError
from kodos.plan.actual import read_actual
from kodos.providers import Provider, Scope
from kodos.providers.registry import PROVIDERS
from kodos.resources import PROVIDER_ORDER
from tests.support.fixtures import NewRoot
from tests.support.tools import require_tools
from tests.support.units import systemctl


def test_the_table_lists_every_provider_in_apply_order() -> None:
    assert tuple(p.PROVIDER for p in PROVIDERS) == PROVIDER_ORDER


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.PROVIDER)
def test_every_provider_module_keeps_the_contract(provider: Provider) -> None:
    module = cast(ModuleType, provider)
    assert module.__name__ == f"kodos.providers.{provider.PROVIDER}"
    assert callable(provider.read)
    assert "Ownership" in (module.__doc__ or "")  # the docstring states its ownership rule


def test_a_missing_root_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KodosError, match=f"^--root {tmp_path}/x: no such directory$"):
        read_actual(tmp_path / "x", Scope())
    (tmp_path / "file").write_text("")
    with pytest.raises(KodosError, match=r"file: not a directory$"):
        read_actual(tmp_path / "file", Scope())


def test_an_empty_root_is_a_fresh_install(tmp_path: Path) -> None:
    scope = Scope(
        frozenset({"pacman.package[htop]", "files.file[/etc/hostname]", "aur.package[yay]"})
    )
    actual = read_actual(tmp_path, scope)
    assert len(actual.resources) == 0
    assert actual.notes == []


@pytest.mark.system
def test_a_whole_root_reads_through_every_provider(new_root: NewRoot) -> None:
    require_tools("systemctl", "useradd")
    root = new_root()
    root.install("openssh", "htop")
    assert systemctl(root.path, "enable", "sshd.service").returncode == 0
    (root.path / "etc/hostname").write_text("testvm\n")
    (root.path / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\nbad line\n")
    scope = Scope(frozenset({"files.file[/etc/hostname]", "aur.package[htop]"}))

    actual = read_actual(root.path, scope)

    assert actual.resources["pacman.package[openssh]"].attributes["reason"] == "explicit"
    assert actual.resources["aur.package[htop]"].attributes["version"] == "3.3.0-3"
    assert actual.resources["services.unit[sshd.service]"].attributes == {"state": "enabled"}
    assert actual.resources["users.user[root]"].attributes["password"] == "*"
    assert actual.resources["files.file[/etc/hostname]"].attributes["content"] == "testvm\n"
    assert actual.notes == ["users: /etc/passwd:2: not an entry (7 fields expected); skipped"]
    providers = {address.split(".", 1)[0] for address in actual.resources}
    assert providers == {"pacman", "aur", "users", "files", "services"}
