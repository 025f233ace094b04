"""The steps of `kodos install` once the user said yes: from an empty disk to generation 1.

partition → format → subvolumes → base system (pacman.conf, base, the initramfs drop-in, the
kernel) → fstab → systemd-boot → the rest of the configuration through the applier → verify
(the re-plan is empty) → commit in apply's order: record, boot entry, index, loader.conf's
default, Btrfs default → the staged ESP written with mtools.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kodos.apply import transaction
from kodos.install.esp import Esp, install_systemd_boot, mounted_esp, write_with_mtools
from kodos.install.options import Prepared
from kodos.install.storage import (
    FIRST_GENERATION,
    HOME_SUBVOLUME,
    Formatted,
    create_subvolumes,
    format_partitions,
    partition,
)
from kodos.plan.build import PlanOptions, PlanResult
from kodos.state.index import generation_subvolume
from kodos.steps import OnStep, StepId
from kodos.system.btrfs import set_default, top_level
from kodos.system.runner import run

SUBVOLUME = generation_subvolume(FIRST_GENERATION)


@dataclass
class Progress:
    """The step running now, for the error message; `on_step` hears each one completed."""

    on_step: OnStep
    current: StepId = StepId.CHECK
    notes: list[str] = field(default_factory=list)
    planned: PlanResult | None = None  # the configuration's plan, for the record

    @contextmanager
    def step(self, name: StepId) -> Iterator[None]:
        self.current = name
        yield
        transaction.checkpoint(name, self.on_step)  # looked up here: one seam for tests


def build(prepared: Prepared, device: str, progress: Progress) -> bool:
    """Build generation 1 on `device`; True when the ESP was written with mtools."""
    with progress.step(StepId.PARTITION):
        partition(device, prepared.layout)
    with progress.step(StepId.FORMAT):
        formatted = format_partitions(device, prepared.layout)
    with top_level(formatted.root) as top:
        with progress.step(StepId.SUBVOLUMES):
            target = create_subvolumes(top)
        with (
            _bound(top / HOME_SUBVOLUME, target / "home"),
            mounted_esp(formatted.esp_device, target / prepared.layout.esp_mount[1:]) as esp,
        ):
            _system(prepared, target, formatted, esp, progress)
            verified = _configure(prepared, target, device, esp, progress)
            _commit(prepared, top, target, formatted, esp, verified, progress)
            with progress.step(StepId.ESP):
                write_with_mtools(esp)
    return esp.staging is not None


@contextmanager
def _bound(source: Path, mount_point: Path) -> Iterator[None]:
    """`source` bound at `mount_point`: a new user's home lands on @home, where it is at
    boot, as apply binds it."""
    mount_point.mkdir(parents=True, exist_ok=True)
    run(["mount", "--bind", str(source), str(mount_point)])
    try:
        yield
    finally:
        run(["umount", str(mount_point)])


def _system(
    prepared: Prepared, target: Path, formatted: Formatted, esp: Esp, progress: Progress
) -> None:
    from kodos.desired import build_desired
    from kodos.desired.written import MKINITCPIO_DROP_IN
    from kodos.install import system
    from kodos.resources import address_of

    base, *rest = prepared.packages
    with progress.step(StepId.BASE):
        system.prepare_root(target, prepared.mirror, prepared.options.sig_level)
        progress.notes += system.install_packages(target, [base])
        system.prepare_root(target, prepared.mirror, prepared.options.sig_level)
    with progress.step(StepId.KERNEL):
        loaded = prepared.loaded
        desired = build_desired(loaded.config, loaded.file.parent).resources
        drop_in = address_of("files", "file", MKINITCPIO_DROP_IN)
        system.write_files(target, desired, [drop_in])
        progress.notes += system.install_packages(target, rest)
    with progress.step(StepId.FSTAB):
        system.write_fstab(target, formatted, prepared.layout.esp_mount)
    with progress.step(StepId.BOOTLOADER):
        install_systemd_boot(esp.path)


def _plan_options(prepared: Prepared, target: Path, device: str) -> PlanOptions:
    return PlanOptions(
        prepared.options.config,
        target,
        sync_dir=prepared.options.sync_dir,
        display_root=f"{device} (generation {FIRST_GENERATION})",
        lua_path=prepared.options.lua_path,
    )


def _configure(
    prepared: Prepared, target: Path, device: str, esp: Esp, progress: Progress
) -> PlanResult:
    """Everything else through the planner and the applier, as `kodos apply` would; then the
    re-plan must be empty, boot loader included (the ESP is already in place)."""
    from kodos.apply.execute import execute
    from kodos.apply.transaction import verify_root
    from kodos.plan.build import make_plan

    with progress.step(StepId.CONFIGURE):
        planned = make_plan(_plan_options(prepared, target, device))
        changes = planned.plan.changes
        progress.notes += execute(changes, planned.desired, target, esp=esp.path)
        os.sync()
    with progress.step(StepId.VERIFY):
        verified = verify_root(_plan_options(prepared, target, device))
    progress.planned = planned
    return verified


def _commit(
    prepared: Prepared,
    top: Path,
    target: Path,
    formatted: Formatted,
    esp: Esp,
    verified: PlanResult,
    progress: Progress,
) -> None:
    from kodos.apply.transaction import new_record, write_record
    from kodos.generations.bootentries import find_kernel, kernel_name, set_default_entry
    from kodos.generations.host import ManagedRoot
    from kodos.generations.lifecycle import write_boot_entry
    from kodos.state.index import Index, entry_of_record, write_index

    assert progress.planned is not None
    kernel = kernel_name(find_kernel(target))
    record = new_record(FIRST_GENERATION, None, progress.planned, verified, kernel)
    with progress.step(StepId.RECORD):
        write_record(target, record)
    with progress.step(StepId.ENTRY):
        machine = ManagedRoot(target, formatted.root, SUBVOLUME, esp.path)
        write_boot_entry(machine, FIRST_GENERATION, target, SUBVOLUME)
    with progress.step(StepId.INDEX):
        entry = entry_of_record(record, SUBVOLUME)
        write_index(top, Index(filesystem_uuid=formatted.root.uuid, generations=[entry]))
    with progress.step(StepId.LOADER_DEFAULT):
        set_default_entry(esp.path, FIRST_GENERATION)
    with progress.step(StepId.BTRFS_DEFAULT):
        set_default(top, SUBVOLUME)
