"""A machine's generations: which exist, which runs, which boots, and changing that.

`open_machine(root)` finds what a managed root is made of: its Btrfs filesystem, the subvolume
mounted as the root (the *running* generation) and its ESP (found the way the bootloader
provider finds it). Every other function takes the filesystem's top level mounted at `top`
(`top_level(machine)`) and reads the index there (`kodos.state.index`).

The *default* generation — the one that boots next — is loader.conf's `default kodos-N.conf`;
when that names no generation the index lists (a machine kodos just adopted still boots its own
entry), the generation whose subvolume is the Btrfs default, and failing that the running one.

Functions that change the machine (`delete`, `gc`, `rollback`; the applier's are in
`kodos.upkeep`) expect their caller to hold the machine's lock: `locked_top_level` takes it,
then mounts the top level. They refuse to remove the running generation, the default one, or a
mounted one; removal goes index → boot entry and kernels → subvolume, so an interruption leaves
only things the index no longer lists, which the next apply removes
(`kodos.upkeep.clean_interrupted`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from kodos import btrfs
from kodos.bootentries import (
    default_entry_id,
    entry_ids,
    remove_generation_entry,
    set_default_entry,
)
from kodos.errors import KodosError
from kodos.generationdiff import GenerationDiff, compare, read_side
from kodos.lock import machine_lock
from kodos.state.generation import Status
from kodos.state.index import GenerationEntry, Index, read_index, write_index


class GenerationsError(KodosError):
    """A generations command cannot do what it was asked; nothing was changed."""


class NoGenerations(GenerationsError):
    def __init__(self, root: Path) -> None:
        super().__init__(f"{root}: kodos has built no generations here yet (run kodos apply)")


@dataclass(frozen=True, slots=True)
class Machine:
    """A managed root and what it stands on."""

    root: Path
    fs: btrfs.Filesystem
    running_subvolume: str
    """The subvolume mounted at `root`, relative to the top level (`@`, `kodos/generations/3`)."""
    esp: Path
    """The ESP's host path (systemd-boot's `loader/` is inside)."""


def open_machine(root: Path) -> Machine:
    """The machine whose root filesystem is mounted at `root`: its root must be a Btrfs
    subvolume (not the top level) and it must have an ESP with systemd-boot."""
    from kodos.providers.bootloader import ESP_CANDIDATES, find_esp

    fs = btrfs.filesystem_of(root)
    running = btrfs.subvolume_of(root)
    if not running:
        raise GenerationsError(
            f"{root} is the top level of its Btrfs filesystem: kodos needs the root in a "
            "subvolume (such as @) to keep generations beside it"
        )
    esp = find_esp(root)
    if esp is None:
        looked = ", ".join(f"{root / c}" for c in ESP_CANDIDATES)
        raise GenerationsError(
            f"no ESP with systemd-boot found (looked for loader/loader.conf or EFI/systemd in "
            f"{looked}); is the ESP mounted?"
        )
    return Machine(root, fs, running, Path(esp))


@contextmanager
def top_level(machine: Machine) -> Iterator[Path]:
    """The machine's Btrfs top level, mounted for the body."""
    with btrfs.top_level(machine.fs) as top:
        yield top


@contextmanager
def locked_top_level(machine: Machine, *, timeout: float, command: str) -> Iterator[Path]:
    """Hold the machine's lock, then mount its top level, for the body."""
    with machine_lock(machine.fs.uuid, timeout=timeout, command=command), top_level(machine) as top:
        yield top


# ---- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class History:
    """The index, and which of its generations runs and which boots by default."""

    index: Index
    running: int | None
    default: int | None
    btrfs_default: str
    """The Btrfs default subvolume ("" for the top level): never deleted, btrfs refuses."""


class GenerationView(BaseModel):
    """One row of `kodos generations list` (and one item of its `--json`)."""

    model_config = ConfigDict(frozen=True)

    id: int
    created: datetime
    status: Status
    packages: int
    kernel: str | None
    subvolume: str
    running: bool
    default: bool


def read_history(machine: Machine, top: Path) -> History:
    """The machine's history; `NoGenerations` before kodos's first apply."""
    index = read_index(top)
    if index is None:
        raise NoGenerations(machine.root)
    running = index.by_subvolume(machine.running_subvolume)
    btrfs_default = btrfs.get_default(top)
    default = _default_entry(machine, index, btrfs_default)
    return History(
        index,
        running.id if running else None,
        default.id if default else None,
        btrfs_default,
    )


def list_generations(machine: Machine, top: Path) -> list[GenerationView]:
    """Every generation, oldest first."""
    history = read_history(machine, top)
    return [view(history, g.id) for g in history.index.generations]


def view(history: History, gen_id: int) -> GenerationView:
    entry = history.index.entry(gen_id)
    return GenerationView(
        id=entry.id,
        created=entry.created,
        status=entry.status,
        packages=entry.packages,
        kernel=entry.kernel,
        subvolume=entry.subvolume,
        running=entry.id == history.running,
        default=entry.id == history.default,
    )


def diff(machine: Machine, top: Path, a: int, b: int) -> GenerationDiff:
    """What changed from generation `a` to generation `b`, read from their own records."""
    index = read_history(machine, top).index
    side_a, side_b = (read_side(top / index.entry(gen_id).subvolume) for gen_id in (a, b))
    return compare(a, side_a, b, side_b)


def default_generation(machine: Machine, top: Path, index: Index) -> GenerationEntry:
    """The generation that boots by default: the base of a plan and of a new generation."""
    entry = _default_entry(machine, index, btrfs.get_default(top))
    if entry is None:
        raise GenerationsError(
            f"no generation boots by default: loader.conf's default, the Btrfs default "
            f"subvolume and the running root ({machine.running_subvolume}) are none of "
            f"generations {', '.join(map(str, index.ids())) or '(none)'}"
        )
    return entry


def _default_entry(machine: Machine, index: Index, btrfs_default: str) -> GenerationEntry | None:
    loader_default = default_entry_id(machine.esp)
    if loader_default is not None and index.find(loader_default) is not None:
        return index.entry(loader_default)
    return index.by_subvolume(btrfs_default) or index.by_subvolume(machine.running_subvolume)


# ---- changing ---------------------------------------------------------------------------------

ConfirmOne = Callable[[GenerationView], bool]
ConfirmMany = Callable[[list[GenerationView]], bool]


@dataclass(frozen=True, slots=True)
class Rollback:
    previous: int | None
    """The generation that booted by default before."""
    target: int
    running: int | None


def rollback(machine: Machine, top: Path, target: int | None) -> Rollback:
    """Make `target` (default: the newest ready generation older than the default one) boot
    by default: loader.conf's default first, then the Btrfs default subvolume. Nothing is
    copied; a generation that is not ready, or has no boot entry, is refused."""
    history = read_history(machine, top)
    chosen = _rollback_target(history) if target is None else target
    entry = history.index.entry(chosen)
    _check_bootable(machine, top, entry)
    set_default_entry(machine.esp, entry.id)
    btrfs.set_default(top, entry.subvolume)
    return Rollback(history.default, entry.id, history.running)


def _rollback_target(history: History) -> int:
    current = history.default
    older = [
        g.id
        for g in history.index.generations
        if g.status is Status.READY and (current is None or g.id < current)
    ]
    if not older:
        raise GenerationsError(
            f"there is no ready generation older than generation {current} to roll back to"
        )
    return older[-1]


def _check_bootable(machine: Machine, top: Path, entry: GenerationEntry) -> None:
    if entry.status is not Status.READY:
        raise GenerationsError(
            f"generation {entry.id} is {entry.status}, not ready: it cannot boot"
        )
    if entry.id not in entry_ids(machine.esp):
        raise GenerationsError(
            f"generation {entry.id} has no boot entry (loader/entries/kodos-{entry.id}.conf on "
            f"{machine.esp}): it cannot be made the default"
        )
    if not (top / entry.subvolume).is_dir():
        raise GenerationsError(
            f"generation {entry.id}'s subvolume {entry.subvolume} is missing: it cannot boot"
        )


def delete(machine: Machine, top: Path, gen_id: int, *, confirm: ConfirmOne) -> bool:
    """Delete generation `gen_id` once `confirm` agrees (asked after the refusals, before any
    change); False when it did not."""
    history = read_history(machine, top)
    _check_removable(top, history, gen_id)
    if not confirm(view(history, gen_id)):
        return False
    remove_generation(machine, top, history.index, gen_id)
    return True


def gc_candidates(history: History, keep: int) -> list[int]:
    """What `gc --keep K` removes: every generation but the newest `keep` ready ones, the
    running one, the default one, and generation 0 — the root kodos adopted, removed only by
    an explicit `generations delete 0`."""
    ready = [g.id for g in history.index.generations if g.status is Status.READY]
    kept = {0, history.running, history.default, *(ready[-keep:] if keep else [])}
    return [gen_id for gen_id in history.index.ids() if gen_id not in kept]


def gc(machine: Machine, top: Path, keep: int, *, confirm: ConfirmMany) -> list[int]:
    """Delete `gc_candidates` once `confirm` agrees; returns the generations deleted."""
    if keep < 0:
        raise GenerationsError(f"--keep must be 0 or more, not {keep}")
    history = read_history(machine, top)
    doomed = gc_candidates(history, keep)
    for gen_id in doomed:
        _check_removable(top, history, gen_id)
    if not doomed or not confirm([view(history, gen_id) for gen_id in doomed]):
        return []
    index = history.index
    for gen_id in doomed:
        index = remove_generation(machine, top, index, gen_id)
    return doomed


def _check_removable(top: Path, history: History, gen_id: int) -> None:
    entry = history.index.entry(gen_id)
    if gen_id == history.running:
        raise GenerationsError(f"generation {gen_id} is running: it cannot be deleted")
    if gen_id == history.default:
        raise GenerationsError(
            f"generation {gen_id} boots by default: roll back to another one before deleting it"
        )
    if entry.subvolume == history.btrfs_default:
        raise GenerationsError(
            f"generation {gen_id} is the Btrfs default subvolume: roll back to another one "
            "before deleting it"
        )
    where = btrfs.mounted_at(top, entry.subvolume) if (top / entry.subvolume).is_dir() else []
    if where:
        raise GenerationsError(
            f"generation {gen_id} is mounted at {', '.join(map(str, where))}: unmount it first"
        )


def remove_generation(machine: Machine, top: Path, index: Index, gen_id: int) -> Index:
    """Remove a generation the caller checked may go: index entry (the commit point), boot
    entry and kernels, subvolume. Returns the index without it."""
    entry = index.entry(gen_id)
    remaining = index.without(gen_id)
    write_index(top, remaining)
    remove_generation_entry(machine.esp, gen_id)
    if (top / entry.subvolume).is_dir():
        btrfs.delete_subvolume(top, entry.subvolume)
    return remaining
