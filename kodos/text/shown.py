"""How values from a configuration appear in messages: cut to a readable size.

A configuration may hold a 30 MB host name or half a million bad package names; an error must
still be a few lines a person can read. Every value a configuration message echoes goes
through `quoted` or `shown` (or `cut`, for text that is already a message), and every list of
problems that may grow with the input goes through `at_most`. Nothing else in kodos/config or
kodos/lua echoes a value, so the rule holds for every message at once. A leaf below both (it
imports only `kodos.errors`): the Lua evaluator and the configuration model share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kodos.errors import Problem
from kodos.text.lazyregex import lazy

MAX_SHOWN_CHARS = 80
"""Characters of a value shown before it is cut."""

MAX_MESSAGE_CHARS = 1000
"""Characters of a message (a Lua error's own text) shown before it is cut."""

MAX_PROBLEMS = 20
"""Problems listed; the rest are counted."""

_MORE = lazy(r"… and (?P<rest>\d+) more problems?")


def quoted(value: object) -> str:
    """`value` as a message shows it: a string in double quotes, cut when long."""
    if not isinstance(value, str):
        return cut(repr(value), MAX_SHOWN_CHARS)
    text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if len(value) <= MAX_SHOWN_CHARS:
        return text
    return text[: MAX_SHOWN_CHARS + 1] + f'…" ({len(value)} characters)'


def shown(value: object) -> str:
    """`value` as Python's repr shows it (`'htop'`), cut when long."""
    if isinstance(value, str) and len(value) > MAX_SHOWN_CHARS:
        return repr(value[:MAX_SHOWN_CHARS])[:-1] + f"…' ({len(value)} characters)"
    return cut(repr(value), MAX_SHOWN_CHARS)


def cut(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` as it is when short; else its first `limit` characters and its length."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"… ({len(text)} characters)"


def at_most(problems: Iterable[Problem], total: int | None = None) -> list[Problem]:
    """The first MAX_PROBLEMS problems, and one line counting the rest.

    `total` is how many there are when `problems` is a lazy view of them (so the rest need
    not be made to be counted).
    """
    shown: list[Problem] = []
    counted = 0
    for problem in problems:
        counted += 1
        if len(shown) < MAX_PROBLEMS:
            shown.append(problem)
    rest = (total if total is not None else counted) - len(shown)
    if rest > 0:
        shown.append(Problem("", f"… and {rest} more problem{'s' if rest > 1 else ''}"))
    return shown


def problem_count(problems: Sequence[Problem]) -> int:
    """How many problems `problems` stands for, counting those `at_most` left out."""
    more = _MORE.fullmatch(problems[-1].message) if problems and not problems[-1].location else None
    return len(problems) - 1 + int(more["rest"]) if more else len(problems)
