"""How much does `kodos apply` cost on top of what it has to do anyway: snapshot, then pacman?

A generation is a Btrfs snapshot of the default one with the changes applied inside it, so the
floor for installing N packages is one `btrfs subvolume snapshot` plus one `pacman -S`.
Everything else kodos does (start-up, lock, planning, mounts, verifying by re-planning, the
record, the boot entry, the index, the two defaults) is overhead, and it should stay small and
flat however many packages an apply installs. On fresh Btrfs machines (loop images,
`tests.support.btrfs`; root) with base and `linux` installed, from a mirror of N packages of
1 MiB of random bytes (`tests.support.bulk`), for each size, alternating which goes first:

1. kodos: the whole `kodos apply --yes` process adopting the root as generation 0 and building
   generation 1 with the N packages, run through the timing hooks (tests/support/timed_kodos.py)
   whose JSON stream stamps each step as it is done (its figure includes the hooks' own
   cost: a JSON line per step, per command and per plan step, well under a millisecond each);
2. raw: `btrfs subvolume snapshot` of `@` plus `pacman -S` of the same packages into it with
   kodos's flags (`pacman_argv`), the top level mounted beforehand;
3. kodos − raw — goal ≤ 1.0 s at every size, and ≤ 0.25 s more at the largest than the smallest;
4. `kodos rollback 0` and `1` on the first kodos machine of each size — goal ≤ 0.5 s;
5. the cost of the path checks (kodos/system/rootfs.py) at 50 packages: kodos's executor and
   the generation's boot entry in this process, as kodos runs them and inside
   `rootfs.unchecked_paths()` (plain joins; a library-level switch no command reaches) — goal
   ≤ max(10 % of the unchecked run, 30 ms); and the checks alone, 1000 times each.

Every timed run starts on synced filesystems; the `sync` after each apply is timed apart
(whichever fsync comes first pays for pacman's writeback).

    sudo .venv/bin/python benchmarks/apply.py [--sizes 50,500] [--runs K] [--commands]
                                              [--path-checks-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import harness

from kodos import __version__
from kodos.apply.execute import execute
from kodos.apply.packages import SCRIPTLET_FAILURES, pacman_argv
from kodos.generations import bootentries
from kodos.plan.model import Action, Change
from kodos.steps import shown_steps
from kodos.system.rootfs import unchecked_paths
from tests.support.btrfs import BTRFS_TOOLS, BtrfsMachine, btrfs_machine
from tests.support.bulk import PAYLOAD, bulk_configuration, bulk_mirror, bulk_names
from tests.support.mirror import Mirror
from tests.support.target import PacmanFailed

OVERHEAD_GOAL = 1.0
GROWTH_GOAL = 0.25
ROLLBACK_GOAL = 0.5
PATH_CHECK_PACKAGES = 50
PATH_CHECK_SHARE = 0.10  # the checks' goal: this share of the unchecked run, or
PATH_CHECK_FLOOR = 0.030  # this much, whichever is larger
PATH_CHECK_REPEAT = 1000  # repetitions of the checks alone
INSTALL_ARGS = ("-S", "--needed", "--asexplicit", "--noprogressbar")  # as packages.install
STEPS = (*(str(step) for step in shown_steps("apply")), "exit")  # "exit": the process ending
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
            harness.remove(where)


@contextmanager
def snapshot_of_root(machine: BtrfsMachine, name: str) -> Iterator[tuple[list[str], Path]]:
    """The top level mounted for the body: the argv snapshotting `@` as `name`, and its path."""
    top = machine.root.parent / "top"
    top.mkdir()
    subprocess.run(["mount", "-o", "subvolid=5", machine.fs.device, str(top)], check=True)
    try:
        yield ["btrfs", "subvolume", "snapshot", str(top / "@"), str(top / name)], top / name
    finally:
        subprocess.run(["umount", str(top)], check=True)
        top.rmdir()


def installed_check(root: Path, names: Sequence[str], who: str) -> None:
    argv = ["pacman", "--root", str(root), "--dbpath", str(root / "var/lib/pacman"), "-Qq"]
    missing = set(names) - set(harness.run_process(argv).split())
    if missing:
        raise harness.CannotMeasure(
            f"{who} left {len(missing)} packages out: {sorted(missing)[:5]}"
        )


# ---- one kodos apply, one raw equivalent ---------------------------------------------------


@dataclass
class Run:
    total: float
    sync: float  # the sync after it, not counted
    parts: dict[str, float]  # kodos: its steps; raw: snapshot, pacman


def kodos_apply(machine: BtrfsMachine, config: Path, commands: bool = False) -> Run:
    """The whole `kodos apply` process; its steps from the hooks' JSON stream."""
    harness.settle()
    run = harness.timed_kodos(["apply", "-c", str(config), "--root", str(machine.root), "--yes"])
    synced = harness.settle()
    if "Built generation 1" not in run.stdout:
        raise harness.CannotMeasure(f"kodos apply built no generation:\n{run.stdout[-2000:]}")
    steps, previous = {}, run.start
    for event in run.events:
        if "step" in event:
            steps[event["step"]] = event["at"] - previous
            previous = event["at"]
    steps["exit"] = run.end - previous
    if commands:
        print("\nkodos apply, its steps and commands (s since the start, s taken):")
        for event in sorted(run.events, key=lambda e: float(e["at"] if "at" in e else e["start"])):
            at = (event["at"] if "at" in event else event["start"]) - run.start
            taken = f"{event['end'] - event['start']:7.3f}" if "end" in event else " " * 7
            print(f"  {at:7.3f} {taken}  {event.get('step') or event['call'][:130]}")
        print(f"  {run.end - run.start:7.3f}          (process ended)\n")
    return Run(run.end - run.start, synced, steps)


def raw_apply(machine: BtrfsMachine, names: Sequence[str]) -> Run:
    """`btrfs subvolume snapshot` of @ plus kodos's `pacman -S` into the snapshot."""
    with snapshot_of_root(machine, "raw") as (snapshot, target):
        install = pacman_argv(target, *INSTALL_ARGS, *names)
        env = {**os.environ, "LC_ALL": "C"}  # as kodos.system.runner runs it
        harness.settle()
        start = time.perf_counter()
        subprocess.run(snapshot, check=True, capture_output=True)
        middle = time.perf_counter()
        done = subprocess.run(install, capture_output=True, text=True, env=env)
        end = time.perf_counter()
        synced = harness.settle()
        output = done.stdout + done.stderr
        if done.returncode != 0 or any(marker in output for marker in SCRIPTLET_FAILURES):
            raise harness.CannotMeasure(f"raw pacman -S failed:\n{output[-2000:]}")
        installed_check(target, names, "raw pacman -S")
    return Run(end - start, synced, {"snapshot": middle - start, "pacman": end - middle})


@dataclass
class Size:
    packages: int
    kodos: list[Run]
    raw: list[Run]
    rollback: dict[str, list[float]]

    def step(self, step: str) -> float:
        return self.median(self.kodos, step)

    def median(self, runs: list[Run], part: str | None = None, synced: bool = False) -> float:
        return statistics.median(
            (run.parts.get(part, 0.0) if part else run.total + (run.sync if synced else 0))
            for run in runs
        )

    def overhead(self, synced: bool = False) -> float:
        return self.median(self.kodos, synced=synced) - self.median(self.raw, synced=synced)


def measure_size(bench: Bench, count: int, runs: int, commands: bool) -> Size:
    names = bulk_names(count)
    config = bench.directory / f"config{count}"
    config.mkdir()
    (config / "configuration.lua").write_text(bulk_configuration(names), encoding="utf-8")
    result = Size(count, [], [], {})

    def kodos_once() -> float:
        with bench.machine() as machine:
            result.kodos.append(kodos_apply(machine, config))
            if not result.rollback:
                result.rollback = rollbacks(machine, runs)
        return result.kodos[-1].total

    def raw_once() -> float:
        with bench.machine() as machine:
            result.raw.append(raw_apply(machine, names))
        return result.raw[-1].total

    def said(number: int) -> None:
        kodos, raw = result.kodos[-1], result.raw[-1]
        print(
            f"  N={count}, run {number + 1}/{runs}: kodos {kodos.total:.2f} s (execute "
            f"{kodos.parts.get('execute', 0):.2f} s), raw {raw.total:.2f} s "
            f"(pacman {raw.parts['pacman']:.2f} s)",
            flush=True,
        )

    harness.rounds({"raw": raw_once, "kodos": kodos_once}, runs, warm_up=False, each_round=said)
    if commands:
        with bench.machine() as machine:
            kodos_apply(machine, config, commands=True)
    return result


def rollbacks(machine: BtrfsMachine, runs: int) -> dict[str, list[float]]:
    """`kodos rollback 0` and `kodos rollback 1`, alternately, `runs` times each."""
    timers = {
        generation: harness.settled(
            harness.process(
                [*harness.kodos_command(), "rollback", generation, "--root", str(machine.root)]
            )
        )
        for generation in ("0", "1")
    }
    return harness.rounds(timers, runs, warm_up=False)


# ---- the cost of the path checks -----------------------------------------------------------


def library_apply(machine: BtrfsMachine, names: Sequence[str], checked: bool) -> float:
    """kodos's executor installing `names` into a snapshot of @, and the boot entry of that
    snapshot: what an apply does with paths inside the generation and the ESP."""
    assert machine.esp is not None
    changes = [
        Change(address=f"pacman.package[{n}]", provider="pacman", kind="package", name=n,
               action=Action.CREATE, before=None, after={"reason": "explicit"})
        for n in names
    ]  # fmt: skip
    with snapshot_of_root(machine, "checked" if checked else "unchecked") as (snapshot, target):
        subprocess.run(snapshot, check=True, capture_output=True)
        harness.settle()
        start = time.perf_counter()
        with nullcontext() if checked else unchecked_paths():
            execute(changes, {}, target, esp=None)
            bootentries.write_generation_entry(
                machine.esp, 1, fs_uuid=machine.fs.uuid, subvolume=target.name,
                kernel_files=bootentries.find_kernel(target),
                title=bootentries.generation_title(target, 1),
                extra_options=bootentries.generation_options(target, machine.esp),
            )  # fmt: skip
        elapsed = time.perf_counter() - start
        harness.settle()
        installed_check(target, names, "the executor")
    return elapsed


def checks_alone(machine: BtrfsMachine, checked: bool) -> float:
    """One round of the checks without the work they guard: pacman's paths resolved and the
    kernel found, as each pacman call and each boot entry does."""
    with nullcontext() if checked else unchecked_paths():
        start = time.perf_counter()
        for _ in range(PATH_CHECK_REPEAT):
            pacman_argv(machine.root, *INSTALL_ARGS)
            bootentries.find_kernel(machine.root)
        return (time.perf_counter() - start) / PATH_CHECK_REPEAT


def path_check_figures(bench: Bench, runs: int) -> list[harness.Figure | None]:
    names = bulk_names(PATH_CHECK_PACKAGES)
    alone: dict[bool, float] = {}

    def once(checked: bool) -> float:
        with bench.machine() as machine:
            alone.setdefault(checked, checks_alone(machine, checked))
            return library_apply(machine, names, checked)

    def said(number: int) -> None:
        print(f"  path checks, run {number + 1}/{runs}", flush=True)

    timers = {"checked": lambda: once(True), "unchecked": lambda: once(False)}
    times = harness.rounds(timers, runs, warm_up=False, each_round=said)
    n = PATH_CHECK_PACKAGES
    checked = harness.figure(f"executor + boot entry, {n} packages", times["checked"], unit="s")
    unchecked = harness.figure("  the same, path checks replaced", times["unchecked"], unit="s")
    goal = max(PATH_CHECK_SHARE * unchecked.median, PATH_CHECK_FLOOR)
    return [
        checked,
        unchecked,
        harness.difference("  cost of the path checks", checked, unchecked, goal),
        harness.Figure("checks alone, one pacman call + kernel", alone[True]),
        harness.Figure("  the same, unchecked", alone[False]),
    ]


# ---- reporting -----------------------------------------------------------------------------


def figures(sizes: list[Size]) -> list[harness.Figure | None]:
    rows: list[harness.Figure | None] = []
    for s in sizes:
        kodos = harness.figure(
            f"kodos apply, {s.packages} packages of 1 MiB", [r.total for r in s.kodos], unit="s"
        )
        raw = harness.figure(
            "  raw: btrfs snapshot + pacman -S", [r.total for r in s.raw], unit="s"
        )
        rows += [kodos, raw, harness.difference("  kodos - raw", kodos, raw, OVERHEAD_GOAL)]
    if len(sizes) > 1:
        label = f"overhead growth, {sizes[0].packages} -> {sizes[-1].packages} packages"
        growth = sizes[-1].overhead() - sizes[0].overhead()
        rows.append(harness.Figure(label, growth, None, GROWTH_GOAL, "s"))
    for s in sizes:
        for generation, times in s.rollback.items():
            label = f"kodos rollback {generation} (after {s.packages} packages)"
            rows.append(harness.figure(label, times, ROLLBACK_GOAL, unit="s"))
    return [*rows, None]


def print_breakdown(sizes: list[Size]) -> None:
    """Each step's median per size, the raw run's parts, and the overhead split."""
    others = [step for step in STEPS if step not in ("snapshot", "execute")]

    def row(label: str, value: Callable[[Size], float]) -> tuple[str, list[float | None]]:
        return label, [value(s) for s in sizes]

    harness.print_columns(
        "where kodos apply spends its time (ms, medians)",
        [f"N={s.packages}" for s in sizes],
        [
            *(row(STEP_TEXT[step], partial(Size.step, step=step)) for step in STEPS),
            row("whole kodos apply", lambda s: s.median(s.kodos)),
            row("  then sync (not counted)", lambda s: statistics.median(r.sync for r in s.kodos)),
            row("raw: btrfs subvolume snapshot", lambda s: s.median(s.raw, "snapshot")),
            row("raw: pacman -S", lambda s: s.median(s.raw, "pacman")),
            row("  then sync (not counted)", lambda s: statistics.median(r.sync for r in s.raw)),
            row("overhead: kodos - raw", lambda s: s.overhead()),
            row(
                "  snapshot step - raw snapshot",
                lambda s: s.median(s.kodos, "snapshot") - s.median(s.raw, "snapshot"),
            ),
            row(
                "  execute step - raw pacman -S",
                lambda s: s.median(s.kodos, "execute") - s.median(s.raw, "pacman"),
            ),
            row(
                "  the other steps (no raw counterpart)",
                lambda s: sum(s.median(s.kodos, step) for step in others),
            ),
            row("overhead, both synced: (kodos+sync) - (raw+sync)", lambda s: s.overhead(True)),
        ],
    )
    print("(a step is the median of its own gaps between step events; the steps need not")
    print(" add up to the whole. sync: os.sync() right after the process, timed apart)")


# ---- the run -------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,500", help="packages of 1 MiB to install (50,500)")
    parser.add_argument("--runs", type=int, default=5, help="applies of each kind per size (5)")
    parser.add_argument("--commands", action="store_true", help="print one apply's every command")
    parser.add_argument("--path-checks-only", action="store_true", help="only the path checks")
    args = parser.parse_args()
    try:
        args.sizes = sorted({int(size) for size in args.sizes.split(",") if size.strip()})
    except ValueError:
        parser.error(f"--sizes takes numbers separated by commas, not {args.sizes!r}")
    if not args.sizes or min(args.sizes) < 1 or max(args.sizes) > 9999 or args.runs < 1:
        parser.error("--sizes must be between 1 and 9999, --runs at least 1")
    return args


def benchmark() -> None:
    args = parse_args()
    if os.geteuid() != 0:
        raise harness.CannotMeasure("benchmarks/apply.py builds Btrfs machines: run it as root")
    harness.require(*BTRFS_TOOLS, "pacman", "repo-add")
    sizes = [] if args.path_checks_only else args.sizes
    largest = max([*sizes, PATH_CHECK_PACKAGES])
    image = f"{max(2048, 3 * largest * PAYLOAD // 2**20 + 1536)}M"  # packages twice + slack
    with harness.work_directory("apply") as directory:
        start = time.perf_counter()
        mirror = bulk_mirror(directory / "mirror", largest)
        print(
            f"mirror: base, linux and {largest} packages of 1 MiB (random bytes) "
            f"[built in {time.perf_counter() - start:.1f} s]; images of {image}"
        )
        print(f"python {sys.version.split()[0]}, kodos {__version__}, {args.runs} runs each\n")
        bench = Bench(directory, mirror, image)
        results = [measure_size(bench, size, args.runs, args.commands) for size in sizes]
        path_checks = path_check_figures(bench, args.runs)
        print()
        harness.print_table([*(figures(results) if results else ()), *path_checks])
        if results:
            print_breakdown(results)


if __name__ == "__main__":
    sys.exit(harness.main(benchmark, PacmanFailed))
