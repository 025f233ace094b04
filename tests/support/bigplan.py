"""A large machine, its repositories and a configuration that changes it: what the plan
benchmarks plan (benchmarks/plan.py, benchmarks/startup.py), written directly (no tools).

`write_plan_machine(directory, packages)` writes a synthetic root (`tests.support.synthetic`:
a pacman local database of `packages` packages, 300 unit files in every enablement state, 50
accounts), sync databases for `--sync-dir` (`core`/`extra` `.db` and `.files` in repo-add's
layout, `tests.support.sync`) offering the installed packages and the ones the configuration
asks for, and a configuration declaring 400 packages (half installed, a few of those from the
AUR; half new, some shipping units), services on units of the machine and of new packages, 20
users (15 existing, 5 new), locale and network. `repo_size` pads the databases with unrelated
packages up to that size (Arch's: ~15,000). `package_requests` makes the requests of a large
configuration over a sync index (benchmarks/resolve.py).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kodos.config.packages import PackageRequest
from kodos.pacman.localdb import SyncIndex
from kodos.plan.build import PlanOptions
from tests.support.mirror import FakeEntry, fake_entries
from tests.support.sync import FakeSyncEntry, fake_names, fake_sync_entries, fake_sync_repo
from tests.support.synthetic import synthetic_root

DECLARED = 400  # packages the configuration declares
UNITS = 300
USERS = 50
FILES_PER_PACKAGE = 50  # paths in each package's file list, as benchmarks/resolve.py
CORE_SHARE = 0.02  # Arch's core holds ~300 of ~15,000 packages
AUR_COUNT = 8  # installed packages declared as aur: (foreign: in no sync database)
MINIMUM_PACKAGES = 4 * AUR_COUNT
MACHINE_SERVICES = 24  # services enabling unit files the root already has
HASH = "$6$yYGlozWudGJ1pYBQ$90qFejr24w6sfZOYTFsRWw7sxxZwHBX5OmJhgGzEJ2QO.draeiLNRYAXbOjpOTV55KAuQeub.6l4wWuvsaTBl."
# Services with a descriptor in lua-lib/expansions/services: package → units it ships.
DESCRIBED = {
    "openssh": ("sshd.service",),
    "networkmanager": ("NetworkManager.service",),
    "docker": ("docker.service", "docker.socket"),
}


@dataclass(frozen=True)
class PlanMachine:
    """One generated machine: its root, sync directory and configuration directory."""

    packages: int
    repo_packages: int  # in the sync databases
    root: Path
    sync: Path
    config: Path

    def plan_arguments(self) -> list[str]:
        """The arguments after `kodos`."""
        return [
            "plan", "--json",
            "-c", str(self.config),
            "--root", str(self.root),
            "--sync-dir", str(self.sync),
        ]  # fmt: skip

    def options(self) -> PlanOptions:
        return PlanOptions(str(self.config), self.root, sync_dir=self.sync)


@dataclass(frozen=True)
class Declared:
    """What the configuration asks for, by kind of package."""

    installed: list[str]  # installed, in the sync databases
    aur: list[str]  # installed, foreign: declared as aur:NAME
    new: list[str]  # not installed, in the sync databases
    with_units: list[str]  # new packages shipping NAME.service (enabled as services)


def raw_read_argvs(root: Path) -> tuple[list[str], list[str]]:
    """The raw read a plan is measured against: `pacman -Qq` + `systemctl list-unit-files`."""
    pacman = ["pacman", "-Qq", "--root", str(root), "--dbpath", str(root / "var/lib/pacman")]
    systemctl = ["systemctl", f"--root={root}", "list-unit-files", "--no-legend"]
    return pacman, systemctl


def write_plan_machine(directory: Path, packages: int, repo_size: int = 0) -> PlanMachine:
    """Write the root, the sync databases and the configuration for `packages` installed."""
    if packages < MINIMUM_PACKAGES:
        raise ValueError(f"a plan machine has at least {MINIMUM_PACKAGES} packages")
    root = synthetic_root(directory / "root", packages=packages, units=UNITS, users=USERS)
    installed = fake_entries(packages)  # what synthetic_root wrote into the local database
    declared = _choose(installed)
    entries = _sync_entries(installed, declared)
    entries += _padding(entries, repo_size)
    sync = directory / "sync"
    split = max(len(DESCRIBED), int(len(entries) * CORE_SHARE))
    described = [e for e in entries if e.name in DESCRIBED]  # base services live in core
    rest = [e for e in entries if e.name not in DESCRIBED]
    fake_sync_repo(sync, "core", [*described, *rest[: split - len(described)]])
    fake_sync_repo(sync, "extra", rest[split - len(described) :])
    config = directory / "config"
    config.mkdir()
    (config / "configuration.lua").write_text(_configuration(declared), encoding="utf-8")
    return PlanMachine(packages, len(entries), root, sync, config)


def package_requests(index: SyncIndex, count: int) -> list[PackageRequest]:
    """`count` requests as a large configuration makes them: mostly names, some providers,
    groups with an exclusion, AUR and Flatpak entries, a few duplicates."""
    rng = random.Random(1)
    names = [name for repo in index.repos for name in index.packages[repo]]
    groups = sorted(index.groups)
    virtual = sorted(index.providers)
    requests = []
    for i in range(count):
        path = ("packages", i)
        if i % 50 == 0:
            group = groups[i % len(groups)]
            first = index.group(group)[0].name
            requests.append(PackageRequest("pacman", group, path, exclude=(first,)))
        elif i % 40 == 1:
            requests.append(PackageRequest("pacman", virtual[i % len(virtual)], path))
        elif i % 25 == 2:
            requests.append(PackageRequest("aur", f"aur-thing{i}", path))
        elif i % 30 == 3:
            requests.append(PackageRequest("flatpak", f"org.example.App{i}", path))
        else:
            requests.append(PackageRequest("pacman", rng.choice(names), path))
    return requests


def _choose(installed: list[FakeEntry]) -> Declared:
    """Half the declared packages from the installed ones (spread over the database), half new."""
    half = min(DECLARED // 2, len(installed))
    step = max(1, len(installed) // half) if half else 1
    picked = [entry.name for entry in installed[::step][:half]]
    aur, installed_names = picked[:AUR_COUNT], picked[AUR_COUNT:]
    taken = {entry.name for entry in installed}
    fresh = [name for name in fake_names(DECLARED, seed=7) if name not in taken]
    new = [*DESCRIBED, *fresh[: DECLARED - len(picked) - len(DESCRIBED)]]
    with_units = [name for i, name in enumerate(new) if name not in DESCRIBED and i % 10 == 0]
    return Declared(installed_names, aur, new, with_units)


def _sync_entries(installed: list[FakeEntry], declared: Declared) -> list[FakeSyncEntry]:
    """The repositories: every installed package but the foreign ones, then the new ones."""

    def files(name: str, units: tuple[str, ...]) -> tuple[str, ...]:
        paths = [f"usr/share/{name}/file{j}" for j in range(FILES_PER_PACKAGE - len(units))]
        return (*paths, *(f"usr/lib/systemd/system/{unit}" for unit in units))

    foreign = set(declared.aur)
    entries = [
        FakeSyncEntry(e.name, e.version, e.groups, e.provides, e.depends, files=files(e.name, ()))
        for e in installed
        if e.name not in foreign
    ]
    for i, name in enumerate(declared.new):
        units = DESCRIBED.get(name, (f"{name}.service",) if name in declared.with_units else ())
        version = f"{1 + i % 3}:{i}.1-1" if i % 5 == 0 else f"{i}.2-1"
        entries.append(FakeSyncEntry(name, version, units=units, files=files(name, units)))
    return entries


def _padding(entries: list[FakeSyncEntry], repo_size: int) -> list[FakeSyncEntry]:
    """Unrelated packages bringing the repositories up to `repo_size`."""
    missing = repo_size - len(entries)
    if missing <= 0:
        return []
    taken = {entry.name for entry in entries}
    extra = fake_sync_entries(missing + 1000, seed=11, files_per_package=FILES_PER_PACKAGE)
    return [entry for entry in extra if entry.name not in taken][:missing]


def _lua(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _interleave(*lists: list[str]) -> Iterator[str]:
    """Round-robin over the lists, so installed and new names alternate as in a real file."""
    iterators = [iter(items) for items in lists]
    while iterators:
        for iterator in list(iterators):
            item = next(iterator, None)
            if item is None:
                iterators.remove(iterator)
            else:
                yield item


def _configuration(declared: Declared) -> str:
    """configuration.lua: repos, locale, network, users, the 400 packages and the services."""
    specs = _interleave(declared.installed, declared.new, [f"aur:{name}" for name in declared.aur])
    users = []
    for i in range(15):  # existing accounts: same names, some shells and groups change
        groups = ' extra_groups = { "wheel" },' if i % 3 == 0 else ""
        password = f" hashed_password = {_lua(HASH)}," if i % 4 == 0 else ""
        shell = "/bin/bash" if i % 2 == 0 else "/bin/zsh"
        users.append(
            f'    user{i} = {{ name = "User {i}", shell = "{shell}",{groups}{password} }},'
        )
    for i in range(5):  # new accounts
        users.append(
            f'    bench{i} = {{ name = "Bench {i}", shell = "/bin/zsh", '
            f'extra_groups = {{ "wheel", "docker" }}, hashed_password = {_lua(HASH)} }},'
        )
    services = [
        "    openssh = { enable = true, settings = { PermitRootLogin = false,"
        " PasswordAuthentication = false } },",
        "    networkmanager = { enable = true },",
        "    docker = { enable = true },",
    ]
    # Units the machine has, in every state write_units makes (enabled, disabled, masked,
    # aliased), each credited to an installed package.
    unit_numbers = [i for i in range(UNITS) if i % 6 in (0, 1, 3, 4)][:MACHINE_SERVICES]
    for k, i in enumerate(unit_numbers):
        package = declared.installed[k % len(declared.installed)]
        services.append(
            f'    ["machine-unit{i}"] = {{ enable = true, package = {_lua(package)}, '
            f'service_name = "unit{i}" }},'
        )
    services += [f"    [{_lua(name)}] = {{ enable = true }}," for name in declared.with_units]
    lines = [
        "-- Generated by tests/support/bigplan.py.",
        'local repos = require("repos")',
        "",
        "return {",
        "  repos = {",
        '    arch = repos.arch_repo("https://geo.mirror.pkgbuild.com"),',
        '    aur = repos.aur_repo("yay", "https://aur.archlinux.org/yay-bin.git"),',
        "  },",
        "  locale = {",
        '    locale = { default = "en_US.UTF-8 UTF-8", extra_generate = { "fr_FR.UTF-8 UTF-8" } },',
        '    keymap = "us",',
        '    timezone = "Europe/Paris",',
        "  },",
        '  network = { hostname = "bench" },',
        "  users = {",
        *users,
        "  },",
        "  packages = {",
        *(f"    {_lua(spec)}," for spec in specs),
        "  },",
        "  services = {",
        *services,
        "  },",
        "}",
    ]
    return "\n".join(lines) + "\n"
