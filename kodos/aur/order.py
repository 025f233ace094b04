"""The order AUR package bases build in: a base after every AUR base it needs.

A base needs another when one of its depends, makedepends or checkdepends names a package of
the other, or something the other provides (version constraints are not compared: the AUR
offers one version of a base). Needs met by no base of the set are the repositories' to meet.
Among bases free to go, the order is by name, so it is the same on every run; a cycle raises
`AurError` naming the bases around it.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable

from kodos.aur.errors import AurError
from kodos.aur.source import AurBase

_CONSTRAINT = re.compile(r"(<=|>=|<|>|=)")


def dependency_name(dependency: str) -> str:
    """The name a dependency string asks for: `foo>=1.2` → `foo`, `libx.so=1-64` → `libx.so`."""
    return _CONSTRAINT.split(dependency, maxsplit=1)[0].strip()


def offered_names(base: AurBase) -> set[str]:
    """What `base` offers to others' needs: its package names and what they provide."""
    return {*base.info.packages, *map(dependency_name, base.info.provides)}


def needed_names(base: AurBase) -> set[str]:
    """The names `base` needs installed to build (depends, makedepends, checkdepends)."""
    return set(map(dependency_name, base.info.build_needs()))


def build_order(bases: Iterable[AurBase]) -> list[AurBase]:
    """`bases` ordered so each comes after the bases it needs; `AurError` on a cycle."""
    by_name = {base.pkgbase: base for base in bases}
    offers: dict[str, str] = {}
    for base in sorted(by_name.values(), key=lambda b: b.pkgbase):
        for name in sorted(offered_names(base)):
            offers.setdefault(name, base.pkgbase)
    needs = {
        pkgbase: sorted({offers[n] for n in needed_names(base) if n in offers} - {pkgbase})
        for pkgbase, base in by_name.items()
    }
    waiting = {pkgbase: len(needed) for pkgbase, needed in needs.items()}
    needed_by: dict[str, list[str]] = {}
    for pkgbase, needed in needs.items():
        for other in needed:
            needed_by.setdefault(other, []).append(pkgbase)
    ready = [pkgbase for pkgbase, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[AurBase] = []
    while ready:
        pkgbase = heapq.heappop(ready)
        order.append(by_name[pkgbase])
        for other in needed_by.get(pkgbase, []):
            waiting[other] -= 1
            if waiting[other] == 0:
                heapq.heappush(ready, other)
    if len(order) < len(by_name):
        raise AurError(f"AUR packages depend on each other in a cycle: {_cycle(needs, waiting)}")
    return order


def _cycle(needs: dict[str, list[str]], waiting: dict[str, int]) -> str:
    """One cycle among the bases left waiting, shown `a → b → a`."""
    start = min(pkgbase for pkgbase, count in waiting.items() if count > 0)
    path = [start]
    while True:
        following = next(n for n in needs[path[-1]] if waiting[n] > 0)
        if following in path:
            loop = [*path[path.index(following) :], following]
            return " → ".join(loop)
        path.append(following)
