"""Which user units a home activation restarts (kodos/home/effects.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from kodos.home.effects import changed_units
from kodos.home.manifest import Manifest, Unit


def _manifest(*units: str) -> Manifest:
    return Manifest(
        generation=1,
        user="ada",
        created=datetime(2026, 12, 8, tzinfo=UTC),
        config_path="/etc/kodos/configuration.lua",
        config_digest="0" * 64,
        entries=[],
        units=[Unit(name=name, wanted_by=["default.target"], source="s") for name in units],
    )


def test_a_unit_restarts_when_its_file_link_or_drop_in_was_placed() -> None:
    manifest = _manifest("syncthing.service", "foo.service", "bar.service")
    placed = [
        ".config/systemd/user/syncthing.service.d/kodos.conf",  # only the options changed
        ".config/systemd/user/default.target.wants/foo.service",
        ".config/systemd/user/bar.service.bak",  # not bar's
    ]
    assert changed_units(manifest, placed) == ["syncthing.service", "foo.service"]
