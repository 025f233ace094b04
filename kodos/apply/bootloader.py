"""bootloader changes on the ESP: loader.conf's configured keys, boot entries, EFI programs.

The ESP is shared by every generation, so these changes are not undone by discarding a
generation: `execute` runs them last, after everything inside the target has succeeded (and
the apply transaction defers them to its commit). Every file is written atomically (temporary
file, fsync, rename, fsync of the directory), which vfat supports.

* `bootloader.loader[systemd-boot]`: only the keys the configuration sets are rewritten in
  place; every other line of `loader/loader.conf` — comments, keys set by hand, and `default`,
  which the apply transaction sets per generation — stays as it is. Deleting the resource
  removes the keys a configuration can set (`CONFIGURED_KEYS`), nothing else.
* `bootloader.entry[NAME]`: `loader/entries/NAME.conf` (keeping the name a boot-counting
  `NAME+3-1.conf` has), with every attribute as a line. An entry's `efi` program is copied
  from the target's `/boot` — where Arch packages put them, `memtest86+-efi` ships
  `boot/memtest86+/memtest.efi` — to the same path on the ESP, unless the ESP is that `/boot`.
  Deleting an entry removes its file; the EFI program stays (it may serve a rollback's entry).

Paths on the ESP are resolved inside it and a link out of it is refused (`bootentries.on_esp`);
the EFI program is read from the target with its links resolved inside the target, and only
when it is a regular file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from kodos.apply.work import StepFailed, Work, failing_as
from kodos.generations.bootentries import on_esp, read_on_esp
from kodos.plan.model import Action, Change
from kodos.providers.bootloader import find_esp
from kodos.resources import JsonValue
from kodos.system.atomic import fsync_directory, write_bytes_atomic
from kodos.system.rootfs import ESP, is_file_in_root, read_bytes_in_root
from kodos.systemd.boot import ENTRIES_DIR, LOADER_CONF, entry_files, rewrite_keys

STEP = "update the boot loader"
# The loader.conf keys kodos.desired.boot can set; `default` belongs to the apply transaction.
CONFIGURED_KEYS = frozenset({"timeout"})
# Entry keys in the order bootctl writes them; others follow, sorted.
ENTRY_KEY_ORDER = ("title", "version", "machine-id", "sort-key", "linux", "initrd", "efi")


def locate_esp(target: Path, esp: Path | None) -> Path | None:
    """The ESP to change: the one given, else the one inside the target as the bootloader
    provider finds it (`efi/`, `boot/efi/`, `boot/`), else None."""
    if esp is not None:
        return esp
    found = find_esp(target)
    return Path(found) if found is not None else None


def apply(work: Work, changes: Sequence[Change]) -> None:
    esp = work.esp
    assert esp is not None, "preflight found the ESP"
    for change in changes:
        with failing_as(STEP, [change]):
            if change.kind == "loader":
                _loader(work, esp, change)
            elif change.action == Action.DELETE:
                _remove_entry(esp, change.name)
            else:
                _entry(work, esp, change)


def _loader(work: Work, esp: Path, change: Change) -> None:
    if change.action == Action.DELETE:
        settings: dict[str, str] = {}
        removed = CONFIGURED_KEYS
    else:
        settings = {key: str(value) for key, value in work.changed_values(change).items()}
        removed = frozenset()
    path = on_esp(esp, LOADER_CONF.parent) / LOADER_CONF.name
    text = rewrite_keys(read_on_esp(esp, LOADER_CONF), settings, removed)
    write_bytes_atomic(path, text.encode("utf-8"))


def _entry(work: Work, esp: Path, change: Change) -> None:
    values = work.wanted(change)
    if "efi" in values:
        _copy_efi_program(work.target, esp, str(values["efi"]), change)
    entries = on_esp(esp, ENTRIES_DIR)
    files = entry_files(entries, change.name)
    path = files[0] if files else entries / f"{change.name}.conf"
    write_bytes_atomic(path, render_entry(values).encode("utf-8"))


def render_entry(values: Mapping[str, JsonValue]) -> str:
    """An entry file: one line a key (one per item for `initrd`), known keys first."""
    known = [key for key in ENTRY_KEY_ORDER if key in values]
    ordered = known + sorted(key for key in values if key not in known)
    lines = []
    for key in ordered:
        value = values[key]
        items = value if isinstance(value, list) else [value]
        lines += [f"{key} {item}" for item in items]
    return "".join(f"{line}\n" for line in lines)


def _remove_entry(esp: Path, name: str) -> None:
    for path in entry_files(on_esp(esp, ENTRIES_DIR), name):
        path.unlink()
        fsync_directory(path.parent)


def _copy_efi_program(target: Path, esp: Path, efi: str, change: Change) -> None:
    """Copy `/boot/EFI` of the target to `EFI` on the ESP, unless it is there already."""
    on_the_esp = is_file_in_root(esp, efi, where=ESP)
    if not is_file_in_root(target, "/boot" + efi):
        if on_the_esp:
            return  # put on the ESP some other way: nothing to copy
        reason = f"{efi}: the EFI program is neither in the target's /boot nor on the ESP"
        raise StepFailed(STEP, [change.address], reason)
    program = read_bytes_in_root(target, "/boot" + efi)  # EFI programs are a few MB at most
    if on_the_esp and read_bytes_in_root(esp, efi, where=ESP) == program:
        return  # there already (or the ESP is the target's /boot)
    directory, _, name = efi.rpartition("/")
    write_bytes_atomic(on_esp(esp, directory or "/") / name, program)
