"""The `services` provider: whether systemd units are enabled.

Manages `services.unit[UNIT]` (system units) and `services.user_unit[UNIT]` (user units
enabled for every user, `systemctl --global`) — actual attribute `state`, exactly what
`systemctl --root=ROOT [--global] is-enabled UNIT` prints: `enabled`, `disabled`, `static`,
`masked`, `indirect`, `alias`, `linked`, and on a live machine the runtime states
`enabled-runtime`, `masked-runtime`, `linked-runtime`, `generated`, `transient`.

Every unit file of the unit directories is read (`usr/lib/systemd/{system,user}`,
`etc/systemd/…`, `/run/systemd/…`), plus instances enabled by name (`getty@tty1.service` in
`getty.target.wants/`) and instances in scope, which have a state as soon as their template
exists (`disabled` until enabled). The state is computed from the files by systemd's own rules
(`kodos.systemd.enablement`), not by running systemctl: one process per unit would cost seconds.
A unit whose state systemctl could not tell either (a dangling alias) gets a note instead.
Units enabled in users' own `~/.config/systemd/user` are not read.

Ownership: kodos disables a unit only when its address is in the current generation's managed
set and the configuration no longer declares it.
"""

from __future__ import annotations

from pathlib import Path

from kodos.providers import Reading, Scope
from kodos.resources import Resource, address_of
from kodos.systemd.enablement import UnitTable
from kodos.systemd.unitfiles import GLOBAL_SEARCH_PATH, SYSTEM_SEARCH_PATH, UnitError

PROVIDER = "services"
READS_ALL = True
KINDS = (("unit", SYSTEM_SEARCH_PATH), ("user_unit", GLOBAL_SEARCH_PATH))


def read(root: Path, scope: Scope) -> Reading:
    """The state of every unit of `root`, system units and global user units."""
    reading = Reading()
    for kind, search_path in KINDS:
        table = UnitTable(root, search_path)
        for name in sorted(table.names() | scope.names(PROVIDER, kind)):
            try:
                state = table.state(name)
            except UnitError as err:
                reading.notes.append(f"{address_of(PROVIDER, kind, name)}: state unknown: {err}")
                continue
            if state is not None:
                reading.resources.append(Resource(PROVIDER, kind, name, {"state": state}))
    return reading
