"""User services: `users[NAME].services` and `configs.syncthing{...}` as systemd user units.

An enabled service is the package's own user unit (`/usr/lib/systemd/user/NAME.service`),
enabled the way `systemctl --user enable` would: a link in
`~/.config/systemd/user/<target>.wants/` for each target its `[Install] WantedBy=` names
(`default.target` when the unit is not installed yet, as for most user services). kodos writes
no unit file of its own: `configs.syncthing{options = "..."}` becomes a drop-in,
`~/.config/systemd/user/syncthing.service.d/kodos.conf`, that replaces the command line with
`/usr/bin/syncthing OPTIONS` (the options as systemd reads a command line: quotes group words).
Starting happens only when the user's manager is reachable (`units`), otherwise at next login.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kodos.config.types import LINE_BREAKS
from kodos.errors import Problem
from kodos.home.items import HomeFile, UserUnit

SYSTEM_USER_UNIT_DIRS = (Path("/etc/systemd/user"), Path("/usr/lib/systemd/user"))
DEFAULT_TARGET = "default.target"
SYNCTHING = "/usr/bin/syncthing"


def unit_name(name: str) -> str:
    """`syncthing` → `syncthing.service`; a name with a unit suffix stays as it is."""
    return name if "." in name else f"{name}.service"


def package_unit(
    name: str, source: str, unit_dirs: Sequence[Path] = SYSTEM_USER_UNIT_DIRS
) -> UserUnit:
    """The package's own unit `name`, wanted by what its `[Install]` section says."""
    return UserUnit(name, None, wanted_by(name, unit_dirs), source)


def wanted_by(name: str, unit_dirs: Sequence[Path] = SYSTEM_USER_UNIT_DIRS) -> tuple[str, ...]:
    # Imported here: a home without services (most, and `user apply` with nothing to
    # change) does not pay for the unit-file parser's import (~5 ms).
    from kodos.systemd.unitfiles import Mode, UnitFile, parse_install

    for directory in unit_dirs:
        path = directory / name
        if path.is_file():
            unit = UnitFile(name, str(path), Mode.REGULAR)
            parse_install(path.read_text(encoding="utf-8", errors="replace"), unit)
            return tuple(unit.rules.get("WantedBy", ())) or (DEFAULT_TARGET,)
    return (DEFAULT_TARGET,)


def syncthing_dropin(unit: str, options: str, source: str) -> HomeFile | Problem:
    """The drop-in that runs syncthing with `options`, or the problem with them."""
    if any(char in LINE_BREAKS or char == "\0" for char in options):
        return Problem(source, "options must be one line of command-line options")
    text = (
        f"# Written by kodos from {source}\n"
        f"[Service]\nExecStart=\nExecStart={SYNCTHING} {options}\n"
    )
    return HomeFile(f".config/systemd/user/{unit}.d/kodos.conf", text.encode(), 0o644, source)
