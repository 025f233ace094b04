"""How long does `kodos user apply` take for a home of 200 managed files?

A temporary home and a configuration whose section for the running user copies 200 files
(`files = { ["~/.config/bench/N"] = copy_file(...) }`, 1 KiB each) into it:

1. nothing to change: the whole `kodos user apply --yes` process once the home is as the
   configuration says (render, read the home, compare, no generation) — goal ≤ 0.3 s;
2. everything to change: two configurations whose 200 files all differ, applied in turn, so
   every run writes a new generation and replaces every file — next to the raw floor, one
   Python process writing the same 200 files the way kodos must (temporary file, fsync,
   rename) — goal ≤ 3×.

`kodos validate` of the same configuration is measured beside the first: evaluating the
configuration (200 `copy_file` calls) is most of a user apply with nothing to change, and
what a user apply adds to it is the difference.

    .venv/bin/python benchmarks/user.py [--files 200] [--runs 10] [--keep]

kodos's modules are compiled first (`compile_kodos`), as an installed kodos has them.
Then the program parts (`program_figures`), on a second home whose configuration adds 50
dconf keys of every plain type and a dotfile repository (a local `file://` one) of four stow
packages to the 200 files:

3. the whole apply with nothing to change — goal ≤ 0.3 s — beside `kodos validate` of it;
4. the whole apply with everything changed (files, every dconf value, another repository's
   commit) against the raw floor: the same file writes, `dbus-run-session -- dconf load /` of
   the keys and `stow -D` + `stow` from one repository to the other — goal ≤ 3×;
5. the helpers on their own, in this process: `dconf.read` of the 50 keys (what a plan does;
   goal ≤ 50 ms) and `dconf.apply` of 50 changed keys against the raw `dconf load` (goal ≤
   1.5×); `stow.deploy` for a new commit and for the same commit again (stow's answer cached)
   beside the raw `stow -n`; `stow.export` of the commit beside `git archive | tar -x`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import pwd
import resource
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import harness

from kodos.home.programs import dconf, gvariant, stow
from tests.support.home import DOTFILES, dotfiles_repo

NO_CHANGE_GOAL = 0.3
CHANGE_RATIO_GOAL = 3.0

RAW_WRITES = """
import os, sys
home, files = sys.argv[1], int(sys.argv[2])
tag = sys.argv[3]
for n in range(files):
    path = os.path.join(home, ".config/bench", str(n))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = path + ".tmp"
    with open(temporary, "wb") as stream:
        stream.write((tag + str(n)).encode().ljust(1024, b"."))
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)
"""


def write_config(directory: Path, files: int, tag: str, extra: str = "") -> Path:
    """A configuration for the running user: `files` copies of 1 KiB, each naming `tag`;
    `extra` is more of the user's table (Lua, `key = value,` lines)."""
    directory.mkdir(parents=True)
    entries = []
    for n in range(files):
        (directory / f"f{n}").write_bytes(f"{tag}{n}".encode().ljust(1024, b"."))
        entries.append(f'["~/.config/bench/{n}"] = copy_file("f{n}")')
    name = pwd.getpwuid(os.getuid()).pw_name
    (directory / "configuration.lua").write_text(
        'local configs = require("configs")\n'
        f"return {{ users = {{ [{json.dumps(name)}] = {{ {extra}\nfiles = {{\n  "
        + ",\n  ".join(entries)
        + "\n} } } }\n"
    )
    return directory


def user_apply(home: Path, config: Path) -> list[str]:
    """`kodos user apply` for the running user with `home` as its home."""
    unset = ["-u", "XDG_STATE_HOME", "-u", "XDG_CONFIG_HOME", "-u", "XDG_CACHE_HOME"]
    command = [*harness.kodos_command(), "user", "apply", "-c", str(config), "--yes"]
    return ["env", *unset, f"HOME={home}", *command]


def cpu_time(argv: list[str]) -> harness.Timer:
    """The CPU seconds (user + system) a process and its children use: on a machine others
    load too, what the process itself costs, whatever it waited for."""

    def timer() -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        harness.run_process(argv)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    return timer


def file_figures(directory: Path, files: int, runs: int) -> list[harness.Figure | None]:
    home = directory / "home"
    raw_home = directory / "raw"
    home.mkdir()
    raw_home.mkdir()
    configs = [write_config(directory / f"config-{tag}", files, tag) for tag in ("a", "b")]
    harness.run_process(user_apply(home, configs[0]))
    turn = [0]

    def alternate() -> float:
        turn[0] += 1
        return harness.process(user_apply(home, configs[turn[0] % 2]))()

    raw_turn = [0]

    def raw() -> float:
        raw_turn[0] += 1
        tag = "ab"[raw_turn[0] % 2]
        argv = [sys.executable, "-c", RAW_WRITES, str(raw_home), str(files), tag]
        return harness.process(argv)()

    changing = harness.rounds({"kodos": harness.settled(alternate), "raw": harness.settled(raw)},
                              runs)  # fmt: skip
    last = configs[turn[0] % 2]
    validate = [*harness.kodos_command(), "validate", "-c", str(last)]
    steady = harness.rounds(
        {
            "same": harness.process(user_apply(home, last)),
            "validate": harness.process(validate),
            "cpu": cpu_time(user_apply(home, last)),
            "validate-cpu": cpu_time(validate),
        },
        runs,
    )
    nothing = harness.figure(
        f"kodos user apply, {files} files, nothing to change", steady["same"], NO_CHANGE_GOAL,
        unit="s",
    )  # fmt: skip
    reference = harness.figure("  kodos validate of the same configuration", steady["validate"],
                               unit="s")  # fmt: skip
    everything = harness.figure(f"kodos user apply, {files} files all changed", changing["kodos"])
    floor = harness.figure(f"  raw: one process writing {files} files (fsync, rename)",
                           changing["raw"])  # fmt: skip
    cpu = harness.figure("  its CPU time (user + system, the Lua child too)", steady["cpu"],
                         unit="s")  # fmt: skip
    validate_cpu = harness.figure("  its CPU time", steady["validate-cpu"], unit="s")
    return [nothing, cpu, reference, validate_cpu,
            harness.difference("  user apply − validate", nothing, reference),
            harness.difference("  user apply − validate, CPU time", cpu, validate_cpu),
            None, everything, floor,
            harness.ratio("  kodos / raw", everything, floor, CHANGE_RATIO_GOAL)]  # fmt: skip


def program_figures(directory: Path, files: int, runs: int) -> list[harness.Figure | None]:
    """The issue's whole apply — the files, 50 dconf keys and a dotfile repository of four
    stow packages — with nothing to change and with everything changed (against the raw floor:
    the same file writes, `dconf load` and `stow`), then the helpers on their own."""
    harness.require("dconf", "dbus-run-session", "git", "stow")
    home = directory / "programs-home"
    raw_home = directory / "programs-raw"
    home.mkdir()
    raw_home.mkdir()
    packages = sorted({name.split("/", 1)[0] for name in DOTFILES} - {"other-zsh"})
    repos = {tag: _tagged_repo(directory / f"repo-{tag}", tag) for tag in "ab"}
    configs = {
        tag: write_config(
            directory / f"programs-{tag}", files, tag, _programs(repos[tag], tag, packages)
        )
        for tag in "ab"
    }
    harness.run_process(user_apply(home, configs["a"]))
    turn = [0]

    def alternate() -> float:
        turn[0] += 1
        return harness.process(user_apply(home, configs["ab"[turn[0] % 2]]))()

    raw_turn = [0]
    raw_env = ["env", f"HOME={raw_home}", f"XDG_CONFIG_HOME={raw_home}/.config"]

    def raw() -> float:
        raw_turn[0] += 1
        tag, old = "ab"[raw_turn[0] % 2], "ab"[(raw_turn[0] + 1) % 2]
        keyfile = directory / f"keyfile-{tag}"
        keyfile.write_text(dconf.keyfile(_dconf_values(tag)))
        stow = ["stow", "--no-folding", "-t", str(raw_home)]
        argvs = [
            [sys.executable, "-c", RAW_WRITES, str(raw_home), str(files), tag],
            [*raw_env, "dbus-run-session", "--", "sh", "-c", f"dconf load / < {keyfile}"],
            [*stow, "-D", "-d", str(repos[old]), *packages],
            [*stow, "-d", str(repos[tag]), *packages],
        ]
        return harness.process(*argvs)()

    harness.run_process([*raw_env, "stow", "--no-folding", "-t", str(raw_home), "-d",
                         str(repos["a"]), *packages])  # fmt: skip
    changing = harness.rounds({"kodos": harness.settled(alternate), "raw": harness.settled(raw)},
                              runs)  # fmt: skip
    last = configs["ab"[turn[0] % 2]]
    validate = [*harness.kodos_command(), "validate", "-c", str(last)]
    steady = harness.rounds(
        {
            "same": harness.process(user_apply(home, last)),
            "cpu": cpu_time(user_apply(home, last)),
            "validate": harness.process(validate),
        },
        runs,
    )
    label = f"kodos user apply, {files} files + {KEYS} dconf keys + {len(packages)} stow packages"
    nothing = harness.figure(f"{label}, nothing to change", steady["same"], NO_CHANGE_GOAL,
                             unit="s")  # fmt: skip
    cpu = harness.figure("  its CPU time (user + system, git, stow and dconf too)",
                         steady["cpu"], unit="s")  # fmt: skip
    reference = harness.figure("  kodos validate of the same configuration", steady["validate"],
                               unit="s")  # fmt: skip
    everything = harness.figure(f"{label}, all changed", changing["kodos"])
    floor = harness.figure("  raw: file writes + dconf load + stow -D/stow", changing["raw"])
    with _private_home(directory / "helpers"):
        helpers = [*_dconf_figures(runs), None, *_stow_figures(directory / "helpers", runs)]
    return [nothing, cpu, reference,
            harness.difference("  user apply − validate", nothing, reference),
            None, everything, floor,
            harness.ratio("  kodos / raw", everything, floor, CHANGE_RATIO_GOAL), None,
            *helpers]  # fmt: skip


# ---- the program helpers on their own --------------------------------------------------------

KEYS = 50
READ_GOAL = 0.050
DCONF_RATIO_GOAL = 1.5


def _tagged_repo(directory: Path, tag: str) -> Path:
    return dotfiles_repo(directory, {name: f"{tag}: {text}" for name, text in DOTFILES.items()})


def _dconf_lua(tag: str) -> str:
    """`KEYS` keys over 5 directories, of every plain type, their values naming `tag`."""
    variant = ord(tag)
    values = [
        lambda i: json.dumps(f"value {i} of {tag}"),
        lambda i: "true" if (i + variant) % 2 else "false",
        lambda i: str(i * 10 + variant),
        lambda i: repr(i / 8 + variant),
        lambda i: "{ " + json.dumps(f"item {i}") + ", " + json.dumps(tag) + " }",
    ]
    directories: dict[int, list[str]] = {}
    for i in range(KEYS):
        directories.setdefault(i % 5, []).append(f"key_{i} = {values[i % 5](i)}")
    return (
        "{ "
        + ", ".join(
            f'["org/kodos/bench/d{d}"] = {{ {", ".join(keys)} }}' for d, keys in directories.items()
        )
        + " }"
    )


def _dconf_values(tag: str) -> dict[str, str]:
    """The keys `_dconf_lua(tag)` sets, as GVariant text."""
    variant = ord(tag)
    kinds: list[Callable[[int], gvariant.Plain | list[str]]] = [
        lambda i: f"value {i} of {tag}",
        lambda i: bool((i + variant) % 2),
        lambda i: i * 10 + variant,
        lambda i: i / 8 + variant,
        lambda i: [f"item {i}", tag],
    ]
    return {
        f"/org/kodos/bench/d{i % 5}/key-{i}": gvariant.plain_value(kinds[i % 5](i))
        for i in range(KEYS)
    }


def _programs(repo: Path, tag: str, packages: list[str]) -> str:
    stow_call = f'configs.stow({{ source_dir = "~/.dotfiles", repo_url = "file://{repo}" }})'
    dconf_call = f"configs.dconf({_dconf_lua(tag)})"
    return (
        f"dotfile_manager = {stow_call},\n"
        f"programs = {{ dconf = {{ enable = true, config = {dconf_call} }} }},\n"
        f"deploy_configs = {{ {', '.join(json.dumps(p) for p in packages)} }},"
    )


@contextmanager
def _private_home(directory: Path) -> Iterator[None]:
    """This process (and the tools it runs) pointed at a home inside `directory`."""
    home, runtime = directory / "home", directory / "runtime"
    for place in (home, runtime):
        place.mkdir(mode=0o700, parents=True)
    names = ("HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                      XDG_RUNTIME_DIR=str(runtime))  # fmt: skip
    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _dconf_figures(runs: int) -> list[harness.Figure | None]:
    """dconf.read of the keys (what a plan does) and dconf.apply against raw `dconf load`."""
    wanted = _dconf_values("a")
    dconf.apply(wanted, [])

    def plan_nothing() -> None:
        current = dconf.read(wanted)
        if any(current[key] != value for key, value in wanted.items()):
            raise harness.CannotMeasure("the dconf keys did not read back as written")

    turn = {"kodos": 0, "raw": 0}

    def apply_all() -> float:
        turn["kodos"] += 1
        values = _dconf_values("bc"[turn["kodos"] % 2])
        return harness.timed(lambda: dconf.apply(values, []))()

    def raw_load() -> float:
        turn["raw"] += 1
        text = dconf.keyfile(_dconf_values("bc"[turn["raw"] % 2]))
        argv = ["dbus-run-session", "--", "dconf", "load", "/"]
        return harness.timed(
            lambda: subprocess.run(argv, input=text, text=True, capture_output=True, check=True)
        )()

    read = harness.figure(
        f"dconf.read of {KEYS} keys, nothing to change (what a plan does)",
        harness.rounds({"read": harness.timed(plan_nothing)}, runs)["read"],
        READ_GOAL,
    )
    times = harness.rounds({"kodos": apply_all, "raw": raw_load}, runs)
    applied = harness.figure(f"dconf.apply of {KEYS} changed keys", times["kodos"])
    raw = harness.figure("  raw dbus-run-session -- dconf load /", times["raw"])
    return [read, applied, raw, harness.ratio("  apply / raw load", applied, raw, DCONF_RATIO_GOAL)]


def _stow_figures(work: Path, runs: int) -> list[harness.Figure | None]:
    """stow.deploy for a new commit and the same one again against raw `stow -n`; export."""
    repo = _tagged_repo(work / "repo", "a")
    packages = sorted({name.split("/", 1)[0] for name in DOTFILES} - {"other-zsh"})
    home = Path(os.environ["HOME"])
    caches = itertools.count()

    def deploy(cache: Path) -> stow.Deployment:
        done = stow.deploy(
            source_dir="~/.dotfiles", target_dir="~/", repo_url=f"file://{repo}",
            packages=[stow.Package(name, "bench") for name in packages],
            home=home, cache_dir=cache, at="bench",
        )  # fmt: skip
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
        archive = subprocess.run(["git", "--git-dir", str(tree.git_dir), "archive", tree.commit],
                                 capture_output=True, check=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)

    times = harness.rounds(
        {
            "first": harness.timed(lambda: deploy(work / f"cache{next(caches)}")),
            "again": harness.timed(lambda: deploy(work / "cache")),
            "stow": harness.process([*stow_argv, *packages]),
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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200, help="managed files (200)")
    parser.add_argument("--runs", type=int, default=10, help="rounds (10)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    return parser.parse_args()


def compile_kodos() -> None:
    """Compile kodos's modules once, as an installed kodos has them: with
    PYTHONDONTWRITEBYTECODE set, every run would otherwise compile every module it imports
    (~0.1 s), which no user pays."""
    sources = [harness.REPOSITORY / part for part in ("kodos", "providers", "state")]
    harness.run_process([sys.executable, "-m", "compileall", "-q", *map(str, sources)])


def benchmark() -> None:
    args = parse_args()
    compile_kodos()
    with harness.work_directory("user", args.keep) as directory:
        print(f"{args.files} managed files, {args.runs} rounds\n")
        figures = file_figures(directory, args.files, args.runs)
        programs = program_figures(directory, args.files, args.runs)
        harness.print_table([*figures, None, *programs])


if __name__ == "__main__":
    sys.exit(harness.main(benchmark))
