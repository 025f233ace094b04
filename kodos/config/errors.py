"""Turn validation errors (`kodos.config.sections`) into problems a Lua author can act on.

An error is located by a tuple that also holds union tags and `[key]` markers; this module
walks that tuple alongside the model to print a configuration path (`users["demo-user"].shell`),
to phrase the error in Lua's terms, and to suggest the key that was probably meant.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from kodos.config.fields import ErrorDetails, Tag, ValidationError
from kodos.config.sections import Section
from kodos.config.types import lua_type
from kodos.errors import Problem
from kodos.text.location import config_path
from kodos.text.shown import MAX_PROBLEMS, MAX_SHOWN_CHARS, at_most, cut, shown

_EXPECTED = {
    "string_type": "a string",
    "bool_type": "a boolean (true or false)",
    "int_type": "an integer",
    "float_type": "a number",
    "list_type": "a list",
    "dict_type": "a table of named entries",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


@dataclass(frozen=True, slots=True)
class _Located:
    """Where an error is: the path to show, and the type found at that place in the model."""

    parts: tuple[str | int, ...]
    annotation: Any
    parent: Any
    is_key: bool


def problems_from(error: ValidationError, model: type[Section]) -> list[Problem]:
    """The first problems (see `at_most`); only those are phrased, so half a million bad
    names cost no more than twenty."""
    details = error.errors()
    unique: dict[Problem, None] = {}
    for index, detail in enumerate(details):
        if len(unique) == MAX_PROBLEMS:
            return at_most(unique, total=len(unique) + len(details) - index)
        unique.setdefault(_problem(detail, model))
    return list(unique)


def _problem(detail: ErrorDetails, model: type[Section]) -> Problem:
    located = _locate(detail["loc"], model)
    path = _path(located.parts)
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    got = lua_type(detail["input"])
    if kind == "extra_forbidden":
        return _unknown_key(located, path)
    if kind == "missing":
        name = located.parts[-1]
        where = _path(located.parts[:-1]) or "configuration"
        return Problem(where, f"missing key {shown(name)}")
    if kind in _EXPECTED:
        if isinstance(detail["input"], float):
            got = f"{detail['input']:g}"  # "an integer, got 2.5" says more than "a number"
        return Problem(path, f"expected {_EXPECTED[kind]}, got {got}")
    if kind == "literal_error":
        return _not_one_of(located, path, detail["input"])
    if kind == "union_tag_invalid":
        tags = ctx.get("expected_tags", "")
        return Problem(path, f"unknown type {shown(ctx.get('tag'))}; expected one of {tags}")
    if kind == "union_tag_not_found":
        if not isinstance(detail["input"], dict):
            return Problem(path, f"expected a table, got {got}")
        return Problem(path, f"missing key 'type'; {_made_by(path)}")
    if kind == "greater_than_equal":
        return Problem(path, f"must be at least {ctx.get('ge')}")
    message = detail["msg"].removeprefix("Value error, ")
    if located.is_key:
        return Problem(path, f"invalid key: {message}")
    return Problem(path, message)


def _path(parts: tuple[str | int, ...]) -> str:
    """A configuration path whose keys (which a configuration chooses) are cut when long."""
    return config_path(
        part if isinstance(part, int) else cut(part, MAX_SHOWN_CHARS) for part in parts
    )


def _unknown_key(located: _Located, path: str) -> Problem:
    known = _field_names(located.parent)
    key = str(located.parts[-1])
    suggestion = _close_match(key, known)
    if suggestion:
        return Problem(path, f"unknown key; did you mean {suggestion[0]!r}?")
    section = _section_one_level_down(located.parent, key)
    if section is not None:
        where = _path((*located.parts[:-1], section))
        meant = _path((*located.parts[:-1], section, key))
        message = f"unknown key; did you mean {meant}? ({key!r} belongs one level down, in {where})"
        return Problem(path, message)
    return Problem(path, f"unknown key (known keys here: {', '.join(known)})")


def _section_one_level_down(model: Any, key: str) -> str | None:
    """The field of `model` whose own table has the key `key` (`locale = { default = … }`
    was meant as `locale = { locale = { default = … } }`), if exactly one has it."""
    if not (isinstance(model, type) and issubclass(model, Section)):
        return None
    sections = [
        name
        for name, field in model.model_fields.items()
        if key in _field_names(_strip(field.annotation))
    ]
    return sections[0] if len(sections) == 1 else None


def _not_one_of(located: _Located, path: str, value: Any) -> Problem:
    options = [str(arg) for arg in get_args(_strip(located.annotation))]
    suggestion = _close_match(str(value), options)
    what = "key" if located.is_key else "value"
    message = f"unknown {what} {shown(value)}; expected one of {', '.join(options)}"
    if suggestion:
        message = f"unknown {what} {shown(value)}; did you mean {suggestion[0]!r}?"
    return Problem(path, message)


def _close_match(word: str, options: list[str]) -> list[str]:
    # difflib indexes every character of the word: a 30 MB key is no typo of a short one.
    if len(word) > MAX_SHOWN_CHARS:
        return []
    return difflib.get_close_matches(word, options, n=1, cutoff=0.6)


def _made_by(path: str) -> str:
    section = path.split(".")[0].split("[")[0]
    helpers = {
        "repos": "use repos.arch_repo(...), repos.aur_repo(...) or repos.flatpak_repo(...)",
        "devices": 'use disk.disk_definition("/dev/...", "4GB")',
    }
    return helpers.get(section, "build it with a configs.* helper")


def _locate(loc: Iterable[str | int], model: type[Section]) -> _Located:
    """Walk an error's location through the model, dropping union tags and `[key]` markers."""
    parts: list[str | int] = []
    annotation: Any = model
    parent: Any = None
    is_key = False
    for part in loc:
        current = _strip(annotation)
        if part == "[key]":
            # the location names the key first, then marks it: the dict is the key's parent.
            is_key = True
            annotation = get_args(parent)[0] if get_origin(parent) is dict else None
            continue
        if _is_union_of_models(current):
            annotation = _member_by_tag(current, part)
            continue
        parent = current
        parts.append(part)
        annotation = _child(current, part)
    return _Located(tuple(parts), annotation, parent, is_key)


def _child(annotation: Any, part: str | int) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, Section):
        field = annotation.model_fields.get(str(part))
        return field.annotation if field else None
    args = get_args(annotation)
    if get_origin(annotation) is dict and len(args) == 2:
        return args[1]
    if get_origin(annotation) is list and args:
        return args[0]
    return None


def _strip(annotation: Any) -> Any:
    """Remove Annotated wrappers and `| None` to reach the type that shapes the value."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if _is_union(annotation):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _is_union_of_models(annotation: Any) -> bool:
    return _is_union(annotation) and all(
        isinstance(arg, type) and issubclass(arg, Section)
        for arg in map(_strip, get_args(annotation))
    )


def _member_by_tag(union: Any, tag: str | int) -> Any:
    """The member a union tag names: by its `type` literal, or by the `Tag` it is annotated
    with (a union told apart by a function, such as a services entry)."""
    for member in get_args(union):
        metadata = get_args(member)[1:] if get_origin(member) is Annotated else ()
        if any(isinstance(item, Tag) and item.tag == tag for item in metadata):
            return _strip(member)
        type_field = _strip(member).model_fields.get("type")
        tags = get_args(type_field.annotation) if type_field else ()
        if tag in tags:
            return _strip(member)
    return None


def _field_names(model: Any) -> list[str]:
    if isinstance(model, type) and issubclass(model, Section):
        return list(model.model_fields)
    return []
