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

Every process timed reads compiled bytecode, as an installed kodos does (pip and pacman compile
it when they install): run from a checkout with PYTHONDONTWRITEBYTECODE set (as CI and many
development shells do), each start would compile kodos's modules from source again, some 60 ms
of validate and more of plan that no user pays. The bytecode is kept in the work directory
(PYTHONPYCACHEPREFIX), not in the checkout, and the warm-up round writes it. `--from-source`
times those compiling starts instead.

    .venv/bin/python benchmarks/startup.py [--runs 20] [--plan-runs 10] [--from-source] [--keep]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import harness

from tests.support.bigplan import raw_read_argvs, write_plan_machine

HELP_GOAL = 0.080
TYPER_MARGIN = 0.010  # --help never costs more than importing typer plus this
VALIDATE_GOAL = 0.140
ROLLBACK_GOAL = 0.120
PLAN_RATIO_GOAL = 1.3
PLAN_PACKAGES = 2000


def start_up_figures(root: Path, runs: int) -> list[harness.Figure | None]:
    kodos = harness.kodos_command()
    times = harness.rounds(
        {
            "python": harness.process([sys.executable, "-c", "pass"]),
            "typer": harness.process([sys.executable, "-c", "import typer"]),
            "help": harness.process([*kodos, "--help"]),
            "validate": harness.process(
                [*kodos, "validate", "-c", str(harness.REPOSITORY / "examples/testvm")]
            ),
            "rollback": harness.process([*kodos, "rollback", "--root", str(root)], expect=1),
        },
        runs,
    )
    python = harness.figure("python -c pass", times["python"])
    typer = harness.figure("import typer − python", times["typer"], minus=python.median)
    help_goal = min(HELP_GOAL, typer.median + TYPER_MARGIN)
    return [
        python,
        typer,
        harness.figure("kodos --help − python", times["help"], help_goal, minus=python.median),
        harness.figure(
            "kodos validate examples/testvm − python",
            times["validate"],
            VALIDATE_GOAL,
            minus=python.median,
        ),
        harness.figure(
            "kodos rollback (to its refusal) − python",
            times["rollback"],
            ROLLBACK_GOAL,
            minus=python.median,
        ),
    ]


def plan_figures(directory: Path, runs: int) -> list[harness.Figure | None]:
    machine = write_plan_machine(directory, PLAN_PACKAGES)
    times = harness.rounds(
        {
            "plan": harness.process([*harness.kodos_command(), *machine.plan_arguments()]),
            "raw": harness.process(*raw_read_argvs(machine.root)),
        },
        runs,
    )
    plan = harness.figure(f"kodos plan --json ({PLAN_PACKAGES:,} packages)", times["plan"])
    raw = harness.figure("  pacman -Qq + systemctl list-unit-files", times["raw"])
    return [plan, raw, harness.ratio("  plan / raw read", plan, raw, PLAN_RATIO_GOAL)]


def with_bytecode(directory: Path) -> None:
    """The processes started from now on keep and read their bytecode in `directory`."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(directory)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="rounds of start-up runs (20)")
    parser.add_argument("--plan-runs", type=int, default=10, help="rounds of plan runs (10)")
    parser.add_argument(
        "--from-source",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as it is: a start may compile kodos from source",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    return parser.parse_args()


def benchmark() -> None:
    args = parse_args()
    harness.require("pacman", "systemctl")
    with harness.work_directory("startup", args.keep) as directory:
        if not args.from_source:
            with_bytecode(directory / "bytecode")
        bytecode = "from source where not compiled" if args.from_source else "bytecode cached"
        print(
            f"python {sys.version.split()[0]}, {args.runs} rounds (plan: {args.plan_runs}), "
            f"{bytecode}\n"
        )
        (directory / "root").mkdir()
        figures = start_up_figures(directory / "root", args.runs)
        harness.print_table([*figures, None, *plan_figures(directory / "plan", args.plan_runs)])


if __name__ == "__main__":
    sys.exit(harness.main(benchmark))
