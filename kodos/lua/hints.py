"""Hints for Lua mistakes that configurations make often, shown under the error."""

from __future__ import annotations

import re

# `demo-user = {` inside a table: Lua reads `demo - user` (a subtraction), then stumbles on `=`.
_DASHED_KEY = re.compile(r"^\s*(?P<key>[A-Za-z_]\w*(?:-\w+)+)\s*=")


def hint_for(message: str, source_line: str) -> str | None:
    dashed = _DASHED_KEY.match(source_line)
    if dashed and "near '='" in message:
        key = dashed["key"]
        return f'a key with a dash must be quoted: write ["{key}"] = instead of {key} ='
    return None
