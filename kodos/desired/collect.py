"""The accumulator every section expands into, and the result it becomes.

Sections never build a `DesiredState` themselves: they add resources, package requests,
problems and group facts to one `Collector`, which `finish()` turns into the frozen state —
resources sorted by provider dependency then address, two different resources at one address
turned into a located problem instead of an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kodos.config.packages import ConfigPath, PackageRequest, parse_spec, spec_requests
from kodos.desired.descriptors import Descriptors
from kodos.errors import Problem
from kodos.resources import ConflictingResources, JsonValue, Resource, ResourceSet, sort_key
from kodos.text.location import config_path

FILE_MODE = "0644"


@dataclass(frozen=True)
class DesiredState:
    """What the configuration asks the machine to be.

    `resources` holds everything but packages from repositories; `packages` holds those as
    requests (names may be package groups), which resolution against the sync databases turns
    into `pacman.package`/`aur.package`/`flatpak.app` resources. `problems` are located
    problems found while expanding (the plan must stop on them). `required_groups` pairs each
    supplementary group a user names with the configuration path naming it; `provided_groups`
    are the groups the expansion descriptors of enabled items say their packages create. The
    planner checks the first against the machine, `BASE_GROUPS` and the second
    (`kodos.desired.groups.missing_groups`).
    """

    resources: ResourceSet
    packages: list[PackageRequest]
    problems: list[Problem]
    required_groups: list[tuple[str, str]] = field(default_factory=list)
    provided_groups: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        # Resources hold password hashes; a repr that reaches a log or a traceback must not.
        return (
            f"DesiredState({len(self.resources)} resources, {len(self.packages)} package "
            f"requests, {len(self.problems)} problems)"
        )

    __str__ = __repr__


@dataclass
class Collector:
    descriptors: Descriptors
    resources: list[Resource] = field(default_factory=list)
    packages: list[PackageRequest] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    required_groups: list[tuple[str, str]] = field(default_factory=list)
    provided_groups: set[str] = field(default_factory=set)
    # Display managers enabled by any section, in the order they were met: (name, path).
    display_managers: list[tuple[str, ConfigPath]] = field(default_factory=list)

    def resource(
        self,
        address: tuple[str, str, str],
        attributes: Mapping[str, JsonValue],
        path: ConfigPath,
        sensitive: frozenset[str] = frozenset(),
    ) -> None:
        provider, kind, name = address
        source = config_path(path)
        self.resources.append(Resource(provider, kind, name, attributes, sensitive, source))

    def file(self, file: str, content: str, path: ConfigPath) -> None:
        self.resource(("files", "file", file), {"content": content, "mode": FILE_MODE}, path)

    def symlink(self, link: str, target: str, path: ConfigPath) -> None:
        self.resource(("files", "symlink", link), {"target": target}, path)

    def unit(self, unit: str, path: ConfigPath) -> None:
        self.resource(("services", "unit", unit), {"state": "enabled"}, path)

    def user_unit(self, unit: str, path: ConfigPath) -> None:
        self.resource(("services", "user_unit", unit), {"state": "enabled"}, path)

    def package(self, spec: str, path: ConfigPath, exclude: tuple[str, ...] = ()) -> None:
        request = parse_spec(spec, path)
        if exclude:
            request = PackageRequest(request.source, request.name, path, exclude)
        self.packages.append(request)

    def specs(self, specs: list[str], path: ConfigPath) -> None:
        """A list written in the configuration at `path`: each item at `path + (i,)`."""
        self.packages.extend(spec_requests(specs, path))

    def problem(self, path: ConfigPath, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(config_path(path) or "configuration", message, hint))

    def finish(self) -> DesiredState:
        resources = ResourceSet()
        problems = list(self.problems)
        for resource in sorted(self.resources, key=lambda r: sort_key(r.address)):
            try:
                resources.add(resource)
            except ConflictingResources as err:
                problems.append(Problem(resource.source or "configuration", str(err)))
        return DesiredState(
            resources=resources,
            packages=list(self.packages),
            problems=problems,
            required_groups=list(self.required_groups),
            provided_groups=frozenset(self.provided_groups),
        )
