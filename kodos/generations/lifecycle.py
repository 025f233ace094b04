"""The applier's generation upkeep around a build (docs/generations.md, "The apply transaction").

* `adopt_or_read_index`: the index; on the first apply on a machine with no trace of kodos, the
  running root adopted as generation 0 (with a `kodos-0` boot entry when it has a kernel, so a
  rollback can return to it). A missing or damaged index anywhere else is refused
  (`kodos.generations.history.load_index`): only `kodos generations repair` rebuilds it.
* `start_generation`: the next number, above every one ever used, listed as `building` in the
  index *before* its snapshot exists — the proof a later run needs to remove it.
* `write_boot_entry`: a generation's entry, its kernel taken from its own /boot (current with
  its packaged kernel: `kodos.generations.kernels`) and its kernel options inherited from the
  entry that boots by default now; counted (`kodos-N+3.conf`) and staged until the commit.
* `clean_interrupted`: what an interrupted run left, removed — only generations the index lists
  as building, and of those never one with a boot entry, a ready record of its own, or that is
  mounted, running or a default (those are kept, marked failed).
* `discard_generation`: a build that failed, undone (unless loader.conf already boots it).

Like every change to a machine's generations, these run under the machine's lock.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from kodos.generations.bootentries import (
    BootEntryError,
    default_entry_id,
    entry_ids,
    generation_options,
    generation_title,
    kernel_dir_ids,
    remove_generation_entry,
    write_generation_entry,
)
from kodos.generations.deletion import DeletionRefused, check_deletable, subvolume_present
from kodos.generations.history import load_index, remove_generation
from kodos.generations.host import ManagedRoot, shown_top
from kodos.generations.kernels import BootFiles, KernelFiles, find_kernel, kernel_name
from kodos.state.generation import GenerationRecord, Status, read_record
from kodos.state.index import (
    GENERATIONS_DIR,
    GenerationEntry,
    Index,
    entry_of_record,
    generation_subvolume,
    read_highest,
    write_index,
)
from kodos.system import btrfs
from kodos.system.jsonfile import FileFormatError
from kodos.system.rootfs import ESP, resolve_in_root
from kodos.systemd.boot import BOOT_TRIES


def adopt_or_read_index(machine: ManagedRoot, top: Path) -> Index:
    """The machine's index; on kodos's first apply a new one, listing the running root as
    generation 0 (ready, nothing managed, its subvolume's UUID recorded) with a boot entry
    `kodos-0` when the root has a kernel, so that a rollback can return to the system as kodos
    found it."""
    index = load_index(machine, top)
    if index is not None:
        return index
    from kodos.pacman.localdb import read_local_packages

    kernel = _adopted_kernel(machine)
    adopted = GenerationEntry(
        id=0,
        created=datetime.now(UTC),
        status=Status.READY,
        subvolume=machine.running_subvolume,
        kernel=kernel_name(kernel) if kernel is not None else None,
        packages=len(read_local_packages(machine.root)),
        subvolume_uuid=btrfs.subvolume_uuid(top, machine.running_subvolume),
    )
    index = Index(filesystem_uuid=machine.fs.uuid, generations=[adopted])
    write_index(top, index)  # first: a kodos-0 entry without an index would look like damage
    if kernel is not None:
        # The running system has booted: its entry needs no tries to prove itself.
        _write_entry(machine, 0, machine.root, machine.running_subvolume, kernel, counted=False)
    return index


def _adopted_kernel(machine: ManagedRoot) -> KernelFiles | None:
    """The adopted root's kernel, or None when it has none it can boot (a rollback to 0 will
    say it cannot boot). With the ESP mounted at /boot, the kernel and initramfs are the ESP's
    own (`vmlinuz-linux` beside `loader/`), taken when the image is its packaged kernel's."""
    try:
        return find_kernel(machine.root, _running_boot_files(machine))
    except BootEntryError:
        return None


def _running_boot_files(machine: ManagedRoot) -> BootFiles:
    """Where the running root's /boot files are: on the ESP when it is mounted at /boot (read
    as the ESP's files, no link out of it followed), else in the root."""
    if machine.esp == Path(resolve_in_root(machine.root, "boot")):
        return BootFiles(machine.esp, "", ESP)
    return BootFiles(machine.root)


def write_boot_entry(
    machine: ManagedRoot, gen_id: int, generation_root: Path, subvolume: str
) -> Path:
    """Generation `gen_id`'s boot entry, booting the kernel in `generation_root`'s /boot with
    the generation's kernel options (see `generation_options`). A new generation's entry is
    counted (`kodos-N+3.conf`) and staged: `set_default_entry` publishes it at the commit."""
    files = find_kernel(generation_root)
    return _write_entry(machine, gen_id, generation_root, subvolume, files, counted=True)


def _write_entry(
    machine: ManagedRoot,
    gen_id: int,
    generation_root: Path,
    subvolume: str,
    kernel: KernelFiles,
    *,
    counted: bool,
) -> Path:
    return write_generation_entry(
        machine.esp,
        gen_id,
        fs_uuid=machine.fs.uuid,
        subvolume=subvolume,
        kernel_files=kernel,
        title=generation_title(generation_root, gen_id),
        extra_options=generation_options(generation_root, machine.esp),
        tries=BOOT_TRIES if counted else None,
        staged=counted,
    )


def start_generation(
    machine: ManagedRoot, top: Path, index: Index, parent: int
) -> tuple[Index, int]:
    """Number a new generation and list it as building (written), before anything of it
    exists. The number is above every one ever used: the index's highest, the one kept beside
    it, and any subvolume, boot entry or kernel folder of a generation the index lost."""
    used = [
        index.highest() or 0,
        read_highest(top) or 0,
        *_numbers_on_disk(top),
        *entry_ids(machine.esp),
        *kernel_dir_ids(machine.esp),
    ]
    new_id = max(used) + 1
    building = GenerationEntry(
        id=new_id,
        parent=parent,
        created=datetime.now(UTC),
        status=Status.BUILDING,
        subvolume=generation_subvolume(new_id),
        packages=0,
    )
    started = index.with_entry(building)
    write_index(top, started)
    return started, new_id


def _numbers_on_disk(top: Path) -> list[int]:
    """The numbers of `kodos/generations/N` on the top level. The top level is mounted whole,
    so every subvolume there is a directory in it: the directory is read, not `btrfs
    subvolume list` (which walks every subvolume of the file system, tens of milliseconds). A
    plain directory that is no subvolume counts too: a number is only ever skipped, never
    reused."""
    directory = top / GENERATIONS_DIR
    try:
        names = os.listdir(directory) if not directory.is_symlink() else []
    except FileNotFoundError:
        return []
    return [int(name) for name in names if name.isdigit() and name.isascii()]


def clean_interrupted(machine: ManagedRoot, top: Path, index: Index, *, keep_failed: bool) -> Index:
    """Settle the generations the index lists as building (an interrupted run's): remove what
    provably is a half-built snapshot (`_half_built`) — with `keep_failed`, list it as failed
    instead — and list anything else as failed, deleting nothing of it. Nothing the index does
    not list as building is touched. Returns the index, written when it changed."""
    updated = index
    for entry in index.generations:
        if entry.status is not Status.BUILDING:
            continue
        if keep_failed or not _half_built(machine, top, entry):
            updated = updated.with_entry(_failed_entry(top, entry))
            continue
        remove_generation_entry(machine.esp, entry.id)  # kernels copied before its entry
        if subvolume_present(top, entry.subvolume):
            btrfs.delete_subvolume(top, entry.subvolume)
        updated = updated.without(entry.id)
    if updated != index:
        write_index(top, updated)
    return updated


def _half_built(machine: ManagedRoot, top: Path, entry: GenerationEntry) -> bool:
    """Whether a building entry's subvolume is provably a snapshot the interrupted run had not
    finished: its own path (`check_deletable`), no boot entry, no ready record of its own (a
    fresh snapshot carries its parent's), not mounted, not running, not a default."""
    try:
        check_deletable(top, entry, shown_top(machine))
    except DeletionRefused:
        return False
    if entry.id in entry_ids(machine.esp) or default_entry_id(machine.esp) == entry.id:
        return False
    if not subvolume_present(top, entry.subvolume):
        return True
    record = _own_record(top, entry)
    if record is not None and record.status is Status.READY:
        return False
    if entry.subvolume in (machine.running_subvolume, btrfs.get_default(top)):
        return False
    return not btrfs.mounted_at(top, entry.subvolume)


def discard_generation(
    machine: ManagedRoot, top: Path, index: Index, gen_id: int, *, keep_failed: bool
) -> Index:
    """Undo generation `gen_id`'s build after a failure: its entry, kernels, subvolume and
    index entry go (with `keep_failed` the subvolume stays, listed as failed). Once loader.conf
    boots it the commit is past undoing and it is kept. Returns the index as written."""
    current = load_index(machine, top) or index  # the file is the truth: the commit wrote it
    if default_entry_id(machine.esp) == gen_id or current.find(gen_id) is None:
        return current
    if keep_failed:
        remove_generation_entry(machine.esp, gen_id)
        current = current.with_entry(_failed_entry(top, current.entry(gen_id)))
        write_index(top, current)
        return current
    return remove_generation(machine, top, current, gen_id)


def _own_record(top: Path, entry: GenerationEntry) -> GenerationRecord | None:
    """The generation's own record: one naming its id (a fresh snapshot carries its
    parent's), readable; else None."""
    if not subvolume_present(top, entry.subvolume):
        return None
    try:
        record = read_record(top / entry.subvolume)
    except FileFormatError:
        return None
    return record if record is not None and record.id == entry.id else None


def _failed_entry(top: Path, entry: GenerationEntry) -> GenerationEntry:
    """The index entry of a build kept as failed, from its own record when it has one."""
    record = _own_record(top, entry)
    if record is not None:
        return entry_of_record(record, entry.subvolume).model_copy(update={"status": Status.FAILED})
    return entry.model_copy(update={"status": Status.FAILED})
