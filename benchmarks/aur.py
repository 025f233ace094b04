"""What does kodos add to building AUR packages? (issue 13)

A local AUR (`tests.support.aur`: bare git repositories with a PKGBUILD and `.SRCINFO`) of
five trivial package bases, no dependencies, sources in the repository:

1. makepkg alone: the five PKGBUILDs, already checked out into directories owned by the build
   uid, each built by `setpriv --reuid=UID ... makepkg` — the floor;
2. kodos: `kodos.aur.resolve.resolve_bases` (clone each base into a fresh mirror cache, read
   its `.SRCINFO`) and `kodos.apply.aurbuild.build_all` into a fresh local repository: export,
   the throwaway overlay of the running root, makepkg as the same uid, `repo-add`;
   kodos − makepkg alone ≤ 2 s for the five;
3. found built: `build_all` again on the same repository (nothing is rebuilt), alone and after
   `resolve_bases` with every base locked at its commit (warm mirrors) — the AUR part of a
   second apply;
4. a second apply that needs no rebuild: on two Btrfs machines (loop images,
   `tests.support.btrfs`) built alike, one configured with two AUR packages (the helper and one
   more, applied and locked first) and one without, the same `kodos apply --yes` changing only
   the hostname, alternating machines — with AUR − without ≤ 0.3 s (the plan reads each
   locked base's `.SRCINFO` from the mirror cache; nothing is fetched or built).

Rounds alternate kodos and makepkg alone, so a busy machine slows both alike. Root (the build
uid is switched to with setpriv; the overlay needs a mount namespace). Exits 0 once it has
measured; 1 if it cannot run.

    sudo .venv/bin/python benchmarks/aur.py [--runs 3] [--bases 5] [--keep] [--second-apply-only]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

# This directory is on sys.path when a benchmark runs as a script.
from harness import (
    CannotMeasure,
    Figure,
    difference,
    figure,
    main,
    print_table,
    require,
    rounds,
    work_directory,
)

BUILD_MARGIN_S = 2.0
SECOND_APPLY_MARGIN_S = 0.3


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--bases", type=int, default=5, help="package bases (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the files made")
    parser.add_argument(
        "--second-apply-only", action="store_true", help="measure only the second-apply figure"
    )
    return parser.parse_args()


def benchmark() -> None:
    options = parse()
    require("git", "makepkg", "setpriv", "chroot", "repo-add", "pacman", "bsdtar", "btrfs")
    if os.geteuid() != 0:
        raise CannotMeasure("run as root: builds switch to an unprivileged uid with setpriv")
    from tests.support.aur import REPO_PACKAGES, AurPackage, LocalAur
    from tests.support.mirror import build_mirror, write_pacman_conf

    with work_directory("aur", keep=options.keep) as directory:
        directory.chmod(0o755)  # makepkg alone builds below it as the build uid
        aur = LocalAur(directory / "aur")
        names = [f"aur-bench-{number}" for number in range(1, options.bases + 1)]
        for name in names:
            aur.add(AurPackage(name))
        conf = write_pacman_conf(
            directory / "pacman.conf", build_mirror(directory / "mirror", list(REPO_PACKAGES))
        )
        built = (
            []
            if options.second_apply_only
            else measure(directory, aur.url, names, conf, options.runs)
        )
        print_table([*built, None, *second_apply(directory, aur.url, names[:2], options.runs)])


def measure(
    directory: Path, url: str, names: list[str], conf: Path, runs: int
) -> list[Figure | None]:
    from kodos.apply.aurbuild import build_all, free_build_uid
    from kodos.aur.localrepo import LocalRepo
    from kodos.aur.resolve import resolve_bases
    from kodos.aur.source import AurSource

    uid = free_build_uid(Path("/"))
    count = iter(range(1_000_000))
    last: dict[str, object] = {}
    resolving: list[float] = []

    def with_kodos() -> float:
        place = directory / f"kodos-{next(count)}"
        start = time.perf_counter()
        source = AurSource(url, place / "cache")
        bases = resolve_bases(source, names, lambda _: False)
        resolved = time.perf_counter()
        repo = LocalRepo(place / "repo")
        build_all(bases, source, repo, work_dir=place / "work", pacman_conf=conf, build_uid=uid)
        elapsed = time.perf_counter() - start
        resolving.append(resolved - start)
        last.update(source=source, bases=bases, repo=repo, place=place)
        return elapsed

    def makepkg_alone() -> float:
        place = directory / f"makepkg-{next(count)}"
        trees = [_checkout(url, name, place / name, uid) for name in names]
        start = time.perf_counter()
        for tree in trees:
            _makepkg(tree, uid)
        return time.perf_counter() - start

    def found_built(*, locked: bool) -> float:
        place, source = last["place"], last["source"]
        assert isinstance(place, Path) and isinstance(source, AurSource)
        start = time.perf_counter()
        bases = last["bases"]
        if locked:  # what a second apply does: the locked commits, read from warm mirrors
            commits = {base.pkgbase: base.commit for base in bases}  # type: ignore[attr-defined]
            bases = resolve_bases(source, names, lambda _: False, commits=commits)
        build_all(
            bases, source, last["repo"],  # type: ignore[arg-type]
            work_dir=place / "work", pacman_conf=conf, build_uid=uid,
        )  # fmt: skip
        return time.perf_counter() - start

    samples = rounds({"kodos": with_kodos, "makepkg": makepkg_alone}, runs, warm_up=False)
    again = [found_built(locked=False) for _ in range(max(runs, 5))]
    second = [found_built(locked=True) for _ in range(max(runs, 5))]
    n = len(names)
    alone = figure(f"makepkg alone, {n} bases", samples["makepkg"], unit="s")
    kodos = figure(f"kodos resolve + build_all, {n} bases", samples["kodos"], unit="s")
    return [
        alone,
        kodos,
        difference("  kodos − makepkg alone", kodos, alone, BUILD_MARGIN_S),
        figure("  of which resolve_bases (clone, .SRCINFO)", resolving, unit="s"),
        None,
        figure(f"build_all, {n} bases found built", again, unit="ms"),
        figure(f"resolve_bases (locked) + build_all, {n} found built", second, unit="ms"),
    ]


SECOND_CONFIG = """
local repos = require("repos")
return {{
    boot = {{ kernel = {{ package = "linux" }} }},
    network = {{ hostname = "{hostname}" }},
    repos = {{ {aur} }},
    packages = {{ {packages} }},
}}
"""


def second_apply(directory: Path, url: str, names: list[str], runs: int) -> list[Figure | None]:
    """Figure 4 (module docstring): the same hostname-only apply with and without AUR
    packages, on machines where those are applied and locked already."""
    import shutil
    import sys
    from contextlib import ExitStack

    from kodos.plan.aur import aur_cache_dir
    from tests.support.aur import REPO_PACKAGES
    from tests.support.btrfs import btrfs_machine
    from tests.support.catalog import standard_packages
    from tests.support.mirror import build_mirror

    helper, package = names
    mirror = build_mirror(directory / "machines-mirror", [*standard_packages(), *REPO_PACKAGES])
    flavours = {
        "with AUR": (
            f'aur = repos.aur_repo("{helper}", nil, {{ aur_url = "{url}" }})',
            f'"aur:{package}"',
        ),
        "without AUR": ("", ""),
    }
    count = iter(range(1_000_000))

    with ExitStack() as stack:
        stack.callback(shutil.rmtree, aur_cache_dir(url), True)
        machines = {
            name: stack.enter_context(btrfs_machine(_fresh(directory / f"machine-{i}"), mirror))
            for i, name in enumerate(flavours)
        }

        def applied(name: str) -> float:
            aur, packages = flavours[name]
            config = directory / f"config-{next(count)}.lua"
            text = SECOND_CONFIG.format(hostname=f"host{next(count)}", aur=aur, packages=packages)
            config.write_text(text)
            argv = [sys.executable, "-m", "kodos", "apply", "-c", str(config),
                    "--root", str(machines[name].root), "--yes"]  # fmt: skip
            os.sync()
            start = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
            elapsed = time.perf_counter() - start
            if done.returncode != 0:
                raise CannotMeasure(f"kodos apply on the {name} machine: {done.stderr[-2000:]}")
            return elapsed

        for name in flavours:  # the first apply builds and locks the AUR packages
            applied(name)
        samples = rounds({name: lambda name=name: applied(name) for name in flavours}, runs)
    with_aur = figure("second apply, 2 AUR packages locked", samples["with AUR"], unit="s")
    without = figure("  the same apply without AUR packages", samples["without AUR"], unit="s")
    return [
        with_aur,
        without,
        difference("  with AUR − without", with_aur, without, SECOND_APPLY_MARGIN_S),
    ]


def _fresh(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def _checkout(url: str, name: str, tree: Path, uid: int) -> Path:
    """The base's tree at HEAD, owned by the build uid (not timed)."""
    tree.mkdir(parents=True)
    repository = url.removeprefix("file://") + f"/{name}.git"
    archive = subprocess.run(
        ["git", "--git-dir", repository, "archive", "HEAD"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    for path in [tree, *tree.rglob("*")]:
        os.lchown(path, uid, uid)
    tree.parent.chmod(0o755)
    return tree


def _makepkg(tree: Path, uid: int) -> None:
    drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    done = subprocess.run(
        [*drop, "env", "-i", f"HOME={tree}", "PATH=/usr/bin:/bin", "LC_ALL=C",
         "makepkg", "--noconfirm", "--nocolor"],
        cwd=tree, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise CannotMeasure(f"makepkg in {tree} failed: {done.stderr[-2000:]}")


if __name__ == "__main__":
    raise SystemExit(main(benchmark))
