"""desktop → each enabled desktop's package group, and one display manager.

* An enabled desktop asks for its descriptor's `group` (else its own name) as one request
  carrying `exclude_packages` as the group's exclusions, plus the descriptor's and the
  configuration's extra packages.
* The display manager is `desktop.display_manager`; else each enabled desktop's own
  `display_manager`, else its descriptor's. It expands like a service (descriptor
  `expansions/display_manager/NAME.lua`, else package NAME and unit NAME.service).
* Only one display manager can run (they all claim display-manager.service): enabled desktops
  that want different ones without a shared `desktop.display_manager`, or a display manager
  also enabled under `services`, are located problems (`check_display_managers`).
"""

from __future__ import annotations

from kodos.config.model import Desktop, DesktopManager
from kodos.config.packages import ConfigPath
from kodos.desired.collect import Collector
from kodos.desired.descriptors import BrokenDescriptor
from kodos.desired.services import Item, expand_item
from kodos.text.location import config_path

PATH = ("desktop",)


def expand_desktop(collector: Collector, desktop: Desktop) -> None:
    wanted: list[tuple[str, ConfigPath]] = []
    for name, manager in sorted(desktop.desktop_manager.items()):
        if manager.enable:
            choice = _desktop(collector, name, manager, (*PATH, "desktop_manager", name))
            if choice is not None:
                wanted.append(choice)
    if desktop.display_manager is not None:
        wanted = [(desktop.display_manager, (*PATH, "display_manager"))]
    collector.display_managers.extend(wanted)
    first_paths: dict[str, ConfigPath] = {}
    for name, path in wanted:
        first_paths.setdefault(name, path)
    for name, path in first_paths.items():
        expand_item(collector, Item("display_manager", name, path))


def check_display_managers(collector: Collector) -> None:
    """One problem for every display manager after the first one met."""
    first: tuple[str, ConfigPath] | None = None
    for name, path in collector.display_managers:
        if first is None:
            first = (name, path)
        elif name != first[0]:
            message = (
                f"a second display manager: {first[0]} is enabled already (at "
                f"{config_path(first[1])}), and only one can run"
            )
            collector.problem(path, message, "set desktop.display_manager to the one to use")


def _desktop(
    collector: Collector, name: str, manager: DesktopManager, path: ConfigPath
) -> tuple[str, ConfigPath] | None:
    """Expand one desktop; return the display manager it wants, and where it says so."""
    try:
        descriptor = collector.descriptors.desktop(name)
    except BrokenDescriptor:
        return None
    group = descriptor.group if descriptor and descriptor.group else name
    collector.package(group, path, exclude=tuple(manager.exclude_packages))
    for spec in descriptor.extra_packages if descriptor else ():
        collector.package(spec, path)
    collector.specs(manager.extra_packages, (*path, "extra_packages"))
    if manager.display_manager is not None:
        return manager.display_manager, (*path, "display_manager")
    if descriptor is not None and descriptor.display_manager is not None:
        return descriptor.display_manager, path
    return None
