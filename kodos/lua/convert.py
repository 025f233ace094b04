"""Convert the value a configuration returns into plain Python data.

Lua has one structure, the table; the model needs lists and dicts. A table whose keys are
exactly 1..n is a list; one whose keys are all strings is a dict; an empty table is an empty
dict (the model accepts it where it expects a list). Anything else — mixed keys, holes,
functions — is a problem located by its configuration path.
"""

from __future__ import annotations

from typing import Any

from kodos.errors import Problem
from kodos.text.location import config_path

MAX_DEPTH = 64
MAX_VALUES = 2_000_000
MAX_TABLES = 100_000
"""Values (strings, numbers…) and tables converted at most. A table shared by reference is
converted each time it appears, so sharing can describe far more data than Lua holds
(`local a = {} for i = 1, 40 do a = {a, a} end` is 2^40 tables). Tables get their own, lower
limit: each costs ~15 µs to convert, a string or number well under 1 µs; real configurations
hold hundreds of tables, and a package list may hold many thousand strings."""

Path = tuple[str | int, ...]


class _TooMany(Exception):
    """Conversion stopped at MAX_VALUES; its problem is already recorded."""


def lua_to_python(
    value: Any, source_label: str, max_values: int = MAX_VALUES
) -> tuple[Any, list[Problem]]:
    """Convert `value`; problems are located by config path, or by `source_label` at the top."""
    converter = _Converter(max_values)
    try:
        converted = converter.convert(value, ())
    except _TooMany:
        converted = None
    located = [p if p.location else Problem(source_label, p.message) for p in converter.problems]
    return converted, located


class _Converter:
    def __init__(self, max_values: int) -> None:
        self.problems: list[Problem] = []
        self.values = self.max_values = max_values
        self.tables = MAX_TABLES

    def convert(self, value: Any, path: Path) -> Any:
        self.values -= 1
        if self.values < 0:
            self.too_many(f"{self.max_values} values", path)
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, bytes):
            return self.decode(value, path)
        from lupa import lua54

        kind = lua54.lua_type(value)
        if kind != "table":
            self.problems.append(_problem(path, f"a {kind} is not a configuration value"))
            return None
        self.tables -= 1
        if self.tables < 0:
            self.too_many(f"{MAX_TABLES} tables", path)
        if len(path) >= MAX_DEPTH:
            message = f"tables nested more than {MAX_DEPTH} deep (does a table contain itself?)"
            self.problems.append(Problem(_shortened(path), message))
            return None
        return self.convert_table(value, path)

    def too_many(self, what: str, path: Path) -> None:
        message = f"the configuration returns more than {what} (is one table shared many times?)"
        self.problems.append(Problem(_shortened(path), message))
        raise _TooMany

    def convert_table(self, table: Any, path: Path) -> Any:
        items: list[tuple[Any, Any]] = []
        for raw_key, item in table.items():
            key: str | int | float | None
            if isinstance(raw_key, bytes):
                key = self.decode(raw_key, path)
                if key is None:
                    return None
            elif isinstance(raw_key, bool | int | float):
                key = raw_key
            else:
                message = f"table keys must be names or list positions, not {_lua(raw_key)}"
                self.problems.append(_problem(path, message))
                return None
            items.append((key, item))
        items.sort(key=lambda pair: (str(type(pair[0])), pair[0]))
        string_keys = [key for key, _ in items if isinstance(key, str)]
        int_keys = [key for key, _ in items if _is_integer(key)]
        if len(string_keys) + len(int_keys) < len(items):
            other = next(k for k, _ in items if not isinstance(k, str) and not _is_integer(k))
            message = f"table keys must be names or list positions, not {_lua(other)}"
            self.problems.append(_problem(path, message))
            return None
        if string_keys and int_keys:
            message = "a table mixes list items with named keys; use one or the other"
            self.problems.append(_problem(path, message))
            return None
        if int_keys:
            return self.convert_list({int(key): item for key, item in items}, path)
        return {key: self.convert(item, (*path, key)) for key, item in items}

    def convert_list(self, by_index: dict[int, Any], path: Path) -> Any:
        expected = range(1, len(by_index) + 1)
        missing = next((i for i in expected if i not in by_index), None)
        if missing is not None:
            self.problems.append(_problem(path, f"a list with a hole: item {missing} is nil"))
            return None
        return [self.convert(by_index[i], (*path, i - 1)) for i in expected]

    def decode(self, raw: bytes, path: Path) -> str | None:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.problems.append(_problem(path, "a string that is not valid UTF-8"))
            return None


def _is_integer(key: object) -> bool:
    return isinstance(key, int) and not isinstance(key, bool)


def _lua(key: object) -> str:
    if isinstance(key, bool):
        return "the boolean " + str(key).lower()
    if isinstance(key, float):
        return f"the number {key}"
    if isinstance(key, int):
        return f"the value {key!r}"
    from lupa import lua54

    return f"a {lua54.lua_type(key)}"


def _shortened(path: Path) -> str:
    """A deep path is named by its first three steps: enough to find it, short to read."""
    return config_path(path[:3]) + ("…" if len(path) > 3 else "")


def _problem(path: Path, message: str) -> Problem:
    return Problem(config_path(path), message)
