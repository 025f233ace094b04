"""services, hardware and display managers → packages, enabled units, settings files, mounts.

One rule serves all three ("items"), with an optional descriptor
(`expansions/<section>/<name>.lua`):
* package: the configuration's `package`, else the descriptor's, else the item's name; plus
  the descriptor's `extra_packages` and the configuration's.
* unit (`services.unit[...]`, state enabled): the configuration's `service_name` always wins
  (`.service` appended when it names no unit type); else the descriptor's `unit` — and a
  descriptor without one means "nothing to enable" (fwupd is D-Bus activated); without a
  descriptor a service enables `NAME.service`, a hardware item nothing (most are not daemons).
* the descriptor's `user_units` → `services.user_unit[...]` (global user units).
* `settings` → `files.file[PATH]` in the descriptor's format; without a descriptor saying
  where they go, a located problem (kodos never guesses a configuration file).
* the descriptor's `groups` → groups users may join.

Upstream's `configs.mount{ name = ..., ... }` may stand in a services table as a service of its
own: it is that mount unit (kodos.desired.mounts), on when its own `enable` says so.

A service holding sub-services or mounts (`mount`, or a `config` made by configs.mount) with
neither a package, a service_name nor a descriptor is a group (`services.virtualisation = {
services = {...} }`, `services.mounts = { mount = ... }`): it brings its extra packages, its
mounts and its sub-services, but no package or unit of its own. Sub-services of a disabled
group are off.

User services (`users.NAME.services`) are per-user: enabling them is rebuild-user's work (a
later `kodos apply --user`), so only their packages belong to the system's desired state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kodos.config.model import HardwareItem, MountUnit, Service
from kodos.config.packages import ConfigPath
from kodos.desired.collect import Collector
from kodos.desired.descriptors import BrokenDescriptor, ItemDescriptor, ItemSection
from kodos.desired.files import key_problem, render_settings
from kodos.desired.mounts import expand_mounts

UNIT_TYPES = frozenset(
    {"service", "socket", "device", "mount", "automount", "swap"}
    | {"target", "path", "timer", "slice", "scope"}
)
SettingValue = str | int | float | bool


@dataclass(frozen=True)
class Item:
    """What services, hardware items and display managers have in common."""

    section: ItemSection
    name: str
    path: ConfigPath
    package: str | None = None
    service_name: str | None = None
    extra_packages: list[str] = field(default_factory=list)
    settings: Mapping[str, SettingValue] = field(default_factory=dict)


def unit_name(name: str) -> str:
    """`sshd` → `sshd.service`; a name that already says its unit type is kept."""
    suffix = name.rpartition(".")[2]
    return name if "." in name and suffix in UNIT_TYPES else f"{name}.service"


def expand_services(
    collector: Collector, services: Mapping[str, Service | MountUnit], path: ConfigPath
) -> None:
    for name, service in sorted(services.items()):
        if isinstance(service, MountUnit):
            expand_mounts(collector, service, (*path, name))
        elif service.enable:
            _service(collector, name, service, (*path, name))


def expand_hardware(collector: Collector, hardware: Mapping[str, HardwareItem]) -> None:
    for name, hw in sorted(hardware.items()):
        if hw.enable:
            path = ("hardware", name)
            item = Item(
                "hardware", name, path, hw.package, hw.service_name, hw.extra_packages, hw.settings
            )
            expand_item(collector, item)


def expand_user_services(
    collector: Collector, services: Mapping[str, Service | MountUnit], path: ConfigPath
) -> None:
    """Packages only: user units are enabled per user by rebuild-user, not by the system."""
    for name, service in sorted(services.items()):
        service_path = (*path, name)
        if isinstance(service, MountUnit):
            _system_mount_in_user_section(collector, service_path)
            continue
        if not service.enable:
            continue
        try:
            descriptor = collector.descriptors.item("services", name)
        except BrokenDescriptor:
            continue
        if not _is_group(service, descriptor):
            _packages(collector, _item(name, service, service_path), descriptor)
        else:
            collector.specs(service.extra_packages, (*service_path, "extra_packages"))
        expand_user_services(collector, service.services, (*service_path, "services"))


def expand_item(collector: Collector, item: Item) -> None:
    try:
        descriptor = collector.descriptors.item(item.section, item.name)
    except BrokenDescriptor:
        return
    _packages(collector, item, descriptor)
    unit = _unit(item, descriptor)
    if unit is not None:
        collector.unit(unit, _unit_path(item))
    for user_unit in descriptor.user_units if descriptor else ():
        collector.user_unit(unit_name(user_unit), item.path)
    collector.provided_groups.update(descriptor.groups if descriptor else ())
    if item.settings:
        _settings(collector, item, descriptor)


def _service(collector: Collector, name: str, service: Service, path: ConfigPath) -> None:
    try:
        descriptor = collector.descriptors.item("services", name)
    except BrokenDescriptor:
        return
    if collector.descriptors.exists("display_manager", name):
        collector.display_managers.append((name, path))
    if _is_group(service, descriptor):
        collector.specs(service.extra_packages, (*path, "extra_packages"))
        if service.settings:
            _settings(collector, _item(name, service, path), None)
    else:
        expand_item(collector, _item(name, service, path))
    if service.mount is not None:
        expand_mounts(collector, service.mount, (*path, "mount"))
    _service_config(collector, service, path)
    expand_services(collector, service.services, (*path, "services"))


def _service_config(collector: Collector, service: Service, path: ConfigPath) -> None:
    config = service.config
    if config is None:
        return
    if config.type in ("mount", "mount_unit"):
        expand_mounts(collector, config, (*path, "config"))
        return
    message = (
        f"configs.{config.type} configures a user's program or user service; a system "
        "service cannot use it"
    )
    collector.problem((*path, "config"), message, "move it under users.NAME.programs or services")


def _system_mount_in_user_section(collector: Collector, path: ConfigPath) -> None:
    message = "configs.mount makes a system mount unit; a user's services cannot hold it"
    collector.problem(path, message, "move it under the top-level services")


def _is_group(service: Service, descriptor: ItemDescriptor | None) -> bool:
    own = service.package is not None or service.service_name is not None
    mounts = service.mount is not None or (
        service.config is not None and service.config.type in ("mount", "mount_unit")
    )
    holds_others = bool(service.services) or mounts
    return holds_others and not own and descriptor is None


def _item(name: str, service: Service, path: ConfigPath) -> Item:
    return Item(
        "services",
        name,
        path,
        service.package,
        service.service_name,
        service.extra_packages,
        service.settings,
    )


def _packages(collector: Collector, item: Item, descriptor: ItemDescriptor | None) -> None:
    if item.package is not None:
        collector.package(item.package, (*item.path, "package"))
    elif descriptor is not None and descriptor.package is not None:
        collector.package(descriptor.package, item.path)
    else:
        collector.package(item.name, item.path)
    if descriptor is not None:
        for spec in descriptor.extra_packages:
            collector.package(spec, item.path)
    collector.specs(item.extra_packages, (*item.path, "extra_packages"))


def _unit(item: Item, descriptor: ItemDescriptor | None) -> str | None:
    if item.service_name is not None:
        return unit_name(item.service_name)
    if descriptor is not None:
        return unit_name(descriptor.unit) if descriptor.unit else None
    return unit_name(item.name) if item.section != "hardware" else None


def _unit_path(item: Item) -> ConfigPath:
    return (*item.path, "service_name") if item.service_name is not None else item.path


def _settings(collector: Collector, item: Item, descriptor: ItemDescriptor | None) -> None:
    path = (*item.path, "settings")
    if descriptor is None or descriptor.settings is None:
        where = f"expansions/{item.section}/{item.name}.lua"
        message = (
            f"kodos does not know where {item.name}'s settings go; add {where} with a settings path"
        )
        collector.problem(path, message)
        return
    bad = False
    for key in sorted(item.settings):
        problem = key_problem(key, descriptor.settings)
        if problem:
            collector.problem((*path, key), problem)
            bad = True
    if not bad:
        content = render_settings(item.settings, descriptor.settings)
        collector.file(descriptor.settings.path, content, path)
