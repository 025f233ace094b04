"""`kodos user apply` and `kodos user rollback`, under the home's lock.

Apply: plan afresh under the lock (a saved plan only decides whether it may go on, by the
system's staleness rules: kodos/apply/saved.py), refuse collisions before asking, write the
new generation (file copies, exported trees, the manifest last), activate it. An empty plan
makes no generation. Rollback: the same activation of an earlier generation's own copies;
`current` then names it, and nothing new is written to the store.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kodos.config.load import LoadedConfig
from kodos.errors import KodosError
from kodos.home.activate import Activation, activate, refuse_collisions
from kodos.home.compare import compare
from kodos.home.config import wanted_for
from kodos.home.desired import Desired
from kodos.home.effects import apply_dconf, changed_units, dropped_keys, start_units
from kodos.home.homefs import Home
from kodos.home.identity import HomeUser
from kodos.home.items import HomeWanted
from kodos.home.manifest import Entry, Manifest, write_manifest
from kodos.home.plan import HomePlan, ownership, plan_home
from kodos.home.store import Store
from kodos.plan.model import Plan

DEFAULT_LOCK_TIMEOUT = 60.0


class RollbackError(KodosError):
    """There is no generation to roll back to."""


@dataclass
class HomeResult:
    plan: Plan | None
    generation: int | None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class HomeApplyOptions:
    plan_file: Path | None = None
    backup: str | None = None
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT


def apply_home(
    user: HomeUser,
    loaded: LoadedConfig,
    options: HomeApplyOptions,
    confirm: Callable[[Plan], bool],
    wanted: HomeWanted | None = None,
) -> HomeResult:
    """Plan, confirm, build and activate a new home generation. `wanted` stands for the
    configuration's rendering when given (tests of the core)."""
    wanted = wanted if wanted is not None else wanted_for(loaded, user)
    store = Store.of(user.state_dir, user.home)
    with store.locked("kodos user apply", options.lock_timeout):
        home_plan = plan_home(user, loaded, wanted)
        plan = home_plan.plan
        if options.plan_file is not None:  # imported only then: not on a plain apply's path
            from kodos.apply.saved import refuse_unless_as_saved

            refuse_unless_as_saved(options.plan_file, plan)
        if plan.is_empty:
            return HomeResult(plan, None)
        with Home(user.home) as home:
            refuse_collisions(home, home_plan.comparison, options.backup)
            if not confirm(plan):
                raise KodosError("not applied: the plan was not confirmed; nothing changed")
            generation = store.next_id()
            manifest = _write_generation(store, generation, user, plan, home_plan, wanted)
            contents = {d.entry.path: d.content for d in home_plan.desired.entries}
            activation = Activation(
                store, generation, home_plan.comparison, lambda e: contents[e.path] or b"",
                options.backup,
            )  # fmt: skip
            notes = activate(home, activation)
        if _touches_dconf(plan):
            apply_dconf(manifest.dconf, home_plan.dconf_reset)
        placed = [p.desired.entry.path for p in home_plan.comparison.placements]
        notes += start_units(changed_units(manifest, placed))
    return HomeResult(plan, generation, [*plan.notes, *notes])


def _touches_dconf(plan: Plan) -> bool:
    return any(change.kind == "dconf" for change in plan.changes)


def _write_generation(
    store: Store, generation: int, user: HomeUser, plan: Plan, home_plan: HomePlan,
    wanted: HomeWanted,
) -> Manifest:  # fmt: skip
    """The generation's copies, trees and, last, its manifest (no manifest: unfinished)."""
    directory = store.generation_dir(generation)
    os.mkdir(directory, 0o700)
    copies = [(d.entry, d.content) for d in home_plan.desired.entries if d.content is not None]
    store.write_file_copies(generation, copies)
    if wanted.trees:
        from kodos.home.programs import stow

        for tree in wanted.trees:
            stow.export(tree, directory / "tree" / tree.name)
    planned = home_plan.desired
    manifest = Manifest(
        generation=generation,
        user=user.name,
        created=datetime.now(UTC),
        config_path=plan.config.path,
        config_digest=plan.config.digest,
        entries=[d.entry for d in planned.entries],
        dconf=planned.dconf,
        units=planned.units,
        trees=planned.trees,
    )
    write_manifest(directory, manifest)
    return manifest


def rollback_home(
    user: HomeUser, generation: int | None, backup: str | None, lock_timeout: float
) -> HomeResult:
    """Re-activate `generation` (default: the one before the active one)."""
    store = Store.of(user.state_dir, user.home)
    with store.locked("kodos user rollback", lock_timeout):
        owners = ownership(store)
        if owners.current is None:
            raise RollbackError("no home generation is active yet: nothing to roll back")
        active = owners.current.generation
        target_id = generation if generation is not None else _previous(store, active)
        if target_id == active:
            return HomeResult(None, None, [f"home generation {active} is already active"])
        target = store.manifest(target_id)
        wanted = [Desired(e, _copy(store, target_id, e)) for e in target.entries]
        with Home(user.home) as home:
            comparison = compare(home, wanted, owners.owned(), store.link_target)
            contents = {d.entry.path: d.content for d in wanted}
            activation = Activation(
                store, target_id, comparison, lambda e: contents[e.path] or b"", backup
            )
            notes = activate(home, activation)
        apply_dconf(target.dconf, dropped_keys(owners.current, target.dconf))
        placed = [p.desired.entry.path for p in comparison.placements]
        notes += start_units(changed_units(target, placed))
    return HomeResult(None, target_id, notes)


def _copy(store: Store, generation: int, entry: Entry) -> bytes | None:
    return store.file_copy(generation, entry) if entry.kind == "file" else None


def _previous(store: Store, active: int) -> int:
    earlier = [n for n in store.ids() if n < active]
    if not earlier:
        raise RollbackError(
            f"home generation {active} is the oldest: there is none before it to roll back to"
        )
    return earlier[-1]
