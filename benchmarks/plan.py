"""How fast is `kodos plan` on a large machine, next to a raw read of the same machine?

`kodos plan` is what a user runs before every apply, so it has to stay close to the cost of
reading the machine at all. This script writes a machine of 2,000 installed packages, its sync
databases and a configuration of 400 packages, services and users that changes it
(`tests.support.bigplan`), checks that the plan succeeds and prints its change counts, then
measures, each next to its baseline in the same rounds:

1. the whole `kodos plan --json -c CONFIG --root ROOT --sync-dir SYNC` process — goal ≤ 0.75 s;
2. the raw read: `pacman -Qq` on the root's database and `systemctl --root=ROOT
   list-unit-files`, both processes timed together, and plan / raw read — goal ≤ 3;
3. the same at 20,000 installed packages, and plan(20k) / plan(2k) — goal ≤ 5;
4. where the time goes, at both sizes: each step of the real `make_plan`, timed by wrappers
   put around the functions it calls (tests/support/timed_kodos.py; kodos has no hook of its
   own): cold, in real plan processes (the hooked modules imported up front), and warm,
   repeated in this process; then the process around them — python's start-up, what comes before
   `make_plan` (imports, CLI parsing), printing, exit; last, the largest imports.

`--repo-size 15000` pads the sync databases to the size of Arch's; `--profile N` adds
cProfile's top N functions of one warm plan.

    .venv/bin/python benchmarks/plan.py [--packages N] [--big N] [--runs K] [--repo-size N]
                                        [--profile N] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import harness

from kodos import __version__
from kodos.plan.build import build_plan
from tests.support import bigplan
from tests.support.bigplan import PlanMachine, raw_read_argvs, write_plan_machine
from tests.support.timed_kodos import PLAN_STEPS, TOTAL, collected

PLAN_GOAL = 0.750
RAW_RATIO_GOAL = 3.0
SCALE_RATIO_GOAL = 5.0
PRINT = PLAN_STEPS[-1][2]
STEPS = [label for _, _, label in PLAN_STEPS[1:-1]]  # called by make_plan
HOOKED = {label for _, _, label in PLAN_STEPS}
BEFORE, AFTER, WHOLE = "start-up, imports, CLI (until make_plan)", "exit (after printing)", "whole"

Durations = dict[str, float]


def durations(events: Sequence[dict[str, Any]]) -> Durations:
    """Seconds in each hooked call, summed by label (check_units runs once per unit kind)."""
    times: Durations = {}
    for event in events:
        if event.get("call") in HOOKED:  # not a command's argv
            times[event["call"]] = times.get(event["call"], 0.0) + event["end"] - event["start"]
    return times


def cold(machine: PlanMachine) -> Durations:
    """One real plan process through the timing hooks: its steps, and the time around them."""
    run = harness.timed_kodos(machine.plan_arguments())
    calls = {event["call"]: event for event in run.events if "call" in event}
    times = durations(run.events)
    times[BEFORE] = calls[TOTAL]["start"] - run.start
    times[AFTER] = run.end - calls[PRINT]["end"]
    times[WHOLE] = run.end - run.start
    return times


def warm(machine: PlanMachine) -> Callable[[], Durations]:
    """A plan made in this process as the command makes it: make_plan, then printed."""
    from kodos.commands import plan as command

    def once() -> Durations:
        with collected() as events, contextlib.redirect_stdout(io.StringIO()):
            command._print(build_plan(machine.options()), True)
        return durations(events)

    return once


def medians(runs: list[Durations]) -> Durations:
    return {label: statistics.median(run.get(label, 0.0) for run in runs) for label in runs[0]}


def breakdown(machines: list[PlanMachine], runs: int) -> None:
    python = statistics.median(
        harness.rounds({"p": harness.process([sys.executable, "-c", "pass"])}, runs)["p"]
    )
    columns = [
        (
            medians(harness.repeated(partial(cold, machine), runs)),
            medians(harness.repeated(warm(machine), runs)),
        )
        for machine in machines
    ]

    def row(label: str, *, warm_too: bool = True) -> tuple[str, list[float | None]]:
        values: list[float | None] = []
        for cold_times, warm_times in columns:
            values += [cold_times.get(label), warm_times.get(label) if warm_too else None]
        return label, values

    def rest(times: Durations) -> float:
        return times[TOTAL] - sum(times.get(step, 0) for step in STEPS)

    rows = [row(step) for step in STEPS]
    rest_values: list[float | None] = [rest(times) for column in columns for times in column]
    rows += [
        ("make_plan outside these (Plan model, ...)", rest_values),
        row(TOTAL),
        row(PRINT),
        ("python start-up (python -c pass)", [python, None] * len(columns)),
        row(BEFORE, warm_too=False),
        row(AFTER, warm_too=False),
        row(WHOLE, warm_too=False),
    ]
    titles = [f"{m.packages:,} {kind}" for m in machines for kind in ("cold", "warm")]
    harness.print_columns("where the time goes (medians, ms)", titles, rows)


def import_hot_spots(machine: PlanMachine, top: int = 6) -> str:
    """The costliest top-level imports of a real plan process (`-X importtime`, cumulative ms;
    the instrumentation inflates them a little)."""

    def top_level(argv: list[str]) -> dict[str, float]:
        spots = {}
        for line in harness.run_process(argv, stderr=True).splitlines():
            parts = line.removeprefix("import time:").split("|")
            if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
                spots[parts[2].strip()] = int(parts[1]) / 1000
        return spots

    start_up = top_level([sys.executable, "-X", "importtime", "-c", "pass"])  # site...
    spots = top_level([*harness.kodos_command("-X", "importtime"), *machine.plan_arguments()])
    ranked = sorted((ms, name) for name, ms in spots.items() if name not in start_up)
    return ", ".join(f"{name} {ms:.0f}" for ms, name in reversed(ranked[-top:]))


def profile(machine: PlanMachine, top: int) -> None:
    """cProfile of one warm in-process plan: the `top` functions by cumulative and own time."""
    build_plan(machine.options())
    profiler = cProfile.Profile()
    profiler.runcall(build_plan, machine.options())
    stats = pstats.Stats(profiler)
    for key in ("cumulative", "tottime"):
        print(f"\ncProfile of one warm build_plan ({machine.root}), by {key}:")
        stats.sort_stats(key).print_stats(top)


def change_counts(machine: PlanMachine) -> str:
    """Run the plan once: its change counts (CannotMeasure if it fails)."""
    plan = json.loads(harness.run_process([*harness.kodos_command(), *machine.plan_arguments()]))
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
        f"{machine.packages:,} installed, {machine.repo_packages:,} in the sync databases: plan "
        f"exits 0, {summary['add']} to add, {summary['change']} to change, "
        f"{summary['destroy']} to destroy, {len(plan['notes'])} notes\n  {detail}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=2000, help="installed packages (2000)")
    parser.add_argument("--big", type=int, default=20_000, help="the larger root (20000)")
    parser.add_argument("--runs", type=int, default=10, help="runs of each measurement (10)")
    parser.add_argument(
        "--repo-size", type=int, default=0, metavar="N",
        help="pad the sync databases with unrelated packages up to N (Arch's: ~15000)",
    )  # fmt: skip
    parser.add_argument("--profile", type=int, metavar="N", help="also print cProfile's top N")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    if min(args.packages, args.big) < bigplan.MINIMUM_PACKAGES:
        parser.error(f"--packages and --big must be at least {bigplan.MINIMUM_PACKAGES}")
    return args


def benchmark() -> None:
    args = parse_args()
    harness.require("pacman", "systemctl")
    with harness.work_directory("plan", args.keep) as directory:
        machines = []
        for size in (args.packages, args.big):
            start = time.perf_counter()
            machine = write_plan_machine(directory / str(size), size, args.repo_size)
            counts = change_counts(machine)
            elapsed = f" [set up in {time.perf_counter() - start:.1f} s]"
            print(counts.replace("\n", elapsed + "\n", 1), flush=True)
            machines.append(machine)
        small, big = machines
        print(f"python {sys.version.split()[0]}, kodos {__version__}, {args.runs} runs each\n")
        figures: list[harness.Figure | None] = []
        plans = []
        for machine, goal in ((small, PLAN_GOAL), (big, None)):
            times = harness.rounds(
                {
                    "plan": harness.process([*harness.kodos_command(), *machine.plan_arguments()]),
                    "raw": harness.process(*raw_read_argvs(machine.root)),
                },
                args.runs,
            )
            plan = harness.figure(
                f"kodos plan --json ({machine.packages:,} packages)", times["plan"], goal
            )
            raw = harness.figure("  raw read: pacman -Qq + systemctl list-unit-files", times["raw"])
            goal = RAW_RATIO_GOAL if machine is small else None
            figures += [plan, raw, harness.ratio("  plan / raw read", plan, raw, goal)]
            plans.append(plan)
        scale = f"plan({big.packages:,}) / plan({small.packages:,})"
        harness.print_table([*figures, harness.ratio(scale, plans[1], plans[0], SCALE_RATIO_GOAL)])
        breakdown(machines, args.runs)
        print(f"largest imports (-X importtime, cumulative ms): {import_hot_spots(small)}")
        if args.profile:
            for machine in machines:
                profile(machine, args.profile)


if __name__ == "__main__":
    sys.exit(harness.main(benchmark))
