"""`kodos generations repair`: rebuild the index from what the machine itself says.

The index is a summary; the facts it summarises live elsewhere and survive its loss:

* each generation's own record (`kodos/generations/N/var/lib/kodos/generation.json`): its id,
  parent, status, packages, kernel, and the highest number used when it was built;
* the `kodos-N` boot entries on the ESP, and `kodos-0`'s `rootflags=subvol=` naming the root
  kodos adopted as generation 0;
* the subvolume layout (`kodos/generations/N`), and the highest number kept beside the index.

A subvolume `kodos/generations/N` is listed as ready when its own record (one naming N) says
ready and it has a boot entry, else as failed (a build cut short: `gc` or `generations delete`
can remove it). Generation 0's subvolume UUID — what allows `generations delete 0` — is kept
only from the old index, and only when that subvolume still has it. Repair deletes nothing and
changes neither boot entries nor defaults: it writes the index alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kodos.errors import KodosError
from kodos.generations.bootentries import entry_ids, kernel_dir_ids
from kodos.generations.history import kodos_traces
from kodos.generations.host import ManagedRoot, NoGenerations, shown_top
from kodos.state.generation import GenerationRecord, Status, read_record
from kodos.state.index import (
    GENERATIONS_DIR,
    INDEX_PATH,
    GenerationEntry,
    Index,
    entry_of_record,
    read_highest,
    read_index,
    write_index,
)
from kodos.system import btrfs
from kodos.system.jsonfile import FileFormatError
from kodos.systemd.boot import ENTRIES_DIR, entry_files, key_value_pairs


@dataclass(frozen=True, slots=True)
class Repaired:
    index: Index
    path: str
    """The index file, named as the user can find it."""
    before: str
    """What the index was: "missing", "damaged" or "readable"."""
    notes: tuple[str, ...] = ()


def repair(machine: ManagedRoot, top: Path) -> Repaired:
    """Rebuild and write the index (see the module doc); `NoGenerations` when the machine
    shows no trace of kodos."""
    old, before = _old_index(machine, top)
    if old is None and not kodos_traces(machine, top):
        raise NoGenerations(machine.root)
    notes: list[str] = []
    records: list[GenerationRecord] = []
    entries = [_generation(machine, top, path, old, records) for path in _generation_paths(top)]
    zero = _generation_zero(machine, top, old, records, notes)
    generations = sorted([*([zero] if zero else []), *entries], key=lambda g: g.id)
    listed = {g.id for g in generations}
    notes += [
        f"boot entry kodos-{gen_id} names a generation whose subvolume is gone: not listed"
        for gen_id in entry_ids(machine.esp)
        if gen_id not in listed
    ]
    highest = max(
        [
            old.highest() or 0 if old else 0,
            read_highest(top) or 0,
            *listed,
            *(r.highest_id or r.id for r in records),
            *(r.parent or 0 for r in records),
            *entry_ids(machine.esp),
            *kernel_dir_ids(machine.esp),
        ]
    )
    index = Index(filesystem_uuid=machine.fs.uuid, generations=generations, highest_id=highest)
    write_index(top, index)
    return Repaired(index, f"{shown_top(machine)}/{INDEX_PATH}", before, tuple(notes))


def _old_index(machine: ManagedRoot, top: Path) -> tuple[Index | None, str]:
    """The index as it is, when it can be read and describes this filesystem."""
    try:
        old = read_index(top)
    except FileFormatError:
        return None, "damaged"
    if old is None:
        return None, "missing"
    if old.filesystem_uuid != machine.fs.uuid:
        return None, "damaged"
    return old, "readable"


def _generation_paths(top: Path) -> list[str]:
    """`kodos/generations/N` subvolumes, N written as kodos writes it (no leading zero)."""
    prefix = f"{GENERATIONS_DIR}/"
    found = []
    for path in btrfs.list_subvolumes(top):
        name = path.removeprefix(prefix)
        if path.startswith(prefix) and name.isdigit() and str(int(name)) == name:
            found.append(path)
    return found


def _generation(
    machine: ManagedRoot, top: Path, path: str, old: Index | None, records: list[GenerationRecord]
) -> GenerationEntry:
    gen_id = int(path.rsplit("/", 1)[1])
    record = _own_record(top, path, gen_id)
    if record is not None:
        records.append(record)
        bootable = record.status is Status.READY and gen_id in entry_ids(machine.esp)
        status = Status.READY if bootable else Status.FAILED
        return entry_of_record(record, path).model_copy(update={"status": status})
    known = old.find(gen_id) if old else None
    return GenerationEntry(
        id=gen_id,
        parent=known.parent if known else None,
        created=known.created if known else datetime.now(UTC),
        status=Status.FAILED,
        subvolume=path,
        packages=0,
    )


def _own_record(top: Path, path: str, gen_id: int) -> GenerationRecord | None:
    """The record inside `path` when it is readable and generation `gen_id`'s own (a build
    cut short carries its parent's)."""
    try:
        record = read_record(top / path)
    except (FileFormatError, OSError):
        return None
    return record if record is not None and record.id == gen_id else None


def _generation_zero(
    machine: ManagedRoot,
    top: Path,
    old: Index | None,
    records: list[GenerationRecord],
    notes: list[str],
) -> GenerationEntry | None:
    """Generation 0 as its `kodos-0` entry names it; without that entry (the adopted root had
    no kernel), the old index's generation 0 when its subvolume still has the UUID recorded at
    adoption, else the subvolume a generation built on 0 was snapshotted from (its Btrfs
    parent UUID)."""
    known = old.find(0) if old else None
    subvolume = _kodos_zero_subvolume(machine.esp)
    if subvolume is None:
        if known is not None and _same_subvolume(top, known, known.subvolume):
            return known
        subvolume = _snapshotted_for(top, records)
        if subvolume is None:
            return None
    subvolumes = btrfs.list_subvolumes(top)
    if subvolume not in subvolumes or subvolume.startswith(f"{GENERATIONS_DIR}/"):
        notes.append(f"boot entry kodos-0 names subvolume {subvolume}, which is not one to list")
        return None
    uuid = known.subvolume_uuid if known and _same_subvolume(top, known, subvolume) else None
    if uuid is None:
        notes.append(
            f"generation 0 ({subvolume}) is listed without the UUID recorded at adoption: "
            "`generations delete 0` will refuse it"
        )
    return GenerationEntry(
        id=0,
        created=known.created if known else datetime.now(UTC),
        status=Status.READY,
        subvolume=subvolume,
        kernel=_kernel_of_zero(machine.esp),
        packages=_package_count(top / subvolume),
        subvolume_uuid=uuid,
    )


def _snapshotted_for(top: Path, records: list[GenerationRecord]) -> str | None:
    """The subvolume outside kodos/ that the first generation built on generation 0 was
    snapshotted from, by its Btrfs parent UUID; None when there is none."""
    children = [r.id for r in records if r.parent == 0]
    if not children:
        return None
    parent = btrfs.parent_uuid(top, f"{GENERATIONS_DIR}/{min(children)}")
    for path in btrfs.list_subvolumes(top):
        if not path.startswith("kodos/") and btrfs.subvolume_uuid(top, path) == parent:
            return path
    return None


def _same_subvolume(top: Path, known: GenerationEntry, subvolume: str) -> bool:
    """Whether `subvolume` is the one the old index's generation 0 recorded (by UUID)."""
    if known.subvolume != subvolume or known.subvolume_uuid is None:
        return False
    try:
        return btrfs.subvolume_uuid(top, subvolume) == known.subvolume_uuid
    except btrfs.BtrfsError:
        return False


def _zero_entry_lines(esp: Path) -> list[tuple[str, str]]:
    """(key, value) lines of the `kodos-0` entry (boot counting may have renamed it)."""
    from kodos.generations.bootentries import on_esp
    from kodos.system.rootfs import ESP, UnsafePath, read_text_in_root

    try:  # resolved inside the ESP: a link out of it holds nothing of kodos's
        entries = on_esp(esp, ENTRIES_DIR)
        for path in entry_files(entries, "kodos-0"):
            relative = str(path.relative_to(esp))
            return key_value_pairs(read_text_in_root(esp, relative, where=ESP))
    except (OSError, UnicodeDecodeError, UnsafePath):
        return []
    return []


def _kodos_zero_subvolume(esp: Path) -> str | None:
    for key, value in _zero_entry_lines(esp):
        if key != "options":
            continue
        for option in value.split():
            if option.startswith("rootflags="):
                for flag in option.removeprefix("rootflags=").split(","):
                    if flag.startswith("subvol="):
                        return flag.removeprefix("subvol=").strip("/") or None
    return None


def _kernel_of_zero(esp: Path) -> str | None:
    """`linux` for an entry booting `/kodos/0/vmlinuz-linux`."""
    for key, value in _zero_entry_lines(esp):
        if key == "linux" and "/vmlinuz-" in value:
            return value.rsplit("/vmlinuz-", 1)[1] or None
    return None


def _package_count(root: Path) -> int:
    from kodos.pacman.localdb import read_local_packages

    try:
        return len(read_local_packages(root))
    except (KodosError, OSError):
        return 0
