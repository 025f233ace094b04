"""What does evaluating a configuration in a guarded child cost, against evaluating in-process?

Every command that reads a configuration evaluates it in a forked child with a deadline and a
memory cap (kodos.lua.guard), so that no configuration can hang kodos or take the machine's
memory. This script measures, for each example in examples/:

1. the evaluation in-process (`evaluate_config_in_process`: no deadline, no cap), warm;
2. the same evaluation guarded (`evaluate_config`: a forked child, its result sent back as
   JSON) — goal: at most 10 % or 30 ms more than in-process, whichever is larger;

and, to show where the cost goes and why the child is forked: a fork that does nothing
(`run_guarded` of an empty function), and the alternative, a fresh interpreter evaluating the
same example (`python -c` importing the evaluator), which a fork saves.

Every figure is a median (and min) over repeated runs, after one warm-up. The script reports
PASS or "over" and always exits 0 once it has measured (benchmarks inform, they don't gate).

    .venv/bin/python benchmarks/evaluate.py [--runs N] [--process-runs N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

# This directory is on sys.path when a benchmark runs as a script.
from figures import Figure, measure, print_table

from kodos.config.load import find_configuration
from kodos.lua.evaluator import evaluate_config, evaluate_config_in_process
from kodos.lua.guard import run_guarded

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RELATIVE_GOAL = 1.10
ABSOLUTE_GOAL_MS = 30.0
FRESH_INTERPRETER = (
    "import sys; from pathlib import Path; "
    "from kodos.lua.evaluator import evaluate_config_in_process; "
    "evaluate_config_in_process(Path(sys.argv[1]), sys.argv[1])"
)


def example_figures(example: Path, runs: int) -> list[Figure]:
    file, display = find_configuration(str(example))
    in_process = measure(
        f"{example.name}: in-process", lambda: evaluate_config_in_process(file, display), runs
    )
    goal = max(in_process.median * RELATIVE_GOAL, in_process.median + ABSOLUTE_GOAL_MS)
    guarded = measure(
        f"{example.name}: guarded child", lambda: evaluate_config(file, display), runs, goal
    )
    extra = Figure(f"  {example.name}: guarded − in-process", guarded.median - in_process.median)
    return [in_process, guarded, extra]


def baseline_figures(example: Path, runs: int, process_runs: int) -> list[Figure]:
    file, _ = find_configuration(str(example))

    def empty_fork() -> object:
        return run_guarded(
            lambda emit: None, wall_seconds=10, memory_bytes=256 << 20, on_output=print
        )

    def fresh_interpreter() -> object:
        argv = [sys.executable, "-c", FRESH_INTERPRETER, str(file)]
        return subprocess.run(argv, check=True, capture_output=True)

    return [
        measure("baseline: a guarded fork doing nothing", empty_fork, runs),
        measure(
            f"alternative: a fresh interpreter evaluating {example.name}",
            fresh_interpreter,
            process_runs,
        ),
    ]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="runs per figure (50)")
    parser.add_argument("--process-runs", type=int, default=10, help="fresh interpreters (10)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    examples = sorted(path for path in EXAMPLES.iterdir() if path.is_dir())
    print(f"python {sys.version.split()[0]} at {sys.executable}")
    print(f"examples: {', '.join(example.name for example in examples)}\n")
    figures: list[Figure | None] = []
    for example in examples:
        figures += [*example_figures(example, args.runs), None]
    figures += baseline_figures(examples[0], args.runs, args.process_runs)
    print_table(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
