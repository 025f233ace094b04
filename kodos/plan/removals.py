"""Which packages leaving the configuration pacman must keep, so the plan says what happens.

A package kodos manages and the configuration drops is removed with `pacman -Rs` — unless a
package staying installed needs it (declared or not, by name, by `provides`, or at the end of
a chain of dependencies). Then pacman would refuse the removal, so the applier keeps it as a
dependency: the plan shows that as a reason change (`explicit → dependency, kept: needed by
…`), not as a delete, and the re-plan of the new generation (which no longer manages it) agrees.

The packages this plan installs count as staying: their dependencies are looked up in the sync
databases, as pacman will resolve them. Only a live root has the dependency lists (a facts file
does not): planned from facts, every dropped package shows as a delete, and the applier still
keeps what is needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kodos.resources import Resource

if TYPE_CHECKING:
    from kodos.pacman.localdb import InstalledPackage, SyncIndex

PACKAGE_KINDS = frozenset({("pacman", "package"), ("aur", "package")})


def kept_packages(
    root: Path | None,
    desired: Mapping[str, Resource],
    actual: Mapping[str, Resource],
    managed: frozenset[str],
    index: SyncIndex | None,
) -> dict[str, str]:
    """Name → a package that needs it, for each managed package the configuration drops
    that `pacman -Rs` would have to keep."""
    wanted = {r.name for r in desired.values() if (r.provider, r.kind) in PACKAGE_KINDS}
    dropped = {
        actual[address].name
        for address in managed - desired.keys()
        if address in actual
        and (actual[address].provider, actual[address].kind) in PACKAGE_KINDS
        and actual[address].name not in wanted
    }
    if not dropped or root is None:
        return {}
    from kodos.pacman.localdb import read_local_packages
    from kodos.pacman.removal import kept_packages as kept_by_pacman

    installed = dict(read_local_packages(root))
    if index is not None:
        installed.update(_planned_installs(wanted - installed.keys(), installed, index))
    return kept_by_pacman(dropped, installed)


def _planned_installs(
    names: Iterable[str], installed: Mapping[str, InstalledPackage], index: SyncIndex
) -> dict[str, InstalledPackage]:
    """The packages this plan installs and the dependencies pacman pulls in with them, as
    they will be installed (the requested ones explicitly, the rest as dependencies)."""
    from kodos.pacman.localdb import InstalledPackage, InstallReason, dependency_name

    provided = {dependency_name(p) for package in installed.values() for p in package.provides}
    present = set(installed) | provided
    planned: dict[str, InstalledPackage] = {}
    queue = [(name, InstallReason.EXPLICIT) for name in sorted(names)]
    while queue:
        name, reason = queue.pop()
        found = index.satisfier(name, installed)
        if found is None or found.name in planned or found.name in installed:
            continue
        planned[found.name] = InstalledPackage(
            found.name, found.version, reason, found.groups, found.provides, found.depends
        )
        present.add(found.name)
        present.update(dependency_name(p) for p in found.provides)
        for dependency in found.depends:
            if dependency_name(dependency) not in present:
                queue.append((dependency_name(dependency), InstallReason.DEPENDENCY))
    return planned
