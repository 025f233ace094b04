"""How long does a kodos command take before it does anything, next to python itself?

Every command a user types pays the interpreter, typer and whatever the command imports
before its first real step; this script measures that whole-process cost against
`python -c pass`, timed in the same run, round after round (one of each per round, so a busy
machine slows all of them alike). The figures are medians, the goals those of issue 10:

1. `kodos --help` − python ≤ 80 ms, and never above what importing typer costs + 10 ms
   (`python -c "import typer"` − python, measured here too);
2. `kodos validate -c examples/testvm` − python ≤ 140 ms (it forks the guarded Lua child);
3. `kodos rollback --root DIR` − python ≤ 120 ms, up to its first refusal (DIR is not on
   Btrfs): the start-up path of rollback, not its Btrfs work (benchmarks/apply.py times that);
4. `kodos plan --json` on a synthetic machine of 2,000 packages and 300 unit files (the set-up
   of benchmarks/plan.py) / the raw read `pacman -Qq` + `systemctl list-unit-files` ≤ 1.3.

Exits 0 once it has measured (benchmarks inform, they don't gate); 1 if it cannot run.

    .venv/bin/python benchmarks/startup.py [--runs 20] [--plan-runs 10] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This directory is on sys.path when a benchmark runs as a script.
from figures import Figure, print_table
from plan import baseline_argvs, build_setup, kodos_command

HELP_GOAL_MS = 80.0
TYPER_MARGIN_MS = 10.0  # --help never costs more than importing typer plus this
VALIDATE_GOAL_MS = 140.0
ROLLBACK_GOAL_MS = 120.0
PLAN_RATIO_GOAL = 1.3
PLAN_PACKAGES = 2000

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "testvm"


def run(argvs: list[list[str]], expect: int) -> float:
    """Wall time in ms of running the commands one after the other, each exiting `expect`."""
    start = time.perf_counter()
    for argv in argvs:
        done = subprocess.run(argv, capture_output=True)
        if done.returncode != expect:
            raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr!r}")
    return (time.perf_counter() - start) * 1000


def rounds(commands: dict[str, tuple[list[list[str]], int]], runs: int) -> dict[str, list[float]]:
    """Each command once per round, `runs` rounds after one untimed warm-up round."""
    times: dict[str, list[float]] = {label: [] for label in commands}
    for round_number in range(runs + 1):
        for label, (argvs, expect) in commands.items():
            elapsed = run(argvs, expect)
            if round_number:
                times[label].append(elapsed)
    return times


def over(label: str, samples: list[float], base: float, goal: float | None) -> Figure:
    """A command's median (and min) minus the baseline's median."""
    return Figure(label, statistics.median(samples) - base, min(samples) - base, goal)


def start_up_figures(root: Path, runs: int) -> list[Figure | None]:
    python = [sys.executable, "-c", "pass"]
    kodos = kodos_command()
    commands = {
        "python -c pass": ([python], 0),
        "typer": ([[sys.executable, "-c", "import typer"]], 0),
        "help": ([[*kodos, "--help"]], 0),
        "validate": ([[*kodos, "validate", "-c", str(EXAMPLE)]], 0),
        "rollback": ([[*kodos, "rollback", "--root", str(root)]], 1),
    }
    times = rounds(commands, runs)
    base = statistics.median(times["python -c pass"])
    typer = over("import typer − python", times["typer"], base, None)
    help_goal = min(HELP_GOAL_MS, typer.median + TYPER_MARGIN_MS)
    return [
        Figure("python -c pass", base, min(times["python -c pass"])),
        typer,
        over("kodos --help − python", times["help"], base, help_goal),
        over("kodos validate examples/testvm − python", times["validate"], base, VALIDATE_GOAL_MS),
        over("kodos rollback (to its refusal) − python", times["rollback"], base, ROLLBACK_GOAL_MS),
    ]


def plan_figures(directory: Path, runs: int) -> list[Figure | None]:
    setup = build_setup(directory, PLAN_PACKAGES, 0)
    commands = {
        "plan": ([setup.plan_argv()], 0),
        "baseline": ([*baseline_argvs(setup.root)], 0),
    }
    times = rounds(commands, runs)
    plan = Figure(
        f"kodos plan --json ({PLAN_PACKAGES:,} packages)",
        statistics.median(times["plan"]),
        min(times["plan"]),
    )
    baseline = Figure(
        "  pacman -Qq + systemctl list-unit-files",
        statistics.median(times["baseline"]),
        min(times["baseline"]),
    )
    ratio = Figure("  plan / raw read", plan.median / baseline.median, None, PLAN_RATIO_GOAL, "x")
    return [plan, baseline, ratio]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="rounds of start-up runs (20)")
    parser.add_argument("--plan-runs", type=int, default=10, help="rounds of plan runs (10)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    for tool in ("pacman", "systemctl"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed: the plan baseline cannot be measured", file=sys.stderr)
            return 1
    directory = Path(tempfile.mkdtemp(prefix="kodos-bench-startup-"))
    try:
        print(f"python {sys.version.split()[0]}, {args.runs} rounds (plan: {args.plan_runs})\n")
        (directory / "root").mkdir()
        figures = start_up_figures(directory / "root", args.runs)
        figures += [None, *plan_figures(directory / "plan", args.plan_runs)]
        print_table(figures)
    except (RuntimeError, subprocess.CalledProcessError) as err:
        print(f"could not measure: {err}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"files kept in {directory}", file=sys.stderr)
        else:
            shutil.rmtree(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
