"""pacman's two transactions as the plan predicts them: what `-S` pulls in, what `-Rs` keeps
and what it takes along.

* Installs: the packages the plan creates, resolved against the sync databases
  (`kodos.plan.dependencies`): each pulled-in package becomes a create of its own, marked
  `pulled_in` and attributed to the package that needs it; every create carries the version
  the databases offer; the summary gets the download and installed sizes.
* Removals: a package kodos manages and the configuration drops is removed with `pacman -Rs`
  — unless a package staying installed needs it (declared or not, by name, by `provides`, or
  at the end of a chain of dependencies). Then pacman would refuse the removal, so the applier
  keeps it as a dependency: the plan shows that as a reason change (`explicit → dependency,
  kept: needed by …`), not as a delete, and the re-plan of the new generation (which no
  longer manages it) agrees. What `-s` removes with the dropped packages (dependencies nothing
  else needs) becomes a delete marked `taken_along`.

Installs come first in apply, so removals are judged on the machine as the installs leave it:
declared packages explicit, pulled-in ones as dependencies. Only a live root has the installed
packages' dependency lists (a facts file does not): planned from facts, every dropped package
shows as a delete and nothing as taken along, and the applier still keeps what is needed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kodos.plan.model import Action, Change, Reason
from kodos.resources import Resource, address_of, sort_key

if TYPE_CHECKING:
    from kodos.pacman.localdb import InstalledPackage, SyncIndex, SyncPackage
    from kodos.plan.dependencies import Transaction

PACKAGE_KINDS = frozenset({("pacman", "package"), ("aur", "package")})
CACHE_DIR = "var/cache/pacman/pkg"
NO_DATABASES_NOTE = (
    "the packages pacman would pull in as dependencies, their versions and sizes are not "
    "shown: no sync databases"
)
FACTS_NOTE = (
    "some installed packages are at versions no repository offers, and a facts file holds no "
    "provides: pacman may pull in fewer packages than shown"
)
"""Planned from facts, an installed package takes its provides from the repository entry of
the same version (`kodos.plan.build`); one that has none may satisfy more than the plan knows.
What `pacman -Rs` takes along is never shown from facts (no dependency lists are trusted for
removals)."""


@dataclass
class PackageTransactions:
    """The plan's prediction of pacman's transactions (module docstring)."""

    install: Transaction | None = None
    kept: dict[str, str] = field(default_factory=dict)
    """Dropped packages pacman must keep: name → a package that needs it."""
    taken: dict[str, str] = field(default_factory=dict)
    """Dependencies `-Rs` removes with the dropped packages: name → the one it served."""
    download_size: int | None = None
    installed_size: int | None = None
    notes: list[str] = field(default_factory=list)

    def annotate(self, changes: list[Change], actual: Mapping[str, Resource]) -> list[Change]:
        """`changes` with versions on the creates, the pulled-in and taken-along packages."""
        if self.install is None and not self.taken:
            return changes
        versions = {p.name: p.version for p in self.install.packages} if self.install else {}
        out = [_with_version(c, versions) for c in changes]
        for pulled in self.install.pulled if self.install else ():
            out.append(_pulled_in(pulled.package, pulled.dependency_of))
        for name, dependency_of in self.taken.items():
            have = actual[address_of("pacman", "package", name)]
            out.append(_taken_along(have, dependency_of))
        return sorted(out, key=lambda change: sort_key(change.address))


def plan_transactions(
    root: Path | None,
    desired: Mapping[str, Resource],
    actual: Mapping[str, Resource],
    managed: frozenset[str],
    index: SyncIndex | None,
    installed: Mapping[str, InstalledPackage],
) -> PackageTransactions:
    """Predict both transactions for a plan of `root` (None: from facts, whose `installed`
    lack dependency lists)."""
    from kodos.pacman.localdb import InstallReason
    from kodos.pacman.removal import kept_packages, with_unneeded_dependencies

    found = PackageTransactions()
    wanted = {r.name for r in desired.values() if (r.provider, r.kind) in PACKAGE_KINDS}
    creates = sorted(
        r.name
        for r in desired.values()
        if (r.provider, r.kind) == ("pacman", "package") and r.address not in actual
    )
    after = dict(installed)
    if index is None:
        if creates:
            found.notes.append(NO_DATABASES_NOTE)
    else:
        found.install = _install(creates, index, installed)
        after.update(_as_installed(found.install))
        found.download_size, found.installed_size = _sizes(found.install, root)
        if root is None and found.install.pulled and _unknown_provides(installed, index):
            found.notes.append(FACTS_NOTE)
        found.notes += [
            f"pacman will find nothing satisfying {spec}, a dependency of {needer}: "
            "apply would fail"
            for spec, needer in found.install.unsatisfied
        ]
    dropped = {
        actual[address].name
        for address in managed - desired.keys()
        if address in actual
        and (actual[address].provider, actual[address].kind) in PACKAGE_KINDS
        and actual[address].name not in wanted
    }
    if not dropped or root is None:
        return found
    for name in wanted & after.keys():  # declared packages stay, explicitly
        after[name] = dataclasses.replace(after[name], reason=InstallReason.EXPLICIT)
    found.kept = kept_packages(dropped, after)
    leaving = {name for name in dropped if name in after and name not in found.kept}
    gone = with_unneeded_dependencies(leaving, after)
    found.taken = {
        name: _served(name, gone, after)
        for name in sorted(gone - leaving)
        if address_of("pacman", "package", name) in actual
    }
    return found


def _install(creates: list[str], index: SyncIndex, installed: Mapping[str, Any]) -> Transaction:
    from kodos.plan.dependencies import resolve_transaction

    targets = [found for name in creates if (found := index.get(name)) is not None]
    return resolve_transaction(targets, index, installed)


def _unknown_provides(installed: Mapping[str, InstalledPackage], index: SyncIndex) -> bool:
    """Whether an installed package is at a version no repository offers (from facts: its
    provides are unknown)."""
    for package in installed.values():
        offered = index.get(package.name)
        if offered is None or offered.version != package.version:
            return True
    return False


def _as_installed(transaction: Transaction) -> dict[str, InstalledPackage]:
    """The transaction's packages as the local database will hold them."""
    from kodos.pacman.localdb import InstalledPackage, InstallReason

    pulled = {p.package.name for p in transaction.pulled}
    return {
        p.name: InstalledPackage(
            p.name,
            p.version,
            InstallReason.DEPENDENCY if p.name in pulled else InstallReason.EXPLICIT,
            p.groups,
            p.provides,
            p.depends,
        )
        for p in transaction.packages
    }


def _sizes(transaction: Transaction, root: Path | None) -> tuple[int, int]:
    """(download, installed) bytes; a package already in the root's pacman cache is not
    downloaded again."""
    cached = _cached_files(root) if root is not None else frozenset()
    download = installed = 0
    for package in transaction.packages:
        installed += package.installed_size
        if not package.filename or package.filename not in cached:
            download += package.download_size
    return download, installed


def _cached_files(root: Path) -> frozenset[str]:
    """The file names in the root's pacman cache (resolved inside the root, as its pacman
    sees it); none when it has no cache."""
    import os

    from kodos.system.rootfs import UnsafePath, checked_in_root

    try:
        return frozenset(os.listdir(checked_in_root(root, f"/{CACHE_DIR}")))
    except (OSError, UnsafePath):  # no cache, or one pacman could not use: all downloaded
        return frozenset()


def _served(name: str, gone: set[str], installed: Mapping[str, InstalledPackage]) -> str:
    """The first package (by name) leaving with `name` that depends on it."""
    from kodos.plan.dependencies import split_dependency

    offers = {name, *(split_dependency(p)[0] for p in installed[name].provides)}
    for candidate in sorted(gone - {name}):
        if any(split_dependency(d)[0] in offers for d in installed[candidate].depends):
            return candidate
    return sorted(gone - {name})[0]


def _with_version(change: Change, versions: Mapping[str, str]) -> Change:
    if change.action != Action.CREATE or change.provider != "pacman":
        return change
    version = versions.get(change.name)
    if version is None or change.after is None:
        return change
    return change.model_copy(update={"after": {**change.after, "version": version}})


def _pulled_in(package: SyncPackage, dependency_of: str) -> Change:
    return Change(
        address=address_of("pacman", "package", package.name),
        provider="pacman",
        kind="package",
        name=package.name,
        action=Action.CREATE,
        before=None,
        after={"version": package.version},
        reason=Reason.PULLED_IN,
        dependency_of=dependency_of,
    )


def _taken_along(have: Resource, dependency_of: str) -> Change:
    return Change(
        address=have.address,
        provider=have.provider,
        kind=have.kind,
        name=have.name,
        action=Action.DELETE,
        before=dict(sorted(have.attributes.items())),
        after=None,
        reason=Reason.TAKEN_ALONG,
        dependency_of=dependency_of,
    )
