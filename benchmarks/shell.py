"""How fast is `kodos shell`, cold and warm? (issue 15)

On a synthetic root (`base` installed, its databases synchronised from a file:// mirror) with
one 1 MiB package it lacks:

1. cold: `kodos shell --root R -p big -- true` with an empty cache (build + session) − the
   same install done bare: a fresh mount namespace, empty overlays over R's usr, etc and var,
   and `pacman -S big` into them ≤ +0.5 s;
2. warm: the same `kodos shell` again, the environment cached, whole process ≤ 0.3 s.

As root (the cache is root's, so each run gets a private mount namespace with a temporary
directory bound over /var/cache, as tests/test_shell.py does: one more interpreter start in
every kodos figure, so `kodos --help` started the same way is shown for scale). Rounds
alternate the commands, so a busy machine slows all alike. Exits 0 once it has measured; 1
if it cannot run.

    .venv/bin/python benchmarks/shell.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support

# This directory is on sys.path when a benchmark runs as a script.
from harness import Figure, print_table

from tests.support.catalog import base_packages
from tests.support.mirror import Pkg, build_mirror, write_pacman_conf
from tests.support.target import TargetRoot, make_root

COLD_MARGIN_S = 0.5
WARM_GOAL_S = 0.3
MIB = 2**20

# Root's cache is /var/cache/kodos/shell: a private mount namespace binds a scratch directory
# over /var/cache for each run, so the machine's cache is never touched.
AS_ROOT = """\
import os, sys
from pathlib import Path
from kodos.shell import namespace
namespace.enter_as_root()
namespace.bind(Path(sys.argv[1]), Path("/var/cache"))
os.execv(sys.executable, [sys.executable, "-m", "kodos", *sys.argv[2:]])
"""

# The baseline: the same install with nothing of kodos around it.
BARE_INSTALL = """\
import subprocess, sys
from pathlib import Path
from kodos.shell import namespace
root, scratch, package = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
namespace.enter_as_root()
for name in ("usr", "etc", "var"):
    upper, work = scratch / "upper" / name, scratch / "work" / name
    upper.mkdir(parents=True)
    work.mkdir(parents=True)
    namespace.overlay(root / name, [root / name], upper, work, user=False)
(scratch / "pkg").mkdir()
subprocess.run(["pacman", "--root", str(root), "--dbpath", str(root / "var/lib/pacman"),
    "--config", str(root / "etc/pacman.conf"), "--cachedir", str(scratch / "pkg"),
    "--logfile", str(scratch / "pacman.log"), "--noconfirm", "--noprogressbar",
    "-S", package], check=True, capture_output=True)
"""


def make_system(directory: Path) -> Path:
    big = Pkg("big", "1.0-1", repo="extra", files={"usr/bin/big": "#!/bin/sh\n"}, size_bytes=MIB)
    mirror = build_mirror(directory / "mirror", [*base_packages(), big])
    root = make_root(directory / "root")
    conf = write_pacman_conf(root / "etc/pacman.conf", mirror)
    TargetRoot(root, conf).install("base")
    return root


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr}")
    return time.perf_counter() - start


def measure(directory: Path, root: Path, runs: int) -> list[Figure | None]:
    shell = ["shell", "--root", str(root), "-p", "big", "--", "true"]
    warm_cache = directory / "warm-cache"
    warm_cache.mkdir(mode=0o755)
    warm_argv = [sys.executable, "-c", AS_ROOT, str(warm_cache), *shell]
    timed(warm_argv)  # builds the warm environment
    help_argv = [sys.executable, "-c", AS_ROOT, str(warm_cache), "--help"]
    cold, bare, warm, help_ = [], [], [], []
    for round_number in range(runs):
        cache = directory / f"cold-cache-{round_number}"
        cache.mkdir(mode=0o755)
        scratch = directory / f"bare-{round_number}"
        scratch.mkdir()
        cold.append(timed([sys.executable, "-c", AS_ROOT, str(cache), *shell]))
        bare.append(timed([sys.executable, "-c", BARE_INSTALL, str(root), str(scratch), "big"]))
        warm.append(timed(warm_argv))
        help_.append(timed(help_argv))
        shutil.rmtree(cache)
        shutil.rmtree(scratch)
    base = statistics.median(bare)
    return [
        Figure("pacman -S big (1 MiB) into empty overlays", base, min(bare), None, "s"),
        Figure("kodos shell -p big -- true, cold", statistics.median(cold), min(cold), None, "s"),
        Figure(
            "  cold − bare install",
            statistics.median(cold) - base,
            min(cold) - min(bare),
            COLD_MARGIN_S,
            "s",
        ),
        None,
        Figure(
            "kodos shell -p big -- true, warm", statistics.median(warm), min(warm), WARM_GOAL_S, "s"
        ),
        Figure(
            "  for scale: kodos --help, started alike",
            statistics.median(help_),
            min(help_),
            None,
            "s",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="rounds (10)")
    args = parser.parse_args()
    if os.geteuid() != 0 or shutil.which("pacman") is None or shutil.which("repo-add") is None:
        print("needs root, pacman and repo-add", file=sys.stderr)
        return 1
    directory = Path(tempfile.mkdtemp(prefix="kodos-bench-shell-"))
    try:
        root = make_system(directory)
        print(f"python {sys.version.split()[0]}, {args.runs} rounds\n")
        print_table(measure(directory, root, args.runs))
    except (RuntimeError, subprocess.CalledProcessError) as err:
        print(f"could not measure: {err}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
