"""From the names a configuration asks for to the package bases to build, in build order.

A base's needs (depends, makedepends, checkdepends) that a repository package satisfies are
the repositories' (pacman installs them in the build environment); a need no repository and
no base found so far offers is looked up in the AUR, and its base joins the set — until
nothing new is needed. A base is taken at the commit `commits` pins it to (a lock), else at
the AUR's current commit. A need nobody offers raises `AurError` naming who needs it. (The
AUR's RPC finds packages by name, not by what they provide: an AUR need met only by another
AUR package's `provides` is found when that package is asked for too.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from kodos.aur.errors import AurError
from kodos.aur.order import build_order, dependency_name, offered_names
from kodos.aur.source import AurBase, AurSource


def resolve_bases(
    source: AurSource,
    names: Iterable[str],
    in_repositories: Callable[[str], bool],
    *,
    commits: Mapping[str, str] | None = None,
) -> list[AurBase]:
    """Every base `names` need, AUR dependencies included, in build order.

    `in_repositories(dependency)` says whether a repository package satisfies a dependency
    string (`foo>=1`); `commits` maps package bases to the commits they are locked at.
    """
    pinned = dict(commits or {})
    bases: dict[str, AurBase] = {}
    for pkgbase in dict.fromkeys(source.bases_for(names).values()):
        bases[pkgbase] = _base(source, pkgbase, pinned.get(pkgbase))
    added = list(bases.values())
    while added:
        offered = _offered(bases.values())
        wanted: dict[str, str] = {}  # need -> the base that needs it first
        for base in added:
            for need in base.info.build_needs():
                name = dependency_name(need)
                if name not in offered and name not in wanted and not in_repositories(need):
                    wanted[name] = base.pkgbase
        found = source.lookup(wanted)
        missing = [f"{wanted[name]} needs {name}" for name in wanted if name not in found]
        if missing:
            raise AurError(
                f"no repository and no AUR package offers what AUR packages need: "
                f"{'; '.join(missing)}"
            )
        added = []
        for pkgbase in dict.fromkeys(found.values()):
            if pkgbase not in bases:
                bases[pkgbase] = _base(source, pkgbase, pinned.get(pkgbase))
                added.append(bases[pkgbase])
    return build_order(bases.values())


def _base(source: AurSource, pkgbase: str, commit: str | None) -> AurBase:
    """`pkgbase` at `commit` (fetched when the mirror lacks it), or at the AUR's tip."""
    if commit is None:
        return source.at(pkgbase, source.fetch(pkgbase))
    if not source.has(pkgbase, commit):
        source.fetch(pkgbase)
    return source.at(pkgbase, commit)


def _offered(bases: Iterable[AurBase]) -> set[str]:
    return {name for base in bases for name in offered_names(base)}
