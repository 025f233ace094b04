"""AUR packages in a plan: each `aur.package` resolved to its package base and the commit apply
builds, like a lock file.

* A base the current generation's record locks (`GenerationRecord.aur`) stays at its locked
  commit, whatever the AUR did since (its version is in the lock; its needs are read from
  kodos's mirror, fetched only when the cache lost it).
* A base no record locks (a new one) is at the AUR's current commit, fetched into kodos's
  mirror cache (`aur_cache_dir`); apply locks it from then on.
* `--upgrade` moves every base to the AUR's current commit; a base that moves lists the files
  changed since its locked commit (`kodos aur diff NAME` prints the whole diff).
* `pins` (the builds of a saved plan being applied, or of the plan a new generation is verified
  against) decide the commit of every base they name: fetched when the mirror lacks it, and
  refused when the AUR does not have it. So apply builds exactly the commits its plan showed.
* When the AUR cannot be consulted (offline), the base is listed without a commit and a note
  says why: the plan still shows everything else, and apply refuses to build it. A plan that
  reads its package databases from files (`--sync-dir`) is offline by choice: it looks no
  new base up at all, so what it shows never depends on the network.
* The AUR bases the planned ones need (depends, makedepends, checkdepends no repository
  package satisfies) are planned too, by the same rules, with no configured `packages`: they
  are built for the others and pacman installs what they offer as dependencies. Their names
  come from the locks, else from the AUR; each base's needs from its .SRCINFO at the planned
  commit, read from kodos's mirror (fetched only when the mirror lacks that commit).

Each configured package's desired `version` is its base's `pkgver-pkgrel` at the planned
commit: the diff then shows an update (a rebuild) when what is installed differs.
The configured helper (yay, paru) is one more `aur:` request (`helper_request`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kodos.aur.errors import AurError
from kodos.plan.model import AurBuild

if TYPE_CHECKING:
    from kodos.aur.source import AurBase, AurSource
    from kodos.aur.srcinfo import SrcInfo
    from kodos.config.model import AurRepo, Config
    from kodos.config.packages import PackageRequest
    from kodos.state.generation import AurLock


@dataclass
class AurResolution:
    builds: list[AurBuild] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    """Package name → the version its base has at the planned commit."""
    notes: list[str] = field(default_factory=list)


def aur_repo(config: Config) -> AurRepo | None:
    return next((r for r in config.repos.values() if r.type == "aur"), None)


def aur_url(repo: AurRepo) -> str:
    from kodos.aur.source import DEFAULT_AUR_URL

    return (repo.aur_url or DEFAULT_AUR_URL).rstrip("/")


def helper_request(config: Config) -> PackageRequest | None:
    """The configured helper as an `aur:` request: the package base its `url` names
    (`…/yay-bin.git` → `yay-bin`), else `helper` itself."""
    repo = aur_repo(config)
    if repo is None:
        return None
    # imported past the check: every plan asks, few configure an AUR (kodos.aur.source and
    # what it imports cost a plan without one some milliseconds)
    from kodos.aur.source import base_of_url
    from kodos.config.packages import PackageRequest

    name = (base_of_url(repo.url) if repo.url else None) or repo.helper
    return PackageRequest("aur", name, ("repos", _repo_key(config, repo), "helper"))


def _repo_key(config: Config, repo: AurRepo) -> str:
    return next(key for key, value in config.repos.items() if value is repo)


def aur_cache_dir(url: str) -> Path:
    """One directory of git mirrors per AUR: `/var/cache/kodos/aur/<digest of the URL>` for
    root (never from its environment, as the sync databases' cache), `$XDG_CACHE_HOME/kodos/
    aur/<digest>` for anyone else."""
    from kodos.pacman.syncdb import ROOT_CACHE_DIR

    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    if os.geteuid() == 0:
        return ROOT_CACHE_DIR / "aur" / digest
    base = os.environ.get("XDG_CACHE_HOME", "")
    cache = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return cache / "kodos" / "aur" / digest


def open_source(repo: AurRepo) -> AurSource:
    from kodos.aur.source import AurSource

    url = aur_url(repo)
    return AurSource(url, aur_cache_dir(url))


def plan_aur(
    names: Sequence[str],
    source: AurSource,
    locks: Mapping[str, AurLock],
    *,
    upgrade: bool = False,
    pins: Sequence[AurBuild] | None = None,
    in_repositories: Callable[[str], bool] = lambda need: True,
    offline: bool = False,
) -> AurResolution:
    """The base and commit of every configured AUR package `names`, and of every AUR base
    they need to build or run (module docstring). `in_repositories(need)` says whether a
    repository package satisfies a dependency string. Raises `AurError` only for a pinned
    commit that cannot be had. `offline`: look no new base up (module docstring)."""
    resolution = AurResolution()
    source = _Remembering(source)  # type: ignore[assignment]  # each commit read once
    planner = _Planner(source, locks, {pin.pkgbase: pin for pin in pins or ()}, upgrade)
    queue = sorted(_bases(names, source, locks, pins or (), resolution, offline).items())
    queue += [(p.pkgbase, []) for p in pins or () if not p.packages]  # a plan's dependencies
    while queue:
        for pkgbase, packages in queue:
            planner.plan(pkgbase, packages, resolution)
        queue = [(b, []) for b in planner.dependencies(in_repositories, resolution)]
    resolution.builds = sorted(planner.builds.values(), key=lambda b: (not b.packages, b.pkgbase))
    resolution.notes += [
        f"AUR: {b.pkgbase} moves to {str(b.commit)[:12]} with the same version {b.version}: "
        "apply builds and locks it, but pacman keeps the installed package (same version)"
        for b in resolution.builds
        if b.moves and b.version == locks[b.pkgbase].version
    ]
    return resolution


class _Planner:
    """The bases planned so far, with the .SRCINFO of each (for their dependencies)."""

    def __init__(
        self,
        source: AurSource,
        locks: Mapping[str, AurLock],
        pins: Mapping[str, AurBuild],
        upgrade: bool,
    ) -> None:
        self.source, self.locks, self.pins, self.upgrade = source, locks, pins, upgrade
        self.builds: dict[str, AurBuild] = {}
        self.infos: dict[str, SrcInfo] = {}
        self._read: set[str] = set()

    def plan(self, pkgbase: str, packages: list[str], resolution: AurResolution) -> None:
        if pkgbase in self.builds:
            return
        lock = self.locks.get(pkgbase)
        build = _build(pkgbase, packages, self.source, lock, self.pins.get(pkgbase), self.upgrade)
        if isinstance(build, str):
            resolution.notes.append(build)
            build = AurBuild(
                pkgbase=pkgbase, packages=packages, commit=None, version=None,
                locked=_locked(lock),
            )  # fmt: skip
        self.builds[pkgbase] = build
        if build.version is not None:
            resolution.versions.update(dict.fromkeys(packages, build.version))
        if build.commit is not None and not self.pins:  # pins name every base already
            info = _info(self.source, pkgbase, build.commit)
            if isinstance(info, str):
                resolution.notes.append(info)
            else:
                self.infos[pkgbase] = info

    def dependencies(
        self, in_repositories: Callable[[str], bool], resolution: AurResolution
    ) -> list[str]:
        """The bases of what the bases read since the last call need and neither a planned
        base nor a repository offers: from the locks, else looked up in the AUR."""
        from kodos.aur.order import dependency_name

        offered = {
            name
            for info in self.infos.values()
            for name in (*info.packages, *map(dependency_name, info.provides))
        }
        wanted: dict[str, str] = {}  # a need → the base that needs it first
        for pkgbase in sorted(self.infos.keys() - self._read):
            self._read.add(pkgbase)
            for need in self.infos[pkgbase].build_needs():
                name = dependency_name(need)
                if name not in offered and name not in wanted and not in_repositories(need):
                    wanted[name] = pkgbase
        locked = {name: base for base in self.locks for name in self.locks[base].packages}
        found = {name: locked[name] for name in wanted if name in locked}
        try:
            found.update(self.source.lookup([name for name in wanted if name not in found]))
        except AurError as err:
            resolution.notes.append(f"AUR: could not look up what AUR packages need: {err}")
            return []
        missing = [f"{wanted[name]} needs {name}" for name in wanted if name not in found]
        if missing:
            resolution.notes.append(
                "AUR: no repository and no AUR package offers what AUR packages need: "
                + "; ".join(missing)
            )
        return sorted({base for base in found.values() if base not in self.builds})


def _info(source: AurSource, pkgbase: str, commit: str) -> SrcInfo | str:
    """The base's .SRCINFO at `commit`, fetched when kodos's mirror lacks it; a note when it
    cannot be read."""
    try:
        try:
            return source.at(pkgbase, commit).info
        except AurError:
            source.fetch(pkgbase)
            return source.at(pkgbase, commit).info
    except AurError as err:
        return f"AUR: could not read what {pkgbase} needs: {err}"


class _Remembering:
    """An `AurSource` whose `at` reads each commit once (a plan asks several times: its
    version, its needs, a pin's check); the rest passes through."""

    def __init__(self, source: AurSource) -> None:
        self._source = source
        self._read: dict[tuple[str, str], AurBase] = {}

    def at(self, pkgbase: str, commit: str) -> AurBase:
        key = (pkgbase, commit)
        if key not in self._read:
            self._read[key] = self._source.at(pkgbase, commit)
        return self._read[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)


def _bases(
    names: Sequence[str],
    source: AurSource,
    locks: Mapping[str, AurLock],
    pins: Sequence[AurBuild],
    resolution: AurResolution,
    offline: bool,
) -> dict[str, list[str]]:
    """Package base → the configured names it builds: from the pins, the locks, then the AUR
    for the names neither knows (a failed or offline lookup leaves those out, with a note)."""
    known = {name: lock for lock in locks for name in locks[lock].packages}
    known.update({name: pin.pkgbase for pin in pins for name in pin.packages})
    unknown = sorted({name for name in names if name not in known})
    if unknown and offline:
        shown = ", ".join(f"aur:{name}" for name in unknown)
        resolution.notes.append(
            f"AUR: {shown} not looked up: this plan reads its package databases from "
            "--sync-dir, offline; a plan without --sync-dir looks them up, and apply builds them"
        )
    elif unknown:
        try:
            known.update(source.bases_for(unknown))
        except AurError as err:
            shown = ", ".join(f"aur:{name}" for name in unknown)
            resolution.notes.append(
                f"AUR: could not look up {shown}: {err}; apply cannot build them until a plan can"
            )
    bases: dict[str, list[str]] = {}
    for name in sorted(set(names)):
        if name in known:
            bases.setdefault(known[name], []).append(name)
    return bases


def _locked(lock: AurLock | None) -> str | None:
    return lock.commit if lock is not None else None


def _build(
    pkgbase: str,
    packages: list[str],
    source: AurSource,
    lock: AurLock | None,
    pin: AurBuild | None,
    upgrade: bool,
) -> AurBuild | str:
    """The base's build, or a note saying why the AUR could not tell its commit."""
    if pin is not None:
        commit = _pinned(pkgbase, pin, source)
    elif lock is not None and not upgrade:
        commit = lock.commit
    else:
        try:
            commit = source.fetch(pkgbase)
        except AurError as err:
            return f"AUR: could not fetch {pkgbase}: {err}; apply cannot build it until a plan can"
    if lock is not None and commit == lock.commit:
        version = lock.version
    else:
        version = source.at(pkgbase, commit).info.version
    changed: list[str] = []
    if lock is not None and commit != lock.commit:
        changed = _changed_files(source, pkgbase, lock.commit, commit)
    return AurBuild(
        pkgbase=pkgbase, packages=packages, commit=commit, version=version,
        locked=_locked(lock), changed_files=changed,
    )  # fmt: skip


def _pinned(pkgbase: str, pin: AurBuild, source: AurSource) -> str:
    """The commit a saved plan pins, in the mirror (fetched when it is not); refused when
    the AUR does not have it."""
    if pin.commit is None:
        raise AurError(
            f"the plan has no commit for AUR package base {pkgbase}: it could not consult the "
            "AUR; nothing was applied (make a new plan)"
        )
    try:
        source.at(pkgbase, pin.commit)
        return pin.commit
    except AurError:
        pass
    try:
        source.fetch(pkgbase)
        source.at(pkgbase, pin.commit)
    except AurError as err:
        raise AurError(
            f"the plan pins AUR package base {pkgbase} at commit {pin.commit}, which cannot be "
            f"had from {source.aur_url} ({err}); nothing was applied (make a new plan)"
        ) from None
    return pin.commit


def _changed_files(source: AurSource, pkgbase: str, old: str, new: str) -> list[str]:
    try:
        return source.changed_files(pkgbase, old, new)
    except AurError:
        return [LOST_HISTORY]  # the locked commit is gone from the AUR (a force push)


LOST_HISTORY = "(the locked commit is no longer in the AUR's history: read the whole tree)"
