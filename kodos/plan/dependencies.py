"""What `pacman -S` pulls in: the dependencies of a plan's installs, resolved as libalpm does.

A port of libalpm's `_alpm_resolvedeps`, enough to predict a transaction from the sync
databases without running pacman (which would need the target's lock and root):

* the targets are the packages the plan installs, in the order apply names them; a
  dependency that any target satisfies is not pulled in (pacman checks against the whole
  transaction);
* each dependency (`name`, `name>=1.2`, `libfoo.so=1-64`) is first looked for among the
  installed packages and the transaction so far, by name or `provides`, version constraint
  included (a `provides` without a version satisfies only an unversioned dependency);
* a missing one is looked up in the repositories as `resolvedep` does: a package of that
  name that satisfies the constraint, in repository order; else the first provider that
  satisfies it, one already installed winning; it joins the transaction and its own
  dependencies are resolved at once (depth first), as libalpm recurses;
* a dependency no repository satisfies is reported (pacman would refuse the transaction).

Each pulled-in package is attributed to the package whose dependency brought it in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kodos.pacman.localdb import InstalledPackage, SyncIndex, SyncPackage
from kodos.pacman.vercmp import vercmp

_OPERATORS = (">=", "<=", "=", "<", ">")


@dataclass(frozen=True, slots=True)
class Pulled:
    """A package pacman installs as a dependency of `dependency_of`."""

    package: SyncPackage
    dependency_of: str


@dataclass
class Transaction:
    """The packages one `pacman -S` installs: its targets and what they pull in."""

    targets: list[SyncPackage] = field(default_factory=list)
    pulled: list[Pulled] = field(default_factory=list)
    unsatisfied: list[tuple[str, str]] = field(default_factory=list)
    """(dependency, the package needing it) that no repository satisfies."""

    @property
    def packages(self) -> list[SyncPackage]:
        return [*self.targets, *(p.package for p in self.pulled)]


def split_dependency(spec: str) -> tuple[str, str | None, str | None]:
    """`foo>=1.2` → (`foo`, `>=`, `1.2`); `foo` → (`foo`, None, None)."""
    for i, char in enumerate(spec):
        if char in "<>=":
            operator = spec[i : i + 2] if spec[i : i + 2] in _OPERATORS else char
            return spec[:i], operator, spec[i + len(operator) :]
    return spec, None, None


def version_satisfies(version: str, operator: str | None, wanted: str | None) -> bool:
    """Whether `version` meets `operator wanted` (libalpm's `dep_vercmp`)."""
    if operator is None or wanted is None:
        return True
    order = vercmp(version, wanted)
    return {
        "=": order == 0,
        ">=": order >= 0,
        "<=": order <= 0,
        ">": order > 0,
        "<": order < 0,
    }[operator]


class _Satisfiers:
    """Name → (package, version it offers or None) for the installed packages and those
    joining the transaction: what a dependency can be satisfied by."""

    def __init__(self) -> None:
        self._offers: dict[str, list[str | None]] = {}

    def add(self, name: str, version: str, provides: Iterable[str]) -> None:
        self._offers.setdefault(name, []).append(version)
        for provided in provides:
            provided_name, operator, provided_version = split_dependency(provided)
            # only `name=version` gives a provide a version; anything else offers the name
            offered = provided_version if operator == "=" else None
            self._offers.setdefault(provided_name, []).append(offered)

    def satisfy(self, spec: str) -> bool:
        name, operator, wanted = split_dependency(spec)
        for offered in self._offers.get(name, ()):
            if operator is None:
                return True
            if offered is not None and version_satisfies(offered, operator, wanted):
                return True
        return False


def resolve_transaction(
    targets: Sequence[SyncPackage],
    index: SyncIndex,
    installed: Mapping[str, InstalledPackage],
) -> Transaction:
    """The transaction of `pacman -S --needed TARGETS` on a machine with `installed`."""
    transaction = Transaction(targets=list(targets))
    present = _Satisfiers()
    for local in installed.values():
        present.add(local.name, local.version, local.provides)
    for package in targets:
        present.add(package.name, package.version, package.provides)
    for target in targets:
        _resolve(target, index, installed, present, transaction)
    return transaction


def _resolve(
    package: SyncPackage,
    index: SyncIndex,
    installed: Mapping[str, InstalledPackage],
    present: _Satisfiers,
    transaction: Transaction,
) -> None:
    # An explicit stack in libalpm's order: a pulled-in package's dependencies are resolved
    # before its dependent's next dependency (a recursion depth of thousands would not do).
    stack = [(package, iter(package.depends))]
    while stack:
        dependent, pending = stack[-1]
        spec = next(pending, None)
        if spec is None:
            stack.pop()
            continue
        if present.satisfy(spec):
            continue
        found = find_satisfier(spec, index, installed)
        if found is None:
            transaction.unsatisfied.append((spec, dependent.name))
            continue
        present.add(found.name, found.version, found.provides)
        transaction.pulled.append(Pulled(found, dependent.name))
        stack.append((found, iter(found.depends)))


def find_satisfier(
    spec: str, index: SyncIndex, installed: Mapping[str, InstalledPackage]
) -> SyncPackage | None:
    """libalpm's `resolvedep`: a package named as the dependency that satisfies it, in
    repository order; else the first satisfying provider, an installed one first."""
    name, operator, wanted = split_dependency(spec)
    for repo in index.repos:
        literal = index.packages[repo].get(name)
        if literal is not None and version_satisfies(literal.version, operator, wanted):
            return literal
    providers = [p for p in index.providers.get(name, ()) if _provides(p, name, operator, wanted)]
    for provider in providers:
        if provider.name in installed:
            return provider
    return providers[0] if providers else None


def _provides(package: SyncPackage, name: str, operator: str | None, wanted: str | None) -> bool:
    for provided in package.provides:
        provided_name, provided_operator, version = split_dependency(provided)
        if provided_name != name:
            continue
        if operator is None:
            return True
        offered = version if provided_operator == "=" else None
        if offered is not None and version_satisfies(offered, operator, wanted):
            return True
    return False
