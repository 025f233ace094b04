"""The apply transaction: build a new generation from the default one, or build nothing.

The order of its steps is what makes it safe (docs/generations.md): nothing outside the new
snapshot changes until the snapshot is verified, and the commit writes the record, the boot
entry, the index and the two defaults in an order where a crash at any point leaves a machine
whose running generation, boot default and records are consistent. Every mount happens in a
private mount namespace, so even kill -9 leaves nothing mounted.

Each apply writes a log (the plan, each step, pacman's output) outside every generation
(`kodos.apply.log`); `report` hears its path at the end, failed or not, and where a failed
snapshot kept with `--keep-failed` is. With `upgrade`, the sync databases the plan read are
copied into the snapshot before anything else (and checked against the plan's digest), and the
record says which databases the generation was upgraded against.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kodos.apply.aur import AurBuilt
from kodos.apply.saved import refuse_unless_as_saved, saved_pins
from kodos.errors import KodosError
from kodos.generations.baseroot import generation_root
from kodos.generations.host import ManagedRoot
from kodos.pacman import confread
from kodos.plan.build import PlanOptions, PlanResult, make_plan
from kodos.plan.model import Change, Plan
from kodos.resources import SENSITIVE_PLACEHOLDER, Resource, ResourceSet
from kodos.secrets import SealedSecret, seal
from kodos.state.generation import RECORD_PATH, GenerationRecord, Status, Upgrade
from kodos.state.index import (
    GenerationEntry,
    Index,
    entry_of_record,
    generation_subvolume,
    write_index,
)
from kodos.steps import OnStep, StepId
from kodos.system.jsonfile import write_json
from kodos.system.lock import DEFAULT_TIMEOUT
from kodos.system.rootfs import checked_in_root
from kodos.system.runner import run


class ApplyError(KodosError):
    """The apply stopped; the running generation and the boot default are unchanged."""


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    config: str
    root: Path
    plan_file: Path | None = None
    lock_timeout: float = DEFAULT_TIMEOUT
    keep_failed: bool = False
    sync_dir: Path | None = None
    refresh: bool = False
    lua_path: tuple[Path, ...] = ()
    upgrade: bool = False


@dataclass(frozen=True, slots=True)
class ApplyResult:
    plan: Plan
    generation: int | None  # None: nothing to do, nothing built
    notes: tuple[str, ...] = ()


def apply(
    options: ApplyOptions,
    *,
    confirm: Callable[[Plan, str], bool],
    on_step: OnStep,
    report: Callable[[str], None] = lambda text: None,
) -> ApplyResult:
    from kodos.generations.host import locked_top_level, open_managed_root
    from kodos.pacman.localdb import sync_databases_read_once
    from kodos.pacman.syncdb import file_lists_in_background
    from kodos.system.mountns import enter_private_mount_namespace

    enter_private_mount_namespace()
    machine = open_managed_root(options.root)
    command = " ".join(["kodos", *sys.argv[1:]])
    with locked_top_level(machine, timeout=options.lock_timeout, command=command) as top:
        checkpoint(StepId.LOCK, on_step)
        # the plan, the upgrade's copy check and the verifying plan read the same sync
        # databases: parsed once; their file lists download while the plan is carried out
        with (
            _logged(machine, top, command, report),
            sync_databases_read_once(),
            file_lists_in_background(),
        ):
            return _apply_locked(options, machine, top, confirm, _logging(on_step), report)


@contextmanager
def _logged(
    machine: ManagedRoot, top: Path, command: str, report: Callable[[str], None]
) -> Iterator[None]:
    """The apply's log, open for the block; its path reported at the end, failed or not."""
    from kodos.apply.log import log_directory, log_line, open_log

    with open_log(log_directory(machine.root, top)) as path:
        log_line(command)
        try:
            yield
        except BaseException as err:
            log_line(f"failed: {err}")
            raise
        finally:
            report(f"log of this apply: {_shown_path(machine, top, path)}")


def _shown_path(machine: ManagedRoot, top: Path, path: Path) -> str:
    """A path the user can open: under the machine's root as it is, else where it lies on the
    top level (mounted only in kodos's private namespace, gone when it exits)."""
    if path.is_relative_to(machine.root):
        return str(path)
    return f"{path.relative_to(top)} at the top level of {machine.root}'s Btrfs file system"


def _logging(on_step: OnStep) -> OnStep:
    from kodos.apply.log import log_line

    def logged(step: StepId) -> None:
        log_line(f"step {step}")
        on_step(step)

    return logged


def checkpoint(step: StepId, on_step: OnStep) -> None:
    """A step is done: report it. The one place every step of apply and install passes, so
    the tests' own entry point (tests/support/faulty_kodos.py) wraps this function to fail or
    pause at a step; kodos itself has no test hook an environment could reach."""
    on_step(step)


@dataclass(frozen=True, slots=True)
class _Build:
    """What the build of one generation works with."""

    options: ApplyOptions
    machine: ManagedRoot
    top: Path
    base: GenerationEntry
    new_id: int
    result: PlanResult
    aur: AurBuilt

    @property
    def subvolume(self) -> str:
        return generation_subvolume(self.new_id)

    @property
    def target(self) -> Path:
        return self.top / self.subvolume


def _apply_locked(
    options: ApplyOptions,
    machine: ManagedRoot,
    top: Path,
    confirm: Callable[[Plan, str], bool],
    on_step: OnStep,
    report: Callable[[str], None],
) -> ApplyResult:
    from kodos.apply.log import log_output
    from kodos.generations.history import default_generation
    from kodos.generations.lifecycle import adopt_or_read_index, clean_interrupted, start_generation
    from kodos.plan.render import render_plan

    index = adopt_or_read_index(machine, top)
    index = clean_interrupted(machine, top, index, keep_failed=options.keep_failed)
    checkpoint(StepId.CLEANUP, on_step)
    base = default_generation(machine, top, index)
    pins = saved_pins(options.plan_file)
    with generation_root(machine, top, base.subvolume) as base_root:
        result = make_plan(replace(_plan_options(options, base_root), aur_pins=pins))
        aur_conf = confread.rendered(base_root) if result.plan.aur else ""
    shown = render_plan(result.plan)  # logged, and shown by `confirm`: rendered once
    log_output(shown)
    refuse_unless_as_saved(options.plan_file, result.plan)
    checkpoint(StepId.PLAN, on_step)
    if result.plan.is_empty:
        return ApplyResult(result.plan, None)
    if not confirm(result.plan, shown):
        raise ApplyError("not applied: the plan was not confirmed")
    aur = _build_aur(result, top, aur_conf)  # before anything changes: a failed one leaves nothing
    index, new_id = start_generation(machine, top, index, base.id)
    build = _Build(options, machine, top, base, new_id, result, aur)
    return _build(build, index, on_step, report)


def _build(
    build: _Build, index: Index, on_step: OnStep, report: Callable[[str], None]
) -> ApplyResult:
    from kodos.apply.execute import execute
    from kodos.apply.kernel import place_kernel
    from kodos.apply.log import log_line
    from kodos.generations.lifecycle import discard_generation
    from kodos.system.btrfs import snapshot
    from kodos.system.syncfs import file_systems_synced, flushing_meanwhile

    try:
        snapshot(build.top, build.base.subvolume, build.subvolume)
        place_kernel(build.target)  # an empty /boot when the ESP is mounted there
        checkpoint(StepId.SNAPSHOT, on_step)
        if build.options.upgrade:
            _take_sync_databases(build)
        system, boot = _split_bootloader(build.result.plan.changes)
        written = [build.top, *_shared_sources(build)]  # the file systems the changes write to
        with _shared_directories(build), flushing_meanwhile(written):
            notes = execute(
                system,
                build.result.desired,
                build.target,
                esp=None,
                on_step=on_step,
                aur_repository=build.aur.repository,
            )
        checkpoint(StepId.EXECUTE, on_step)
        _take_file_lists(build)
        # The new generation on disk before anything can make it boot. Not sync(2) of every
        # file system of the host: syncfs(2) of those this apply wrote to — the Btrfs file
        # system the generation is a subvolume of, and those of the shared directories bound
        # into it (a new user's home) — gives them the same guarantee (kodos.system.syncfs).
        # They flush while the verifying plan reads the generation, which writes nothing;
        # flushed while pacman wrote too, they have little left to write.
        with file_systems_synced(written):
            verified = _verify(build)
        checkpoint(StepId.SYNC, on_step)
        checkpoint(StepId.VERIFY, on_step)
        _commit(build, index, verified, boot, on_step)
        log_line(f"built generation {build.new_id}")
    except BaseException:
        discard_generation(
            build.machine, build.top, index, build.new_id, keep_failed=build.options.keep_failed
        )
        if build.options.keep_failed:
            report(
                f"the failed generation {build.new_id} is kept: subvolume {build.subvolume} "
                f"at the top level of {build.machine.root}'s Btrfs file system "
                "(mount it with -o subvolid=5 to look inside)"
            )
        raise
    return ApplyResult(build.result.plan, build.new_id, tuple(notes))


# Directories that are their own subvolumes on a typical Btrfs Arch (@home, @log, @pkg) and
# so belong to no generation: while changes are applied they are bound into the snapshot, so a
# new user's home, pacman's log and its package cache land where they are at boot (and the
# cache is not copied into every generation).
SHARED_DIRECTORIES = ("home", "var/log", "var/cache/pacman/pkg")


def _shared_sources(build: _Build) -> list[Path]:
    """The shared directories the machine has as mounts of their own: bound into the
    snapshot while changes are applied."""
    sources = (build.machine.root / directory for directory in SHARED_DIRECTORIES)
    return [source for source in sources if os.path.ismount(source)]


@contextmanager
def _shared_directories(build: _Build) -> Iterator[None]:
    bound: list[Path] = []
    try:
        for source in _shared_sources(build):
            directory = str(source.relative_to(build.machine.root))
            # inside the snapshot, links resolved in it: a bind mount follows links
            mount_point = Path(checked_in_root(build.target, directory))
            mount_point.mkdir(parents=True, exist_ok=True)
            run(["mount", "--bind", str(source), str(mount_point)])
            bound.append(mount_point)
        yield
    finally:
        for mount_point in reversed(bound):
            run(["umount", str(mount_point)])


def _take_sync_databases(build: _Build) -> None:
    """The upgrade's databases into the snapshot: exactly what the plan read (checked by
    digest, since the cache can be refreshed by another plan meanwhile)."""
    from kodos.apply.packages import copy_sync_databases
    from kodos.pacman.localdb import read_sync_directory
    from kodos.pacman.syncdb import SyncDatabaseError

    source = build.result.sync
    if source is None:
        raise ApplyError("--upgrade needs sync databases: the plan read none")
    copy_sync_databases(source.directory, source.repos, build.target)
    copied = read_sync_directory(build.target / "var/lib/pacman/sync", source.repos).digest()
    if copied != build.result.plan.base.sync_digest:
        raise SyncDatabaseError(
            f"the sync databases in {source.directory} changed while the plan was applied "
            "(another refresh?): nothing was applied; plan again"
        )


def _take_file_lists(build: _Build) -> None:
    """Wait for the refresh's file lists (`pacman -Fy`, downloaded while the transaction ran:
    `file_lists_in_background`), a failed download failing the apply; an upgrade's go into
    the snapshot beside the databases it installed from."""
    from kodos.apply.packages import copy_sync_databases
    from kodos.pacman.syncdb import wait_for_file_lists

    wait_for_file_lists()
    source = build.result.sync
    if build.options.upgrade and source is not None:
        copy_sync_databases(source.directory, source.repos, build.target, (".files",))


def _build_aur(result: PlanResult, top: Path, pacman_conf: str) -> AurBuilt:
    """The AUR bases the plan needs built, at its commits (kodos.apply.aur), their
    dependencies installed with `pacman_conf` (the base generation's repositories)."""
    from kodos.apply.aur import build_planned
    from kodos.apply.log import log_line

    record = result.machine.record
    locks = record.aur if record is not None else {}
    return build_planned(
        result.plan,
        result.config,
        locks,
        top=top,
        host_root=Path("/"),
        pacman_conf=pacman_conf,
        log=log_line,
    )


def _split_bootloader(changes: list[Change]) -> tuple[list[Change], list[Change]]:
    """Boot loader changes touch the shared ESP: they wait for the commit."""
    system = [c for c in changes if c.provider != "bootloader"]
    boot = [c for c in changes if c.provider == "bootloader"]
    return system, boot


def _verify(build: _Build) -> PlanResult:
    """Re-read the new generation and re-plan: it must match the configuration exactly (the
    boot loader's changes, still to come, aside)."""
    options = _plan_options(build.options, build.target)
    options = replace(options, aur_pins=tuple(build.result.plan.aur), loaded=build.result.loaded)
    if build.options.upgrade and build.result.sync is not None:
        # against the databases the upgrade used, not a fresh refresh
        directory = build.result.sync.directory
        options = replace(options, sync_dir=directory, refresh=False, cached=False)
    return verify_root(options, pending=("bootloader",))


def verify_root(options: PlanOptions, *, pending: tuple[str, ...] = ()) -> PlanResult:
    """Re-plan the root `options` names: it must match the configuration exactly, except for
    the changes of the `pending` providers (still to come). Shared with `kodos install`."""
    result = make_plan(options)
    remaining = [c for c in result.plan.changes if c.provider not in pending]
    if remaining:
        listed = ", ".join(f"{c.action} {c.address}" for c in remaining[:5])
        more = f" and {len(remaining) - 5} more" if len(remaining) > 5 else ""
        raise ApplyError(f"the new generation does not match the configuration: {listed}{more}")
    return result


def _commit(
    build: _Build, index: Index, verified: PlanResult, boot: list[Change], on_step: OnStep
) -> None:
    from kodos.apply.execute import execute
    from kodos.apply.kernel import boot_kernel
    from kodos.generations.bootentries import kernel_name, set_default_entry
    from kodos.generations.lifecycle import write_boot_entry
    from kodos.system.btrfs import set_default

    kernel = kernel_name(boot_kernel(build.target))
    record = _record(build, verified, kernel)
    write_record(build.target, record)
    checkpoint(StepId.RECORD, on_step)
    write_boot_entry(build.machine, build.new_id, build.target, build.subvolume)
    if boot:
        execute(boot, build.result.desired, build.target, esp=build.machine.esp, on_step=on_step)
    checkpoint(StepId.ENTRY, on_step)
    write_index(build.top, index.with_entry(entry_of_record(record, build.subvolume)))
    checkpoint(StepId.INDEX, on_step)
    set_default_entry(build.machine.esp, build.new_id)
    checkpoint(StepId.LOADER_DEFAULT, on_step)
    set_default(build.top, build.subvolume)
    checkpoint(StepId.BTRFS_DEFAULT, on_step)


def _record(build: _Build, verified: PlanResult, kernel: str | None) -> GenerationRecord:
    record = new_record(build.new_id, build.base.id, build.result, verified, kernel)
    record = record.model_copy(update={"log": _recorded_log(build.machine, build.top)})
    if build.options.upgrade:
        record = record.model_copy(update={"upgrade": _upgrade_record(build)})
    if build.aur.locks:
        record = record.model_copy(update={"aur": build.aur.locks})
    return record


def _recorded_log(machine: ManagedRoot, top: Path) -> str | None:
    """Where `generations show` finds this apply's log: relative to the top level, or as an
    absolute path on the machine's root when it is on the shared /var/log."""
    from kodos.apply.log import current_log

    path = current_log()
    if path is None:
        return None
    if path.is_relative_to(top):
        return str(path.relative_to(top))
    return f"/{path.relative_to(machine.root)}"


def _upgrade_record(build: _Build) -> Upgrade:
    """Which databases the generation was upgraded against: each one's date, as the mirror
    gave it (pacman keeps the server's modification time)."""
    source = build.result.sync
    assert source is not None and build.result.plan.base.sync_digest is not None
    dates = {
        repo: datetime.fromtimestamp((source.directory / f"{repo}.db").stat().st_mtime, UTC)
        for repo in source.repos
    }
    return Upgrade(databases=dates, sync_digest=build.result.plan.base.sync_digest)


def new_record(
    gen_id: int, parent: int | None, planned: PlanResult, verified: PlanResult, kernel: str | None
) -> GenerationRecord:
    """The record of generation `gen_id`, built from `planned` and re-read as `verified`.
    Shared with `kodos install` (whose generation 1 has no parent)."""
    from kodos.config.recorded import recorded_configuration

    installed = verified.machine.resources
    packages = {
        r.name: str(r.attributes.get("version", ""))
        for r in installed.values()
        if r.provider == "pacman" and r.kind == "package"
    }
    return GenerationRecord(
        id=gen_id,
        parent=parent,
        created=datetime.now(UTC),
        status=Status.READY,
        config_digest=planned.plan.config.digest,
        managed=sorted(planned.desired),
        packages=packages,
        kernel=kernel,
        desired=_redacted(planned.desired, installed),
        highest_id=gen_id,  # numbered above every one used before it
        configuration=recorded_configuration(planned.config),
    )


def write_record(target: Path, record: GenerationRecord) -> None:
    """The record inside its generation's root (atomically)."""
    # resolved inside the generation, so a link in var/lib cannot steer the write out of it
    path = Path(checked_in_root(target, str(RECORD_PATH)))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, record.model_dump(mode="json"))


def _redacted(desired: ResourceSet, verified: Mapping[str, Resource]) -> dict[str, dict[str, Any]]:
    """The desired state for the record; a secret as the digest of the value the verified
    generation holds (`{"sealed": ...}`, as facts keep it), so a later plan can tell whether
    it was changed outside kodos without the record holding it."""
    return {
        address: {
            key: _sealed(verified.get(address), key) if key in resource.sensitive else value
            for key, value in resource.attributes.items()
        }
        for address, resource in desired.items()
    }


def _sealed(resource: Resource | None, key: str) -> Any:
    value = resource.attributes.get(key) if resource is not None else None
    if isinstance(value, SealedSecret):
        return {"sealed": value.digest}
    return {"sealed": seal(value).digest} if isinstance(value, str) else SENSITIVE_PLACEHOLDER


def _plan_options(options: ApplyOptions, root: Path) -> PlanOptions:
    """Plan `root` (a generation read through the top level), naming it as the user did."""
    return PlanOptions(
        options.config,
        root,
        sync_dir=options.sync_dir,
        refresh=options.refresh,
        display_root=str(options.root),
        lua_path=options.lua_path,
        upgrade=options.upgrade,
        cached=options.upgrade and options.plan_file is not None,
    )
