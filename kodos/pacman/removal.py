"""What `pacman -Rs` really does with a set of packages: which it removes, which it must keep.

Shared by the planner (so the plan says what will happen) and the applier (so it does what the
plan said). pacman refuses a removal transaction when a package staying installed depends on a
package leaving; kodos keeps such a package instead, as a dependency. `-s` also removes the
dependencies (`%REASON%` 1) that nothing outside the removal needs any more, and only those:
a package that such a dependency needs counts as needed only while that dependency stays.

A dependency is satisfied by a package of that name or one that `provides` it; version
constraints are not compared (keeping a package is the safe mistake).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from kodos.pacman.localdb import InstalledPackage, InstallReason, dependency_name


def kept_packages(
    removing: Collection[str], installed: Mapping[str, InstalledPackage]
) -> dict[str, str]:
    """The packages of `removing` that `pacman -Rs` could not remove: name → one installed
    package that needs it (directly, by `provides`, or as the end of a chain of dependencies).

    Keeping a package keeps what it depends on, so the answer is found by repeating until
    nothing more must be kept.
    """
    satisfiers = _satisfiers(installed.values())
    kept: dict[str, str] = {}
    while True:
        leaving = {name for name in removing if name in installed and name not in kept}
        gone = with_unneeded_dependencies(leaving, installed, satisfiers)
        newly = _needed_by_staying(leaving, gone, installed, satisfiers)
        if not newly:
            return kept
        kept.update(newly)


def with_unneeded_dependencies(
    leaving: Collection[str],
    installed: Mapping[str, InstalledPackage],
    satisfiers: Mapping[str, frozenset[str]] | None = None,
) -> set[str]:
    """`leaving` and the dependencies `-s` takes with it: installed as dependencies, and
    needed by nothing that stays (as libalpm's `_alpm_recursedeps` decides)."""
    satisfiers = satisfiers if satisfiers is not None else _satisfiers(installed.values())
    needed_by = _needed_by(installed, satisfiers)
    gone = set(leaving)
    grew = True
    while grew:
        grew = False
        for name in list(gone):
            for dependency in installed[name].depends:
                for candidate in satisfiers.get(dependency_name(dependency), ()):
                    if candidate in gone:
                        continue
                    if installed[candidate].reason != InstallReason.DEPENDENCY:
                        continue
                    if needed_by.get(candidate, set()) <= gone:
                        gone.add(candidate)
                        grew = True
    return gone


def _needed_by_staying(
    leaving: set[str],
    gone: set[str],
    installed: Mapping[str, InstalledPackage],
    satisfiers: Mapping[str, frozenset[str]],
) -> dict[str, str]:
    """Packages of `leaving` that a package outside `gone` needs, with no satisfier staying."""
    needed: dict[str, str] = {}
    for package in sorted(installed.values(), key=lambda p: p.name):
        if package.name in gone:
            continue
        for dependency in package.depends:
            found = satisfiers.get(dependency_name(dependency), frozenset())
            if found and found <= gone:
                for name in sorted(found & leaving):
                    needed.setdefault(name, package.name)
    return needed


def _needed_by(
    installed: Mapping[str, InstalledPackage], satisfiers: Mapping[str, frozenset[str]]
) -> dict[str, set[str]]:
    """Package → the installed packages that have a dependency it satisfies."""
    found: dict[str, set[str]] = {}
    for package in installed.values():
        for dependency in package.depends:
            for satisfier in satisfiers.get(dependency_name(dependency), ()):
                found.setdefault(satisfier, set()).add(package.name)
    return found


def _satisfiers(packages: Iterable[InstalledPackage]) -> dict[str, frozenset[str]]:
    """Dependency name → the installed packages satisfying it (by name or `provides`)."""
    found: dict[str, set[str]] = {}
    for package in packages:
        found.setdefault(package.name, set()).add(package.name)
        for provided in package.provides:
            found.setdefault(dependency_name(provided), set()).add(package.name)
    return {name: frozenset(names) for name, names in found.items()}
