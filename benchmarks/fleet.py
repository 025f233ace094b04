"""What does driving kodos through Ansible cost per machine?

The collection's module (contrib/ansible, `kodos.system.apply`) runs `kodos plan --json` on
each host in check mode; everything else — ansible-playbook starting, the inventory, packing
the module and its module_utils, a Python process per host to run it, the JSON back — is
overhead. This script measures it on three real Btrfs machines (loop images,
`tests.support.btrfs.btrfs_machine`, `base` from the catalog's mirror; root required), each
with the same per-host configuration tree as tests/test_fleet.py (a shared `common.lua` through
`--lua-path`, a `host.json` read with `require("kodos.data")`), none applied yet so every plan
has changes. `--runs` times each, alternating which goes first:

1. raw: three sequential `kodos plan --json -c HOST --root ROOT --lua-path SHARED` processes;
2. ansible: `ansible-playbook --check` of one `kodos.system.apply` task over the three hosts
   (`ansible_connection=local`), with `forks` 3 — the hosts run at once — and with `forks` 1,
   one after the other like the raw run;
3. overhead per host = (ansible − raw) / 3 — goal ≤ 0.5 s, for forks 1 (like for like) and
   forks 3 (what a fleet runs; on a machine with fewer cores than hosts its plans compete).

Beside them, `ansible-playbook` over the same hosts with a task that does nothing
(`ansible.builtin.meta: noop`): Ansible's own start, the floor under any module.

    sudo .venv/bin/python benchmarks/fleet.py [--runs 5]

Exits 0 once it has measured, whatever the figures; 1 when it cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for tests.support

from tests.support.btrfs import btrfs_machine  # noqa: E402
from tests.support.catalog import standard_packages  # noqa: E402
from tests.support.mirror import build_mirror  # noqa: E402

BIN = Path(sys.executable).parent
# Ansible refuses to start on a non-blocking stdin (which a test run may inherit); it reads
# nothing from it here.
ANSIBLE_STDIN = subprocess.DEVNULL
HOSTS = ("alpha", "beta", "gamma")
GOAL_PER_HOST_S = 0.5

COMMON = """
local M = {}
function M.machine(host)
    local packages = { "htop" }
    for _, name in ipairs(host.packages or {}) do packages[#packages + 1] = name end
    return {
        boot = { kernel = { package = "linux" } },
        network = { hostname = host.hostname },
        packages = packages,
        users = { alice = { name = "Alice", shell = "/bin/sh" } },
    }
end
return M
"""
CONFIGURATION = """
local host = require("kodos.data").json("host.json")
return require("common").machine(host)
"""
PLAYBOOK = """
- hosts: fleet
  gather_facts: false
  tasks:
    - kodos.system.apply:
        config: "{{ kodos_config }}"
        root: "{{ kodos_root }}"
        kodos_bin: "{{ kodos_bin }}"
        lua_path: ["{{ kodos_shared }}"]
"""
NOOP = """
- hosts: fleet
  gather_facts: false
  tasks:
    - ansible.builtin.meta: noop
"""


def write_tree(directory: Path, roots: dict[str, Path]) -> None:
    tree = directory / "tree"
    (tree / "shared").mkdir(parents=True)
    (tree / "shared/common.lua").write_text(COMMON)
    hosts = {}
    for host, root in roots.items():
        (tree / host).mkdir()
        (tree / host / "configuration.lua").write_text(CONFIGURATION)
        variables = {"hostname": host, "packages": ["git"] if host == "beta" else []}
        (tree / host / "host.json").write_text(json.dumps(variables))
        hosts[host] = {"kodos_root": str(root), "kodos_config": str(tree / host)}
    shared = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "kodos_bin": str(BIN / "kodos"),
        "kodos_shared": str(tree / "shared"),
    }
    inventory = {"fleet": {"hosts": hosts, "vars": shared}}
    (directory / "inventory.json").write_text(json.dumps(inventory))
    (directory / "check.yml").write_text(PLAYBOOK)
    (directory / "noop.yml").write_text(NOOP)


def raw_plans(directory: Path, roots: dict[str, Path]) -> None:
    for host, root in roots.items():
        argv = [str(BIN / "kodos"), "plan", "--json", "-c", str(directory / "tree" / host)]
        argv += ["--root", str(root), "--lua-path", str(directory / "tree/shared")]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not json.loads(done.stdout)["changes"]:
            raise SystemExit(f"kodos plan failed on {host}: {done.stderr}")


def playbook(directory: Path, name: str, forks: int) -> None:
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / "contrib/ansible"),
        "ANSIBLE_HOME": str(directory / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(directory / "ansible-tmp"),
        "ANSIBLE_FORKS": str(forks),
        "ANSIBLE_NOCOLOR": "1",
    }
    argv = [str(BIN / "ansible-playbook"), "-i", str(directory / "inventory.json"), "--check"]
    done = subprocess.run(
        [*argv, str(directory / name)], capture_output=True, text=True, env=env, stdin=ANSIBLE_STDIN
    )
    if done.returncode != 0 or (name == "check.yml" and done.stdout.count("changed: [") != 3):
        raise SystemExit(f"ansible-playbook {name} failed:\n{done.stdout}{done.stderr}")


def timed(function: Callable[[], None]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("benchmarks/fleet.py needs root (loop devices, Btrfs)", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory(prefix="kodos-bench-fleet-") as name, ExitStack() as stack:
        directory = Path(name)
        mirror = build_mirror(directory / "mirror", standard_packages())
        roots = {}
        for host in HOSTS:
            (directory / host).mkdir()
            machine = stack.enter_context(btrfs_machine(directory / host, mirror))
            roots[host] = machine.root
        write_tree(directory, roots)
        runs: dict[str, Callable[[], None]] = {
            "raw: 3 sequential kodos plan": lambda: raw_plans(directory, roots),
            "ansible --check, forks 1": lambda: playbook(directory, "check.yml", 1),
            "ansible --check, forks 3": lambda: playbook(directory, "check.yml", 3),
            "ansible, a noop task, forks 3": lambda: playbook(directory, "noop.yml", 3),
        }
        samples: dict[str, list[float]] = {label: [] for label in runs}
        for run in runs.values():  # warm-up: page cache, __pycache__, Ansible's caches
            run()
        for round_number in range(args.runs):
            order = list(runs.items())
            if round_number % 2:
                order.reverse()
            for label, run in order:
                samples[label].append(timed(run))
    report(samples, args.runs)
    return 0


def report(samples: dict[str, list[float]], runs: int) -> None:
    medians = {label: statistics.median(values) for label, values in samples.items()}
    print(f"medians of {runs} runs, three hosts")
    for label, value in medians.items():
        print(f"  {label:<32} {value:6.2f} s   (min {min(samples[label]):.2f} s)")
    raw = medians["raw: 3 sequential kodos plan"]
    for forks in (1, 3):
        per_host = (medians[f"ansible --check, forks {forks}"] - raw) / len(HOSTS)
        verdict = "PASS" if per_host <= GOAL_PER_HOST_S else "over"
        print(
            f"module overhead per host, forks {forks}: {per_host:+.2f} s "
            f"(goal ≤ {GOAL_PER_HOST_S} s) {verdict}"
        )
    # Ansible's own start is paid once per run, not per host: without it
    floor = medians["ansible, a noop task, forks 3"]
    per_host = (medians["ansible --check, forks 1"] - floor - raw) / len(HOSTS)
    print(f"  the same, forks 1, without Ansible's start (the noop run): {per_host:+.2f} s")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    sys.exit(main())
