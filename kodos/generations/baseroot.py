"""The base of a plan: the generation that boots by default, not necessarily the running one.

Two applies without a reboot must build on each other, so `kodos plan` and `kodos apply` both
plan against the default generation of a machine kodos manages. Reading another generation
needs its Btrfs top level mounted (root privileges, in a private mount namespace); a plan made
without them, or for a machine kodos does not manage, is made against `--root` itself — and
when a normal user plans a machine kodos manages, a note says the generation that boots next
was not read (unless the running root is, as far as a normal user can tell, that generation).

A default generation whose subvolume is gone, or a machine with generations but no readable
index, is an error (`kodos.generations.history`): planning against what is left would plan a new
machine. Planning writes nothing outside the generation it reads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kodos.errors import KodosError
from kodos.generations.host import ManagedRoot
from kodos.system.privilege import ROOT_ADVICE
from kodos.system.runner import run


@contextmanager
def generation_root(machine: ManagedRoot, top: Path, subvolume: str) -> Iterator[Path]:
    """The root of generation `subvolume` to read. The running root is the machine itself; any
    other generation is read through the top level, with the ESP bound in at the same place so
    the boot loader reads as it does from the running root (in the caller's private mount
    namespace: the host never sees that mount)."""
    from kodos.generations.deletion import subvolume_present
    from kodos.generations.host import GenerationsError, shown_top

    if subvolume == machine.running_subvolume:
        yield machine.root
        return
    if not subvolume_present(top, subvolume):
        # never create directories on the top level: a missing generation is an error
        raise GenerationsError(f"subvolume {subvolume} is missing from {shown_top(machine)}")
    root = top / subvolume
    from kodos.system.rootfs import checked_in_root

    # inside the generation, links resolved in it: the bind mount must not land on the host
    mount_point = Path(checked_in_root(root, str(machine.esp.relative_to(machine.root))))
    mount_point.mkdir(parents=True, exist_ok=True)
    run(["mount", "--bind", str(machine.esp), str(mount_point)])
    try:
        yield root
    finally:
        run(["umount", str(mount_point)])


@contextmanager
def planning_root(root: Path) -> Iterator[tuple[Path, str | None]]:
    """The root to plan against for `--root root`, and a note when it is not `root` itself."""
    if os.geteuid() != 0:
        yield root, unread_default_note(root)
        return
    managed = _managed_machine(root)
    if managed is None:
        yield root, None
        return
    from kodos.generations.history import default_generation, load_index
    from kodos.generations.host import top_level

    with top_level(managed) as top:
        index = load_index(managed, top)
        if index is None:
            yield root, None
            return
        base = default_generation(managed, top, index)
        with generation_root(managed, top, base.subvolume) as base_root:
            note = None
            if base_root != root:
                note = (
                    f"planned against generation {base.id}, which boots next (not the running root)"
                )
            yield base_root, note


def unread_default_note(root: Path) -> str | None:
    """For a plan made as a normal user: what it could not read. None when the running root is
    all there is to plan against as far as a normal user can tell: no trace of kodos (no record
    in the root, no kodos entry as loader.conf's default, no ESP it cannot read), or the root's
    own record is the generation loader.conf boots."""
    from kodos.state.generation import read_record

    try:
        record = read_record(root)
    except (KodosError, OSError):
        record = None
    running = record.id if record is not None else None
    default, unreadable = _loader_default(root)
    this = f"generation {running}, " if running is not None else ""
    planned = f"planned against the running root ({this}{root})"
    advice = f"{ROOT_ADVICE} to plan against it"
    if unreadable is not None:
        return (
            f"{planned}: which generation boots next is on the ESP ({unreadable}), which a "
            f"normal user cannot read; {advice}"
        )
    if default == running:
        return None  # both None: no trace of kodos; else the running root boots next
    booting = f"generation {default}" if default is not None else "the generation that boots next"
    return (
        f"{planned}, not {booting}: a normal user cannot read generations on the Btrfs top "
        f"level; {advice}"
    )


def _loader_default(root: Path) -> tuple[int | None, str | None]:
    """The kodos generation loader.conf boots by default (None: none, or no ESP found), and
    the ESP directory a normal user could not read (None: none was unreadable)."""
    from kodos.generations.bootentries import default_entry_id
    from kodos.providers.bootloader import ESP_CANDIDATES, find_esp
    from kodos.system.rootfs import resolve_in_root

    for candidate in ESP_CANDIDATES:
        directory = Path(resolve_in_root(root, candidate))
        for inner in (directory, directory / "loader"):
            if inner.is_dir() and not os.access(inner, os.R_OK | os.X_OK):
                return None, f"/{candidate}" + ("/loader" if inner != directory else "")
    esp = find_esp(root)
    if esp is None:
        return None, None
    try:
        return default_entry_id(Path(esp)), None
    except (KodosError, OSError):
        return None, f"/{Path(esp).relative_to(root)}"


def _managed_machine(root: Path) -> ManagedRoot | None:
    """The machine at `root` when its generations can be read from here, else None."""
    from kodos.generations.host import open_managed_root

    try:
        machine = open_managed_root(root)
    except KodosError:
        return None  # not on Btrfs, no ESP…: not a machine kodos keeps generations for
    # imported here: a plan of a root kodos keeps no generations for needs no ctypes
    from kodos.system.mountns import enter_private_mount_namespace

    enter_private_mount_namespace()
    return machine
