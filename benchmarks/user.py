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
`program_figures` is the place for the program parts (dconf keys against `dconf load`, stow
links against `stow`), measured the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import resource
import sys
from pathlib import Path

import harness

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


def write_config(directory: Path, files: int, tag: str) -> Path:
    """A configuration for the running user: `files` copies of 1 KiB, each naming `tag`."""
    directory.mkdir(parents=True)
    entries = []
    for n in range(files):
        (directory / f"f{n}").write_bytes(f"{tag}{n}".encode().ljust(1024, b"."))
        entries.append(f'["~/.config/bench/{n}"] = copy_file("f{n}")')
    name = pwd.getpwuid(os.getuid()).pw_name
    (directory / "configuration.lua").write_text(
        'require("configs")\n'
        f"return {{ users = {{ [{json.dumps(name)}] = {{ files = {{\n  "
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


def program_figures(directory: Path, runs: int) -> list[harness.Figure | None]:
    """The program parts — dconf keys against `dconf load`, stow links against `stow` — are
    measured here (issue 14: 50 dconf keys with the 200 files)."""
    return []


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
        harness.print_table([*figures, *program_figures(directory, args.runs)])


if __name__ == "__main__":
    sys.exit(harness.main(benchmark))
