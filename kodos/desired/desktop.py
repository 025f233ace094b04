"""desktop → each enabled desktop's package group, and one display manager.

* An enabled desktop asks for its descriptor's `group` (else its own name) as one request
  carrying `exclude_packages` as the group's exclusions, plus the descriptor's and the
  configuration's extra packages.
* The display manager is `desktop.display_manager`; else each enabled desktop's own
  `display_manager`. A desktop's descriptor's default (cosmic → cosmic-greeter) applies only
  when no display manager is set anywhere (neither of those, nor a display manager enabled
  under `services`): upstream's example enables gnome with `display_manager = "gdm"` and cosmic
  without one, and means gdm. It expands like a service (descriptor
  `expansions/display_manager/NAME.lua`, else package NAME and unit NAME.service).
* Only one display manager can run (they all claim display-manager.service): enabled desktops
  that set different ones without a shared `desktop.display_manager`, enabled desktops with
  different defaults and nothing set, or a display manager set for a desktop and another
  enabled under `services`, are located problems (`settle_display_managers`).
"""

from __future__ import annotations

from kodos.config.model import Desktop, DesktopManager
from kodos.config.packages import ConfigPath
from kodos.desired.collect import Collector
from kodos.desired.descriptors import BrokenDescriptor
from kodos.desired.services import Item, expand_item
from kodos.text.location import config_path

PATH = ("desktop",)
Wanted = tuple[str, ConfigPath]
"""A display manager, and the configuration path that asks for it."""


def expand_desktop(collector: Collector, desktop: Desktop) -> list[Wanted]:
    """Expand the desktops and the display manager they set; return the display managers
    their descriptors default to, which `settle_display_managers` uses only if no display
    manager is set anywhere else."""
    explicit: list[Wanted] = []
    defaults: list[Wanted] = []
    for name, manager in sorted(desktop.desktop_manager.items()):
        if manager.enable:
            path = (*PATH, "desktop_manager", name)
            choice = _desktop(collector, name, manager, path)
            if choice is not None:
                (explicit if choice[1] != path else defaults).append(choice)
    if desktop.display_manager is not None:
        explicit = [(desktop.display_manager, (*PATH, "display_manager"))]
    _want(collector, explicit)
    return defaults


def settle_display_managers(collector: Collector, defaults: list[Wanted]) -> None:
    """Use the desktops' default display managers when none is set elsewhere (by
    `desktop.display_manager`, a desktop's own `display_manager`, or a service); then one
    problem for every display manager after the first one met."""
    if not collector.display_managers:
        _want(collector, defaults)
    first: Wanted | None = None
    for name, path in collector.display_managers:
        if first is None:
            first = (name, path)
        elif name != first[0]:
            message = (
                f"a second display manager: {first[0]} is enabled already (at "
                f"{config_path(first[1])}), and only one can run"
            )
            collector.problem(path, message, "set desktop.display_manager to the one to use")


def _want(collector: Collector, wanted: list[Wanted]) -> None:
    collector.display_managers.extend(wanted)
    first_paths: dict[str, ConfigPath] = {}
    for name, path in wanted:
        first_paths.setdefault(name, path)
    for name, path in first_paths.items():
        expand_item(collector, Item("display_manager", name, path))


def _desktop(
    collector: Collector, name: str, manager: DesktopManager, path: ConfigPath
) -> Wanted | None:
    """Expand one desktop; return the display manager it wants, and where it says so (the
    desktop's own path when it is its descriptor's default)."""
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
