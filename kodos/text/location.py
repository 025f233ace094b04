"""Configuration paths as a user reads them: `users["demo-user"].shell`, `packages[3]`.

Parts are dictionary keys (str) and Python list indexes (int, 0-based). Indexes are shown as
Lua counts them (1-based), because the user wrote Lua.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from kodos.text.lazyregex import lazy

_IDENTIFIER = lazy(r"^[A-Za-z_][A-Za-z0-9_]*$")


def config_path(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        elif _IDENTIFIER.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part, ensure_ascii=False)}]"
    return text
