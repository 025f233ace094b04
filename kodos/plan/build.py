"""Make a plan: configuration → desired state; machine (root or facts) → actual state; diff.

The one place the plan's steps are put together. Every step before the diff collects its
problems; if there are any, all of them are reported (each located) and no plan is made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kodos import __version__
from kodos.config.load import LoadedConfig, load_config
from kodos.errors import ConfigError
from kodos.plan.diff import diff
from kodos.plan.followups import plan_follow_ups
from kodos.plan.machine import MachineState, machine_from_facts, read_machine
from kodos.plan.model import AurBuild, Base, Change, ConfigRef, Plan, summarize
from kodos.plan.removals import plan_transactions
from kodos.resources import Resource, ResourceSet, address_of, sort_key

if TYPE_CHECKING:
    from kodos.config.model import Config
    from kodos.config.packages import PackageRequest
    from kodos.pacman.localdb import InstalledPackage, SyncIndex
    from kodos.pacman.syncdb import SyncDatabases, SyncSource
    from kodos.plan.aur import AurResolution
    from kodos.plan.resolve import Resolution, UnitCheck


@dataclass(frozen=True, slots=True)
class PlanOptions:
    config: str
    root: Path | None = None
    facts: Path | None = None
    sync_dir: Path | None = None
    refresh: bool = False
    cache_dir: Path | None = None
    display_root: str | None = None
    """How the plan names the machine when `root` is where it was read from (a generation
    mounted for the plan), not what the user passed as --root."""
    lua_path: tuple[Path, ...] = ()
    """More directories the configuration's modules may come from (`--lua-path`)."""
    upgrade: bool = False
    """`--upgrade`: plan every package upgrade the sync databases offer (kodos.plan.upgrade);
    the databases are refreshed unless `sync_dir` names them or `cached` is set."""
    cached: bool = False
    """With `upgrade`: read the databases the last refresh left in kodos's cache, as they are
    (applying a saved upgrade plan, which pins their digest)."""
    aur_pins: tuple[AurBuild, ...] | None = None
    """The AUR builds of a plan being applied (a saved one, or the one a new generation is
    verified against): their bases stay at exactly those commits (kodos.plan.aur)."""
    loaded: LoadedConfig | None = None
    """The configuration, already loaded: a new generation is verified against the very
    configuration its plan was made from (not evaluated again)."""

    @property
    def live_root(self) -> Path | None:
        """The root read for this plan; None when planning from a facts file."""
        return None if self.facts is not None else (self.root or Path("/"))


@dataclass(frozen=True, slots=True)
class PlanResult:
    """A plan with what it was made from: the applier needs the desired resources (they hold
    what the plan redacts — password hashes, whole file contents) and the machine read."""

    plan: Plan
    desired: ResourceSet
    machine: MachineState
    loaded: LoadedConfig
    """The validated configuration as loaded: the generation's record keeps it (secrets
    redacted), its verifying plan reuses it."""
    sync: SyncSource | None = None
    """Where the sync databases the plan read are (an upgrade copies them into the snapshot)."""

    @property
    def config(self) -> Config:
        return self.loaded.config


def build_plan(options: PlanOptions) -> Plan:
    return make_plan(options).plan


def make_plan(options: PlanOptions) -> PlanResult:
    from kodos.pacman.localdb import local_packages_read_once

    with local_packages_read_once():  # the providers and the resolvers read the same database
        return _make_plan(options)


def _make_plan(options: PlanOptions) -> PlanResult:
    from kodos.desired import build_desired, missing_groups

    loaded = options.loaded or load_config(
        options.config, lua_path=options.lua_path, meanwhile=lambda: _read_packages_ahead(options)
    )
    with _sync_databases_meanwhile(loaded, options) as databases_read:
        desired = build_desired(loaded.config, loaded.file.parent)
        requests = [*desired.packages, *_helper(loaded.config)]
        machine = _machine(options, _scope(desired.resources, requests))
        databases = databases_read()
    index = databases.index if databases is not None else None
    local = _local_packages(options, machine, index)
    resolution = _resolve(loaded, requests, databases, machine, options, local)
    aur = _plan_aur(loaded.config, resolution.resources, machine, options, index)
    resolution.resources = _with_aur_versions(resolution.resources, aur.versions)
    resources = ResourceSet(resolution.resources)
    for resource in desired.resources.values():
        resources.add(resource)
    units = _check_units(resources, machine, databases)
    problems = [*desired.problems, *resolution.problems, *units.problems]
    problems += missing_groups(desired, machine.groups)
    if problems:
        raise ConfigError(problems)
    transactions = plan_transactions(
        options.live_root, resources, machine.resources, machine.managed, index, local
    )
    recorded = machine.record.desired if machine.record else None
    changes = diff(resources, machine.resources, machine.managed, transactions.kept, recorded)
    changes = transactions.annotate(changes, machine.resources)
    # what facts never looked at is unknown, not new (a live machine is read for all of it)
    unread = machine.unread(resources)
    changes = [change for change in changes if change.address not in unread]
    notes = [*resolution.notes, *aur.notes, *transactions.notes, *units.notes]
    notes += _disk_notes(loaded)
    upgrade_notes: list[str] = []
    if options.upgrade:
        changes, upgrade_notes = _upgrades(changes, machine, databases, loaded)
    notes += upgrade_notes
    plan = Plan(
        kodos_version=__version__,
        base=Base(
            root=options.display_root or machine.root,
            generation=machine.record.id if machine.record else None,
            state_digest=machine.digest(),
            sync_digest=index.digest() if index is not None else None,
        ),
        config=ConfigRef(path=loaded.display_path, digest=loaded.digest),
        changes=changes,
        summary=summarize(changes, transactions.download_size, transactions.installed_size),
        notes=[*notes, *machine.notes, *_unread_notes(unread, machine)],
        follow_ups=plan_follow_ups(changes),
        reboot_required=bool(changes),
        aur=aur.builds,
        adopted=adopted(resources, machine.resources, machine.managed, changes),
    )
    sync = databases.source if databases else None
    return PlanResult(plan, resources, machine, loaded, sync)


def _unread_notes(unread: list[str], machine: MachineState) -> list[str]:
    """What a plan from facts leaves out: resources the facts never looked for, so nothing
    says whether they exist (a live machine is read for every address; this is empty then)."""
    if not unread:
        return []
    return [
        f"unknown: the facts in {machine.root.removeprefix('facts:')} did not capture "
        f"{', '.join(unread)}, so this plan cannot say what would change there "
        "(capture them with kodos facts -c CONFIG)"
    ]


def adopted(
    desired: Mapping[str, Resource],
    actual: Mapping[str, Resource],
    managed: frozenset[str],
    changes: Iterable[Change],
) -> list[str]:
    """What is on the machine, unmanaged, declared now and unchanged by the plan: kodos
    manages it from now on. (A change of such a resource says so with its reason.)"""
    changed = {change.address for change in changes}
    return sorted(
        (a for a in desired if a in actual and a not in managed and a not in changed),
        key=sort_key,
    )


def _upgrades(
    changes: list[Change],
    machine: MachineState,
    databases: SyncDatabases | None,
    loaded: LoadedConfig,
) -> tuple[list[Change], list[str]]:
    from kodos.pacman.syncdb import SyncDatabaseError
    from kodos.plan.upgrade import upgrade_changes, upgrade_notes

    if databases is None:
        raise SyncDatabaseError("--upgrade needs sync databases: none were found")
    upgraded = upgrade_changes(changes, machine.resources, databases.index)
    boot = loaded.config.boot
    kernel = boot.kernel.package if boot is not None else "linux"
    return upgraded, upgrade_notes(upgraded, databases.index, kernel)


def _helper(config: Config) -> list[PackageRequest]:
    from kodos.plan.aur import helper_request

    request = helper_request(config)
    return [request] if request is not None else []


def _plan_aur(
    config: Config,
    resources: list[Resource],
    machine: MachineState,
    options: PlanOptions,
    index: SyncIndex | None,
) -> AurResolution:
    """The base and commit of every `aur.package` and the AUR bases they need
    (kodos.plan.aur); nothing without one. Without sync databases every need that no AUR
    base of the plan offers is taken for a repository package's."""
    from kodos.plan.aur import AurResolution, aur_repo, open_source, plan_aur

    names = [r.name for r in resources if (r.provider, r.kind) == ("aur", "package")]
    repo = aur_repo(config)
    if not names or repo is None:
        return AurResolution()
    from kodos.aur.order import dependency_name  # only a plan with AUR packages needs it

    locks = machine.record.aur if machine.record is not None else {}

    def in_repositories(need: str) -> bool:
        return index is None or index.satisfier(dependency_name(need)) is not None

    return plan_aur(
        names,
        open_source(repo),
        locks,
        upgrade=options.upgrade,
        pins=options.aur_pins,
        in_repositories=in_repositories,
        offline=options.sync_dir is not None,
    )


def _with_aur_versions(resources: list[Resource], versions: Mapping[str, str]) -> list[Resource]:
    """The AUR packages want the version their base has at the planned commit."""
    import dataclasses

    return [
        dataclasses.replace(r, attributes={**r.attributes, "version": versions[r.name]})
        if (r.provider, r.kind) == ("aur", "package") and r.name in versions
        else r
        for r in resources
    ]


def _read_packages_ahead(options: PlanOptions) -> None:
    """Read a live root's package database while the configuration's Lua runs in its child:
    the plan reads it next whatever the configuration says, and kodos.pacman.localdb keeps it
    for the rest of this plan. A database that cannot be read is left for the plan's own read
    to report, in its turn: after the configuration's problems."""
    from kodos.errors import KodosError
    from kodos.pacman.localdb import read_local_packages

    if options.live_root is not None and options.live_root.is_dir():
        with suppress(KodosError, OSError):
            read_local_packages(options.live_root)


def _scope(resources: Iterable[str], requests: Iterable[PackageRequest]) -> frozenset[str]:
    """The addresses whose actual state matters beyond what providers read wholesale: the
    configuration's files, and the packages it routes to the AUR."""
    aur = (address_of("aur", "package", r.name) for r in requests if r.source == "aur")
    return frozenset(resources) | frozenset(aur)


def _machine(options: PlanOptions, scope: frozenset[str]) -> MachineState:
    if options.facts is not None:
        return machine_from_facts(options.facts)
    assert options.live_root is not None
    return read_machine(options.live_root, scope)


@contextmanager
def _sync_databases_meanwhile(
    loaded: LoadedConfig, options: PlanOptions
) -> Iterator[Callable[[], SyncDatabases | None]]:
    """The sync databases, for the block to take when it needs them. A plan that downloads
    them (`--refresh`, `--upgrade`) starts the download first and reads the machine while
    pacman waits on the mirror (kodos.system.background); any other reads them when asked."""
    if not (options.refresh or options.upgrade):
        yield lambda: _sync_databases(loaded, options)
        return
    from kodos.system.background import meanwhile

    with meanwhile(lambda: _sync_databases(loaded, options)) as download:
        yield download.result


def _sync_databases(loaded: LoadedConfig, options: PlanOptions) -> SyncDatabases | None:
    from kodos.pacman.syncdb import load_sync_databases, locate_sync_databases

    mirror = next((r.mirror for r in loaded.config.repos.values() if r.type == "arch"), None)
    source = locate_sync_databases(
        options.live_root,
        sync_dir=options.sync_dir,
        mirror=mirror,
        refresh=options.refresh,
        cache_dir=options.cache_dir,
        upgrade=options.upgrade,
        cached=options.cached,
    )
    return load_sync_databases(source) if source is not None else None


def _resolve(
    loaded: LoadedConfig,
    requests: list[PackageRequest],
    databases: SyncDatabases | None,
    machine: MachineState,
    options: PlanOptions,
    local: Mapping[str, InstalledPackage] | None = None,
) -> Resolution:
    """Resolve the requests; `local` (default: the machine's packages) decides between
    providers as pacman does."""
    from kodos.pacman.syncdb import missing_databases_note
    from kodos.plan.resolve import resolve

    remote = next((r.remote for r in loaded.config.repos.values() if r.type == "flatpak"), None)
    return resolve(
        requests,
        databases.index if databases is not None else None,
        local if local is not None else _installed(machine.resources),
        flatpak_remote=remote,
        no_index_note=missing_databases_note(options.live_root),
    )


def _local_packages(
    options: PlanOptions, machine: MachineState, index: SyncIndex | None
) -> dict[str, InstalledPackage]:
    """The installed packages with what the resolvers need (provides, dependencies): read
    from a live root's local database. A facts file holds only names, versions and reasons:
    an installed package at the version a repository offers takes that entry's provides and
    dependencies, which are the ones it was built with."""
    import dataclasses

    from kodos.pacman.localdb import read_local_packages

    if options.live_root is not None:
        return read_local_packages(options.live_root)
    installed = _installed(machine.resources)
    for name, package in installed.items():
        offered = index.get(name) if index is not None else None
        if offered is not None and offered.version == package.version:
            installed[name] = dataclasses.replace(
                package, provides=offered.provides, depends=offered.depends
            )
    return installed


def _installed(resources: Mapping[str, Resource]) -> dict[str, InstalledPackage]:
    """The machine's packages as the resolver wants them (an installed provider wins)."""
    from kodos.pacman.localdb import InstalledPackage, InstallReason

    return {
        r.name: InstalledPackage(
            r.name,
            str(r.attributes["version"]),
            InstallReason(r.attributes.get("reason", InstallReason.EXPLICIT)),
            groups=tuple(r.attributes.get("groups", ())),
        )
        for r in resources.values()
        if r.provider == "pacman" and r.kind == "package"
    }


def _check_units(
    resources: ResourceSet, machine: MachineState, databases: SyncDatabases | None
) -> UnitCheck:
    """Every unit the plan enables must come from a package of the plan or be on the machine."""
    from kodos.plan.resolve import UnitCheck, check_units

    packages = [r.name for r in resources.values() if r.provider == "pacman"]
    aur = [r.name for r in resources.values() if r.provider == "aur"]
    checks = UnitCheck()
    for kind, user in (("unit", False), ("user_unit", True)):
        wanted = {
            r.name: r.source or r.address
            for r in resources.of_provider("services")
            if r.kind == kind
        }
        present = [r.name for r in machine.resources.of_provider("services") if r.kind == kind]
        present += _written_units(resources, user)
        if wanted.keys() <= set(present):
            continue  # every unit is on the machine already: no file lists needed
        check = check_units(
            wanted,
            packages,
            present,
            databases.units if databases is not None else None,
            index=databases.index if databases is not None else None,
            aur_packages=aur,
            user=user,
        )
        checks.problems += check.problems
        checks.notes += [note for note in check.notes if note not in checks.notes]
    return checks


_UNIT_DIRECTORIES = {False: "/etc/systemd/system/", True: "/etc/systemd/user/"}


def _written_units(resources: ResourceSet, user: bool) -> list[str]:
    """Units the configuration writes itself (mount units): no package needs to ship them."""
    directory = _UNIT_DIRECTORIES[user]
    return [
        r.name.removeprefix(directory)
        for r in resources.of_provider("files")
        if r.kind == "file"
        and r.name.startswith(directory)
        and "/" not in r.name.removeprefix(directory)
    ]


def _disk_notes(loaded: LoadedConfig) -> list[str]:
    """`devices` is acted on by `kodos install` alone: the plan says what it would lay out, and
    that plan and apply never partition (nor fail when the device is absent here)."""
    if not loaded.config.devices:
        return []  # most plans: the layout module stays unloaded
    from kodos.disklayout import disk_layout

    return [
        f"devices.{name}: `kodos install` would lay out {disk.device} as "
        f"{disk_layout(disk.swap_size, disk.esp_mount).summary()}; plan and apply never "
        "partition or format"
        for name, disk in sorted(loaded.config.devices.items())
    ]
