"""The applier's generation upkeep around a build (docs/generations.md, "The apply transaction").

* `adopt_or_read_index`: the index; on the first apply, the running root adopted as generation 0
  (with a `kodos-0` boot entry when it has a kernel, so a rollback can return to it).
* `write_boot_entry`: a generation's entry, its kernel taken from its own /boot and its kernel
  options inherited from the entry that boots by default now.
* `clean_interrupted`: what an interrupted run left — subvolumes and boot entries the index does
  not list — removed, or kept as failed generations.
* `discard_generation`: a build that failed, undone (unless loader.conf already boots it).

Like every change to a machine's generations, these run under the machine's lock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from kodos import btrfs
from kodos.bootentries import (
    BootEntryError,
    default_entry_id,
    entry_ids,
    find_kernel,
    generation_options,
    generation_title,
    kernel_dir_ids,
    kernel_name,
    remove_generation_entry,
    write_generation_entry,
)
from kodos.generations import GenerationsError, Machine, remove_generation
from kodos.jsonfile import FileFormatError
from kodos.state.generation import Status, read_record
from kodos.state.index import (
    GenerationEntry,
    Index,
    entry_of_record,
    generation_subvolume,
    read_index,
    write_index,
)


def adopt_or_read_index(machine: Machine, top: Path) -> Index:
    """The machine's index; on kodos's first apply a new one, listing the running root as
    generation 0 (ready, nothing managed) with a boot entry `kodos-0` when the root has a
    kernel, so that a rollback can return to the system as kodos found it."""
    index = read_index(top)
    if index is not None:
        if index.filesystem_uuid != machine.fs.uuid:
            raise GenerationsError(
                f"the index on {machine.fs.device} describes filesystem "
                f"{index.filesystem_uuid}, not this one ({machine.fs.uuid})"
            )
        return index
    from kodos.providers.pacman_db import read_local_packages

    kernel = _write_adopted_entry(machine)
    adopted = GenerationEntry(
        id=0,
        created=datetime.now(UTC),
        status=Status.READY,
        subvolume=machine.running_subvolume,
        kernel=kernel,
        packages=len(read_local_packages(machine.root)),
    )
    index = Index(filesystem_uuid=machine.fs.uuid, generations=[adopted])
    write_index(top, index)
    return index


def _write_adopted_entry(machine: Machine) -> str | None:
    """The adopted root's boot entry; its kernel's name, or None when it has no kernel."""
    try:
        files = find_kernel(machine.root)
    except BootEntryError:
        return None  # nothing to boot it with: a rollback to 0 will say so
    write_boot_entry(machine, 0, machine.root, machine.running_subvolume)
    return kernel_name(files)


def write_boot_entry(machine: Machine, gen_id: int, generation_root: Path, subvolume: str) -> Path:
    """Generation `gen_id`'s boot entry, booting the kernel in `generation_root`'s /boot with
    the generation's kernel options (see `generation_options`)."""
    return write_generation_entry(
        machine.esp,
        gen_id,
        fs_uuid=machine.fs.uuid,
        subvolume=subvolume,
        kernel_files=find_kernel(generation_root),
        title=generation_title(generation_root, gen_id),
        extra_options=generation_options(generation_root, machine.esp),
    )


def clean_interrupted(machine: Machine, top: Path, index: Index, *, keep_failed: bool) -> Index:
    """Remove what an interrupted run left: subvolumes under kodos/generations/ the index does
    not list (with `keep_failed`: list them as failed instead), and boot entries and kernels of
    generations it does not list. Returns the index, written when it changed."""
    updated = index
    for gen_id, subvolume in _unlisted_subvolumes(top, index):
        if keep_failed:
            updated = updated.with_entry(_failed_entry(top, gen_id, subvolume))
        else:
            btrfs.delete_subvolume(top, subvolume)
    listed = {g.id for g in updated.generations if g.status is Status.READY}
    for gen_id in sorted({*entry_ids(machine.esp), *kernel_dir_ids(machine.esp)} - listed):
        remove_generation_entry(machine.esp, gen_id)
    if updated != index:
        write_index(top, updated)
    return updated


def discard_generation(
    machine: Machine, top: Path, index: Index, gen_id: int, *, keep_failed: bool
) -> Index:
    """Undo generation `gen_id`'s build after a failure: its entry, kernels and subvolume go
    (with `keep_failed` the subvolume stays, listed as failed). Once loader.conf boots it the
    commit is past undoing and it is kept. Returns the index as written."""
    current = read_index(top) or index  # the file is the truth: the commit may have written it
    if default_entry_id(machine.esp) == gen_id:
        return current
    subvolume = generation_subvolume(gen_id)
    if keep_failed:
        remove_generation_entry(machine.esp, gen_id)
        current = current.with_entry(_failed_entry(top, gen_id, subvolume))
        write_index(top, current)
        return current
    if current.find(gen_id) is not None:
        return remove_generation(machine, top, current, gen_id)
    remove_generation_entry(machine.esp, gen_id)
    if (top / subvolume).is_dir():
        btrfs.delete_subvolume(top, subvolume)
    return current


def _unlisted_subvolumes(top: Path, index: Index) -> list[tuple[int, str]]:
    prefix = generation_subvolume(0).removesuffix("0")
    found = []
    for path in btrfs.list_subvolumes(top):
        name = path.removeprefix(prefix)
        if path.startswith(prefix) and name.isdigit() and index.find(int(name)) is None:
            found.append((int(name), path))
    return found


def _failed_entry(top: Path, gen_id: int, subvolume: str) -> GenerationEntry:
    """The index entry of a build kept as failed, from its record when it has a readable one."""
    try:
        record = read_record(top / subvolume)
    except FileFormatError:
        record = None
    if record is not None and record.id == gen_id:
        return entry_of_record(record, subvolume).model_copy(update={"status": Status.FAILED})
    return GenerationEntry(
        id=gen_id, created=datetime.now(UTC), status=Status.FAILED, subvolume=subvolume, packages=0
    )
