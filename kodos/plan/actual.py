"""The actual state of a machine: every provider's reading of one root directory.

`read_actual(root, scope)` asks each provider of `kodos.providers.registry.PROVIDERS` for what
exists in `root`, and gathers their resources into one
`ResourceSet` and their notes into one list, in provider order. Pure: nothing is written and
nothing is run that changes anything (providers/__init__.py has the provider contract).

An empty directory is a valid root: it previews a fresh install, where nothing exists yet.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kodos.errors import KodosError
from kodos.providers import Scope
from kodos.providers.registry import PROVIDERS
from kodos.resources import ResourceSet


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
    for provider in PROVIDERS:
        reading = provider.read(root, scope)
        for resource in reading.resources:
            resources.add(resource)
        notes.extend(f"{provider.PROVIDER}: {note}" for note in reading.notes)
    return ActualState(resources, notes)


def check_root(root: Path) -> None:
    if not root.exists():
        raise RootUnreadable(f"--root {root}: no such directory")
    if not root.is_dir():
        raise RootUnreadable(f"--root {root}: not a directory")
    if not os.access(root, os.R_OK | os.X_OK):
        raise RootUnreadable(f"--root {root}: not readable (permission denied)")
