"""providers.pacman and providers.aur against the real pacman: every installed package with
its version and install reason as `pacman -Q`/`-Qe`/`-Qd` report them, and packages installed
from outside the repositories (`pacman -U`, as an AUR build is) read under `aur.` when asked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kodos.errors import KodosError
from kodos.providers import Scope, aur, pacman
from tests.support.mirror import Mirror, Pkg, package_bytes, write_pacman_conf
from tests.support.target import TargetRoot, make_root
from tests.support.tools import require_root

NO_SCOPE = Scope()
# What makepkg would build from the AUR: a package no repository of the mirror offers.
AUR_PACKAGES = (Pkg("floorp-bin", "1:11.20.0-1"), Pkg("yay", "12.4.2-1"))


@pytest.fixture(scope="module")
def installed(standard_mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> TargetRoot:
    """One root for the module (tests only read it): repository and `pacman -U` packages."""
    require_root()
    tmp_path = tmp_path_factory.mktemp("pacman-providers")
    conf = write_pacman_conf(tmp_path / "pacman.conf", standard_mirror)
    root = TargetRoot(make_root(tmp_path / "root"), conf)
    root.install("base")
    root.install("htop", "memtest86+", "libsigc++", "cups")
    root.install("pipewire-pulse", asdeps=True)
    for pkg in AUR_PACKAGES:
        built = tmp_path / pkg.filename
        built.write_bytes(package_bytes(pkg))
        root.pacman("-U", "--noconfirm", "--asexplicit", str(built))
    return root


def versions_and_reasons(root: TargetRoot) -> dict[str, tuple[str, str]]:
    """pacman's own view: NAME → (version, explicit|dependency)."""
    explicit = {line.split()[0] for line in root.query("-Qe")}
    return {
        name: (version, "explicit" if name in explicit else "dependency")
        for name, version in (line.split() for line in root.query("-Q"))
    }


@pytest.mark.system
def test_every_installed_package_is_read_as_pacman_reports_it(installed: TargetRoot) -> None:
    reading = pacman.read(installed.path, NO_SCOPE)

    found = {r.name: (r.attributes["version"], r.attributes["reason"]) for r in reading.resources}
    assert found == versions_and_reasons(installed)
    assert found["pipewire"] == ("1:1.2.7-1", "dependency")
    assert found["libsigc++"] == ("2.12.1-2", "explicit")
    assert {r.address for r in reading.resources} >= {
        "pacman.package[memtest86+]",
        "pacman.package[floorp-bin]",
    }
    assert reading.notes == []


@pytest.mark.system
def test_aur_packages_are_read_only_when_in_scope(installed: TargetRoot) -> None:
    foreign = {line.split()[0] for line in installed.query("-Qm")}  # not in any repository
    scope = Scope(
        frozenset({"aur.package[floorp-bin]", "aur.package[not-installed]", "pacman.package[yay]"})
    )

    reading = aur.read(installed.path, scope)

    assert foreign == {"floorp-bin", "yay"}
    assert [(r.address, dict(r.attributes)) for r in reading.resources] == [
        ("aur.package[floorp-bin]", {"version": "1:11.20.0-1", "reason": "explicit"})
    ]
    assert aur.read(installed.path, NO_SCOPE).resources == []


def test_a_root_without_a_database_has_no_packages(tmp_path: Path) -> None:
    assert pacman.read(tmp_path, NO_SCOPE).resources == []
    assert aur.read(tmp_path, Scope(frozenset({"aur.package[yay]"}))).resources == []


@pytest.mark.system
def test_a_damaged_entry_stops_the_reading_with_its_file(
    installed: TargetRoot, tmp_path: Path
) -> None:
    local = "var/lib/pacman/local"
    shutil.copytree(installed.path / local, tmp_path / local)
    (entry,) = (tmp_path / local).glob("yay-*")
    (entry / "desc").write_text("%NAME%\nyay\n\n%VERSION%\n12.4.2-1\n\n%REASON%\n7\n\n")

    for provider, scope in ((pacman, NO_SCOPE), (aur, Scope(frozenset({"aur.package[yay]"})))):
        with pytest.raises(KodosError, match=r"yay-12\.4\.2-1/desc: %REASON% must be 0 or 1"):
            provider.read(tmp_path, scope)
