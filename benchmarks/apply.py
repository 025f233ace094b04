"""How much does `kodos apply` cost on top of what it has to do anyway: snapshot, then pacman?

A generation is a Btrfs snapshot of the default one with the changes applied inside it, so the
floor for installing N packages is one `btrfs subvolume snapshot` plus one `pacman -S`
transaction. Everything else kodos does — start-up, lock, planning, mounts, verifying by
re-planning, the record, the boot entry, the index and the two defaults — is overhead, and it
should stay small and flat however many packages the apply installs. This script measures it
on real Btrfs machines (loop images, `tests.support.btrfs.btrfs_machine`; root required):

* a synthetic mirror (`tests.support.mirror`): the base packages, the catalog's `linux` (its
  scriptlet puts vmlinuz in /boot) and N packages of 1 MiB each, a payload of random bytes
  from a fixed seed, so the image really holds them (zeros would compress away);
* every machine starts as the fixture builds it (base installed with real pacman) plus
  `linux`, so the adopted root is bootable and `kodos rollback 0` has an entry to go back to;

then, for N = 50 and N = 500 (`--sizes`), `--runs` times each, alternating which goes first:

1. kodos: the whole `kodos apply -c CONFIG --root ROOT --yes` process, with a configuration
   installing the N packages (`boot.kernel.package = "linux"`): the first apply adopts the root
   as generation 0 and builds generation 1. Its progress lines (stderr) are timestamped as they
   arrive through a pipe, which splits the process into its steps;
2. raw: on a second fresh machine, the top level mounted beforehand (kodos's own mount of it is
   inside its figure), `btrfs subvolume snapshot TOP/@ TOP/raw` plus `pacman -S` of the same N
   packages into the snapshot with exactly kodos's flags (`kodos.apply.packages.pacman_argv`,
   `-S --needed --asexplicit --noprogressbar`), timed together. A second machine rather than
   the first one before kodos ran: deleting the raw snapshot afterwards leaves Btrfs's cleaner
   freeing ~1 GiB in the background during kodos's run, and kodos would start on a filesystem
   that has been written and freed, not on the state the raw run started from. A fresh machine
   costs a fraction of a second;
3. kodos − raw — goal ≤ 1.0 s at every size, and it should not grow with N: goal ≤ 0.25 s more
   at the largest size than at the smallest.

Then, on the first kodos machine of each size, the whole `kodos rollback 0` and `kodos rollback
1` processes, alternately, `--runs` times each — goal ≤ 0.5 s. Before every timed run the
filesystems are synced, so no run pays for another's writeback. The `sync` right after each
apply, kodos's or raw, is timed apart: pacman leaves what it wrote in the page cache, and
whichever fsync comes first pays for writing it back, so the breakdown also compares the two
with their syncs added.

The report: the figures with their goals, then where kodos's time goes, step by step (medians
of the gaps between progress lines) next to the raw snapshot and pacman, and its overhead split
into the steps that have a raw counterpart (snapshot, execute) and those that do not.
`--commands` adds one more apply per size with `KODOS_DEBUG_COMMANDS=1`, printing each line
kodos wrote to stderr (progress and every command it ran) with its time. Machines are taken
down and their images deleted as soon as measured; the mirror is deleted at the end.
Last, the cost of the path checks (every path kodos hands pacman or reads in the generation
and on the ESP resolved inside them, kodos/providers/rootfs.py) at 50 packages: on fresh
machines, `@` snapshotted (not timed), then kodos's executor installing the packages into the
snapshot plus the generation's boot entry (kernel copied to the ESP), called in this process —
once as kodos runs it, once inside `rootfs.unchecked_paths()`, where every path is the plain
join kodos used before the checks (a library-level switch; no command reaches it). Alternating
which goes first, `--runs` times each; goal: the checks cost ≤ 10 % of the unchecked run or
≤ 30 ms, whichever is larger. Beside it, the checks alone, noise-free: resolving pacman's
paths and finding the kernel, checked and unchecked, 1000 times each.
`--path-checks-only` measures just that.

The script exits 0 once it has measured, whatever the figures; 1 when it cannot run (not root,
a tool missing, an apply that fails).

    sudo .venv/bin/python benchmarks/apply.py [--sizes 50,500] [--runs K] [--commands]
                                              [--path-checks-only]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support

# This directory is on sys.path when a benchmark runs as a script.
from figures import Figure, print_table

from kodos import __version__
from kodos.apply.execute import execute
from kodos.apply.packages import SCRIPTLET_FAILURES, pacman_argv
from kodos.errors import KodosError
from kodos.generations.bootentries import (
    find_kernel,
    generation_options,
    generation_title,
    write_generation_entry,
)
from kodos.plan.model import Action, Change
from kodos.steps import label as step_label
from kodos.steps import shown_steps
from kodos.system.rootfs import unchecked_paths
from tests.support.btrfs import BTRFS_TOOLS, BtrfsMachine, btrfs_machine, mounts_under
from tests.support.catalog import base_packages, standard_packages
from tests.support.mirror import Mirror, Pkg, build_mirror
from tests.support.target import PacmanFailed

OVERHEAD_GOAL_S = 1.0
GROWTH_GOAL_S = 0.25
ROLLBACK_GOAL_S = 0.5
PATH_CHECK_PACKAGES = 50
PATH_CHECK_SHARE = 0.10  # the checks' goal: this share of the unchecked run, or
PATH_CHECK_FLOOR_S = 0.030  # this much, whichever is larger
PATH_CHECK_REPEAT = 1000  # repetitions of the checks alone

PAYLOAD = 1024 * 1024  # bytes of random data in each package
SEED = "kodos-bench-apply"
PREFIX = "bulk"  # package names: bulk0000, bulk0001, ...
INSTALL_ARGS = ("-S", "--needed", "--asexplicit", "--noprogressbar")  # as packages.install
RAW_PARTS = ("snapshot", "pacman", "sync")
# kodos's progress lines, in the order apply prints them; "exit" is the process ending.
STEPS = tuple(str(step) for step in shown_steps("apply"))
LABEL_STEPS = {f"✓ {step_label(step, 'apply')}": str(step) for step in shown_steps("apply")}
STEP_TEXT = {
    "lock": "start-up, imports, open the machine, lock, mount top level",
    "cleanup": "cleanup: adopt the root as generation 0 (index, entry)",
    "plan": "plan against the default generation",
    "snapshot": "print the plan, btrfs subvolume snapshot",
    "execute": "execute: mounts, pacman -S, unmounts",
    "sync": "sync: the new generation written to disk",
    "verify": "verify: re-read and re-plan the snapshot",
    "record": "write the generation record",
    "entry": "boot entry: kernel and initramfs to the ESP",
    "index": "write the index (fsync)",
    "loader-default": "loader.conf default (fsync)",
    "btrfs-default": "Btrfs default subvolume",
    "exit": "exit: unmount top level, unlock, print, interpreter exit",
}

# ---- the mirror and the configuration ------------------------------------------------------


class RandomPayload(Mapping[str, bytes]):
    """One file of `size` random bytes, made when the package is written (not kept in
    memory): the bytes come from a generator seeded with the path, so every run builds the
    same packages."""

    def __init__(self, path: str, size: int) -> None:
        self.path = path
        self.size = size

    def __getitem__(self, key: str) -> bytes:
        if key != self.path:
            raise KeyError(key)
        return random.Random(f"{SEED}/{key}").randbytes(self.size)

    def __iter__(self) -> Iterator[str]:
        return iter((self.path,))

    def __len__(self) -> int:
        return 1


def bulk_names(count: int) -> list[str]:
    return [f"{PREFIX}{i:04d}" for i in range(count)]


def bulk_package(name: str) -> Pkg:
    payload = RandomPayload(f"usr/share/{name}/payload.bin", PAYLOAD)
    return Pkg(name, "1.0-1", "extra", desc=f"{PAYLOAD} random bytes", files=payload)


def make_mirror(directory: Path, count: int) -> Mirror:
    """core: the base packages and `linux`; extra: `count` packages of 1 MiB."""
    linux = next(pkg for pkg in standard_packages() if pkg.name == "linux")
    bulk = [bulk_package(name) for name in bulk_names(count)]
    return build_mirror(directory, [*base_packages(), linux, *bulk])


def configuration(names: Sequence[str]) -> str:
    packages = "".join(f'    "{name}",\n' for name in names)
    return (
        "-- Generated by benchmarks/apply.py.\n"
        "return {\n"
        '  boot = { kernel = { package = "linux" } },\n'
        f"  packages = {{\n{packages}  }},\n"
        "}\n"
    )


def image_size(largest: int) -> str:
    """Room for the packages twice (installed, and pacman's cache copy) plus slack."""
    return f"{max(2048, 3 * largest * PAYLOAD // 2**20 + 1536)}M"


# ---- machines ------------------------------------------------------------------------------


@dataclass
class Bench:
    """The run's working directory, mirror and image size; numbers each machine it makes."""

    directory: Path
    mirror: Mirror
    size: str
    made: int = 0

    @contextmanager
    def machine(self) -> Iterator[BtrfsMachine]:
        """A fresh machine with `linux` installed in its root; its image is deleted after."""
        self.made += 1
        where = self.directory / f"machine{self.made}"
        where.mkdir()
        try:
            with btrfs_machine(where, self.mirror, size=self.size) as machine:
                machine.target.install("linux")
                yield machine
        finally:
            remove(where)


def remove(directory: Path) -> None:
    """Delete `directory`, unless something is still mounted below it (then say so)."""
    left = mounts_under(directory)
    if left:
        print(f"not deleting {directory}: still mounted there: {left}", file=sys.stderr)
        return
    shutil.rmtree(directory, ignore_errors=True)


def kodos_command() -> list[str]:
    """`kodos` as a user runs it: the console script, else `python -m kodos`."""
    script = Path(sys.executable).parent / "kodos"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kodos"]


def settle() -> float:
    """Write back everything dirty, so the next timed run starts from a clean page cache;
    returns how long that took (s)."""
    start = time.perf_counter()
    os.sync()
    return time.perf_counter() - start


# ---- one kodos apply, one raw equivalent, rollbacks ----------------------------------------


class Failed(Exception):
    """A measured command failed: the benchmark cannot go on."""


@dataclass
class KodosRun:
    total: float
    steps: dict[str, float]  # each step's share (s): the gap since the previous progress line
    sync: float  # the sync after it, not counted
    lines: list[tuple[float, str]] = field(default_factory=list)


def kodos_apply(machine: BtrfsMachine, config: Path, *, commands: bool = False) -> KodosRun:
    """Time the whole `kodos apply` process, stamping each stderr line as it arrives."""
    argv = [*kodos_command(), "apply", "-c", str(config), "--root", str(machine.root), "--yes"]
    env = {**os.environ, **({"KODOS_DEBUG_COMMANDS": "1"} if commands else {})}
    # stdout (the plan, hundreds of lines) goes to a file: a full pipe would block kodos.
    with tempfile.TemporaryFile("w+") as out:
        settle()
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, text=True, env=env)
        assert process.stderr is not None
        lines = [(time.perf_counter() - start, line.rstrip("\n")) for line in process.stderr]
        process.wait()
        total = time.perf_counter() - start
        synced = settle()
        out.seek(0)
        stdout = out.read()
    if process.returncode != 0 or "Built generation 1" not in stdout:
        text = "\n".join(line for _, line in lines)
        raise Failed(f"kodos apply failed (exit {process.returncode}):\n{text}\n{stdout[-2000:]}")
    steps: dict[str, float] = {}
    previous = 0.0
    for stamp, line in lines:
        step = LABEL_STEPS.get(line.strip())
        if step is not None:
            steps[step] = stamp - previous
            previous = stamp
    steps["exit"] = total - previous
    return KodosRun(total, steps, synced, lines)


@dataclass
class RawRun:
    snapshot: float
    pacman: float
    sync: float  # the sync after it, not counted

    @property
    def total(self) -> float:
        return self.snapshot + self.pacman


def raw_apply(machine: BtrfsMachine, names: Sequence[str]) -> RawRun:
    """Time `btrfs subvolume snapshot` of @ plus kodos's `pacman -S` into the snapshot."""
    top = machine.root.parent / "top"
    top.mkdir()
    subprocess.run(["mount", "-o", "subvolid=5", machine.fs.device, str(top)], check=True)
    try:
        target = top / "raw"
        snapshot = ["btrfs", "subvolume", "snapshot", str(top / "@"), str(target)]
        install = pacman_argv(target, *INSTALL_ARGS, *names)
        env = {**os.environ, "LC_ALL": "C"}  # as kodos.system.runner runs it
        settle()
        start = time.perf_counter()
        subprocess.run(snapshot, check=True, capture_output=True)
        middle = time.perf_counter()
        done = subprocess.run(install, capture_output=True, text=True, env=env)
        end = time.perf_counter()
        synced = settle()
        output = done.stdout + done.stderr
        if done.returncode != 0 or any(marker in output for marker in SCRIPTLET_FAILURES):
            raise Failed(f"raw pacman -S failed (exit {done.returncode}):\n{output[-2000:]}")
        missing = set(names) - set(installed(target))
        if missing:
            raise Failed(f"raw pacman -S left {len(missing)} packages out: {sorted(missing)[:5]}")
        return RawRun(middle - start, end - middle, synced)
    finally:
        subprocess.run(["umount", str(top)], check=True)
        top.rmdir()


def installed(root: Path) -> list[str]:
    argv = ["pacman", "--root", str(root), "--dbpath", str(root / "var/lib/pacman"), "-Qq"]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.split()


def rollbacks(machine: BtrfsMachine, runs: int) -> dict[int, list[float]]:
    """`kodos rollback 0` and `kodos rollback 1`, alternately, `runs` times each (s)."""
    times: dict[int, list[float]] = {0: [], 1: []}
    for _ in range(runs):
        for generation in (0, 1):
            argv = [*kodos_command(), "rollback", str(generation), "--root", str(machine.root)]
            settle()
            start = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True)
            times[generation].append(time.perf_counter() - start)
            if done.returncode != 0:
                raise Failed(f"kodos rollback {generation} failed: {done.stderr or done.stdout}")
    return times


# ---- the cost of the path checks -----------------------------------------------------------


def checks(checked: bool) -> AbstractContextManager[None]:
    """As kodos runs (`checked`), or with every path the plain join (`unchecked_paths`)."""
    return nullcontext() if checked else unchecked_paths()


@contextmanager
def snapshot_of_root(machine: BtrfsMachine, name: str) -> Iterator[Path]:
    """`@` snapshotted as `name` on the top level, mounted for the body."""
    top = machine.root.parent / "top"
    top.mkdir()
    subprocess.run(["mount", "-o", "subvolid=5", machine.fs.device, str(top)], check=True)
    try:
        target = top / name
        snapshot = ["btrfs", "subvolume", "snapshot", str(top / "@"), str(target)]
        subprocess.run(snapshot, check=True, capture_output=True)
        yield target
    finally:
        subprocess.run(["umount", str(top)], check=True)
        top.rmdir()


def library_apply(machine: BtrfsMachine, names: Sequence[str], *, checked: bool) -> float:
    """Time kodos's executor installing `names` into a snapshot of @, and the boot entry of
    that snapshot (s): what an apply does with paths inside the generation and the ESP."""
    assert machine.esp is not None
    changes = [
        Change(
            address=f"pacman.package[{n}]",
            provider="pacman",
            kind="package",
            name=n,
            action=Action.CREATE,
            before=None,
            after={"reason": "explicit"},
        )
        for n in names
    ]
    with snapshot_of_root(machine, "checked" if checked else "unchecked") as target:
        settle()
        start = time.perf_counter()
        with checks(checked):
            execute(changes, {}, target, esp=None)
            write_generation_entry(
                machine.esp,
                1,
                fs_uuid=machine.fs.uuid,
                subvolume=target.name,
                kernel_files=find_kernel(target),
                title=generation_title(target, 1),
                extra_options=generation_options(target, machine.esp),
            )
        elapsed = time.perf_counter() - start
        settle()
        missing = set(names) - set(installed(target))
        if missing:
            raise Failed(f"the executor left {len(missing)} packages out: {sorted(missing)[:5]}")
    return elapsed


def checks_alone(machine: BtrfsMachine, *, checked: bool) -> float:
    """One round of the checks without the work they guard (ms): pacman's paths resolved
    and the kernel found, as each pacman call and each boot entry does."""
    target = machine.root
    with checks(checked):
        start = time.perf_counter()
        for _ in range(PATH_CHECK_REPEAT):
            pacman_argv(target, *INSTALL_ARGS)
            find_kernel(target)
        return (time.perf_counter() - start) * 1000 / PATH_CHECK_REPEAT


@dataclass
class PathChecks:
    checked: list[float]
    unchecked: list[float]
    alone_checked: float
    alone_unchecked: float

    def figures(self) -> list[Figure]:
        checked, unchecked = statistics.median(self.checked), statistics.median(self.unchecked)
        goal = max(PATH_CHECK_SHARE * unchecked, PATH_CHECK_FLOOR_S)
        n = PATH_CHECK_PACKAGES
        return [
            Figure(f"executor + boot entry, {n} packages", checked, min(self.checked), unit="s"),
            Figure("  the same, path checks replaced", unchecked, min(self.unchecked), unit="s"),
            Figure("  cost of the path checks", checked - unchecked, None, goal, "s"),
            Figure("checks alone, one pacman call + kernel", self.alone_checked),
            Figure("  the same, unchecked", self.alone_unchecked),
        ]


def measure_path_checks(bench: Bench, runs: int) -> PathChecks:
    names = bulk_names(PATH_CHECK_PACKAGES)
    times: dict[bool, list[float]] = {True: [], False: []}
    alone: dict[bool, float] = {}
    for run in range(runs):
        for checked in (True, False) if run % 2 == 0 else (False, True):
            with bench.machine() as machine:
                times[checked].append(library_apply(machine, names, checked=checked))
                if checked not in alone:
                    alone[checked] = checks_alone(machine, checked=checked)
        print(
            f"  path checks, run {run + 1}/{runs}: checked {times[True][-1]:.3f} s, "
            f"unchecked {times[False][-1]:.3f} s",
            flush=True,
        )
    return PathChecks(times[True], times[False], alone[True], alone[False])


# ---- one size ------------------------------------------------------------------------------


@dataclass
class SizeResult:
    packages: int
    kodos: list[KodosRun]
    raw: list[RawRun]
    rollback: dict[int, list[float]]

    def kodos_median(self) -> float:
        return statistics.median(run.total for run in self.kodos)

    def raw_median(self) -> float:
        return statistics.median(run.total for run in self.raw)

    def overhead(self) -> float:
        return self.kodos_median() - self.raw_median()

    def synced_overhead(self) -> float:
        kodos = statistics.median(run.total + run.sync for run in self.kodos)
        raw = statistics.median(run.total + run.sync for run in self.raw)
        return kodos - raw

    def step(self, name: str) -> float:
        return statistics.median(run.steps.get(name, 0.0) for run in self.kodos)


def measure_size(bench: Bench, count: int, runs: int, commands: bool) -> SizeResult:
    names = bulk_names(count)
    config = bench.directory / f"config{count}"
    config.mkdir()
    (config / "configuration.lua").write_text(configuration(names), encoding="utf-8")
    kodos_runs: list[KodosRun] = []
    raw_runs: list[RawRun] = []
    rollback_times: dict[int, list[float]] = {}

    def kodos_once() -> None:
        with bench.machine() as machine:
            kodos_runs.append(kodos_apply(machine, config))
            if not rollback_times:
                rollback_times.update(rollbacks(machine, runs))

    def raw_once() -> None:
        with bench.machine() as machine:
            raw_runs.append(raw_apply(machine, names))

    for run in range(runs):
        order = (raw_once, kodos_once) if run % 2 == 0 else (kodos_once, raw_once)
        for once in order:
            once()
        print(
            f"  N={count}, run {run + 1}/{runs}: kodos {kodos_runs[-1].total:.2f} s "
            f"(execute {kodos_runs[-1].steps.get('execute', 0):.2f} s), "
            f"raw {raw_runs[-1].total:.2f} s (pacman {raw_runs[-1].pacman:.2f} s)",
            flush=True,
        )
    if commands:
        with bench.machine() as machine:
            print_commands(count, kodos_apply(machine, config, commands=True))
    return SizeResult(count, kodos_runs, raw_runs, rollback_times)


def print_commands(count: int, run: KodosRun) -> None:
    print(f"\nkodos apply of {count} packages, KODOS_DEBUG_COMMANDS=1 (s since the start):")
    for stamp, line in run.lines:
        text = line if len(line) <= 150 else line[:147] + "..."
        print(f"  {stamp:7.3f}  {text}")
    print(f"  {run.total:7.3f}  (process ended)\n")


# ---- reporting -----------------------------------------------------------------------------


def figures(results: list[SizeResult]) -> list[Figure]:
    rows = []
    for r in results:
        kodos = [run.total for run in r.kodos]
        raw = [run.total for run in r.raw]
        rows += [
            Figure(
                f"kodos apply, {r.packages} packages of 1 MiB",
                r.kodos_median(),
                min(kodos),
                unit="s",
            ),
            Figure("  raw: btrfs snapshot + pacman -S", r.raw_median(), min(raw), unit="s"),
            Figure("  kodos - raw", r.overhead(), None, OVERHEAD_GOAL_S, "s"),
        ]
    if len(results) > 1:
        small, large = results[0], results[-1]
        label = f"overhead growth, {small.packages} -> {large.packages} packages"
        rows.append(Figure(label, large.overhead() - small.overhead(), None, GROWTH_GOAL_S, "s"))
    for r in results:
        for generation, times in sorted(r.rollback.items()):
            label = f"kodos rollback {generation} (after {r.packages} packages)"
            rows.append(Figure(label, statistics.median(times), min(times), ROLLBACK_GOAL_S, "s"))
    return rows


def print_breakdown(results: list[SizeResult]) -> None:
    """Each step's median (ms) per size, the raw run's parts, and the overhead split."""
    medians = [
        {part: statistics.median(getattr(run, part) for run in r.raw) for part in RAW_PARTS}
        for r in results
    ]
    others = [step for step in (*STEPS, "exit") if step not in ("snapshot", "execute")]
    rows: list[tuple[str, list[float]]] = [
        *((STEP_TEXT[step], [r.step(step) for r in results]) for step in (*STEPS, "exit")),
        ("whole kodos apply", [r.kodos_median() for r in results]),
        (
            "  then sync (not counted)",
            [statistics.median(k.sync for k in r.kodos) for r in results],
        ),
        ("raw: btrfs subvolume snapshot", [m["snapshot"] for m in medians]),
        ("raw: pacman -S", [m["pacman"] for m in medians]),
        ("  then sync (not counted)", [m["sync"] for m in medians]),
        ("overhead: kodos - raw", [r.overhead() for r in results]),
        (
            "  snapshot step - raw snapshot",
            [r.step("snapshot") - m["snapshot"] for r, m in zip(results, medians, strict=True)],
        ),
        (
            "  execute step - raw pacman -S",
            [r.step("execute") - m["pacman"] for r, m in zip(results, medians, strict=True)],
        ),
        ("  the other steps (no raw counterpart)", [sum(map(r.step, others)) for r in results]),
        (
            "overhead, both synced: (kodos+sync) - (raw+sync)",
            [r.synced_overhead() for r in results],
        ),
    ]
    width = max(len(label) for label, _ in rows) + 2
    header = "".join(f"{f'N={r.packages}':>9}" for r in results)
    print(f"\n{'where kodos apply spends its time (ms, medians)':<{width}}{header}")
    for label, values in rows:
        print(f"{label:<{width}}" + "".join(f"{value * 1000:>9.0f}" for value in values))
    print("(a step is the median of its own gaps between progress lines; the steps need not")
    print(" add up to the whole. sync: os.sync() right after the process, timed apart)")


# ---- the run -------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="50,500", help="packages of 1 MiB to install, comma-separated (50,500)"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="applies of each kind per size, and rollbacks (5)"
    )
    parser.add_argument(
        "--commands",
        action="store_true",
        help="one more apply per size, printing every command kodos runs with its time",
    )
    parser.add_argument(
        "--path-checks-only",
        action="store_true",
        help=f"measure only the cost of the path checks ({PATH_CHECK_PACKAGES} packages)",
    )
    args = parser.parse_args()
    try:
        args.sizes = sorted({int(size) for size in args.sizes.split(",") if size.strip()})
    except ValueError:
        parser.error(f"--sizes takes numbers separated by commas, not {args.sizes!r}")
    if not args.sizes or min(args.sizes) < 1 or max(args.sizes) > 9999:
        parser.error("--sizes must be between 1 and 9999")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def cannot_run() -> str | None:
    if os.geteuid() != 0:
        return "benchmarks/apply.py needs root (it builds Btrfs machines on loop devices): use sudo"
    missing = [t for t in (*BTRFS_TOOLS, "pacman", "repo-add") if shutil.which(t) is None]
    if missing:
        return f"benchmarks/apply.py needs these tools: {', '.join(missing)}"
    return None


def benchmark(directory: Path, args: argparse.Namespace) -> int:
    sizes = [] if args.path_checks_only else args.sizes
    largest = max([*sizes, PATH_CHECK_PACKAGES])
    start = time.perf_counter()
    mirror = make_mirror(directory / "mirror", largest)
    print(
        f"mirror: base, linux and {largest} packages of 1 MiB (random bytes) "
        f"[built in {time.perf_counter() - start:.1f} s]; images of {image_size(largest)}"
    )
    print(f"python {sys.version.split()[0]}, kodos {__version__}, {args.runs} runs each\n")
    bench = Bench(directory, mirror, image_size(largest))
    results = [measure_size(bench, size, args.runs, args.commands) for size in sizes]
    path_checks = measure_path_checks(bench, args.runs)
    print()
    print_table([*((*figures(results), None) if results else ()), *path_checks.figures()])
    if results:
        print_breakdown(results)
    return 0


def main() -> int:
    args = parse_args()
    problem = cannot_run()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    directory = Path(tempfile.mkdtemp(prefix="kodos-bench-apply-"))
    try:
        return benchmark(directory, args)
    except (Failed, KodosError, PacmanFailed, subprocess.CalledProcessError) as err:
        print(f"could not measure: {err}", file=sys.stderr)
        return 1
    finally:
        remove(directory)


if __name__ == "__main__":
    sys.exit(main())
