"""Hints for Lua mistakes that configurations make often, shown under the error."""

from __future__ import annotations

from kodos.text.lazyregex import lazy

# `demo-user = {` inside a table: Lua reads `demo - user` (a subtraction), then stumbles on `=`.
_DASHED_KEY = lazy(r"^\s*(?P<key>[A-Za-z_]\w*(?:-\w+)+)\s*=")

_BY_MESSAGE = {
    "unexpected symbol near <eof>": (
        "the file ended too early: check that every { has its } and every function, if, for, "
        "while and do has its end"
    ),
    "<eof> expected near 'end'": (
        "this end has no block to close: remove it, or check the function, if, for, while or "
        "do above it"
    ),
}


def hint_for(message: str, source_line: str) -> str | None:
    dashed = _DASHED_KEY.match(source_line)
    if dashed and "near '='" in message:
        key = dashed["key"]
        return f'a key with a dash must be quoted: write ["{key}"] = instead of {key} ='
    return _BY_MESSAGE.get(message)
