"""The time zone names a configuration may use: the IANA database as the `tzdata` package
ships it.

The list comes from kodos's own dependency, not from the host's /usr/share/zoneinfo, so
`kodos validate` gives the same answer on a CI runner, a laptop and the machine itself. It holds
the canonical names and the backward-compatible links (`US/Eastern`, `Asia/Calcutta`), every
name Arch's tzdata package installs a file for, except the `posix/` and `right/` copies.
Read the first time a configuration names a zone (about 600 names, under a millisecond).
"""

from __future__ import annotations

import difflib
import importlib
from functools import cache
from pathlib import Path


@cache
def zone_names() -> frozenset[str]:
    # a directory package, found from itself: importlib.resources would cost its imports
    zones = Path(importlib.import_module("tzdata").__path__[0]) / "zones"
    return frozenset(zones.read_text(encoding="utf-8").split())


def is_zone(name: str) -> bool:
    return name in zone_names()


def closest_zone(name: str) -> str | None:
    """The known zone `name` most likely meant (a typo, or another case), if any is close."""
    by_case = {zone.lower(): zone for zone in zone_names()}
    if name.lower() in by_case:
        return by_case[name.lower()]
    found = difflib.get_close_matches(name, sorted(zone_names()), n=1, cutoff=0.75)
    return found[0] if found else None
