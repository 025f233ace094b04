"""A saved plan is applied as shown or not at all.

`kodos apply FILE` plans afresh under the lock and applies the fresh plan; the file decides
only whether it may. It is refused when it is stale — its base generation, the machine's
state or what the sync databases offer moved, or the configuration changed since — and when
its changes are not exactly the fresh plan's: the same addresses with the same action,
`before` and `after`, and the same AUR commits (the fresh plan is made with the saved one's
AUR commits pinned, `saved_pins`, so apply builds what the file showed or nothing). So a plan
file whose change list was edited (or whose configuration path was pointed elsewhere) is never
the cover for another set of changes; the message names the first difference.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kodos.errors import KodosError
from kodos.plan.model import AurBuild, Change, Plan
from kodos.plan.planfile import read_plan_file

_SHOWN_CHARACTERS = 60
_SCOPES = {"system": "a plan of the system (kodos plan)", "home": "a home plan (kodos user plan)"}


class StalePlan(KodosError):
    """A saved plan no longer matches the machine or the configuration."""


class PlanMismatch(KodosError):
    """A saved plan's changes are not the ones a fresh plan makes."""


def refuse_unless_as_saved(plan_file: Path | None, fresh: Plan) -> None:
    """Refuse a saved plan that is stale, or whose changes differ from the fresh plan's."""
    if plan_file is None:
        return
    saved = read_plan_file(plan_file)
    if saved.scope != fresh.scope:
        raise PlanMismatch(
            f"{plan_file} is {_SCOPES[saved.scope]}: apply it with kodos "
            f"{'user apply' if saved.scope == 'home' else 'apply'}; nothing was applied"
        )
    _refuse_if_stale(plan_file, saved, fresh)
    difference = first_difference(saved.changes, fresh.changes) or aur_difference(saved, fresh)
    if difference is not None:
        raise PlanMismatch(
            f"{plan_file} is not what kodos would apply: {difference}; nothing was applied "
            "(make a new plan and review it)"
        )


def _refuse_if_stale(plan_file: Path, saved: Plan, fresh: Plan) -> None:
    """A saved plan applies only to the machine and configuration it was made from."""
    moved = []
    if saved.base.generation != fresh.base.generation:
        moved.append(
            f"the default generation is {fresh.base.generation}, "
            f"the plan was made against {saved.base.generation}"
        )
    elif saved.base.state_digest != fresh.base.state_digest:
        moved.append("the machine changed since the plan was made")
    if saved.base.sync_digest != fresh.base.sync_digest:
        moved.append(
            "the sync databases changed since the plan was made (pacman would install other "
            "versions)"
        )
    if saved.config.digest != fresh.config.digest:
        moved.append(f"{fresh.config.path} (or a file it requires) changed")
    if moved:
        raise StalePlan(f"{plan_file} is stale: {'; '.join(moved)}; make a new plan")


def first_difference(saved: list[Change], fresh: list[Change]) -> str | None:
    """The first way `saved` differs from `fresh` in what apply would do (address, action,
    before, after), in the saved plan's order, then the fresh one's; None when they agree."""
    fresh_by_address = {change.address: change for change in fresh}
    saved_addresses = {change.address for change in saved}
    for change in saved:
        other = fresh_by_address.get(change.address)
        if other is None:
            return f"it lists {change.action} {change.address}, a fresh plan does not"
        if change.action != other.action:
            return f"{change.address}: it says {change.action}, a fresh plan says {other.action}"
        for side in ("before", "after"):
            differs = _first_attribute(getattr(change, side), getattr(other, side))
            if differs is not None:
                return f"{change.address}: {side}{differs}"
    for change in fresh:
        if change.address not in saved_addresses:
            return f"a fresh plan also has {change.action} {change.address}, it does not"
    return None


def aur_difference(saved: Plan, fresh: Plan) -> str | None:
    """How the AUR commits differ: a fresh plan made with the saved one's pins builds the same
    commits, unless the bases themselves changed."""
    mine = {b.pkgbase: b.commit for b in saved.aur}
    theirs = {b.pkgbase: b.commit for b in fresh.aur}
    for pkgbase in sorted(mine.keys() | theirs.keys()):
        if mine.get(pkgbase) != theirs.get(pkgbase):
            return (
                f"AUR package base {pkgbase}: it builds {_shown(mine.get(pkgbase))}, a fresh "
                f"plan builds {_shown(theirs.get(pkgbase))}"
            )
    return None


def saved_pins(plan_file: Path | None) -> tuple[AurBuild, ...] | None:
    """The AUR builds a saved plan pins (None without a plan file)."""
    if plan_file is None:
        return None
    return tuple(read_plan_file(plan_file).aur)


def _first_attribute(saved: dict[str, Any] | None, fresh: dict[str, Any] | None) -> str | None:
    """`.key: it has X, a fresh plan has Y` for the first attribute that differs."""
    if saved == fresh:
        return None
    if saved is None or fresh is None:
        return f": it has {_shown(saved)}, a fresh plan has {_shown(fresh)}"
    for key in sorted(saved.keys() | fresh.keys()):
        if key not in saved or key not in fresh or saved[key] != fresh[key]:
            mine = _shown(saved[key]) if key in saved else "nothing"
            theirs = _shown(fresh[key]) if key in fresh else "nothing"
            return f".{key}: it has {mine}, a fresh plan has {theirs}"
    return None  # pragma: no cover — unequal dicts differ at some key


def _shown(value: object) -> str:
    """A value as JSON, cut to a length a message can carry."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=True)
    if len(text) > _SHOWN_CHARACTERS:
        return f"{text[:_SHOWN_CHARACTERS]}… ({len(text)} characters)"
    return text
