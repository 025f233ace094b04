"""Package resolution at plan time: the configuration's package requests → package resources.

Each `PackageRequest` becomes resources the way `pacman -S` would read its name:

* `pacman`: the package of that name (address `pacman.package[NAME]`); else the package that
  provides it, chosen as libalpm does — the first provider already installed, else the first
  in repository order (`sh` → `pacman.package[busybox]`; the resource's `source` keeps the
  requested name: `packages[3] as "sh"`); else a group, expanded to its members minus the
  request's `exclude` (each member's source is the request's path); else a located problem
  with a "did you mean" suggestion. A virtual name never becomes an address: apply would
  install the provider, and the next plan would not find a package of the virtual name.
* `aur` and `flatpak`: `aur.package[NAME]` and `flatpak.app[ID]` as asked. Planning needs no
  network, so they are not checked against the AUR or a Flatpak remote here.

Without sync databases (`index is None`), package and provider names pass unchecked as
`pacman.package[NAME]`, and the resolution carries a note saying so. A group cannot pass that
way: `pacman.package[gnome]` would make apply install the group's members and the next plan
still miss a package named gnome. So a request that is known to be a group without
databases — it has `exclude` entries, or installed packages name it as their group — is a
located problem. A group name not recognisable either way passes as a package name.

A package asked for twice is one resource, from the first request that asked (configuration
order). All problems are collected, none raised.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from kodos.config.packages import PackageRequest
from kodos.errors import Problem
from kodos.pacman.filelists import UnitIndex, template_of
from kodos.pacman.localdb import InstalledPackage, SyncIndex, SyncPackage, dependency_name
from kodos.resources import Resource, address_of
from kodos.text.location import config_path

EXCLUDE_KEY = "exclude_packages"
"""Where a request's `exclude` entries sit in the configuration, under the request's path
(`desktop.desktop_manager.gnome.exclude_packages[2]`): problems about them point there."""

NO_DATABASES_NOTE = (
    "package names were not checked: no sync databases "
    "(run `pacman -Sy`, pass --sync-dir, or plan with --refresh)"
)
NO_FILE_LISTS_NOTE = (
    "services were not checked against the packages that ship them: no file lists "
    "of the repositories (run `pacman -Fy`, pass --sync-dir, or plan with --refresh)"
)


@dataclass
class Resolution:
    """Resources for the requests, in request order; every problem found; notes for the
    plan. `provided` maps a requested virtual name to the package chosen for it."""

    resources: list[Resource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    provided: dict[str, str] = field(default_factory=dict)
    _addresses: set[str] = field(default_factory=set, repr=False)

    def add(self, resource: Resource) -> None:
        """Keep the first resource at an address: the first request's source wins."""
        if resource.address not in self._addresses:
            self._addresses.add(resource.address)
            self.resources.append(resource)

    def has(self, address: str) -> bool:
        return address in self._addresses


def resolve(
    requests: Sequence[PackageRequest],
    index: SyncIndex | None,
    installed: Mapping[str, InstalledPackage] | None = None,
    *,
    flatpak_remote: str | None = None,
    no_index_note: str = NO_DATABASES_NOTE,
) -> Resolution:
    """Resolve every request; see the module docstring. `installed` (the root's local
    database) decides between providers as pacman does and recognises groups without
    databases; `flatpak_remote` is the configuration's Flatpak remote; `no_index_note` is
    the note given when `index` is None (`kodos.pacman.syncdb.missing_databases_note` says
    where)."""
    resolution = Resolution()
    resolver = _Resolver(resolution, index, installed or {}, flatpak_remote)
    for request in requests:
        resolver.request(request)
    if index is None and any(r.source == "pacman" for r in requests):
        resolution.notes.append(no_index_note)
    return resolution


class _Resolver:
    def __init__(
        self,
        resolution: Resolution,
        index: SyncIndex | None,
        installed: Mapping[str, InstalledPackage],
        flatpak_remote: str | None,
    ) -> None:
        self.resolution = resolution
        self.index = index
        self.installed = installed
        self.flatpak_remote = flatpak_remote

    def request(self, request: PackageRequest) -> None:
        if request.source == "aur":
            self._add("aur", "package", request.name, _explicit(), request.location)
        elif request.source == "flatpak":
            self._flatpak(request)
        elif self.index is None:
            self._unchecked(request)
        else:
            self._pacman(request, self.index)

    def _add(self, provider: str, kind: str, name: str, attrs: dict[str, str], src: str) -> None:
        # Checked before building the Resource: a group's members are often asked for again.
        if not self.resolution.has(address_of(provider, kind, name)):
            self.resolution.add(Resource(provider, kind, name, attributes=attrs, source=src))

    def _problem(self, location: str, message: str, hint: str | None = None) -> None:
        self.resolution.problems.append(Problem(location, message, hint))

    def _flatpak(self, request: PackageRequest) -> None:
        if self.flatpak_remote is None:
            message = f"flatpak:{request.name} needs a Flatpak remote"
            self._problem(
                request.location, message, "add one to repos with repos.flatpak_repo(...)"
            )
            return
        remote = {"remote": self.flatpak_remote}
        self._add("flatpak", "app", request.name, remote, request.location)

    def _pacman(self, request: PackageRequest, index: SyncIndex) -> None:
        package = index.satisfier(request.name, self.installed)
        if package is not None:
            self._package(request, package)
        elif members := index.group(request.name):
            self._group(request, members)
        else:
            self._not_found(request, index)

    def _package(self, request: PackageRequest, package: SyncPackage) -> None:
        source = request.location
        if package.name != request.name:
            self.resolution.provided[request.name] = package.name
            source = f"{source} as {_quote(request.name)}"
        self._add("pacman", "package", package.name, _explicit(), source)
        for location, excluded in _excludes(request):
            message = (
                f"{_quote(excluded)} cannot be left out: {request.name} is a package, not a group"
            )
            self._problem(location, message)

    def _group(self, request: PackageRequest, members: Sequence[SyncPackage]) -> None:
        names = [member.name for member in members]
        for location, excluded in _excludes(request):
            if excluded not in names:
                message = f"{_quote(excluded)} is not in the {request.name} group"
                self._problem(location, message + _did_you_mean(Suggester(names), excluded))
        left_out, location = set(request.exclude), request.location
        for name in names:
            if name not in left_out:
                self._add("pacman", "package", name, _explicit(), location)

    def _not_found(self, request: PackageRequest, index: SyncIndex) -> None:
        suggester = _index_suggester(index)
        repos = ", ".join(index.repos)
        message = f"no package or group named {_quote(request.name)} in the repositories ({repos})"
        hint = None
        if request.name in self.installed:
            aur = _quote(f"aur:{request.name}")
            hint = f"it is installed but in no repository; if it comes from the AUR, write {aur}"
        self._problem(request.location, message + _did_you_mean(suggester, request.name), hint)

    def _unchecked(self, request: PackageRequest) -> None:
        if request.exclude or self._installed_group(request.name):
            message = f"cannot expand group {request.name} without sync databases"
            self._problem(
                request.location,
                message,
                "run `pacman -Sy`, pass --sync-dir, or plan with --refresh",
            )
            return
        self._add("pacman", "package", request.name, _explicit(), request.location)

    def _installed_group(self, name: str) -> bool:
        if name in self.installed:
            return False
        return any(name in package.groups for package in self.installed.values())


def _excludes(request: PackageRequest) -> Iterator[tuple[str, str]]:
    for i, name in enumerate(request.exclude):
        yield config_path((*request.path, EXCLUDE_KEY, i)), name


def _explicit() -> dict[str, str]:
    return {"reason": "explicit"}  # a new dict each time: resources must not share one


def _index_suggester(index: SyncIndex) -> Suggester:
    """The suggester of every package and group name of `index`, built on the first misspelt
    name only and kept for the index (~3 ms to build for 15,000 names)."""
    cached = _SUGGESTER_CACHE.get(id(index))
    if cached is not None and cached[0] is index:
        return cached[1]
    names = [name for repo in index.repos for name in index.packages[repo]]
    suggester = Suggester([*names, *index.groups])
    _SUGGESTER_CACHE.clear()  # one index per plan: keep only the latest
    _SUGGESTER_CACHE[id(index)] = (index, suggester)
    return suggester


_SUGGESTER_CACHE: dict[int, tuple[SyncIndex, Suggester]] = {}


class Suggester:
    """The closest known name to a misspelt one, fast enough for 15,000 names (~3 ms).

    difflib compares every candidate in Python (`get_close_matches`: 50 ms for 15,000 names).
    Two cuts make it quick without changing the answer on real typos: candidates are names
    within two characters of the length sharing the first or the last character (one typo
    changes at most one end of a name), nearest lengths first; and the cutoff rises to the best
    ratio found so far, so difflib's cheap upper bounds discard most candidates once a good
    match is known. On 100 one-typo names against 15,000 package names this agrees with
    `get_close_matches` over all of them. Ties go to the alphabetically first name.
    """

    CUTOFF = 0.6  # difflib's default, as the configuration's own suggestions use

    def __init__(self, names: Iterable[str]) -> None:
        self._by_length: dict[int, list[str]] = {}
        for name in dict.fromkeys(names):
            self._by_length.setdefault(len(name), []).append(name)

    def closest(self, word: str) -> str | None:
        if not word:
            return None
        word = word.lower()  # package names are lowercase; a capital is one more typo
        first, last, size = word[0], word[-1], len(word)
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(word)
        best, found = self.CUTOFF, None
        for length in sorted(range(size - 2, size + 3), key=lambda n: abs(n - size)):
            for name in self._by_length.get(length, ()):
                if name[0] != first and name[-1] != last:
                    continue
                matcher.set_seq1(name)
                if matcher.real_quick_ratio() < best or matcher.quick_ratio() < best:
                    continue
                ratio = matcher.ratio()
                if ratio > best or (ratio == best and (found is None or name < found)):
                    best, found = ratio, name
        return found


def _did_you_mean(suggester: Suggester, name: str) -> str:
    match = suggester.closest(name)
    return f"; did you mean {_quote(match)}?" if match is not None else ""


def _quote(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


# ---- units ----------------------------------------------------------------------------------


@dataclass
class UnitCheck:
    """Problems with the units a configuration enables, and notes for the plan."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def unit_owner(unit: str, files: UnitIndex, *, user: bool = False) -> str | None:
    """The first package (repository order) shipping `unit`, or None."""
    owners = files.owners(unit, user=user)
    return owners[0] if owners else None


def check_units(
    units: Mapping[str, str],
    packages: Collection[str],
    installed_units: Collection[str],
    files: UnitIndex | None,
    *,
    index: SyncIndex | None = None,
    aur_packages: Collection[str] = (),
    user: bool = False,
) -> UnitCheck:
    """Check that each unit (name → configuration path) will exist after apply: shipped by a
    package of the plan (with `index`, by their dependencies too), or on the machine already
    (`installed_units`, unit file names). `user` checks user units. AUR packages' files are
    unknown at plan time, so with any in the plan a unit no repository package ships is a note,
    not a problem."""
    check = UnitCheck()
    if files is None:
        if units:
            check.notes.append(NO_FILE_LISTS_NOTE)
        return check
    in_plan = dependency_closure(packages, index) if index is not None else set(packages)
    present = set(installed_units)
    for unit, location in units.items():
        owners = files.owners(unit, user=user)
        if any(owner in in_plan for owner in owners) or _exists(unit, present):
            continue
        if aur_packages:
            aur = ", ".join(f"aur:{name}" for name in sorted(aur_packages))
            message = f"no repository package of the plan ships {unit}; assuming {aur} does"
            check.notes.append(f"{location}: {message}")
        elif owners:
            hint = f"{owners[0]} ships it: add {_quote(owners[0])} to packages"
            check.problems.append(
                Problem(location, f"no package of this configuration ships {unit}", hint)
            )
        else:
            check.problems.append(Problem(location, f"no package ships {unit}"))
    return check


def _exists(unit: str, present: Collection[str]) -> bool:
    template = template_of(unit)
    return unit in present or (template is not None and template in present)


def dependency_closure(names: Collection[str], index: SyncIndex) -> set[str]:
    """`names` and everything they depend on, transitively, as pacman would resolve it."""
    closure: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in closure:
            continue
        closure.add(name)
        package = index.get(name)
        for depend in package.depends if package is not None else ():
            found = index.satisfier(dependency_name(depend), closure)
            if found is not None and found.name not in closure:
                pending.append(found.name)
    return closure
