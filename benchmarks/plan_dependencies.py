"""What dependency resolution costs a plan: `build_plan` with and without it, same run.

Issue 12.1 has the plan list what pacman pulls in (libalpm's resolution ported, in
`kodos.plan.dependencies`), what `-Rs` takes along, versions and sizes; its goal is that this
costs at most 20 % more than the plan without it, at 2,000 installed and 400 declared packages.

The machine is `tests.support.synthetic`'s (2,000 installed packages in a local database, 300
unit files, 50 accounts). The configuration declares 400 packages: 200 installed ones and 200
new ones. Each new package depends on two installed packages (one with a version constraint),
on a virtual name an installed package provides (`libfakeN.so=1-64`), and on a library no
configuration names, which depends on another one: 400 packages are pulled in, two levels deep.

"Without" is the plan as it was before: `build.plan_transactions` replaced by one that resolves
nothing, and the resolver given the provider's packages instead of the local database read
again. Both are timed in this process, warm, alternating run by run; the figures are medians.

    .venv/bin/python benchmarks/plan_dependencies.py [--packages 2000] [--runs 15] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support

from harness import Figure, print_table

from kodos.plan import build
from kodos.plan.build import PlanOptions, build_plan
from kodos.plan.removals import PackageTransactions
from tests.support.mirror import fake_entries
from tests.support.sync import FakeSyncEntry, fake_sync_repo
from tests.support.synthetic import synthetic_root

GOAL = 1.20  # with / without
DECLARED_INSTALLED = 200
DECLARED_NEW = 200


def sync_entries(packages: int) -> tuple[list[FakeSyncEntry], list[str]]:
    """The repositories (installed packages, new ones, their libraries) and the declared names."""
    installed = fake_entries(packages)
    entries = [FakeSyncEntry(e.name, e.version, e.groups, e.provides, e.depends) for e in installed]
    virtual = [p.split("=")[0] for e in installed for p in e.provides]
    declared = [e.name for e in installed[:: max(1, packages // DECLARED_INSTALLED)]]
    declared = declared[:DECLARED_INSTALLED]
    for i in range(DECLARED_NEW):
        name, lib, deeper = f"bench-app{i}", f"bench-lib{i}", f"bench-base{i}"
        depends = (
            installed[(7 * i) % packages].name,
            f"{installed[(13 * i + 1) % packages].name}>=0",
            virtual[i % len(virtual)],
            f"{lib}>=1.0",
        )
        entries += [
            FakeSyncEntry(name, f"{i}.1-1", depends=depends),
            FakeSyncEntry(lib, "1.2-1", depends=(deeper, installed[i % packages].name)),
            FakeSyncEntry(deeper, "3:0.1-1"),
        ]
        declared.append(name)
    return entries, declared


def build_setup(directory: Path, packages: int) -> PlanOptions:
    root = synthetic_root(directory / "root", packages=packages)
    entries, declared = sync_entries(packages)
    sync = directory / "sync"
    fake_sync_repo(sync, "core", entries[: len(entries) // 50])
    fake_sync_repo(sync, "extra", entries[len(entries) // 50 :])
    config = directory / "config"
    config.mkdir()
    listed = "\n".join(f'    "{name}",' for name in declared)
    (config / "configuration.lua").write_text(f"return {{\n  packages = {{\n{listed}\n  }},\n}}\n")
    return PlanOptions(str(config), root, sync_dir=sync)


@contextmanager
def without_dependencies() -> Iterator[None]:
    """The plan as before issue 12.1: no transaction resolved, no local database re-read."""
    saved = build.plan_transactions, build._local_packages

    def nothing(*args: object) -> PackageTransactions:
        return PackageTransactions()

    def from_machine(options: PlanOptions, machine: build.MachineState, *_: object) -> object:
        return build._installed(machine.resources)

    build.plan_transactions, build._local_packages = nothing, from_machine  # type: ignore[assignment]
    try:
        yield
    finally:
        build.plan_transactions, build._local_packages = saved


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="kodos-bench-deps-"))
    try:
        options = build_setup(directory, args.packages)
        plan = build_plan(options)
        pulled = [c for c in plan.changes if c.dependency_of]
        with without_dependencies():
            before = build_plan(options)
        print(
            f"{args.packages} installed, {DECLARED_INSTALLED + DECLARED_NEW} declared: "
            f"{plan.summary.add} to add ({len(pulled)} pulled in) with resolution, "
            f"{before.summary.add} without"
        )
        with_times, without_times = [], []
        for _ in range(args.runs):  # alternating, so both see the same machine load
            with_times.append(timed(lambda: build_plan(options)))
            with without_dependencies():
                without_times.append(timed(lambda: build_plan(options)))
        with_s, without_s = statistics.median(with_times), statistics.median(without_times)
        print_table(
            [
                Figure("plan without dependency resolution", without_s, min(without_times)),
                Figure("plan with dependency resolution", with_s, min(with_times)),
                Figure("with / without", with_s / without_s, None, GOAL, unit="x"),
            ]
        )
    finally:
        if args.keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
