"""Data files a configuration reads through `require("kodos.data")`: JSON beside it.

A fleet keeps one configuration tree and gives each host its variables as data (a `host.json`
written by Ansible, say), so nothing ever templates Lua text. The name comes from the
configuration, so it is untrusted like any input: it must be relative, and the file it names,
every link resolved, must be a regular file inside the configuration's own directory
(kodos.lua.sources's rule, with that one directory) — a link out, to a private key or a device,
is refused before it is opened. A file that is not JSON is a located error: the file, line and
column.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from kodos.lua.sources import OUTSIDE, SourceRefused, read_source
from kodos.text.shown import MAX_SHOWN_CHARS, cut

# Lua integers are 64-bit: a larger JSON number would change on the way in.
_LUA_INTEGERS = range(-(2**63), 2**63)


class DataFileError(Exception):
    """The file cannot be handed to the configuration; the message names it."""


def read_json_file(config_dir: Path, display_dir: str, name: str) -> tuple[Any, str, str]:
    """The value in JSON file `name` of `config_dir` (resolved), its display path and its
    text (the text joins the configuration's digest: the file is part of the configuration)."""
    shown = _display(display_dir, name)
    if "\0" in name or not name:
        raise DataFileError(f"invalid file name {cut(repr(name), MAX_SHOWN_CHARS)}")
    if name.startswith("/"):
        raise DataFileError(
            f"{cut(name, MAX_SHOWN_CHARS)} is an absolute path; name a file in the "
            "configuration's directory"
        )
    try:
        text = read_source(config_dir / name, (config_dir,))
    except SourceRefused as err:
        reason = (
            "it leads outside the configuration's directory"
            if err.reason == OUTSIDE
            else err.reason
        )
        raise DataFileError(f"cannot read {shown}: {reason}") from None
    except UnicodeDecodeError:
        raise DataFileError(f"cannot read {shown}: not valid UTF-8 text") from None
    except OSError as err:
        raise DataFileError(f"cannot read {shown}: {(err.strerror or str(err)).lower()}") from None
    if text is None:
        raise DataFileError(f"cannot read {shown}: no such file")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        raise DataFileError(f"{shown}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from None
    except ValueError as err:
        raise DataFileError(f"{shown}: invalid JSON: {err}") from None
    _check(value, shown, "")
    return value, shown, text


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check(value: Any, shown: str, where: str) -> None:
    """Refuse what has no faithful Lua value: null (a nil would vanish from a table, leaving
    a hole in a list) and integers beyond 64 bits."""
    if value is None:
        raise DataFileError(
            f"{shown}: {where or 'the document'} is null, which Lua cannot hold; leave it out"
        )
    if isinstance(value, bool):
        return
    if isinstance(value, int) and value not in _LUA_INTEGERS:
        raise DataFileError(f"{shown}: {where or 'the document'} is too large for a Lua integer")
    if isinstance(value, float) and not math.isfinite(value):
        raise DataFileError(f"{shown}: {where or 'the document'} is too large for a Lua number")
    if isinstance(value, dict):
        for key, item in value.items():
            _check(item, shown, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for index, item in enumerate(value, start=1):
            _check(item, shown, f"{where}[{index}]")


def to_lua_data(value: Any) -> Any:
    """`value` with every string as UTF-8 bytes: the Lua runtime runs without an encoding
    (kodos.lua.evaluator), so strings cross as bytes."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, dict):
        return {key.encode(): to_lua_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_lua_data(item) for item in value]
    return value


def _display(display_dir: str, name: str) -> str:
    shown = cut(name, MAX_SHOWN_CHARS)
    return f"{display_dir}/{shown}" if display_dir else shown
