"""How fast is `kodos validate` on a large, realistic configuration?

Validating is the command a user runs after every edit (and every other command starts by
loading the configuration), so it has to feel instant. This script writes a configuration of
about 1,000 lines that uses every section (`tests.support.workstation`: hundreds of packages
one per line including `aur:` and `flatpak:` ones, many services with settings, several users
with programs, locale settings, and two `require`d sibling modules returning package lists),
checks that it validates, then measures:

1. `load_config` in process, warm (after one warm-up call) — goal ≤ 20 ms;
2. its parts, each timed on its own: Lua evaluation (`evaluate_file`), the model's validation
   (`Config.model_validate`) and the rest (finding the file, `check_requests`);
3. the whole `kodos validate -c DIR` process, wall time — goal ≤ 0.5 s;
4. baselines in the same rounds — `python -c pass` and `python -c "import kodos.cli"` — so a
   reader can tell the interpreter's start-up from kodos's imports from kodos's work.

Goals apply to the 1,000-line configuration.

    .venv/bin/python benchmarks/validate.py [--lines N] [--runs N] [--process-runs N] [--keep]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import harness

from kodos.config.load import find_configuration, load_config
from kodos.config.model import Config
from kodos.config.packages import check_requests, package_requests
from kodos.lua.evaluator import evaluate_file
from tests.support.workstation import Workstation, write_workstation

LOAD_GOAL = 0.020
PROCESS_GOAL = 0.500


def in_process_figures(directory: Path, runs: int) -> list[harness.Figure | None]:
    """load_config as a whole, then each of its parts measured on its own."""
    file, display = find_configuration(str(directory))
    data = evaluate_file(file, display)
    config = Config.model_validate(data)

    def rest() -> object:  # what load_config does besides evaluating and validating
        find_configuration(str(directory))
        return check_requests(config)

    return [
        harness.measure(
            "load_config (evaluate + validate)",
            lambda: load_config(str(directory)),
            runs,
            LOAD_GOAL,
        ),
        harness.measure(
            "  Lua evaluation (evaluate_file)", lambda: evaluate_file(file, display), runs
        ),
        harness.measure(
            "  model (Config.model_validate)", lambda: Config.model_validate(data), runs
        ),
        harness.measure("  rest (find file, check_requests)", rest, runs),
    ]


def process_figures(directory: Path, runs: int) -> list[harness.Figure | None]:
    python = sys.executable
    times = harness.rounds(
        {
            "validate": harness.process(
                [*harness.kodos_command(), "validate", "-c", str(directory)]
            ),
            "python": harness.process([python, "-c", "pass"]),
            "cli": harness.process([python, "-c", "import kodos.cli"]),
        },
        runs,
    )
    return [
        harness.figure("kodos validate -c DIR (process)", times["validate"], PROCESS_GOAL),
        harness.figure("  baseline: python -c pass", times["python"]),
        harness.figure('  baseline: python -c "import kodos.cli"', times["cli"]),
    ]


def describe(workstation: Workstation) -> str:
    config = load_config(str(workstation.directory)).config  # a ConfigError: cannot measure
    sources: dict[str, int] = {}
    for request in package_requests(config):
        sources[request.source] = sources.get(request.source, 0) + 1
    files = ", ".join(f"{name} {lines}" for name, lines in workstation.lines.items())
    packages = ", ".join(f"{n} {source}" for source, n in sorted(sources.items()))
    return (
        f"configuration: {workstation.total_lines} lines ({files})\n"
        f"  packages requested: {packages}; {len(config.services)} services, "
        f"{len(config.users)} users"
    )


def benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1000, help="configuration size (1000)")
    parser.add_argument("--runs", type=int, default=50, help="in-process runs (50)")
    parser.add_argument("--process-runs", type=int, default=10, help="process runs (10)")
    parser.add_argument("--keep", action="store_true", help="keep the generated configuration")
    args = parser.parse_args()
    with harness.work_directory("validate", args.keep) as directory:
        workstation = write_workstation(directory, args.lines)
        print(describe(workstation))
        print(f"{harness.python_version()}\n")
        in_process = in_process_figures(directory, args.runs)
        harness.print_table([*in_process, None, *process_figures(directory, args.process_runs)])


if __name__ == "__main__":
    sys.exit(harness.main(benchmark, ValueError))
