"""Text bound for a terminal is inert: control characters are shown, never obeyed.

Notes, addresses, reasons, paths and messages reach the screen from files kodos did not write
(a facts file, a saved plan, a record, a configuration) — and a terminal obeys what they hold:
`ESC ]0;…BEL` retitles the window, `ESC [2J` clears it, `CR` or backspaces overwrite what was
printed, C1 controls (`\\x9b` is a one-byte CSI) and bidirectional overrides reorder text. So
every line kodos prints for people passes through `inert`, which writes each such character
as a Python-style escape (`\\x1b`, `\\x9b`, `\\u202e`). Tabs stay: they move the cursor only
forward. JSON output needs nothing: `json.dumps` already escapes C0 controls, and it is read
by programs.
"""

from __future__ import annotations

_BIDI_CONTROLS = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ESCAPES: dict[int, str] = {
    code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)] if code != 0x09
}
_ESCAPES.update({0x0A: "\\n", 0x0D: "\\r"})
_ESCAPES.update({code: f"\\u{code:04x}" for code in _BIDI_CONTROLS})
_ESCAPES.update({0x2028: "\\u2028", 0x2029: "\\u2029"})  # line and paragraph separators


def inert(text: str) -> str:
    """`text` as one line with every control character escaped (a newline too)."""
    return text.translate(_ESCAPES)


def inert_lines(text: str) -> str:
    """`text` with its line breaks kept and every other control character escaped: for
    messages made of several lines on purpose."""
    return "\n".join(inert(line) for line in text.split("\n"))
