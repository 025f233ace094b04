"""Activating a home generation: what `kodos user apply` and `kodos user rollback` do.

In this order, so a refusal changes nothing and a crash leaves the home explicable:

1. collisions — anything in the way that kodos did not place stops everything (before any
   change), unless `--backup SUFFIX` was given; then every backup name is checked free first;
2. removal of what the active generation placed and this one does not (only while it is as
   placed);
3. placement: backups moved aside, then each file written (temporary file, rename) and each
   link made, only where the home does not already hold it;
4. the switch: `current` now names this generation (one rename);
5. dconf keys set and dropped ones reset; user units started or reloaded when the user's
   manager is reachable (best effort, said in notes).

Files are placed as copies, not as links into the generation (home-manager's way): a program
that rewrites its own configuration (`git config --global`, an editor's atomic save) replaces
a link with a file, which would look like a collision on the next apply; a copy is an ordinary
file every program accepts, survives `~/.local/state` being cleaned, and its sha256 in the
manifest still tells kodos whether it is exactly what kodos placed. Rollback has its own copy
to place: each generation keeps the files it places under `N/files/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kodos.errors import KodosError
from kodos.home.compare import Comparison
from kodos.home.homefs import Home, shown
from kodos.home.manifest import Entry
from kodos.home.store import Store


class HomeCollision(KodosError):
    """Something kodos did not place is where a generation places a file or link."""


@dataclass(frozen=True, slots=True)
class Activation:
    store: Store
    generation: int
    comparison: Comparison
    content: Callable[[Entry], bytes]
    """A file entry's content (from the plan's rendering, or the generation's own copy)."""
    backup: str | None = None


def refuse_collisions(home: Home, comparison: Comparison, backup: str | None) -> None:
    """Step 1: nothing kodos did not place is overwritten; with `backup`, every place a
    file would be moved to is checked free before anything moves."""
    collisions = [placement.desired.entry.path for placement in comparison.collisions]
    if not collisions:
        return
    if backup is None:
        named = ", ".join(shown(path) for path in collisions)
        raise HomeCollision(
            f"in the way, not placed by kodos: {named}; nothing changed (move them away, or run "
            "again with --backup SUFFIX to have kodos move them aside)"
        )
    for path in collisions:
        if home.find(path + backup) is not None:
            raise HomeCollision(
                f"{shown(path)} cannot be moved aside: {shown(path + backup)} exists already; "
                "nothing changed (choose another --backup suffix)"
            )


def activate(home: Home, activation: Activation) -> list[str]:
    """Steps 1 to 4 (module docstring); the notes say what was moved aside."""
    comparison = activation.comparison
    refuse_collisions(home, comparison, activation.backup)
    notes = []
    for entry in comparison.removals:
        home.remove(entry.path)
    for placement in comparison.placements:
        entry = placement.desired.entry
        if placement.collision and activation.backup is not None:
            aside = home.move_aside(entry.path, activation.backup)
            notes.append(f"moved {shown(entry.path)} aside to {shown(aside)}")
        if entry.kind == "file":
            assert entry.mode is not None
            home.place_file(entry.path, activation.content(entry), entry.mode)
        else:
            assert entry.target is not None
            home.place_link(entry.path, activation.store.link_target(entry.target))
    home.sync()  # everything placed is durable before `current` names the generation
    activation.store.switch_current(activation.generation)
    return notes
