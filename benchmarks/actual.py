"""How fast is reading a machine's actual state (`kodos.plan.actual.read_actual`)?

Every plan starts by reading the root, so it has to be quick on a big machine. This script
writes, in a temporary directory, a root with 2,000 installed packages (a pacman local database
as libalpm writes it), 300 system unit files in every enablement state (plus 30 user units),
50 accounts with shadow entries, an ESP with 10 boot entries, and a scope with 20 managed
files and two AUR names (`tests.support.synthetic`), then measures:

1. `read_actual` over every provider — goal ≤ 100 ms for the default size;
2. each provider's `read` on its own, to show where the time goes.

Every figure is a median (and min) over repeated runs, warm (the page cache holds the files).
The script exits 0 once it has measured (benchmarks inform, they don't gate).

    .venv/bin/python benchmarks/actual.py [--packages N] [--units N] [--users N] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support

from kodos.plan.actual import read_actual
from kodos.providers import Scope
from kodos.providers.registry import PROVIDERS
from tests.support.synthetic import synthetic_root, synthetic_scope_addresses

GOAL_MS = 100.0


def timed(function: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, min) wall time in milliseconds, after one warm-up call."""
    function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kodos-bench-actual-") as directory:
        root = synthetic_root(
            Path(directory), packages=args.packages, units=args.units, users=args.users
        )
        scope = Scope(synthetic_scope_addresses())
        actual = read_actual(root, scope)
        print(
            f"root: {args.packages} packages, {args.units} units, {args.users} users → "
            f"{len(actual.resources)} resources, {len(actual.notes)} notes"
        )
        median, fastest = timed(lambda: read_actual(root, scope), args.runs)
        verdict = "PASS" if median <= GOAL_MS else "over"
        print(f"read_actual       median {median:7.1f} ms  min {fastest:7.1f} ms  "
              f"goal ≤ {GOAL_MS:.0f} ms (default size): {verdict}")  # fmt: skip
        for provider in PROVIDERS:
            median, fastest = timed(lambda p=provider: p.read(root, scope), args.runs)
            print(f"  {provider.PROVIDER:<15} median {median:7.1f} ms  min {fastest:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
