"""How fast is package resolution at plan time, against a repository of Arch's size?

Every plan loads the sync databases and resolves the configuration's package requests, so both
have to be quick. This script writes, in a temporary directory, fake `core` and `extra`
repositories of 15,000 packages in all (the size of Arch's; `.db` and `.files` in repo-add's
layout, `tests.support.sync`), then measures:

1. loading the sync databases (`read_sync_directory`: decompress, parse, index) — goal ≤ 300 ms;
2. loading the unit index from the file lists (`read_unit_index`) — no goal yet, reported;
3. resolving 400 requests (names, providers, groups with exclusions, `aur:`/`flatpak:`) —
   goal ≤ 5 ms;
4. one misspelt name (the suggestion search over every package and group name) — goal ≤ 10 ms;
5. checking 50 units against the file lists with the plan's dependency closure.

Every figure is a median (and min) over repeated runs. The script exits 0 once it has measured
(benchmarks inform, they don't gate).

    .venv/bin/python benchmarks/resolve.py [--packages N] [--files-per-package N] [--runs N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support

from kodos.config.packages import PackageRequest
from kodos.pacman.filelists import read_unit_index
from kodos.pacman.localdb import SyncIndex, read_sync_directory
from kodos.plan.resolve import check_units, resolve
from tests.support.sync import fake_sync_entries, fake_sync_repo

LOAD_GOAL_MS = 300.0
RESOLVE_GOAL_MS = 5.0
SUGGEST_GOAL_MS = 10.0
CORE_SHARE = 0.02  # Arch's core holds ~300 of ~15,000 packages


def measure(function: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, min) wall time in milliseconds, after one warm-up call."""
    function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def requests_for(index: SyncIndex, count: int) -> list[PackageRequest]:
    """`count` requests as a large configuration makes them: mostly names, some providers,
    groups with an exclusion, AUR and Flatpak entries, a few duplicates."""
    rng = random.Random(1)
    names = [name for repo in index.repos for name in index.packages[repo]]
    groups = sorted(index.groups)
    virtual = sorted(index.providers)
    requests = []
    for i in range(count):
        path = ("packages", i)
        if i % 50 == 0:
            group = groups[i % len(groups)]
            first = index.group(group)[0].name
            requests.append(PackageRequest("pacman", group, path, exclude=(first,)))
        elif i % 40 == 1:
            requests.append(PackageRequest("pacman", virtual[i % len(virtual)], path))
        elif i % 25 == 2:
            requests.append(PackageRequest("aur", f"aur-thing{i}", path))
        elif i % 30 == 3:
            requests.append(PackageRequest("flatpak", f"org.example.App{i}", path))
        else:
            requests.append(PackageRequest("pacman", rng.choice(names), path))
    return requests


def report(label: str, figures: tuple[float, float], goal: float | None) -> None:
    median, fastest = figures
    verdict = "" if goal is None else ("  PASS" if median <= goal else "  over")
    goal_text = "" if goal is None else f" (goal ≤ {goal:.0f} ms)"
    print(f"{label:<44} median {median:8.2f} ms  min {fastest:8.2f} ms{goal_text}{verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=15_000)
    parser.add_argument("--files-per-package", type=int, default=50)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kodos-bench-") as tmp:
        directory = Path(tmp)
        entries = fake_sync_entries(args.packages, files_per_package=args.files_per_package)
        split = max(1, int(len(entries) * CORE_SHARE))
        fake_sync_repo(directory, "core", entries[:split])
        fake_sync_repo(directory, "extra", entries[split:])
        repos = ("core", "extra")
        sizes = {p.name: p.stat().st_size for p in sorted(directory.iterdir())}
        print(f"{args.packages} packages, {args.files_per_package} files each: {sizes}")

        index = read_sync_directory(directory, repos)
        units = read_unit_index(directory, repos)
        requests = requests_for(index, 400)
        resolution = resolve(requests, index, flatpak_remote="flathub")
        planned = [r.name for r in resolution.resources if r.provider == "pacman"]
        wanted = {unit: f"services.s{i}" for i, unit in enumerate(sorted(units.system)[:50])}
        typo = [PackageRequest("pacman", planned[0] + "x", ("packages", 0))]
        print(
            f"resolved {len(requests)} requests into {len(resolution.resources)} resources, "
            f"{len(resolution.problems)} problems; {len(units.system)} units indexed"
        )

        runs = args.runs
        report(
            "load sync databases",
            measure(lambda: read_sync_directory(directory, repos), runs),
            LOAD_GOAL_MS,
        )
        report(
            "load unit index (.files)",
            measure(lambda: read_unit_index(directory, repos), max(3, runs // 4)),
            None,
        )
        report(
            "resolve 400 requests",
            measure(lambda: resolve(requests, index, flatpak_remote="flathub"), runs),
            RESOLVE_GOAL_MS,
        )
        report(
            "one misspelt name (suggestion)",
            measure(lambda: resolve(typo, index), runs),
            SUGGEST_GOAL_MS,
        )
        report(
            "check 50 units (dependency closure)",
            measure(lambda: check_units(wanted, planned, (), units, index=index), runs),
            None,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
