"""What a home generation does beyond its files: dconf keys and user units (step 5 of the
activation, kodos/home/activate.py), through the program helpers in `kodos/home/programs/`."""

from __future__ import annotations

from collections.abc import Iterable

from kodos.home.manifest import Manifest


def apply_dconf(wanted: dict[str, str], reset: Iterable[str]) -> None:
    """Set exactly the generation's keys and reset the ones the previous generation set and
    this one drops; every other key is left alone."""
    reset = list(reset)
    if not wanted and not reset:
        return
    from kodos.home.programs import dconf

    dconf.apply(wanted, reset)


def dropped_keys(previous: Manifest | None, dconf: dict[str, str]) -> list[str]:
    return sorted(set(previous.dconf if previous else {}) - set(dconf))


def start_units(names: list[str]) -> list[str]:
    """Start or reload the changed user units when the user's manager is reachable; otherwise
    they start at the next login (their `.wants` links are in place). Best effort: notes."""
    if not names:
        return []
    from kodos.home.programs.units import start_or_reload

    return start_or_reload(names)


def changed_units(manifest: Manifest, placed: Iterable[str]) -> list[str]:
    """The generation's units whose unit file, `.wants` link or drop-in (`NAME.d/…`, where
    syncthing's options live) was just placed."""
    placed = set(placed)
    return [
        unit.name
        for unit in manifest.units
        if any(path.endswith("/" + unit.name) or f"/{unit.name}.d/" in path for path in placed)
    ]
