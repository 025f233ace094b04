"""`configs.mount{...}` → systemd mount (and automount) units in /etc/systemd/system.

Both of its forms: upstream's one unit (`configs.mount{ name = "mnt-data", type = "cifs",
what = ..., where = "/mnt/data" }`, under `mount =`, `config =` or as a service of its own in a
`services` table) and a table of named mounts (`configs.mount{ nas = {...} }`).

A mount unit must be named after its mount point, escaped the way `systemd-escape --path`
does it (/mnt/data → mnt-data.mount, /mnt/my-disk → mnt-my\\x2ddisk.mount), or systemd
ignores it. The unit kodos enables is the automount when `automount` is set (the mount then
happens on first access and the .mount unit has no [Install] of its own), else the mount.

Choices:
* The enabled unit is wanted by `wanted_by`, or multi-user.target when that is not given
  (enabling a unit without [Install] does nothing).
* `after = "network-online.target"` also adds `Wants=network-online.target`: After= only
  orders, and without Wants= that target is never reached on a machine where nothing else
  pulls it in (systemd.special(7)).
* `%` in values is doubled (a unit file would read it as a specifier). That values are single
  lines, mount points free of `.` and `..` and automount settings `Key=value` lines, the
  configuration model has checked (`kodos.config.types`): `kodos validate` reports it.
"""

from __future__ import annotations

from kodos.config.model import MountConfig, MountPoint, MountUnit
from kodos.config.packages import ConfigPath
from kodos.config.types import automount_lines, escape_path, normalized_where
from kodos.desired.collect import Collector
from kodos.desired.files import UnitSection, render_unit, unit_value
from kodos.desired.written import UNIT_DIR

DEFAULT_WANTED_BY = "multi-user.target"
__all__ = ["escape_path", "expand_mounts", "normalized_where"]


def expand_mounts(collector: Collector, mount: MountConfig | MountUnit, path: ConfigPath) -> None:
    """Both forms of `configs.mount`: a table of named mounts, or one unit (left out when its
    `enable` is false; the model checked its name is the one systemd derives from `where`)."""
    if isinstance(mount, MountUnit):
        if mount.enable:
            _mount_point(collector, mount.mount, path)
        return
    for name, point in sorted(mount.mounts.items()):
        _mount_point(collector, point, (*path, "mounts", name))


def _mount_point(collector: Collector, point: MountPoint, path: ConfigPath) -> None:
    where = normalized_where(point.where)
    unit = f"{UNIT_DIR}/{escape_path(where)}"
    collector.file(f"{unit}.mount", render_unit(_mount_sections(point, where)), path)
    if point.automount:
        collector.file(f"{unit}.automount", render_unit(_automount_sections(point, where)), path)
    enabled = escape_path(where) + (".automount" if point.automount else ".mount")
    collector.unit(enabled, path)


def _mount_sections(point: MountPoint, where: str) -> list[UnitSection]:
    mount = [("What", unit_value(point.what)), ("Where", where), ("Type", point.type)]
    if point.options:
        mount.append(("Options", unit_value(point.options)))
    install = [] if point.automount else [("WantedBy", point.wanted_by or DEFAULT_WANTED_BY)]
    return [("Unit", _unit_settings(point)), ("Mount", mount), ("Install", install)]


def _automount_sections(point: MountPoint, where: str) -> list[UnitSection]:
    automount = [("Where", where)]
    for line in _automount_settings(point):
        key, _, value = line.partition("=")
        automount.append((key.strip(), value.strip()))
    description = [("Description", unit_value(point.description))] if point.description else []
    return [
        ("Unit", description),
        ("Automount", automount),
        ("Install", [("WantedBy", point.wanted_by or DEFAULT_WANTED_BY)]),
    ]


def _unit_settings(point: MountPoint) -> list[tuple[str, str]]:
    settings = []
    if point.description:
        settings.append(("Description", unit_value(point.description)))
    if point.after == "network-online.target":
        settings.append(("Wants", point.after))
    if point.after:
        settings.append(("After", point.after))
    return settings


def _automount_settings(point: MountPoint) -> list[str]:
    return automount_lines(point.automount_config or "")
