"""The Ansible collection kodos.system (contrib/ansible) driving three real machines.

ansible-core runs real playbooks with `ansible_connection=local` and `forks: 3` against three
Btrfs loop-image machines, each its own inventory host with its own `--root`. Every host's
configuration comes from one tree: a shared `common.lua` found through `--lua-path`, and a
`host.json` beside each `configuration.lua`, read with `require("kodos.data")`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kodos.system.btrfs import list_subvolumes, top_level
from tests.support.btrfs import BTRFS_TOOLS, BtrfsMachine, btrfs_machine
from tests.support.mirror import Mirror
from tests.support.tools import require_root, require_tools

pytestmark = pytest.mark.system

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / "contrib/ansible"
CALLBACKS = REPO / "tests/support/ansible_callbacks"
KODOS_BIN = Path(sys.executable).parent / "kodos"
# Ansible refuses to start on a non-blocking stdin (which a test run may inherit); it reads
# nothing from it here.
ANSIBLE_STDIN = subprocess.DEVNULL
HOSTS = ("alpha", "beta", "gamma")
PASSWORD = "Fleet-s3cret-PW-7781"

COMMON = f"""
-- shared by every host of the fleet
local M = {{}}
function M.machine(host)
    local packages = {{ "htop" }}
    for _, name in ipairs(host.packages or {{}}) do packages[#packages + 1] = name end
    return {{
        boot = {{ kernel = {{ package = "linux", options = {{ "quiet" }} }} }},
        network = {{ hostname = host.hostname }},
        packages = packages,
        users = {{ alice = {{ name = "Alice", shell = "/bin/sh", password = "{PASSWORD}" }} }},
    }}
end
return M
"""
CONFIGURATION = """
local common = require("common")
local host = require("kodos.data").json("host.json")
return common.machine(host)
"""

PLAYBOOK = """
- hosts: fleet
  gather_facts: false
  tasks:
    - name: kodos
      kodos.system.apply:
        config: "{{ kodos_config }}"
        root: "{{ kodos_root }}"
        kodos_bin: "{{ kodos_bin }}"
        lua_path: ["{{ kodos_shared }}"]
      register: kodos
    - name: generations
      kodos.system.generations:
        root: "{{ kodos_root }}"
        kodos_bin: "{{ kodos_bin }}"
      when: not ansible_check_mode
"""


@dataclass(frozen=True)
class Fleet:
    machines: dict[str, BtrfsMachine]
    tree: Path
    """The configuration tree: shared/common.lua and HOST/{configuration.lua,host.json}."""
    directory: Path

    def host_json(self, host: str, **variables: object) -> None:
        (self.tree / host / "host.json").write_text(json.dumps({"hostname": host, **variables}))

    def playbook(self, *options: str, playbook: Path | None = None) -> Run:
        """`ansible-playbook` over the whole fleet: its output, each task's results per host
        (tests/support/ansible_callbacks) and how long it took."""
        results = self.directory / "results.json"
        results.unlink(missing_ok=True)
        env = {
            **os.environ,
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
            "ANSIBLE_HOME": str(self.directory / "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": str(self.directory / "ansible-tmp"),
            "ANSIBLE_FORKS": "3",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
            "ANSIBLE_CALLBACKS_ENABLED": "record_results",
            "KODOS_TEST_ANSIBLE_RESULTS": str(results),
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        }
        argv = [str(Path(sys.executable).parent / "ansible-playbook")]
        if playbook is None:
            argv += ["-i", str(self.directory / "inventory.json")]
        argv += [*options, str(playbook or self.directory / "playbook.yml")]
        started = time.monotonic()
        done = subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=600, stdin=ANSIBLE_STDIN
        )
        seconds = time.monotonic() - started
        return Run(done, json.loads(results.read_text()) if results.exists() else {}, seconds)

    def subvolumes(self, host: str) -> list[str]:
        with top_level(self.machines[host].fs) as top:
            return list_subvolumes(top)


@dataclass(frozen=True)
class Run:
    done: subprocess.CompletedProcess[str]
    recorded: dict[str, dict[str, dict[str, Any]]]
    seconds: float

    @property
    def output(self) -> str:
        return self.done.stdout + self.done.stderr

    def results(self, task: str = "kodos") -> dict[str, dict[str, Any]]:
        """Each host's result of `task`."""
        assert task in self.recorded, f"no results of task {task}:\n{self.output}"
        return self.recorded[task]


@pytest.fixture(name="fleet", scope="module")
def fleet_fixture(
    tmp_path_factory: pytest.TempPathFactory, standard_mirror: Mirror
) -> Iterator[Fleet]:
    require_tools(*BTRFS_TOOLS)
    require_root()
    directory = tmp_path_factory.mktemp("fleet")
    tree = directory / "tree"
    (tree / "shared").mkdir(parents=True)
    (tree / "shared/common.lua").write_text(COMMON)
    with ExitStack() as stack:
        machines = {}
        for host in HOSTS:
            (tree / host).mkdir()
            (tree / host / "configuration.lua").write_text(CONFIGURATION)
            (directory / host).mkdir()
            machines[host] = stack.enter_context(btrfs_machine(directory / host, standard_mirror))
        fleet = Fleet(machines, tree, directory)
        for host in HOSTS:
            fleet.host_json(host, packages=["git"] if host == "beta" else [])
        _write_inventory(fleet)
        (directory / "playbook.yml").write_text(PLAYBOOK)
        yield fleet


def _write_inventory(fleet: Fleet) -> None:
    hosts = {
        host: {"kodos_root": str(machine.root), "kodos_config": str(fleet.tree / host)}
        for host, machine in fleet.machines.items()
    }
    shared = {
        "ansible_connection": "local",
        "kodos_bin": str(KODOS_BIN),
        "kodos_shared": str(fleet.tree / "shared"),
    }
    inventory = {"fleet": {"hosts": hosts, "vars": shared}}
    (fleet.directory / "inventory.json").write_text(json.dumps(inventory))


def kodos(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KODOS_BIN), *map(str, args)], capture_output=True, text=True)


def test_a_fleet_is_planned_applied_and_left_alone(fleet: Fleet) -> None:
    """Check mode changes nothing and says which hosts would change; apply builds a generation
    on each that needs one; a second run changes nothing; -vvv never shows the password."""
    # gamma already matches its configuration: applied once by hand, outside Ansible, with
    # the JSON result the module reads: on stdout alone, the plan's text on stderr
    gamma = fleet.machines["gamma"]
    by_hand = kodos("apply", "-c", fleet.tree / "gamma", "--root", gamma.root, "--yes",
                    "--json", "--lua-path", fleet.tree / "shared")  # fmt: skip
    assert by_hand.returncode == 0, by_hand.stderr
    document = json.loads(by_hand.stdout)
    plan = document.pop("plan")
    assert document == {
        "format_version": "1",
        "changed": True,
        "generation": 1,
        "parent": None,
        "reboot_required": True,
        "notes": [],
    }
    counts = {key: plan["summary"][key] for key in ("add", "change", "destroy")}
    assert counts == {"add": 7, "change": 0, "destroy": 0}  # the packages and the mirror list
    assert "+ pacman.package[htop]" in by_hand.stderr
    assert PASSWORD not in by_hand.stdout + by_hand.stderr
    again = kodos("apply", "-c", fleet.tree / "gamma", "--root", gamma.root, "--yes",
                  "--json", "--lua-path", fleet.tree / "shared")  # fmt: skip
    nothing = json.loads(again.stdout)
    assert (nothing["changed"], nothing["generation"], nothing["parent"]) == (False, None, 1)
    assert (nothing["reboot_required"], nothing["plan"]["changes"]) == (False, [])
    before = {host: fleet.subvolumes(host) for host in HOSTS}

    checked = fleet.playbook("--check", "--diff")
    print(f"check mode over three hosts: {checked.seconds:.1f} s")
    assert checked.done.returncode == 0, checked.output
    results = checked.results()
    assert {host: r["changed"] for host, r in results.items()} == {
        "alpha": True,
        "beta": True,
        "gamma": False,
    }
    planned = {host: {c["address"] for c in r["plan"]["changes"]} for host, r in results.items()}
    # git and what pacman pulls in with it
    assert planned["beta"] - planned["alpha"] == {
        f"pacman.package[{name}]" for name in ("git", "curl", "openssl", "zlib")
    }
    assert {"pacman.package[htop]", "users.user[alice]"} <= planned["alpha"]
    assert planned["gamma"] == set()
    assert "generation" not in results["alpha"]
    assert {host: fleet.subvolumes(host) for host in HOSTS} == before
    assert '+password = "(sensitive)"' in checked.output
    assert PASSWORD not in checked.output

    applied = fleet.playbook("-vvv")
    print(f"apply over three hosts: {applied.seconds:.1f} s")
    assert applied.done.returncode == 0, applied.output
    results = applied.results()
    assert {
        h: (r["changed"], r["generation"], r["reboot_required"]) for h, r in results.items()
    } == {
        "alpha": (True, 1, True),
        "beta": (True, 1, True),
        "gamma": (False, None, False),
    }
    assert results["alpha"]["msg"] == (
        "Plan: 7 to add, 0 to change, 0 to destroy; built generation 1, which boots next"
    )
    facts = applied.results("generations")
    for host in HOSTS:
        generations = facts[host]["ansible_facts"]["kodos_generations"]
        assert [g["id"] for g in generations["list"]] == [0, 1]
        assert (generations["default"], generations["running"]) == (1, 0)
        assert generations["reboot_required"] is True
    assert (fleet.machines["beta"].root / "etc/hostname").exists() is False  # not the running one
    assert "kodos/generations/1" in fleet.subvolumes("beta")
    assert PASSWORD not in applied.output

    again = fleet.playbook()
    print(f"an unchanged fleet: {again.seconds:.1f} s")
    assert again.done.returncode == 0, again.output
    assert {host: r["changed"] for host, r in again.results().items()} == dict.fromkeys(
        HOSTS, False
    )
    assert PASSWORD not in again.output


def test_diff_mode_shows_the_plan_and_a_broken_host_fails_alone(fleet: Fleet) -> None:
    """beta's configuration breaks: it fails with kodos's located error, in check mode and
    out of it, while alpha plans (its diff the plan) and then builds its next generation."""
    fleet.host_json("alpha", packages=["neovim"])
    next_alpha = (default_generation(fleet.machines["alpha"]) or 0) + 1
    configuration = fleet.tree / "beta/configuration.lua"
    good = configuration.read_text()
    configuration.write_text(good.replace("return common", "return = common"))
    broken = f"error: {configuration}:4: unexpected symbol near '='"
    try:
        shown = fleet.playbook("--check", "--diff")
        assert shown.done.returncode == 2, shown.output  # a host failed
        neovim = (
            "--- before: pacman.package[neovim]\n"
            "+++ after: pacman.package[neovim] (created)\n"
            "@@ -0,0 +1,2 @@\n"
            '+reason = "explicit"\n'
            '+version = "'
        )
        assert neovim in shown.output
        assert shown.results()["beta"]["msg"] == broken
        assert PASSWORD not in shown.output

        ran = fleet.playbook()
        assert ran.done.returncode == 2, ran.output
        results = ran.results()
        assert (results["beta"]["failed"], results["beta"]["msg"]) == (True, broken)
        assert "Traceback" not in ran.output
        assert (results["alpha"]["changed"], results["alpha"]["generation"]) == (True, next_alpha)
        assert "failed" not in results["gamma"]
        assert PASSWORD not in ran.output
    finally:
        configuration.write_text(good)


def default_generation(machine: BtrfsMachine) -> int | None:
    done = kodos("generations", "list", "--json", "--root", machine.root)
    assert done.returncode == 0, done.stderr
    # no generations yet: an empty list
    return next((g["id"] for g in json.loads(done.stdout) if g["default"]), None)


EXAMPLE = COLLECTIONS / "example"
EXAMPLE_HOSTS = {"laptop": "alpha", "desktop": "beta", "lab-1": "gamma"}


def test_the_example_playbook_copies_and_plans_each_machine(fleet: Fleet) -> None:
    """contrib/ansible/example's first play, as written, on the three machines (its inventory's
    hosts mapped onto them): each gets its configuration, the shared modules and its host.json,
    and a plan of its own; the password hash shows nowhere."""
    local = fleet.directory / "example"
    roots = {
        host: {"kodos_root": str(fleet.machines[machine].root)}
        for host, machine in EXAMPLE_HOSTS.items()
    }
    local.mkdir()
    (local / "machines.json").write_text(json.dumps({"kodos_fleet": {"hosts": roots}}))
    overrides = {
        "ansible_connection": "local",
        "ansible_become": False,
        "kodos_config_dir": f"{local}/{{{{ inventory_hostname }}}}",
        "kodos_shared_dir": f"{local}/shared",
        "kodos_bin": str(KODOS_BIN),
    }
    (local / "overrides.json").write_text(json.dumps(overrides))
    inventories = ["-i", str(EXAMPLE / "inventory.yml"), "-i", str(local / "machines.json")]
    options = [*inventories, "-e", f"@{local / 'overrides.json'}", "--tags", "plan", "-vvv"]
    ran = fleet.playbook(*options, playbook=EXAMPLE / "site.yml")
    assert ran.done.returncode == 0, ran.output

    assert (local / "shared/common.lua").read_text() == (
        EXAMPLE / "tree/shared/common.lua"
    ).read_text()
    host = json.loads((local / "lab-1/host.json").read_text())
    assert (host["hostname"], host["packages"]) == ("lab-1", ["python", "gcc", "make"])
    plans = ran.results("Plan (check mode; with --diff, the plan per resource)")
    planned = {h: {c["address"] for c in r["plan"]["changes"]} for h, r in plans.items()}
    assert "pacman.package[bluez]" in planned["laptop"] - planned["desktop"]
    assert "pacman.package[firefox]" in planned["desktop"] - planned["laptop"]
    assert "services.unit[cups.service]" in planned["lab-1"] - planned["laptop"]
    assert all(r["changed"] for r in plans.values())
    assert "$6$kU.7yTW8t1moJO3R$" not in ran.output
