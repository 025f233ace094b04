"""How fast is `kodos plan` on a large machine, next to a raw read of the same machine?

`kodos plan` is what a user runs before every apply, so it has to stay close to the cost of
reading the machine at all. This script builds, in a temporary directory, a synthetic root
(`tests.support.synthetic`: a pacman local database of 2,000 packages, 300 unit files in every
enablement state, 50 accounts in passwd/group/shadow), sync databases for `--sync-dir`
(`core`/`extra` `.db` and `.files` in repo-add's layout, `tests.support.sync`) offering the
installed packages and the ones the configuration asks for, and a configuration declaring 400
packages (half installed, a few of those from the AUR; half new, some shipping units), services
on units of the machine and of new packages, 20 users (15 existing, 5 new), locale and network.
It checks that the plan succeeds and prints its change counts, then measures:

1. the whole `kodos plan --json -c CONFIG --root ROOT --sync-dir SYNC` process — goal ≤ 0.75 s;
2. the raw-read baseline: `pacman -Qq` on the root's database and `systemctl --root=ROOT
   list-unit-files`, both processes timed together, and plan / baseline — goal ≤ 3;
3. the same plan at 20,000 installed packages, and plan(20k) / plan(2k) — goal ≤ 5;
4. where the time goes, at both sizes: python's start-up; the imports of a real plan process
   (the modules it ends up with, imported in a process of their own); each step of
   `kodos.plan.build.build_plan` — config load, desired, read machine, sync databases (their
   `.db` and `.files` halves also apart), resolve, unit and group checks, diff, plan model,
   JSON render — called here in its order with `time.perf_counter` around each, cold (once,
   in a fresh process that has imported everything) and warm (repeated in this process); what
   is left of the whole process (typer, printing, interpreter exit); the largest imports.

The sync databases hold only the installed and declared packages, as the goals assume;
`--repo-size 15000` pads them to the size of Arch's, which a real machine's plan reads.
Every figure is a median (and min) over repeated runs, warm (the page cache holds the files).
The script exits 0 once it has measured, whatever the figures (benchmarks inform, they don't
gate); 1 only if it cannot set up (the plan fails, pacman or systemctl is missing).

    .venv/bin/python benchmarks/plan.py [--packages N] [--big N] [--runs K] [--repo-size N]
                                        [--profile N] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib
import json
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from argparse import SUPPRESS
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support

# This directory is on sys.path when a benchmark runs as a script.
from figures import Figure, print_table

from kodos import __version__
from kodos.config.load import load_config
from kodos.desired import build_desired, missing_groups
from kodos.errors import ConfigError, KodosError
from kodos.pacman.filelists import read_unit_index
from kodos.pacman.syncdb import load_sync_index, locate_sync_databases
from kodos.plan import build
from kodos.plan.build import PlanOptions, build_plan
from kodos.plan.diff import diff
from kodos.plan.model import Base, ConfigRef, Plan, summarize
from kodos.resources import ResourceSet
from tests.support.mirror import FakeEntry, fake_entries
from tests.support.sync import FakeSyncEntry, fake_names, fake_sync_entries, fake_sync_repo
from tests.support.synthetic import synthetic_root

PLAN_GOAL_MS = 750.0
BASELINE_RATIO_GOAL = 3.0
SCALE_RATIO_GOAL = 5.0

DECLARED = 400  # packages the configuration declares
UNITS = 300
USERS = 50
FILES_PER_PACKAGE = 50  # paths in each package's file list, as benchmarks/resolve.py
CORE_SHARE = 0.02  # Arch's core holds ~300 of ~15,000 packages
AUR_COUNT = 8  # installed packages declared as aur: (foreign: in no sync database)
MACHINE_SERVICES = 24  # services enabling unit files the root already has
HASH = "$6$yYGlozWudGJ1pYBQ$90qFejr24w6sfZOYTFsRWw7sxxZwHBX5OmJhgGzEJ2QO.draeiLNRYAXbOjpOTV55KAuQeub.6l4wWuvsaTBl."  # noqa: E501
# Services with a descriptor in lua-lib/expansions/services: package → units it ships.
DESCRIBED = {
    "openssh": ("sshd.service",),
    "networkmanager": ("NetworkManager.service",),
    "docker": ("docker.service", "docker.socket"),
}

# ---- the machine, the repositories and the configuration -----------------------------------


@dataclass(frozen=True)
class Setup:
    """One generated machine: its root, sync directory and configuration directory."""

    packages: int
    repo_packages: int  # in the sync databases
    root: Path
    sync: Path
    config: Path

    def plan_args(self) -> list[str]:
        """The arguments after `kodos`."""
        return [
            "plan", "--json",
            "-c", str(self.config),
            "--root", str(self.root),
            "--sync-dir", str(self.sync),
        ]  # fmt: skip

    def plan_argv(self) -> list[str]:
        return [*kodos_command(), *self.plan_args()]

    def options(self) -> PlanOptions:
        return PlanOptions(str(self.config), self.root, sync_dir=self.sync)


@dataclass(frozen=True)
class Declared:
    """What the configuration asks for, by kind of package."""

    installed: list[str]  # installed, in the sync databases
    aur: list[str]  # installed, foreign: declared as aur:NAME
    new: list[str]  # not installed, in the sync databases
    with_units: list[str]  # new packages shipping NAME.service (enabled as services)


def kodos_command(*python_options: str) -> list[str]:
    """`kodos` as a user runs it: the console script (with `python_options`, through this
    interpreter), else `python -m kodos`."""
    script = Path(sys.executable).parent / "kodos"
    if script.exists():
        return [sys.executable, *python_options, str(script)] if python_options else [str(script)]
    return [sys.executable, *python_options, "-m", "kodos"]


def choose(installed: list[FakeEntry]) -> Declared:
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


def sync_entries(installed: list[FakeEntry], declared: Declared) -> list[FakeSyncEntry]:
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


def padding(entries: list[FakeSyncEntry], repo_size: int) -> list[FakeSyncEntry]:
    """Unrelated packages bringing the repositories up to `repo_size` (`--repo-size`)."""
    missing = repo_size - len(entries)
    if missing <= 0:
        return []
    taken = {entry.name for entry in entries}
    extra = fake_sync_entries(missing + 1000, seed=11, files_per_package=FILES_PER_PACKAGE)
    return [entry for entry in extra if entry.name not in taken][:missing]


def lua(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def interleave(*lists: list[str]) -> Iterator[str]:
    """Round-robin over the lists, so installed and new names alternate as in a real file."""
    iterators = [iter(items) for items in lists]
    while iterators:
        for iterator in list(iterators):
            item = next(iterator, None)
            if item is None:
                iterators.remove(iterator)
            else:
                yield item


def configuration(declared: Declared) -> str:
    """configuration.lua: repos, locale, network, users, the 400 packages and the services."""
    specs = interleave(declared.installed, declared.new, [f"aur:{name}" for name in declared.aur])
    packages = [f"    {lua(spec)}," for spec in specs]
    users = []
    for i in range(15):  # existing accounts: same names, some shells and groups change
        groups = ' extra_groups = { "wheel" },' if i % 3 == 0 else ""
        password = f" hashed_password = {lua(HASH)}," if i % 4 == 0 else ""
        shell = "/bin/bash" if i % 2 == 0 else "/bin/zsh"
        users.append(
            f'    user{i} = {{ name = "User {i}", shell = "{shell}",{groups}{password} }},'
        )
    for i in range(5):  # new accounts
        users.append(
            f'    bench{i} = {{ name = "Bench {i}", shell = "/bin/zsh", '
            f'extra_groups = {{ "wheel", "docker" }}, hashed_password = {lua(HASH)} }},'
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
            f'    ["machine-unit{i}"] = {{ enable = true, package = {lua(package)}, '
            f'service_name = "unit{i}" }},'
        )
    services += [f"    [{lua(name)}] = {{ enable = true }}," for name in declared.with_units]
    lines = [
        "-- Generated by benchmarks/plan.py.",
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
        *packages,
        "  },",
        "  services = {",
        *services,
        "  },",
        "}",
    ]
    return "\n".join(lines) + "\n"


def build_setup(directory: Path, packages: int, repo_size: int) -> Setup:
    """Write the root, the sync databases and the configuration for `packages` installed."""
    root = synthetic_root(directory / "root", packages=packages, units=UNITS, users=USERS)
    installed = fake_entries(packages)  # what synthetic_root wrote into the local database
    declared = choose(installed)
    entries = sync_entries(installed, declared)
    entries += padding(entries, repo_size)
    sync = directory / "sync"
    split = max(len(DESCRIBED), int(len(entries) * CORE_SHARE))
    described = [e for e in entries if e.name in DESCRIBED]  # base services live in core
    rest = [e for e in entries if e.name not in DESCRIBED]
    fake_sync_repo(sync, "core", [*described, *rest[: split - len(described)]])
    fake_sync_repo(sync, "extra", rest[split - len(described) :])
    config = directory / "config"
    config.mkdir()
    (config / "configuration.lua").write_text(configuration(declared), encoding="utf-8")
    return Setup(packages, len(entries), root, sync, config)


# ---- measuring -----------------------------------------------------------------------------


def samples(action: Callable[[], object], runs: int) -> list[float]:
    """Wall times of `runs` calls of `action` in ms, after one untimed warm-up call."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def measure(
    label: str, action: Callable[[], object], runs: int, goal: float | None = None
) -> Figure:
    times = samples(action, runs)
    return Figure(label, statistics.median(times), min(times), goal)


def run_process(*argvs: list[str]) -> Callable[[], object]:
    """Run the commands one after the other; any failure raises."""

    def action() -> object:
        for argv in argvs:
            subprocess.run(argv, check=True, capture_output=True)
        return None

    return action


def baseline_argvs(root: Path) -> tuple[list[str], list[str]]:
    pacman = ["pacman", "-Qq", "--root", str(root), "--dbpath", str(root / "var/lib/pacman")]
    systemctl = ["systemctl", f"--root={root}", "list-unit-files", "--no-legend"]
    return pacman, systemctl


def ratio(label: str, over: Figure, under: Figure, goal: float) -> Figure:
    return Figure(label, over.median / under.median, None, goal, unit="x")


# ---- in process: build_plan's steps one by one ---------------------------------------------

STEPS = (
    "config load (load_config)",
    "desired (build_desired)",
    "read machine (read_machine)",
    "sync databases (.db + .files)",
    "resolve",
    "unit and group checks",
    "diff",
    "plan model (state digest, summary)",
    "JSON render (model_dump_json)",
)
SYNC_PARTS = ("packages (.db)", "units (.files)")  # the sync step's halves, measured apart


def plan_steps(options: PlanOptions) -> dict[str, float]:
    """One plan made as `build_plan` makes it, the same calls in the same order, each timed
    (ms). Uses build.py's own helpers so the steps cannot drift from the command's."""
    times: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        times[step] = (now - clock) * 1000
        clock = now

    loaded = load_config(options.config)
    lap(STEPS[0])
    desired = build_desired(loaded.config, loaded.file.parent)
    lap(STEPS[1])
    machine = build._machine(options, build._scope(desired.resources, desired.packages))
    lap(STEPS[2])
    databases = build._sync_databases(loaded, options)
    lap(STEPS[3])
    resolution = build._resolve(loaded, desired.packages, databases, machine, options)
    resources = ResourceSet(resolution.resources)
    for resource in desired.resources.values():
        resources.add(resource)
    lap(STEPS[4])
    units = build._check_units(resources, machine, databases)
    problems = [*desired.problems, *resolution.problems, *units.problems]
    problems += missing_groups(desired, machine.groups)
    if problems:
        raise ConfigError(problems)
    lap(STEPS[5])
    changes = diff(resources, machine.resources, machine.managed)
    lap(STEPS[6])
    plan = Plan(
        kodos_version=__version__,
        base=Base(
            root=machine.root,
            generation=machine.record.id if machine.record else None,
            state_digest=machine.digest(),
        ),
        config=ConfigRef(path=loaded.display_path, digest=loaded.digest),
        changes=changes,
        summary=summarize(changes),
        notes=[*resolution.notes, *units.notes, *machine.notes],
    )
    lap(STEPS[7])
    plan.model_dump_json(indent=2)
    lap(STEPS[8])
    return times


def step_medians(options: PlanOptions, runs: int) -> dict[str, float]:
    """Warm: the median of each step over `runs` plans in this process, after a warm-up."""
    plan_steps(options)
    runs_times = [plan_steps(options) for _ in range(runs)]
    return {step: statistics.median(t[step] for t in runs_times) for step in STEPS}


def sync_parts(setup: Setup, runs: int) -> dict[str, float]:
    """The two halves of the sync step, each on its own: packages (.db), units (.files)."""
    source = locate_sync_databases(
        None, sync_dir=setup.sync, mirror=None, refresh=False, cache_dir=None
    )
    assert source is not None
    return {
        SYNC_PARTS[0]: statistics.median(samples(lambda: load_sync_index(source), runs)),
        SYNC_PARTS[1]: statistics.median(
            samples(lambda: read_unit_index(source.directory, source.repos), runs)
        ),
    }


# A child process records which modules a real `kodos plan` ends up with, in import order.
MODULES_OF_PLAN = """\
import contextlib, io, sys
sys.argv = ["kodos", *sys.argv[1:]]
from kodos.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit:
        pass
print("\\n".join(sys.modules))
"""
# Another imports them all, timed: what a plan process spends importing, without the plan.
IMPORT_ALL = """\
import importlib, sys, time
names = [name for name in sys.argv[1].split() if name not in sys.modules]
start = time.perf_counter()
for name in names:
    if name not in sys.modules:
        try:
            importlib.import_module(name)
        except Exception:
            pass
print((time.perf_counter() - start) * 1000)
"""


def plan_modules(setup: Setup) -> list[str]:
    argv = [sys.executable, "-c", MODULES_OF_PLAN, *setup.plan_args()]
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    return [name for name in done.stdout.split() if not name.endswith("__main__")]


def import_time(modules: list[str]) -> Callable[[], float]:
    def action() -> float:
        argv = [sys.executable, "-c", IMPORT_ALL, " ".join(modules)]
        done = subprocess.run(argv, check=True, capture_output=True, text=True)
        return float(done.stdout)

    return action


def import_hot_spots(setup: Setup, top: int = 6) -> list[tuple[str, float]]:
    """The costliest top-level imports of a real plan process (`-X importtime`, cumulative ms;
    the instrumentation inflates them a little)."""

    def top_level(argv: list[str]) -> dict[str, float]:
        done = subprocess.run(argv, check=True, capture_output=True, text=True)
        spots = {}
        for line in done.stderr.splitlines():
            parts = line.removeprefix("import time:").split("|")
            if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
                spots[parts[2].strip()] = int(parts[1]) / 1000
        return spots

    start_up = top_level([sys.executable, "-X", "importtime", "-c", "pass"])  # site...
    spots = top_level([*kodos_command("-X", "importtime"), *setup.plan_args()])
    ranked = sorted((ms, name) for name, ms in spots.items() if name not in start_up)
    return [(name, ms) for ms, name in reversed(ranked[-top:])]


def cold_steps(setup: Setup, modules: list[str], runs: int) -> dict[str, float]:
    """Cold: each step's median over `runs` child processes that import everything a plan
    imports, then make one plan (first calls: the Lua runtime, lazy caches, validators)."""
    argv = [sys.executable, __file__, "--cold-steps", str(setup.root.parent), " ".join(modules)]
    runs_times = []
    for _ in range(runs):
        done = subprocess.run(argv, check=True, capture_output=True, text=True)
        runs_times.append(json.loads(done.stdout))
    return {step: statistics.median(t[step] for t in runs_times) for step in STEPS}


def cold_child(directory: Path, modules: str) -> int:
    """The child of `cold_steps`: import, then time one plan's steps; print them as JSON."""
    for name in modules.split():
        if name not in sys.modules:
            with contextlib.suppress(Exception):  # e.g. a module made only as a side effect
                importlib.import_module(name)
    setup = Setup(0, 0, directory / "root", directory / "sync", directory / "config")
    print(json.dumps(plan_steps(setup.options())))
    return 0


def profile(options: PlanOptions, top: int) -> None:
    """cProfile of one warm in-process plan: the `top` functions by cumulative and own time."""
    build_plan(options)
    profiler = cProfile.Profile()
    profiler.enable()
    build_plan(options)
    profiler.disable()
    stats = pstats.Stats(profiler)
    for key in ("cumulative", "tottime"):
        print(f"\ncProfile of one warm build_plan ({options.root}), by {key}:")
        stats.sort_stats(key).print_stats(top)


# ---- reporting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    """Where one size's plan spends its time: steps cold and warm, the whole process."""

    packages: int
    cold: dict[str, float]
    warm: dict[str, float]
    process: Figure


def print_breakdown(
    start_up: float, imports: float, n_modules: int, columns: list[Breakdown]
) -> None:
    """Steps by size (cold and warm medians, ms); then start-up + imports + cold steps next to
    the whole process, whose difference is what the steps leave out (typer, printing, exit)."""
    labels = [
        *STEPS[:4], *(f"  {part}" for part in SYNC_PARTS), *STEPS[4:],
        "sum of the steps", "python start-up (python -c pass)",
        f"imports ({n_modules} modules, own process)", "start-up + imports + steps",
        "whole kodos plan process", "  rest (CLI parsing, printing, exit)",
    ]  # fmt: skip
    width = max(len(label) for label in labels)
    print(f"\n{'where the time goes (medians, ms)':<{width}}", end="")
    print("".join(f"{f'{c.packages:,} packages':>18}" for c in columns))
    print(f"{'':<{width}}" + f"{'cold':>9}{'warm':>9}" * len(columns))

    def row(label: str, cells: Sequence[tuple[float | None, float | None]]) -> None:
        text = "".join(
            (f"{cold:>9.1f}" if cold is not None else " " * 9)
            + (f"{warm:>9.1f}" if warm is not None else " " * 9)
            for cold, warm in cells
        )
        print(f"{label:<{width}}{text}".rstrip())

    for step in STEPS[:4]:
        row(step, [(c.cold[step], c.warm[step]) for c in columns])
    for part in SYNC_PARTS:
        row(f"  {part}", [(None, c.warm[part]) for c in columns])
    for step in STEPS[4:]:
        row(step, [(c.cold[step], c.warm[step]) for c in columns])
    sums = [(sum(c.cold[s] for s in STEPS), sum(c.warm[s] for s in STEPS)) for c in columns]
    row("sum of the steps", sums)
    row(labels[-5], [(start_up, None) for _ in columns])
    row(labels[-4], [(imports, None) for _ in columns])
    total = [start_up + imports + cold for cold, _ in sums]
    row(labels[-3], [(t, None) for t in total])
    row(labels[-2], [(c.process.median, None) for c in columns])
    row(labels[-1], [(c.process.median - t, None) for c, t in zip(columns, total, strict=True)])


# ---- the run -------------------------------------------------------------------------------


def check_plan(setup: Setup) -> str | None:
    """Run the plan once: its change counts, or None (and why on stderr) if it fails."""
    done = subprocess.run(setup.plan_argv(), capture_output=True, text=True)
    if done.returncode != 0:
        print(f"kodos plan failed (exit {done.returncode}) on {setup.root}:", file=sys.stderr)
        print(done.stderr or done.stdout, file=sys.stderr)
        return None
    plan = json.loads(done.stdout)
    counts: dict[str, dict[str, int]] = {}
    for change in plan["changes"]:
        kind = counts.setdefault(f"{change['provider']}.{change['kind']}", {})
        kind[change["action"]] = kind.get(change["action"], 0) + 1
    summary = plan["summary"]
    detail = "; ".join(
        f"{kind} " + ", ".join(f"{n} {action}" for action, n in sorted(actions.items()))
        for kind, actions in sorted(counts.items(), key=lambda item: -sum(item[1].values()))
    )
    return (
        f"{setup.packages:,} installed, {setup.repo_packages:,} in the sync databases: plan "
        f"exits 0, {summary['add']} to add, {summary['change']} to change, "
        f"{summary['destroy']} to destroy, {len(plan['notes'])} notes\n  {detail}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=2000, help="installed packages (2000)")
    parser.add_argument("--big", type=int, default=20_000, help="the larger root (20000)")
    parser.add_argument("--runs", type=int, default=10, help="runs of each measurement (10)")
    parser.add_argument(
        "--repo-size",
        type=int,
        default=0,
        metavar="N",
        help="pad the sync databases with unrelated packages up to N (Arch's: ~15000)",
    )
    parser.add_argument("--profile", type=int, metavar="N", help="also print cProfile's top N")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    # Internal: the child process of `cold_steps`.
    parser.add_argument("--cold-steps", nargs=2, metavar=("DIR", "MODULES"), help=SUPPRESS)
    args = parser.parse_args()
    if not args.cold_steps and min(args.packages, args.big) < 4 * AUR_COUNT:
        parser.error(f"--packages and --big must be at least {4 * AUR_COUNT}")
    return args


def set_up(directory: Path, sizes: tuple[int, int], repo_size: int) -> list[Setup] | None:
    """Both machines, each checked with one plan; None if a plan fails."""
    setups = []
    for size in sizes:
        start = time.perf_counter()
        setup = build_setup(directory / f"{size}", size, repo_size)
        summary = check_plan(setup)
        if summary is None:
            return None
        elapsed = f" [set up in {time.perf_counter() - start:.1f} s]"
        print(summary.replace("\n", elapsed + "\n", 1), flush=True)
        setups.append(setup)
    return setups


def benchmark(directory: Path, args: argparse.Namespace) -> int:
    """Set up, check, measure, print. 0 once measured; 1 if the set-up is unusable."""
    setups = set_up(directory, (args.packages, args.big), args.repo_size)
    if setups is None:
        return 1
    small, big = setups
    runs = args.runs
    print(f"python {sys.version.split()[0]}, kodos {__version__}, {runs} runs each\n")

    def plan_figure(setup: Setup, goal: float | None) -> Figure:
        label = f"kodos plan --json ({setup.packages:,} packages)"
        return measure(label, run_process(setup.plan_argv()), runs, goal)

    def baseline_figure(setup: Setup, label: str) -> Figure:
        return measure(label, run_process(*baseline_argvs(setup.root)), runs)

    plan_small = plan_figure(small, PLAN_GOAL_MS)
    baseline = baseline_figure(small, "baseline: pacman -Qq + systemctl list-unit-files")
    plan_big = plan_figure(big, None)
    baseline_big = baseline_figure(big, f"baseline at {big.packages:,} packages")
    scale = f"  plan({big.packages:,}) / plan({small.packages:,})"
    print_table(
        [
            plan_small,
            baseline,
            ratio("  plan / baseline", plan_small, baseline, BASELINE_RATIO_GOAL),
            plan_big,
            baseline_big,
            ratio(scale, plan_big, plan_small, SCALE_RATIO_GOAL),
        ]
    )
    sys.stdout.flush()

    modules = plan_modules(small)
    start_up = statistics.median(samples(run_process([sys.executable, "-c", "pass"]), runs))
    import_action = import_time(modules)
    import_action()  # warm-up
    imports = statistics.median(import_action() for _ in range(runs))
    columns = []
    for setup, process in ((small, plan_small), (big, plan_big)):
        warm = step_medians(setup.options(), runs)
        warm.update(sync_parts(setup, runs))
        cold = cold_steps(setup, modules, runs)
        columns.append(Breakdown(setup.packages, cold, warm, process))
    print_breakdown(start_up, imports, len(modules), columns)
    spots = ", ".join(f"{name} {ms:.0f}" for name, ms in import_hot_spots(small))
    print(f"largest imports (-X importtime, cumulative ms): {spots}")
    if args.profile:
        for setup in setups:
            profile(setup.options(), args.profile)
    return 0


def main() -> int:
    args = parse_args()
    if args.cold_steps:
        directory, modules = args.cold_steps
        return cold_child(Path(directory), modules)
    for tool in ("pacman", "systemctl"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed: the baseline cannot be measured", file=sys.stderr)
            return 1
    directory = Path(tempfile.mkdtemp(prefix="kodos-bench-plan-"))
    status: int | None = None
    try:
        status = benchmark(directory, args)
    except (KodosError, subprocess.CalledProcessError) as err:
        print(f"could not measure: {err}", file=sys.stderr)
        status = 1
    finally:
        if args.keep or status == 1:  # a failed set-up is kept to look at
            print(f"files kept in {directory}", file=sys.stderr)
        else:
            shutil.rmtree(directory)
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
