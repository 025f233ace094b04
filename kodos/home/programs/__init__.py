"""What `users[NAME]` asks for in the home, one module per program: `render` gathers it.

`render` is pure computation on the configuration, except for reading the files it copies
(`copy_file`, from the configuration directory), the package's unit files (`/usr/lib/systemd/
user`, for their `WantedBy=`) and the dotfile repository fetched into `cache_dir`. Only enabled
programs and services count, as upstream does. Every problem is collected and raised together
as a `ConfigError`, each at its configuration path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kodos.config.model import (
    DconfConfig,
    GitConfig,
    MountUnit,
    ProgramConfig,
    StowConfig,
    SyncthingConfig,
    User,
)
from kodos.errors import ConfigError, Problem
from kodos.home.items import HomeFile, HomeWanted
from kodos.home.programs import dconf, files, git, services, stow
from kodos.text.location import config_path


def render(user: User, user_name: str, home: Path, config_dir: Path, cache_dir: Path) -> HomeWanted:
    """Everything `user` (the section `users[user_name]`) asks for in `home`."""
    wanted = HomeWanted()
    problems: list[Problem] = []
    at: list[str | int] = ["users", user_name]
    dconf_settings: list[tuple[Mapping[str, Mapping[str, Any]], list[str | int]]] = []

    def configure(config: ProgramConfig | None, where: list[str | int]) -> None:
        if isinstance(config, GitConfig):
            file, found = git.render(config.settings, where)
            problems.extend(found)
            _add_file(wanted, problems, file)
        elif isinstance(config, DconfConfig):
            dconf_settings.append((config.settings, where))
        elif isinstance(config, SyncthingConfig):
            _add_syncthing(wanted, problems, config, config_path(where))
        elif config is not None:
            problems.append(Problem(config_path(where), _NOT_IN_HOME.format(config.type)))

    packages: list[stow.Package] = []
    for name, program in sorted(user.programs.items()):
        if program.enable:
            configure(program.config, [*at, "programs", name, "config"])
            if program.deploy_config:
                where = config_path([*at, "programs", name, "deploy_config"])
                packages.append(stow.Package(name, where))
    packages.extend(
        stow.Package(name, config_path([*at, "deploy_configs", index]))
        for index, name in enumerate(user.deploy_configs)
    )
    for name, service in sorted(user.services.items()):
        if isinstance(service, MountUnit):  # a system unit, whatever its place
            problems.append(
                Problem(config_path([*at, "services", name]), _NOT_IN_HOME.format("mount"))
            )
            continue
        if not service.enable:
            continue
        if service.config is None:
            unit = services.unit_name(service.service_name or name)
            wanted.units.append(services.package_unit(unit, config_path([*at, "services", name])))
        else:
            configure(service.config, [*at, "services", name, "config"])
    for destination, copied in sorted(user.files.items()):
        where = config_path([*at, "files", destination])
        _add_file(wanted, problems, files.copy(destination, copied.source, config_dir, where))
    _add_dconf(wanted, problems, dconf_settings)
    _add_dotfiles(wanted, problems, user.dotfile_manager, packages, home, cache_dir, at)
    problems.extend(_collisions(wanted))
    wanted.files.sort(key=lambda item: item.path)
    wanted.links.sort(key=lambda item: item.path)
    wanted.units.sort(key=lambda item: item.name)
    if problems:
        raise ConfigError(problems)
    return wanted


_NOT_IN_HOME = "configs.{} does not belong under a user: it is not a home configuration"


def _add_file(wanted: HomeWanted, problems: list[Problem], item: HomeFile | Problem | None) -> None:
    if isinstance(item, Problem):
        problems.append(item)
    elif item is not None:
        wanted.files.append(item)


def _add_syncthing(
    wanted: HomeWanted, problems: list[Problem], config: SyncthingConfig, where: str
) -> None:
    unit = services.unit_name(config.service_name)
    wanted.units.append(services.package_unit(unit, where))
    if config.options is not None:
        _add_file(wanted, problems, services.syncthing_dropin(unit, config.options, where))


def _add_dconf(
    wanted: HomeWanted,
    problems: list[Problem],
    tables: list[tuple[Mapping[str, Mapping[str, Any]], list[str | int]]],
) -> None:
    seen: dict[str, str] = {}
    for settings, where in tables:
        keys, found = dconf.render(settings, where)
        problems.extend(found)
        for key in keys:
            if key.key in seen:
                problems.append(Problem(key.source, f"{key.key} is set at {seen[key.key]} too"))
                continue
            seen[key.key] = key.source
            wanted.dconf.append(key)
    wanted.dconf.sort(key=lambda item: item.key)


def _add_dotfiles(
    wanted: HomeWanted,
    problems: list[Problem],
    manager: StowConfig | None,
    packages: list[stow.Package],
    home: Path,
    cache_dir: Path,
    at: list[str | int],
) -> None:
    if manager is None:
        problems.extend(
            Problem(package.source, "no dotfile_manager is set to deploy it")
            for package in packages
        )
        return
    deployed = stow.deploy(
        source_dir=manager.source_dir,
        target_dir=manager.target_dir,
        repo_url=manager.repo_url,
        packages=packages,
        home=home,
        cache_dir=cache_dir,
        at=config_path([*at, "dotfile_manager"]),
    )
    wanted.trees.extend(deployed.trees)
    wanted.links.extend(deployed.links)
    wanted.notes.extend(deployed.notes)
    problems.extend(deployed.problems)


def _collisions(wanted: HomeWanted) -> list[Problem]:
    """Two items for one home path, or two units of one name: each but the first is a
    problem."""
    found = []
    owner: dict[str, str] = {}
    for path, source in [(f.path, f.source) for f in wanted.files] + [
        (link.path, link.source) for link in wanted.links
    ]:
        if path in owner:
            found.append(Problem(source, f"~/{path} is written by {owner[path]} too"))
        else:
            owner[path] = source
    units: dict[str, str] = {}
    for unit in wanted.units:
        if unit.name in units:
            found.append(Problem(unit.source, f"{unit.name} is enabled by {units[unit.name]} too"))
        else:
            units[unit.name] = unit.source
    return found
