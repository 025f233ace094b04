"""The actual state of a machine: every provider's reading of one root directory.

`read_actual(root, scope)` asks each provider of `kodos.resources.PROVIDER_ORDER` — the module
`kodos.providers.<name>` — for what exists in `root`, and gathers their resources into one
`ResourceSet` and their notes into one list, in provider order. Pure: nothing is written and
nothing is run that changes anything (providers/__init__.py has the provider contract).

An empty directory is a valid root: it previews a fresh install, where nothing exists yet.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from kodos.errors import KodosError
from kodos.providers import Provider, Scope
from kodos.resources import PROVIDER_ORDER, ResourceSet


class RootUnreadable(KodosError):
    """The `--root` directory does not exist, is not a directory, or cannot be listed."""


@dataclass(frozen=True, slots=True)
class ActualState:
    """What exists in a root, by address, and what could not be read (`notes`, for the plan)."""

    resources: ResourceSet
    notes: list[str] = field(default_factory=list)


def read_actual(root: Path, scope: Scope) -> ActualState:
    """Read every provider's resources from `root`. Raises `RootUnreadable` for a root that
    is not a readable directory, and a provider's `KodosError` for data it cannot read."""
    check_root(root)
    resources = ResourceSet()
    notes: list[str] = []
    for name in PROVIDER_ORDER:
        reading = provider(name).read(root, scope)
        for resource in reading.resources:
            resources.add(resource)
        notes.extend(f"{name}: {note}" for note in reading.notes)
    return ActualState(resources, notes)


def provider(name: str) -> Provider:
    """The provider module `kodos.providers.<name>`."""
    try:
        module = importlib.import_module(f"kodos.providers.{name}")
    except ModuleNotFoundError as err:
        raise KodosError(f"no provider module kodos.providers.{name}: {err}") from err
    # A module is the provider: `PROVIDER` and `read` at its top level (a Protocol by shape).
    if getattr(module, "PROVIDER", None) != name or not callable(getattr(module, "read", None)):
        raise KodosError(f"kodos.providers.{name} does not define PROVIDER = {name!r} and read()")
    return cast(Provider, module)


def check_root(root: Path) -> None:
    if not root.exists():
        raise RootUnreadable(f"--root {root}: no such directory")
    if not root.is_dir():
        raise RootUnreadable(f"--root {root}: not a directory")
    if not os.access(root, os.R_OK | os.X_OK):
        raise RootUnreadable(f"--root {root}: not readable (permission denied)")
