"""Convert the value a configuration returns into plain Python data.

Lua has one structure, the table; the model needs lists and dicts. A table whose keys are
exactly 1..n is a list; one whose keys are all strings is a dict; an empty table is an empty
dict (the model accepts it where it expects a list). Anything else — mixed keys, holes,
functions — is a problem located by its configuration path.
"""

from __future__ import annotations

from typing import Any

from kodos.errors import Problem
from kodos.location import config_path

MAX_DEPTH = 64

Path = tuple[str | int, ...]


def lua_to_python(value: Any, source_label: str) -> tuple[Any, list[Problem]]:
    """Convert `value`; problems are located by config path, or by `source_label` at the top."""
    problems: list[Problem] = []
    converted = _convert(value, (), problems)
    located = [p if p.location else Problem(source_label, p.message) for p in problems]
    return converted, located


def _convert(value: Any, path: Path, problems: list[Problem]) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return _decode(value, path, problems)
    from lupa import lua54

    kind = lua54.lua_type(value)
    if kind != "table":
        problems.append(_problem(path, f"a {kind} is not a configuration value"))
        return None
    if len(path) >= MAX_DEPTH:
        message = f"tables nested more than {MAX_DEPTH} deep (does a table contain itself?)"
        problems.append(Problem(config_path(path[:3]) + "…", message))
        return None
    return _convert_table(value, path, problems)


def _convert_table(table: Any, path: Path, problems: list[Problem]) -> Any:
    items = []
    for raw_key, item in table.items():
        key = _decode(raw_key, path, problems) if isinstance(raw_key, bytes) else raw_key
        if key is None:
            return None
        items.append((key, item))
    items.sort(key=lambda pair: (str(type(pair[0])), pair[0]))
    string_keys = [key for key, _ in items if isinstance(key, str)]
    int_keys = [key for key, _ in items if _is_integer(key)]
    if len(string_keys) + len(int_keys) < len(items):
        other = next(key for key, _ in items if not isinstance(key, str) and not _is_integer(key))
        message = f"table keys must be names or list positions, not {_lua(other)}"
        problems.append(_problem(path, message))
        return None
    if string_keys and int_keys:
        problems.append(
            _problem(path, "a table mixes list items with named keys; use one or the other")
        )
        return None
    if int_keys:
        return _convert_list({int(key): item for key, item in items}, path, problems)
    return {key: _convert(item, (*path, key), problems) for key, item in items}


def _convert_list(by_index: dict[int, Any], path: Path, problems: list[Problem]) -> Any:
    expected = range(1, len(by_index) + 1)
    missing = next((i for i in expected if i not in by_index), None)
    if missing is not None:
        problems.append(_problem(path, f"a list with a hole: item {missing} is nil"))
        return None
    return [_convert(by_index[i], (*path, i - 1), problems) for i in expected]


def _is_integer(key: object) -> bool:
    return isinstance(key, int) and not isinstance(key, bool)


def _decode(raw: bytes, path: Path, problems: list[Problem]) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(_problem(path, "a string that is not valid UTF-8"))
        return None


def _lua(key: object) -> str:
    if isinstance(key, bool):
        return "the boolean " + str(key).lower()
    return f"the number {key}" if isinstance(key, float) else f"the value {key!r}"


def _problem(path: Path, message: str) -> Problem:
    return Problem(config_path(path), message)
