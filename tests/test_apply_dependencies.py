"""`kodos apply` on a real Btrfs machine installs exactly what the plan said pacman would pull
in, as dependencies, and removes with `-Rs` exactly what the plan said it would take along
(issue 12.1). The plan is read as JSON before each apply; the generation's own pacman
database is asked afterwards (`-Qdq`, `-Qeq`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kodos.system.btrfs import top_level
from tests.support.btrfs import BtrfsMachine
from tests.support.target import TargetRoot
from tests.test_apply import FIRST, apply, kodos, write_config

pytestmark = pytest.mark.system

DECLARED = ("pipewire-pulse", "zsh-autosuggestions")
WITH = FIRST.replace('"htop"', '"htop", ' + ", ".join(f'"{name}"' for name in DECLARED))


def planned(machine: BtrfsMachine, config: Path) -> dict[str, object]:
    done = kodos("plan", "-c", config, "--root", machine.root, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def by_reason(plan: dict[str, object], reason: str) -> dict[str, str]:
    changes = plan["changes"]
    assert isinstance(changes, list)
    return {c["name"]: c["dependency_of"] for c in changes if c["reason"] == reason}


def queried(machine: BtrfsMachine, generation: int, flag: str) -> set[str]:
    with top_level(machine.fs) as top:
        root = top / f"kodos/generations/{generation}"
        return set(TargetRoot(root, root / "etc/pacman.conf").query(flag))


def test_apply_installs_and_removes_what_the_plan_said(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    first = write_config(tmp_path, FIRST, "first")
    assert apply(btrfs_machine, first).returncode == 0
    before = queried(btrfs_machine, 1, "-Qq")
    config = write_config(tmp_path, WITH, "with")

    plan = planned(btrfs_machine, config)
    pulled = by_reason(plan, "pulled_in")
    done = apply(btrfs_machine, config)

    assert done.returncode == 0, done.stderr
    assert pulled == {"pipewire": "pipewire-pulse", "zsh": "zsh-autosuggestions"}
    assert "  + pacman.package[pipewire]  (dependency of pipewire-pulse)  " in done.stdout
    installed = queried(btrfs_machine, 2, "-Qq") - before
    assert installed == {*DECLARED, *pulled}
    assert queried(btrfs_machine, 2, "-Qdq") & installed == set(pulled)
    assert queried(btrfs_machine, 2, "-Qeq") & installed == set(DECLARED)

    plan = planned(btrfs_machine, first)
    taken = by_reason(plan, "taken_along")
    done = apply(btrfs_machine, first)

    assert done.returncode == 0, done.stderr
    assert taken == {"pipewire": "pipewire-pulse", "zsh": "zsh-autosuggestions"}
    assert queried(btrfs_machine, 3, "-Qq") == before
