"""Expansion descriptors: Lua data files that say what a configuration item expands to.

`expansions/<section>/<name>.lua` returns a plain table — e.g. services/openssh.lua says the
package is openssh, the unit sshd.service, and where `settings` go — so supporting a new
service, hardware item, desktop, display manager or boot entry needs no Python. A descriptor
in the configuration's directory wins over kodos's own (in lua-lib/expansions/), so a user
can change one or add their own.

Descriptors run in the same sandbox as configurations and are validated by the small models
below: unknown keys and wrong types are problems located at the descriptor file. Each file is
evaluated at most once per build; a broken one is reported once, however many items use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

from kodos.config.fields import Field, ValidationError
from kodos.config.sections import Section
from kodos.config.types import (
    AbsolutePath,
    GroupName,
    LuaList,
    PackageName,
    PackageSpec,
    UnitName,
)
from kodos.errors import ConfigError, Problem
from kodos.lua.evaluator import evaluate_file, lua_lib_dir
from kodos.text.lazyregex import lazy

ItemSection = Literal["services", "hardware", "display_manager"]
DescriptorSection = Literal["services", "hardware", "display_manager", "desktop", "boot"]


class SettingsTarget(Section):
    """Where an item's `settings` are written, and in which format."""

    path: AbsolutePath
    format: Literal["sshd", "keyvalue", "ini"]
    section: str | None = Field(None, description="The [section] of an ini file.")


class ItemDescriptor(Section):
    """A service, hardware item or display manager."""

    package: PackageName | None = None
    extra_packages: LuaList[PackageSpec] = Field([], description="Installed with it.")
    unit: UnitName | None = Field(None, description="Unit to enable; none if left out.")
    user_units: LuaList[UnitName] = Field([], description="Global user units to enable.")
    settings: SettingsTarget | None = None
    groups: LuaList[GroupName] = Field([], description="Groups the package creates.")


class DesktopDescriptor(Section):
    group: PackageName | None = Field(None, description="Package group; defaults to the name.")
    display_manager: PackageName | None = None
    extra_packages: LuaList[PackageSpec] = Field([], description="Installed with it.")


class BootEntryDescriptor(Section):
    package: PackageName | None = Field(None, description="Defaults to the entry's name.")
    title: str = Field(pattern=r"^[^\n\r]+$", description="One line, shown in the menu.")
    efi: AbsolutePath = Field(description="The EFI program, as a path on the ESP.")


M = TypeVar("M", bound=Section)
_LUA_LOCATION = lazy(r"\.lua(:\d+)?$")


class BrokenDescriptor(Exception):
    """The descriptor exists but cannot be used; its problem is already reported."""


class Descriptors:
    """Finds, evaluates (once) and validates descriptors; problems go to `problems`."""

    def __init__(
        self, config_dir: Path, problems: list[Problem], library: Path | None = None
    ) -> None:
        self._roots = (config_dir / "expansions", (library or lua_lib_dir()) / "expansions")
        self._problems = problems
        self._loaded: dict[Path, Section | None] = {}

    def item(self, section: ItemSection, name: str) -> ItemDescriptor | None:
        return self._load(section, name, ItemDescriptor)

    def desktop(self, name: str) -> DesktopDescriptor | None:
        return self._load("desktop", name, DesktopDescriptor)

    def boot_entry(self, name: str) -> BootEntryDescriptor | None:
        return self._load("boot", name, BootEntryDescriptor)

    def exists(self, section: DescriptorSection, name: str) -> bool:
        return self._find(section, name) is not None

    def _find(self, section: DescriptorSection, name: str) -> Path | None:
        # Names are validated ConfigNames (no "/"); with ".lua" appended even ".." is a file.
        for root in self._roots:
            candidate = root / section / f"{name}.lua"
            if candidate.is_file():
                return candidate
        return None

    def _load(self, section: DescriptorSection, name: str, model: type[M]) -> M | None:
        file = self._find(section, name)
        if file is None:
            return None
        if file not in self._loaded:
            self._loaded[file] = self._evaluate(file, model)
        descriptor = self._loaded[file]
        if descriptor is None:
            raise BrokenDescriptor(str(file))
        assert isinstance(descriptor, model)
        return descriptor

    def _evaluate(self, file: Path, model: type[M]) -> M | None:
        shown = str(file)
        try:
            data = evaluate_file(file, shown)
        except ConfigError as err:
            self._problems.extend(_at_file(problem, shown) for problem in err.problems)
            return None
        if not isinstance(data, dict):
            message = "a descriptor must return a table of named keys, e.g. { package = ... }"
            self._problems.append(Problem(shown, message))
            return None
        try:
            return model.model_validate(data)
        except ValidationError as err:
            from kodos.config.errors import problems_from  # only a broken descriptor needs it

            self._problems.extend(_at_file(p, shown) for p in problems_from(err, model))
            return None


def _at_file(problem: Problem, shown: str) -> Problem:
    """Locate a problem at the descriptor file. Lua errors already name a file (this one, or a
    module it requires); a problem with a value is located by its key path inside the table,
    which goes into the message."""
    if _LUA_LOCATION.search(problem.location):
        return problem
    where = "" if problem.location in ("", "configuration") else f"{problem.location}: "
    return Problem(shown, where + problem.message, problem.hint)
