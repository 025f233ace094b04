"""Regular expressions compiled the first time they are used, not when their module loads.

A module-level `re.compile` runs on every start of every command that imports the module, used
or not (`kodos --help` and `kodos validate` import far more than they match). `lazy(...)`
stands where `re.compile(...)` stood and behaves as the compiled pattern.
"""

from __future__ import annotations

import re
from typing import AnyStr, cast


class _LazyPattern:
    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | re.Pattern[bytes] | None = None

    def __getattr__(self, name: str) -> object:
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, self._flags)
        return getattr(self._compiled, name)


def lazy(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """`re.compile(pattern, flags)`, done on first use."""
    return cast("re.Pattern[AnyStr]", _LazyPattern(pattern, flags))
