"""How fast are the user-program helpers of `kodos user apply`: dconf and the dotfile manager?

Figures, in a private home (HOME, XDG_CONFIG_HOME and XDG_RUNTIME_DIR point into a temporary
directory), each beside its raw-tool baseline measured in the same rounds:

1. 50 dconf keys of mixed types with nothing to change: reading them back (`dconf.read`, one
   `dconf dump /`) and comparing — what a plan does; goal ≤ 50 ms.
2. the same 50 keys with every value changed: `dconf.apply` (a private `dbus-run-session`
   around `dconf load /`) against the raw `dbus-run-session -- dconf load /` of the same keyfile;
   goal ≤ 1.5× the raw load.
3. the dotfile manager on a local (file://) repository of four stow packages: `stow.deploy`
   for a commit not seen before (fetch into an empty cache, the planning copy, `stow -n`) and
   for the same commit again (the fetch; stow's answer comes from the cache), beside the raw
   `stow -n` of the same packages; and `stow.export` of the commit (a generation's copy)
   beside a raw `git archive | tar -x` of it.

    .venv/bin/python benchmarks/user_programs.py [--runs N] [--keep]
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import harness

from kodos.home.programs import dconf, gvariant, stow
from tests.support.home import DOTFILES, dotfiles_repo

KEYS = 50
READ_GOAL = 0.050
APPLY_RATIO_GOAL = 1.5


def private_home(work: Path) -> None:
    """Point this process (and the tools it runs) at a home inside `work`."""
    home = work / "home"
    runtime = work / "runtime"
    for directory in (home, runtime):
        directory.mkdir(mode=0o700, exist_ok=True)
    os.environ.update(
        HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_RUNTIME_DIR=str(runtime)
    )
    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)


def dconf_values(variant: int) -> dict[str, str]:
    """50 keys over 5 directories: strings, booleans, integers, doubles, string lists."""
    kinds = [
        lambda i: f"value {i} of {variant}",
        lambda i: (i + variant) % 2 == 0,
        lambda i: i * 10 + variant,
        lambda i: i / 8 + variant,
        lambda i: [f"item {i}", f"variant {variant}"],
    ]
    return {
        f"/org/kodos/bench/d{i % 5}/key-{i}": gvariant.plain_value(kinds[i % 5](i))
        for i in range(KEYS)
    }


def dconf_figures(runs: int) -> list[harness.Figure | None]:
    harness.require("dconf", "dbus-run-session")
    wanted = dconf_values(0)
    dconf.apply(wanted, [])

    def plan_nothing() -> None:
        current = dconf.read(wanted)
        if any(current[key] != value for key, value in wanted.items()):
            raise harness.CannotMeasure("the keys did not read back as written")

    variants = [dconf_values(1), dconf_values(2)]
    turn = {"kodos": 0, "raw": 0}

    def apply_all() -> float:
        values = variants[turn["kodos"] % 2]
        turn["kodos"] += 1
        return harness.timed(lambda: dconf.apply(values, []))()

    def raw_load() -> float:
        text = dconf.keyfile(variants[turn["raw"] % 2])
        turn["raw"] += 1
        argv = ["dbus-run-session", "--", "dconf", "load", "/"]
        return harness.timed(
            lambda: subprocess.run(argv, input=text, text=True, capture_output=True, check=True)
        )()

    read = harness.figure(
        f"{KEYS} dconf keys, nothing to change (read + compare)",
        harness.rounds({"read": harness.timed(plan_nothing)}, runs)["read"],
        READ_GOAL,
    )
    times = harness.rounds({"kodos": apply_all, "raw": raw_load}, runs)
    applied = harness.figure(f"{KEYS} dconf keys, all changed (dconf.apply)", times["kodos"])
    raw = harness.figure("  raw dbus-run-session -- dconf load /", times["raw"])
    return [read, applied, raw, harness.ratio("  apply / raw load", applied, raw, APPLY_RATIO_GOAL)]


def stow_figures(work: Path, runs: int) -> list[harness.Figure | None]:
    harness.require("git", "stow", "tar")
    repo = dotfiles_repo(work / "repo")
    packages = sorted({name.split("/", 1)[0] for name in DOTFILES} - {"other-zsh"})
    home = Path(os.environ["HOME"])
    caches = iter(range(10**6))

    def deploy(cache: Path) -> stow.Deployment:
        done = stow.deploy(
            source_dir="~/.dotfiles",
            target_dir="~/",
            repo_url=f"file://{repo}",
            packages=[stow.Package(name, "bench") for name in packages],
            home=home,
            cache_dir=cache,
            at="bench",
        )
        if done.problems or not done.links:
            raise harness.CannotMeasure(f"stow.deploy: {done.problems}")
        return done

    [tree] = deploy(work / "cache").trees
    scratch = work / "scratch"
    scratch.mkdir()
    stow_argv = ["stow", "-n", "-v", "--no-folding", "-d", str(repo), "-t", str(scratch)]

    def export() -> None:
        stow.export(tree, work / "exports" / f"k{next(caches)}")

    def raw_export() -> None:
        dest = work / "exports" / f"r{next(caches)}"
        dest.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "--git-dir", str(tree.git_dir), "archive", tree.commit],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)

    times = harness.rounds(
        {
            "first": harness.timed(lambda: deploy(work / f"cache{next(caches)}")),
            "again": harness.timed(lambda: deploy(work / "cache")),
            "stow": harness.process([*stow_argv, *packages], expect=0),
            "export": harness.timed(export),
            "raw export": harness.timed(raw_export),
        },
        runs,
    )
    n = len(packages)
    return [
        harness.figure(
            f"stow.deploy, {n} packages, new commit (fetch, copy, stow -n)", times["first"]
        ),
        harness.figure("stow.deploy, same commit (fetch; stow's answer cached)", times["again"]),
        harness.figure("  raw stow -n of the same packages", times["stow"]),
        None,
        harness.figure("stow.export of the commit (a generation's copy)", times["export"]),
        harness.figure("  raw git archive | tar -x", times["raw export"]),
    ]


def benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    options = parser.parse_args()
    with harness.work_directory("user-programs", options.keep) as work:
        private_home(work)
        figures = [*dconf_figures(options.runs), None, *stow_figures(work, options.runs)]
    print(harness.python_version())
    harness.print_table(figures)


if __name__ == "__main__":
    raise SystemExit(harness.main(benchmark))
