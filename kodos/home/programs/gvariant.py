"""Lua values as GVariant text, printed the way dconf prints them back.

dconf stores GVariant values and has no schema: the type a key gets is the type of the text
written for it, and `gsettings`/GNOME refuse a key whose stored type differs from their schema's
(the setting is then silently ignored). So the mapping from Lua must be predictable:

| Lua value               | GVariant                | text                          |
| ----------------------- | ----------------------- | ----------------------------- |
| `true` / `false`        | `b`                     | `true`                        |
| integer (`4`)           | `i` (int32)             | `4`                           |
| float (`0.8`, `4.0`)    | `d` (double)            | `0.80000000000000004`, `4.0`  |
| string                  | `s`                     | `'prefer-dark'`               |
| list of strings         | `as`                    | `['a', 'b']`, `@as []` (empty) |
| list of booleans        | `ab`                    | `[true, false]`               |
| list of integers        | `ai`                    | `[1, 2]`                      |
| list of numbers         | `ad` (one float: all)   | `[1.0, 2.5]`                  |
| string of GVariant text | what it says            | `"uint32 300"`, `"[('xkb', 'us')]"` |

Integers are int32 because GNOME's numeric keys almost all are (`num-workspaces`,
`dash-max-icon-size`); any other type is written as GVariant text with its type keyword:
`"uint32 300"`, `"int64 5"`, `"byte 0x10"`, `"@ai [1, 2]"`. A string is read as GVariant text
(not as a string) only when it starts with `@`, `[`, `(`, `{` or a type keyword and a space —
the forms a value of another type must take. A string that really starts so is written as the
GVariant string itself: `"@s '[draft]'"`.

The text produced here is what `g_variant_print` (and so `dconf read`/`dconf dump`) prints, so a
planned value compares equal to the value read back. GVariant text strings are left to dconf
(`kodos.home.programs.dconf.canonical`), which checks and prints them.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

from kodos.text.lazyregex import lazy

INT32 = range(-(2**31), 2**31)
TYPE_KEYWORDS = (
    "boolean",
    "byte",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "double",
    "string",
    "objectpath",
    "signature",
    "handle",
)
_GVARIANT_TEXT = lazy(r"[@\[({]|(" + "|".join(TYPE_KEYWORDS) + r")\s")
# g_variant_print's short escapes for unprintable characters.
_SHORT_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}
# g_unichar_isprint is false for control, format, unassigned and surrogate code points.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cn", "Cs"})


class BadValue(Exception):
    """A Lua value that has no GVariant form; the message says why and how to write it."""


def is_gvariant_text(value: str) -> bool:
    """Whether a string from the configuration is GVariant text rather than a string."""
    return _GVARIANT_TEXT.match(value) is not None


def string(value: str) -> str:
    """A GVariant string as g_variant_print writes it: single quotes unless it holds one."""
    if "\0" in value:
        raise BadValue("a dconf string cannot hold a NUL character")
    quote = '"' if "'" in value else "'"
    out = [quote]
    for char in value:
        if char in (quote, "\\"):
            out.append("\\" + char)
        elif unicodedata.category(char) not in _UNPRINTABLE:
            out.append(char)
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append(quote)
    return "".join(out)


def double(value: float) -> str:
    """A double as g_variant_print writes it: `%.17g`, with `.0` when it looks whole."""
    if not math.isfinite(value):
        raise BadValue(f"{value} has no dconf form: write a finite number")
    text = f"{value:.17g}"
    if not any(mark in text for mark in ".en"):
        text += ".0"
    return text


Plain = bool | int | float | str


def plain_value(value: Plain | Sequence[Plain]) -> str:
    """GVariant text for a Lua value that is not GVariant text itself (see the table above);
    a list holds values of one kind (the model checked it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value not in INT32:
            raise BadValue(
                f"{value} does not fit an int32; write another type as GVariant text, "
                f'e.g. "int64 {value}" or "uint32 {value}"'
            )
        return str(value)
    if isinstance(value, float):
        return double(value)
    if isinstance(value, str):
        return string(value)
    if any(isinstance(item, float) for item in value):  # [1, 2.5] is a list of doubles
        value = [float(item) for item in value]
    if not value:
        return "@as []"
    return "[" + ", ".join(plain_value(item) for item in value) + "]"
