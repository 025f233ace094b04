"""How fast is package resolution at plan time, against a repository of Arch's size?

Every plan loads the sync databases and resolves the configuration's package requests, so both
have to be quick. This script writes fake `core` and `extra` repositories of 15,000 packages in
all (the size of Arch's; `.db` and `.files` in repo-add's layout, `tests.support.sync`) and the
requests of a large configuration (`tests.support.bigplan.package_requests`), then measures:

1. loading the sync databases (`read_sync_directory`: decompress, parse, index) — goal ≤ 300 ms;
2. loading the unit index from the file lists (`read_unit_index`) — no goal yet, reported;
3. resolving 400 requests (names, providers, groups with exclusions, `aur:`/`flatpak:`) —
   goal ≤ 5 ms;
4. one misspelt name (the suggestion search over every package and group name) — goal ≤ 10 ms;
5. checking 50 units against the file lists with the plan's dependency closure.

    .venv/bin/python benchmarks/resolve.py [--packages N] [--files-per-package N] [--runs N]
"""

from __future__ import annotations

import argparse
import sys

import harness

from kodos.config.packages import PackageRequest
from kodos.pacman.filelists import read_unit_index
from kodos.pacman.localdb import read_sync_directory
from kodos.plan.resolve import check_units, resolve
from tests.support.bigplan import CORE_SHARE, package_requests
from tests.support.sync import fake_sync_entries, fake_sync_repo

LOAD_GOAL = 0.300
RESOLVE_GOAL = 0.005
SUGGEST_GOAL = 0.010
REPOS = ("core", "extra")


def benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=15_000)
    parser.add_argument("--files-per-package", type=int, default=50)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with harness.work_directory("resolve") as directory:
        entries = fake_sync_entries(args.packages, files_per_package=args.files_per_package)
        split = max(1, int(len(entries) * CORE_SHARE))
        fake_sync_repo(directory, "core", entries[:split])
        fake_sync_repo(directory, "extra", entries[split:])
        sizes = {p.name: p.stat().st_size for p in sorted(directory.iterdir())}
        print(f"{args.packages} packages, {args.files_per_package} files each: {sizes}")

        index = read_sync_directory(directory, REPOS)
        units = read_unit_index(directory, REPOS)
        requests = package_requests(index, 400)
        resolution = resolve(requests, index, flatpak_remote="flathub")
        planned = [r.name for r in resolution.resources if r.provider == "pacman"]
        wanted = {unit: f"services.s{i}" for i, unit in enumerate(sorted(units.system)[:50])}
        typo = [PackageRequest("pacman", planned[0] + "x", ("packages", 0))]
        print(
            f"resolved {len(requests)} requests into {len(resolution.resources)} resources, "
            f"{len(resolution.problems)} problems; {len(units.system)} units indexed\n"
        )
        runs = args.runs
        harness.print_table(
            [
                harness.measure(
                    "load sync databases",
                    lambda: read_sync_directory(directory, REPOS),
                    runs,
                    LOAD_GOAL,
                ),
                harness.measure(
                    "load unit index (.files)",
                    lambda: read_unit_index(directory, REPOS),
                    max(3, runs // 4),
                ),
                harness.measure(
                    "resolve 400 requests",
                    lambda: resolve(requests, index, flatpak_remote="flathub"),
                    runs,
                    RESOLVE_GOAL,
                ),
                harness.measure(
                    "one misspelt name (suggestion)",
                    lambda: resolve(typo, index),
                    runs,
                    SUGGEST_GOAL,
                ),
                harness.measure(
                    "check 50 units (dependency closure)",
                    lambda: check_units(wanted, planned, (), units, index=index),
                    runs,
                ),
            ]
        )


if __name__ == "__main__":
    sys.exit(harness.main(benchmark))
