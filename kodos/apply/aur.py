"""The AUR part of an apply: build what the plan pins, before anything changes; lock it after.

* Which bases are built: when the plan installs a package of one (a create, or an update of
  its version: a rebuild at another commit), has one no record locks yet, or moves one, every
  base of the plan is built or found built (`LocalRepo.built`: one at the same commit is not
  rebuilt), so the bases the others need are in the local repository for their builds and for
  pacman. Otherwise nothing is built and the locks stay as the base generation's record has
  them.
* They are built at exactly the plan's commits (`kodos.plan.aur` made the plan with a saved
  plan's pins), in dependency order, before the snapshot is taken: a failed build changes
  nothing and leaves no generation (`kodos.apply.aurbuild.build_all`; the local repository
  keeps what did build). A plan that could not tell a base's commit is refused.
* The local repository lies at the Btrfs top level's `kodos/aur/`, outside every generation:
  a rollback keeps it, and what an older generation installed from it is in that generation.
  The apply's pacman runs get its `[kodos-aur]` section (`AurBuilt.repository`).
* The new generation's record locks every configured base: commit, version and the sha256 of
  each package file it installs from it (`AurBuilt.locks`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kodos.errors import KodosError
from kodos.plan.model import Action, AurBuild, Plan
from kodos.state.generation import AurLock

if TYPE_CHECKING:
    from kodos.aur.localrepo import BuiltPackage
    from kodos.config.model import Config

LOCAL_REPOSITORY = Path("kodos/aur")
"""The local repository, relative to the Btrfs top level."""
WORK_DIRECTORY = Path("kodos/aur-build")
"""Where builds happen, relative to the top level (not /tmp: a build can be large)."""


class AurNotPlanned(KodosError):
    """The plan does not say which commit of a base to build: nothing was applied."""


@dataclass(frozen=True, slots=True)
class AurBuilt:
    repository: Path | None = None
    """The local repository (`[kodos-aur]`), when this apply built or found any base."""
    locks: dict[str, AurLock] = field(default_factory=dict)


def build_planned(
    plan: Plan,
    config: Config,
    old_locks: Mapping[str, AurLock],
    *,
    top: Path,
    host_root: Path,
    pacman_conf: str,
    log: Callable[[str], None] | None = None,
) -> AurBuilt:
    """Build the bases `plan` needs built (module docstring); the local repository and the
    locks. `pacman_conf` is the configuration their dependencies install with
    (`confread.rendered` of the base generation)."""
    if not plan.aur:
        return AurBuilt()
    chosen = to_build(plan, old_locks)
    locks = {b.pkgbase: old_locks[b.pkgbase] for b in plan.aur if b not in chosen}
    if not chosen:
        return AurBuilt(locks=locks)
    from kodos.apply.aurbuild import build_all
    from kodos.aur.localrepo import LocalRepo
    from kodos.aur.order import build_order
    from kodos.plan.aur import aur_repo, open_source

    repo_config = aur_repo(config)
    assert repo_config is not None  # the plan has AUR builds only with an AUR repository
    source = open_source(repo_config)
    repo = LocalRepo(top / LOCAL_REPOSITORY)
    bases = build_order(source.at(b.pkgbase, str(b.commit)) for b in chosen)
    work_dir = top / WORK_DIRECTORY  # build_all makes it, root's alone
    with tempfile.TemporaryDirectory(prefix="kodos-aur-") as private:  # root's alone
        conf = Path(private) / "pacman.conf"
        conf.write_text(pacman_conf, encoding="utf-8")
        built = build_all(
            bases, source, repo, host_root=host_root, work_dir=work_dir, log=log, pacman_conf=conf
        )
    locks.update(_locks(chosen, built))
    return AurBuilt(repo.directory, dict(sorted(locks.items())))


def to_build(plan: Plan, old_locks: Mapping[str, AurLock]) -> list[AurBuild]:
    """The bases this apply builds (or finds built); `AurNotPlanned` when one has no commit
    or an AUR package to install belongs to no base the plan knows."""
    installing = {
        c.name
        for c in plan.changes
        if c.provider == "aur"
        and (c.action == Action.CREATE or (c.action == Action.UPDATE and "version" in c.changed))
    }
    known = {name for b in plan.aur for name in b.packages}
    needed = any(
        b.pkgbase not in old_locks or b.moves or installing.intersection(b.packages)
        for b in plan.aur
    )
    chosen = list(plan.aur) if needed else []
    unknown = {name for b in chosen if b.commit is None for name in b.packages}
    unplanned = [f"aur.package[{name}]" for name in sorted((installing - known) | unknown)]
    unplanned += [
        f"AUR package base {b.pkgbase}" for b in chosen if b.commit is None and not b.packages
    ]
    if unplanned:
        raise AurNotPlanned(
            f"{', '.join(unplanned)}: the plan does not say which commit of the AUR to build "
            "(it could not consult the AUR, see its notes); nothing was applied"
        )
    return chosen


def _locks(chosen: list[AurBuild], built: list[BuiltPackage]) -> dict[str, AurLock]:
    by_base: dict[str, dict[str, str]] = {}
    for package in built:
        by_base.setdefault(package.pkgbase, {})[package.name] = package.sha256
    return {
        b.pkgbase: AurLock(
            commit=str(b.commit),
            version=str(b.version),
            packages={  # a base others need: every package it built (pacman picks among them)
                name: sha
                for name, sha in by_base.get(b.pkgbase, {}).items()
                if name in b.packages or not b.packages
            },
        )
        for b in chosen
    }
