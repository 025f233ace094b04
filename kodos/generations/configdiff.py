"""What changed between two recorded configurations, by configuration path.

A generation's record keeps its configuration as JSON (`kodos.config.recorded`). Read as a
person reads a configuration, it is a set of settings at paths (`users["demo"].shell`), so a
diff lists the settings added, removed and changed:

* a table is walked key by key (sorted), down to its values;
* a list of plain values (`packages`, `extra_groups`, `kernel.options`) is a collection: the
  items added and removed are listed one by one (`+ packages: "htop"`); a list whose items
  only moved is one change of the whole list (the order of kernel options can matter);
* any other list (of tables) is walked item by item, `[0]`, `[1]`, ….

An empty table or list is a value of its own, so `services = {}` set is not lost.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kodos.text.location import config_path
from kodos.text.shown import MAX_SHOWN_CHARS, cut

Parts = tuple[str | int, ...]


class SettingChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


class SettingChange(BaseModel):
    """One setting of the configuration that differs (see the module doc for lists)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    path: str = Field(description='A configuration path, e.g. users["demo"].shell.')
    change: SettingChangeKind
    before: Any = Field(None, description="The value in A; None when added.")
    after: Any = Field(None, description="The value in B; None when removed.")


def settings(configuration: dict[str, Any]) -> dict[Parts, Any]:
    """Every setting of a recorded configuration by its path, keys sorted."""
    return dict(_leaves(configuration, ())) if configuration else {}


def setting_changes(before: dict[str, Any], after: dict[str, Any]) -> list[SettingChange]:
    """The settings added, removed and changed from `before` to `after`, by path."""
    old, new = settings(before), settings(after)
    changes: list[SettingChange] = []
    for parts in sorted(old.keys() | new.keys(), key=_sort_key):
        path = config_path(parts)
        if parts not in new:
            changes += _removed_or_added(path, old[parts], SettingChangeKind.REMOVED)
        elif parts not in old:
            changes += _removed_or_added(path, new[parts], SettingChangeKind.ADDED)
        elif old[parts] != new[parts]:
            changes += _changed(path, old[parts], new[parts])
    return changes


def shown_value(value: Any) -> str:
    """A recorded value as a line shows it: JSON, cut when long."""
    return cut(json.dumps(value, ensure_ascii=False), MAX_SHOWN_CHARS)


def _leaves(value: Any, parts: Parts) -> Iterator[tuple[Parts, Any]]:
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from _leaves(value[key], (*parts, key))
    elif isinstance(value, list) and value and not _is_collection(value):
        for i, item in enumerate(value):
            yield from _leaves(item, (*parts, i))
    else:
        yield parts, value


def _is_collection(value: list[Any]) -> bool:
    return all(not isinstance(item, dict | list) for item in value)


def _removed_or_added(path: str, value: Any, kind: SettingChangeKind) -> list[SettingChange]:
    if isinstance(value, list) and value:
        return [_one(path, kind, item) for item in value]
    return [_one(path, kind, value)]


def _one(path: str, kind: SettingChangeKind, value: Any) -> SettingChange:
    if kind is SettingChangeKind.ADDED:
        return SettingChange(path=path, change=kind, after=value)
    return SettingChange(path=path, change=kind, before=value)


def _changed(path: str, old: Any, new: Any) -> list[SettingChange]:
    if isinstance(old, list) and isinstance(new, list) and old and new:
        old_items, new_items = Counter(map(_key, old)), Counter(map(_key, new))
        if old_items != new_items:
            gone = old_items - new_items
            came = new_items - old_items
            return [
                *(_one(path, SettingChangeKind.REMOVED, json.loads(k)) for k in gone.elements()),
                *(_one(path, SettingChangeKind.ADDED, json.loads(k)) for k in came.elements()),
            ]
    return [SettingChange(path=path, change=SettingChangeKind.CHANGED, before=old, after=new)]


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _sort_key(parts: Parts) -> tuple[tuple[int, str | int], ...]:
    # numbers before names at one level, so `[2]` sorts before `[10]` and apart from keys
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in parts)
