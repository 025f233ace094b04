"""Which packages a configuration asks for, from which source, and where it says so.

Packages are named in many sections (packages, fonts, desktops, hardware, services, programs,
boot). This module gathers every enabled request with its configuration path, so a later error
about a package — unknown source, missing repository, not found in any repository — can point at
the line of configuration that asked for it.

This is the view `kodos validate` needs, read from the configuration alone. The desired state
(`kodos.desired`) builds the requests a plan installs, with what the expansion descriptors in
`lua-lib/expansions/` add (hardware.bluetooth → bluez, boot entry memtest86+ →
memtest86+-efi, a desktop's group with its exclusions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from kodos.config.model import Config, MountUnit, Program, Service
from kodos.config.types import ARCH_PACKAGE_RE
from kodos.errors import Problem
from kodos.text.location import config_path
from kodos.text.shown import shown

Source = Literal["pacman", "aur", "flatpak"]
ConfigPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class PackageRequest:
    """One package (or package group) a configuration asks for, and where it asks.

    `exclude` names members of a group to leave out (a desktop's `exclude_packages`), in
    configuration order: `exclude[i]` was written at `path + ("exclude_packages", i)`.
    """

    source: Source
    name: str
    path: ConfigPath
    exclude: tuple[str, ...] = ()

    @property
    def location(self) -> str:
        return config_path(self.path)


def parse_spec(spec: str, path: ConfigPath) -> PackageRequest:
    """Split a validated `aur:name` / `flatpak:id` / `name` spec into its source and name."""
    prefix, colon, name = spec.partition(":")
    if colon and prefix in ("aur", "flatpak"):
        return PackageRequest(prefix, name, path)  # type: ignore[arg-type]
    return PackageRequest("pacman", spec, path)


def package_requests(config: Config) -> Iterator[PackageRequest]:
    """Every package an enabled part of the configuration asks for, in configuration order."""
    if config.boot is not None:
        yield PackageRequest("pacman", config.boot.kernel.package, ("boot", "kernel", "package"))
        for i, name in enumerate(config.boot.loader.include):
            yield PackageRequest("pacman", name, ("boot", "loader", "include", i))
    for name, item in config.hardware.items():
        if item.enable:
            yield _default_named(item.package, name, ("hardware", name))
            yield from spec_requests(item.extra_packages, ("hardware", name, "extra_packages"))
    yield from _desktop(config)
    if config.fonts is not None:
        yield from spec_requests(config.fonts.packages, ("fonts", "packages"))
    for user_name, user in config.users.items():
        for name, program in user.programs.items():
            yield from _program(program, name, ("users", user_name, "programs", name))
        for name, user_service in user.services.items():
            yield from _service(user_service, name, ("users", user_name, "services", name))
    yield from spec_requests(config.packages, ("packages",))
    for name, service in config.services.items():
        yield from _service(service, name, ("services", name))


def _desktop(config: Config) -> Iterator[PackageRequest]:
    if config.desktop is None:
        return
    desktop = config.desktop
    if desktop.display_manager is not None:
        yield PackageRequest("pacman", desktop.display_manager, ("desktop", "display_manager"))
    for name, manager in desktop.desktop_manager.items():
        if not manager.enable:
            continue
        path = ("desktop", "desktop_manager", name)
        yield _default_named(None, name, path)
        if manager.display_manager is not None and desktop.display_manager is None:
            yield PackageRequest("pacman", manager.display_manager, (*path, "display_manager"))
        yield from spec_requests(manager.extra_packages, (*path, "extra_packages"))


def _service(service: Service | MountUnit, name: str, path: ConfigPath) -> Iterator[PackageRequest]:
    if not service.enable or isinstance(service, MountUnit):  # a mount unit is no package
        return
    # A group such as `services.virtualisation = { services = {...} }` is not a package itself.
    if service.package is not None or not service.services:
        yield _default_named(service.package, name, path)
    yield from spec_requests(service.extra_packages, (*path, "extra_packages"))
    for child_name, child in service.services.items():
        yield from _service(child, child_name, (*path, "services", child_name))


def _program(program: Program, name: str, path: ConfigPath) -> Iterator[PackageRequest]:
    if program.enable:
        yield _default_named(program.package, name, path)
        yield from spec_requests(program.extra_packages, (*path, "extra_packages"))


def _default_named(package: str | None, name: str, path: ConfigPath) -> PackageRequest:
    if package is not None:
        return PackageRequest("pacman", package, (*path, "package"))
    # Without `package`, the item's own name is the package (fwupd, cups, git…).
    return PackageRequest("pacman", name, path)


def spec_requests(specs: list[str], path: ConfigPath) -> Iterator[PackageRequest]:
    """Requests for a validated list of specs written at `path` (`path + (i,)` each)."""
    for i, spec in enumerate(specs):
        yield parse_spec(spec, (*path, i))


def check_requests(config: Config) -> list[Problem]:
    """Problems with the requests as a whole: default names that are no package, missing repos."""
    problems = []
    sources = {repo.type for repo in config.repos.values()}
    needs = {
        "aur": "an AUR repository: add one to repos with repos.aur_repo(...)",
        "flatpak": "a Flatpak remote: add one to repos with repos.flatpak_repo(...)",
    }
    for request in package_requests(config):
        if request.source == "pacman" and not re.fullmatch(ARCH_PACKAGE_RE, request.name):
            message = f"{shown(request.name)} is not a package name; set `package` to the package"
            problems.append(Problem(request.location, message))
        if request.source != "pacman" and request.source not in sources:
            message = f"{request.source}:{request.name} needs {needs[request.source]}"
            problems.append(Problem(request.location, message))
    return problems
