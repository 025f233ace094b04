"""A machine's generations: which exist, which runs, which boots, and changing that.

`open_managed_root(root)` finds what a managed root is made of: its Btrfs filesystem, the subvolume
mounted as the root (the *running* generation) and its ESP (found the way the bootloader
provider finds it). Every other function takes the filesystem's top level mounted at `top`
(`top_level(machine)`) and reads the index there (`kodos.state.index`).

The *default* generation — the one that boots next — is the one loader.conf's `default` chooses
(`kodos-*`: the newest whose entry has tries left; `kodos-N[.+]*`: N, pinned by a rollback);
when that names no generation the index lists (a machine kodos just adopted still boots its own
entry), the generation whose subvolume is the Btrfs default, and failing that the running one.

Functions that change the machine (`delete`, `gc`, `rollback`; the applier's are in
`kodos.generations.lifecycle`, the index's rebuilding in `kodos.generations.repair`) expect
their caller to hold the machine's lock: `locked_top_level` takes it, then mounts the top level.

The index is trusted no further than it can be checked (`load_index`): a machine with traces
of kodos generations but no index, or with an unreadable one, is changed by nothing but
`kodos generations repair`. What may be deleted is one rule (`kodos.generations.deletion`):
generation N's subvolume is `kodos/generations/N` exactly, a real subvolume reached through no
link; the adopted generation 0's is the subvolume whose Btrfs UUID the index recorded at
adoption; never the running, default or a mounted one. Removal goes boot entry and kernels →
subvolume → index entry, so an interrupted deletion leaves the generation listed, and deleting
it again finishes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from kodos.generations.bootentries import (
    default_entry_id,
    entry_ids,
    entry_states,
    pin_default_entry,
    remove_generation_entry,
)
from kodos.generations.deletion import (
    REPAIR_HINT,
    check_deletable,
    check_identity,
    subvolume_present,
)
from kodos.generations.diff import GenerationDiff, compare, read_side
from kodos.generations.host import (
    GenerationsError,
    IndexUnusable,
    ManagedRoot,
    NoGenerations,
    shown_top,
)
from kodos.state.generation import RECORD_PATH, Status
from kodos.state.index import (
    GENERATIONS_DIR,
    HIGHEST_PATH,
    INDEX_PATH,
    GenerationEntry,
    Index,
    read_index,
    write_index,
)
from kodos.system import btrfs
from kodos.system.jsonfile import FileFormatError
from kodos.systemd.boot import BootState

# ---- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class History:
    """The index, and which of its generations runs and which boots by default."""

    index: Index
    running: int | None
    default: int | None
    btrfs_default: str
    """The Btrfs default subvolume ("" for the top level): never deleted, btrfs refuses."""
    boot: dict[int, BootState] = field(default_factory=dict)
    """What boot counting says of each generation's entry (none: no entry)."""


class GenerationView(BaseModel):
    """One row of `kodos generations list` (and one item of its `--json`)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: int
    created: datetime
    status: Status
    packages: int
    kernel: str | None
    subvolume: str
    running: bool
    default: bool
    boot: BootState | None = None
    """Its entry's boot counting: good, on trial (not yet booted to boot-complete.target),
    bad (its tries used up: systemd-boot no longer boots it by default); None: no entry."""


def load_index(machine: ManagedRoot, top: Path) -> Index | None:
    """The machine's index; None on a machine without any trace of kodos generations (before
    its first apply). `IndexUnusable`, with the hint to repair, when the index is unreadable,
    describes another filesystem, or is missing where kodos has built generations."""
    shown = shown_top(machine)
    try:
        index = read_index(top, shown)
    except FileFormatError as err:
        more = len(err.problems) - 1
        also = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise IndexUnusable(
            f"{err.problems[0]}{also}; the index is damaged: {REPAIR_HINT}"
        ) from None
    if index is None:
        traces = kodos_traces(machine, top)
        if traces:
            listed = ", ".join(traces[:3]) + (", …" if len(traces) > 3 else "")
            raise IndexUnusable(
                f"{shown}/{INDEX_PATH} is missing, but kodos has built generations here "
                f"({listed}): {REPAIR_HINT}"
            )
        return None
    if index.filesystem_uuid != machine.fs.uuid:
        raise IndexUnusable(
            f"{shown}/{INDEX_PATH} describes filesystem {index.filesystem_uuid}, not this one "
            f"({machine.fs.uuid}): {REPAIR_HINT}"
        )
    return index


def kodos_traces(machine: ManagedRoot, top: Path) -> list[str]:
    """What shows that kodos has built generations on this machine, whatever its index says:
    subvolumes under kodos/generations/, `kodos-N` boot entries and kernel folders, the
    running root's record, the highest number kept beside the index."""
    from kodos.generations.bootentries import kernel_dir_ids

    found = [s for s in btrfs.list_subvolumes(top) if s.startswith(f"{GENERATIONS_DIR}/")]
    found += [f"boot entry kodos-{gen_id}" for gen_id in entry_ids(machine.esp)]
    found += [f"{machine.esp}/kodos/{gen_id}" for gen_id in kernel_dir_ids(machine.esp)]
    if (machine.root / RECORD_PATH).exists():
        found.append(f"{machine.root}/{RECORD_PATH}")
    if (top / HIGHEST_PATH).exists():
        found.append(f"{shown_top(machine)}/{HIGHEST_PATH}")
    return found


def read_history(machine: ManagedRoot, top: Path) -> History:
    """The machine's history; `NoGenerations` before kodos's first apply."""
    index = load_index(machine, top)
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
        entry_states(machine.esp),
    )


def list_generations(machine: ManagedRoot, top: Path) -> list[GenerationView]:
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
        boot=history.boot.get(entry.id),
    )


def diff(machine: ManagedRoot, top: Path, a: int, b: int) -> GenerationDiff:
    """What changed from generation `a` to generation `b`, read from their own records."""
    index = read_history(machine, top).index
    shown = shown_top(machine)
    entries = [index.entry(gen_id) for gen_id in (a, b)]
    side_a, side_b = (
        read_side(top / e.subvolume, f"{shown}/{e.subvolume}", e.status) for e in entries
    )
    return compare(a, side_a, b, side_b)


def default_generation(machine: ManagedRoot, top: Path, index: Index) -> GenerationEntry:
    """The generation that boots by default: the base of a plan and of a new generation.
    Its subvolume must exist: planning against an empty directory would plan a new machine."""
    entry = _default_entry(machine, index, btrfs.get_default(top))
    if entry is None:
        raise GenerationsError(
            f"no generation boots by default: loader.conf's default, the Btrfs default "
            f"subvolume and the running root ({machine.running_subvolume}) are none of "
            f"generations {', '.join(map(str, index.ids())) or '(none)'}"
        )
    if not subvolume_present(top, entry.subvolume):
        raise GenerationsError(
            f"generation {entry.id} boots by default, but its subvolume {entry.subvolume} is "
            f"missing from {shown_top(machine)}: {_recovery(machine, top, index, entry.id)}"
        )
    return entry


def _recovery(machine: ManagedRoot, top: Path, index: Index, missing: int) -> str:
    """How to get a machine whose default generation is gone booting one that exists."""
    bootable = set(entry_ids(machine.esp))
    usable = [
        g.id
        for g in index.generations
        if g.id != missing
        and g.status is Status.READY
        and g.id in bootable
        and subvolume_present(top, g.subvolume)
    ]
    if not usable:
        return "no other ready generation with a subvolume and a boot entry is left to roll back to"
    return f"make one that exists boot by default (kodos rollback {usable[-1]}), then try again"


def _default_entry(
    machine: ManagedRoot, index: Index, btrfs_default: str
) -> GenerationEntry | None:
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


def rollback(machine: ManagedRoot, top: Path, target: int | None) -> Rollback:
    """Make `target` (default: the newest ready generation older than the default one) boot
    by default: loader.conf's default first, then the Btrfs default subvolume. Nothing is
    copied; a generation that is not ready, or has no boot entry, is refused."""
    history = read_history(machine, top)
    chosen = _rollback_target(history) if target is None else target
    entry = history.index.entry(chosen)
    _check_bootable(machine, top, entry)
    pin_default_entry(machine.esp, entry.id)
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


def _check_bootable(machine: ManagedRoot, top: Path, entry: GenerationEntry) -> None:
    check_identity(top, entry, shown_top(machine))
    if entry.status is not Status.READY:
        raise GenerationsError(
            f"generation {entry.id} is {entry.status}, not ready: it cannot boot"
        )
    if entry.id not in entry_ids(machine.esp):
        raise GenerationsError(
            f"generation {entry.id} has no boot entry (loader/entries/kodos-{entry.id}.conf on "
            f"{machine.esp}): it cannot be made the default"
        )
    if not subvolume_present(top, entry.subvolume):
        raise GenerationsError(
            f"generation {entry.id}'s subvolume {entry.subvolume} is missing: it cannot boot"
        )


def delete(machine: ManagedRoot, top: Path, gen_id: int, *, confirm: ConfirmOne) -> bool:
    """Delete generation `gen_id` once `confirm` agrees (asked after the refusals, before any
    change); False when it did not."""
    history = read_history(machine, top)
    _check_removable(machine, top, history, gen_id)
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


def gc(machine: ManagedRoot, top: Path, keep: int, *, confirm: ConfirmMany) -> list[int]:
    """Delete `gc_candidates` once `confirm` agrees; returns the generations deleted."""
    if keep < 0:
        raise GenerationsError(f"--keep must be 0 or more, not {keep}")
    history = read_history(machine, top)
    doomed = gc_candidates(history, keep)
    for gen_id in doomed:
        _check_removable(machine, top, history, gen_id)
    if not doomed or not confirm([view(history, gen_id) for gen_id in doomed]):
        return []
    index = history.index
    for gen_id in doomed:
        index = remove_generation(machine, top, index, gen_id)
    return doomed


def _check_removable(machine: ManagedRoot, top: Path, history: History, gen_id: int) -> None:
    entry = history.index.entry(gen_id)
    check_deletable(top, entry, shown_top(machine))
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
    present = subvolume_present(top, entry.subvolume)
    where = btrfs.mounted_at(top, entry.subvolume) if present else []
    if where:
        raise GenerationsError(
            f"generation {gen_id} is mounted at {', '.join(map(str, where))}: unmount it first"
        )


def remove_generation(machine: ManagedRoot, top: Path, index: Index, gen_id: int) -> Index:
    """Remove a generation the caller checked may go: boot entry and kernels, subvolume, then
    the index entry — listed until it is gone, so deleting again finishes an interrupted
    deletion. `check_deletable` is asked again here, the one door every deletion goes
    through. Returns the index without it."""
    entry = index.entry(gen_id)
    check_deletable(top, entry, shown_top(machine))
    remove_generation_entry(machine.esp, gen_id)
    if subvolume_present(top, entry.subvolume):
        btrfs.delete_subvolume(top, entry.subvolume)
    remaining = index.without(gen_id)
    write_index(top, remaining)
    return remaining
