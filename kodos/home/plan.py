"""A home plan: the user's section rendered, compared with the home and its active generation.

The same `Plan` as the system's (kodos/plan/model.py, scope "home"): its base is the home and
its active home generation with a digest of everything read in the home, so a saved home plan
goes stale under the same rules as a system one. Planning reads the home and writes nothing
there (a dotfile repository is fetched into the cache, by the renderers).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from kodos import __version__
from kodos.config.load import LoadedConfig
from kodos.home.compare import Comparison, compare, home_change
from kodos.home.desired import DesiredHome, desired_home
from kodos.home.homefs import Home
from kodos.home.identity import HomeUser
from kodos.home.items import HomeWanted, dconf_address
from kodos.home.manifest import Manifest
from kodos.home.store import Store
from kodos.plan.model import Action, Base, Change, ConfigRef, Plan, Reason, summarize


@dataclass(frozen=True, slots=True)
class Ownership:
    """What kodos placed in the home: the active generation, and newer unfinished ones."""

    current: Manifest | None
    pending: list[Manifest]

    def owned(self) -> list[dict[str, Any]]:
        first = self.current.by_path() if self.current else {}
        return [first, *(manifest.by_path() for manifest in self.pending)]


@dataclass(frozen=True, slots=True)
class HomePlan:
    plan: Plan
    desired: DesiredHome
    comparison: Comparison
    ownership: Ownership
    dconf_reset: list[str]


def ownership(store: Store) -> Ownership:
    current_id = store.current_id()
    current = store.manifest(current_id) if current_id is not None else None
    newer = [n for n in store.ids() if current_id is None or n > current_id]
    return Ownership(current, [store.manifest(n) for n in newer])


def plan_home(
    user: HomeUser,
    loaded: LoadedConfig,
    wanted: HomeWanted,
    dconf_now: dict[str, str | None] | None = None,
) -> HomePlan:
    """The plan for `wanted` against the home. `dconf_now`: the current values of the keys
    concerned, when known (read from dconf otherwise)."""
    desired = desired_home(wanted, user.home)
    store = Store.of(user.state_dir, user.home, create=False)
    owners = ownership(store)
    with Home(user.home) as home:
        comparison = compare(home, desired.entries, owners.owned(), store.link_target)
    previous = owners.current.dconf if owners.current else {}
    dropped = sorted(set(previous) - set(desired.dconf))
    if dconf_now is None:
        dconf_now = read_dconf([*desired.dconf, *dropped])
    dconf_changes, reset = dconf_plan(desired, previous, dconf_now)
    tree_changes = _tree_changes(desired, owners.current)
    changes = [*comparison.changes, *dconf_changes, *tree_changes]
    observed = {"home": comparison.digest(), "dconf": dconf_now}
    digest = hashlib.sha256(json.dumps(observed, sort_keys=True).encode()).hexdigest()
    plan = Plan(
        kodos_version=__version__,
        base=Base(
            root=str(user.home),
            generation=owners.current.generation if owners.current else None,
            state_digest=digest,
        ),
        config=ConfigRef(path=loaded.display_path, digest=loaded.digest),
        changes=changes,
        summary=summarize(changes),
        notes=[*wanted.notes, *comparison.notes],
        adopted=comparison.adopted,
        scope="home",
        collisions=[placement.desired.entry.address for placement in comparison.collisions],
    )
    return HomePlan(plan, desired, comparison, owners, reset)


def read_dconf(keys: list[str]) -> dict[str, str | None]:
    if not keys:
        return {}
    from kodos.home.programs import dconf

    return dict(dconf.read(keys))


def dconf_plan(
    desired: DesiredHome, previous: dict[str, str], now: dict[str, str | None]
) -> tuple[list[Change], list[str]]:
    """Changes for the keys to set and the keys to reset (set by the active generation,
    dropped now, still set); every other key is left alone."""
    changes = []
    for key, value in desired.dconf.items():
        current = now.get(key)
        if current == value:
            continue
        action = Action.CREATE if current is None else Action.UPDATE
        before: dict[str, Any] | None = None if current is None else {"value": current}
        reason = Reason.CONFIGURATION_CHANGED if key in previous else None
        changes.append(home_change(dconf_address(key), action, before, {"value": value}, reason))
    reset = [key for key in sorted(previous) if key not in desired.dconf]
    for key in reset:
        value_now = now.get(key)
        if value_now is not None:
            changes.append(home_change(dconf_address(key), Action.DELETE, {"value": value_now},
                                       None, Reason.NO_LONGER_CONFIGURED))  # fmt: skip
    return changes, reset


def _tree_changes(desired: DesiredHome, current: Manifest | None) -> list[Change]:
    """A dotfile repository's commit is part of the generation: a new commit is a change even
    when the links into it stay the same."""
    recorded = {tree.name: tree.commit for tree in current.trees} if current else {}
    wanted = {tree.name: tree.commit for tree in desired.trees}
    changes = []
    for name in sorted(recorded.keys() | wanted.keys()):
        old, new = recorded.get(name), wanted.get(name)
        if old == new:
            continue
        action = Action.CREATE if old is None else Action.DELETE if new is None else Action.UPDATE
        before = None if old is None else {"commit": old}
        after = None if new is None else {"commit": new}
        changes.append(home_change(f"home.tree[{name}]", action, before, after))
    return changes
