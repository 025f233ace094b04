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

    .venv/bin/python benchmarks/evaluate.py [--runs N] [--process-runs N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import harness

from kodos.config.load import find_configuration
from kodos.lua.evaluator import evaluate_config, evaluate_config_in_process
from kodos.lua.guard import run_guarded

RELATIVE_GOAL = 1.10
ABSOLUTE_GOAL = 0.030
FRESH_INTERPRETER = (
    "import sys; from pathlib import Path; "
    "from kodos.lua.evaluator import evaluate_config_in_process; "
    "evaluate_config_in_process(Path(sys.argv[1]), sys.argv[1])"
)


def example_figures(example: Path, runs: int) -> list[harness.Figure | None]:
    """In-process and guarded, in the same rounds."""
    file, display = find_configuration(str(example))
    times = harness.rounds(
        {
            "in": harness.timed(lambda: evaluate_config_in_process(file, display)),
            "guarded": harness.timed(lambda: evaluate_config(file, display)),
        },
        runs,
    )
    in_process = harness.figure(f"{example.name}: in-process", times["in"])
    goal = max(in_process.median * RELATIVE_GOAL, in_process.median + ABSOLUTE_GOAL)
    guarded = harness.figure(f"{example.name}: guarded child", times["guarded"], goal)
    extra = harness.difference(f"  {example.name}: guarded − in-process", guarded, in_process)
    return [in_process, guarded, extra, None]


def baseline_figures(example: Path, runs: int, process_runs: int) -> list[harness.Figure | None]:
    file, _ = find_configuration(str(example))

    def empty_fork() -> object:
        return run_guarded(
            lambda emit: None, wall_seconds=10, memory_bytes=256 << 20, on_output=print
        )

    fresh = harness.process([sys.executable, "-c", FRESH_INTERPRETER, str(file)])
    return [
        harness.measure("baseline: a guarded fork doing nothing", empty_fork, runs),
        harness.figure(
            f"alternative: a fresh interpreter evaluating {example.name}",
            harness.rounds({"fresh": fresh}, process_runs)["fresh"],
        ),
    ]


def benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="runs per figure (50)")
    parser.add_argument("--process-runs", type=int, default=10, help="fresh interpreters (10)")
    args = parser.parse_args()
    examples = sorted(path for path in (harness.REPOSITORY / "examples").iterdir() if path.is_dir())
    print(harness.python_version())
    print(f"examples: {', '.join(example.name for example in examples)}\n")
    figures = [figure for example in examples for figure in example_figures(example, args.runs)]
    harness.print_table([*figures, *baseline_figures(examples[0], args.runs, args.process_runs)])


if __name__ == "__main__":
    sys.exit(harness.main(benchmark))
