"""How fast is reading a machine's actual state (`kodos.plan.actual.read_actual`)?

Every plan starts by reading the root, so it has to be quick on a big machine. This script
writes a root with 2,000 installed packages (a pacman local database as libalpm writes it),
300 system unit files in every enablement state (plus 30 user units), 50 accounts with shadow
entries, an ESP with 10 boot entries, and a scope with 20 managed files and two AUR names
(`tests.support.synthetic`), then measures, warm (the page cache holds the files):

1. `read_actual` over every provider — goal ≤ 100 ms for the default size;
2. each provider's `read` on its own, to show where the time goes.

    .venv/bin/python benchmarks/actual.py [--packages N] [--units N] [--users N] [--runs N]
"""

from __future__ import annotations

import argparse
import sys

import harness

from kodos.plan.actual import read_actual
from kodos.providers import Scope
from kodos.providers.registry import PROVIDERS
from tests.support.synthetic import synthetic_root, synthetic_scope_addresses

GOAL = 0.100


def benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with harness.work_directory("actual") as directory:
        root = synthetic_root(directory, packages=args.packages, units=args.units, users=args.users)
        scope = Scope(synthetic_scope_addresses())
        actual = read_actual(root, scope)
        print(
            f"root: {args.packages} packages, {args.units} units, {args.users} users → "
            f"{len(actual.resources)} resources, {len(actual.notes)} notes\n"
        )
        figures = [
            harness.measure("read_actual", lambda: read_actual(root, scope), args.runs, GOAL)
        ]
        for provider in PROVIDERS:
            read = lambda p=provider: p.read(root, scope)  # noqa: E731
            figures.append(harness.measure(f"  {provider.PROVIDER}", read, args.runs))
        harness.print_table(figures)


if __name__ == "__main__":
    sys.exit(harness.main(benchmark))
