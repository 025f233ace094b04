"""A saved plan is applied as shown or not at all (issue 9.5), and it names its configuration
absolutely (17.10): on a real Btrfs machine, `kodos apply FILE` refuses a plan file whose
changes differ in any way from what a fresh plan makes, naming the first difference, and
builds nothing; the unedited file then applies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.btrfs import BtrfsMachine
from tests.support.mirror import Pkg, package_bytes
from tests.test_apply import FIRST, REPO, SECOND, apply_saved, generations, kodos, state
from tests.test_index_damage import write_config

pytestmark = pytest.mark.system

Plan = dict[str, Any]


def address_with(plan: Plan, key: str) -> int:
    """The position of the first change whose `after` has `key`."""
    return next(i for i, c in enumerate(plan["changes"]) if key in (c["after"] or {}))


def edit_action(plan: Plan, config: Path) -> str:
    change = plan["changes"][0]
    was, change["action"] = change["action"], "delete"
    return f"{change['address']}: it says delete, a fresh plan says {was}"


def edit_after(plan: Plan, config: Path) -> str:
    change = plan["changes"][address_with(plan, "shell")]
    change["after"]["shell"] = "/bin/zsh"
    return f'{change["address"]}: after.shell: it has "/bin/zsh", a fresh plan has "/bin/sh"'


def edit_before(plan: Plan, config: Path) -> str:
    change = plan["changes"][0]
    change["before"] = {"version": "0.1-1"}
    return f'{change["address"]}: before: it has {{"version": "0.1-1"}}, a fresh plan has null'


def add_change(plan: Plan, config: Path) -> str:
    extra = {**plan["changes"][0], "address": "pacman.package[evil]", "name": "evil"}
    plan["changes"].append(extra)
    return f"it lists {extra['action']} pacman.package[evil], a fresh plan does not"


def remove_change(plan: Plan, config: Path) -> str:
    removed = plan["changes"].pop()
    return f"a fresh plan also has {removed['action']} {removed['address']}, it does not"


EDITS: dict[str, Callable[[Plan, Path], str]] = {
    "action": edit_action,
    "after": edit_after,
    "before": edit_before,
    "added": add_change,
    "removed": remove_change,
}


@pytest.mark.parametrize("edit", EDITS)
def test_an_edited_plan_is_refused_naming_the_first_difference(
    btrfs_machine: BtrfsMachine, tmp_path: Path, edit: str
) -> None:
    config = write_config(tmp_path, FIRST)
    saved = tmp_path / "plan.json"
    made = kodos("plan", "-c", config, "--root", btrfs_machine.root, "--out", saved)
    assert made.returncode == 0, made.stderr
    original = saved.read_text()
    plan = json.loads(original)
    difference = EDITS[edit](plan, config)
    saved.write_text(json.dumps(plan))
    before = state(btrfs_machine)

    refused = apply_saved(btrfs_machine, saved)

    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1] == (
        f"error: {saved} is not what kodos would apply: {difference}; nothing was applied "
        "(make a new plan and review it)"
    )
    assert [g["id"] for g in generations(btrfs_machine)] == [0]  # adopted, nothing built
    after = state(btrfs_machine)
    assert (after["subvolumes"], after["entries"]) == (before["subvolumes"], before["entries"])
    saved.write_text(original)
    done = apply_saved(btrfs_machine, saved)
    assert done.returncode == 0, done.stderr
    assert "Built generation 1; it boots next." in done.stdout


def test_a_plan_pointed_at_another_configuration_is_stale(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FIRST)
    other = write_config(tmp_path, SECOND, "other")
    saved = tmp_path / "plan.json"
    assert kodos("plan", "-c", config, "--root", btrfs_machine.root, "--out", saved).returncode == 0
    plan = json.loads(saved.read_text())
    plan["config"]["path"] = str(other / "configuration.lua")
    saved.write_text(json.dumps(plan))

    refused = apply_saved(btrfs_machine, saved)

    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1] == (
        f"error: {saved} is stale: {other}/configuration.lua (or a file it requires) changed; "
        "make a new plan"
    )
    assert [g["id"] for g in generations(btrfs_machine)] == [0]


def test_a_plan_made_with_a_relative_config_applies_from_anywhere(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    write_config(tmp_path, FIRST)
    saved = tmp_path / "plan.json"
    argv = ["plan", "-c", "config", "--root", str(btrfs_machine.root), "--out", str(saved)]
    made = subprocess.run(
        [sys.executable, "-m", "kodos", *argv],
        cwd=tmp_path,  # -c config is relative to here
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert json.loads(saved.read_text())["config"]["path"] == f"{tmp_path}/config/configuration.lua"

    done = apply_saved(btrfs_machine, saved)  # run from the repository, not tmp_path

    assert done.returncode == 0, done.stderr
    assert "Built generation 1; it boots next." in done.stdout


def test_a_plan_whose_sync_databases_moved_is_stale(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    """`pacman -Sy` between plan and apply: the same change list would install what the
    databases now offer, not what the plan was made with, so the plan is stale (9.5)."""
    config = write_config(tmp_path, FIRST)
    saved = tmp_path / "plan.json"
    assert kodos("plan", "-c", config, "--root", btrfs_machine.root, "--out", saved).returncode == 0
    offer_one_more_package(btrfs_machine.root / "var/lib/pacman/sync/extra.db", tmp_path)

    refused = apply_saved(btrfs_machine, saved)

    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1] == (
        f"error: {saved} is stale: the sync databases changed since the plan was made (pacman "
        "would install other versions); make a new plan"
    )
    assert [g["id"] for g in generations(btrfs_machine)] == [0]
    assert kodos("plan", "-c", config, "--root", btrfs_machine.root, "--out", saved).returncode == 0
    done = apply_saved(btrfs_machine, saved)
    assert done.returncode == 0, done.stderr


def offer_one_more_package(database: Path, scratch: Path) -> None:
    """What a `pacman -Sy` that brought a new package does to `database`, by the real
    repo-add (which wants the archive's own suffix)."""
    archive = scratch / "extra.db.tar.gz"
    archive.write_bytes(database.read_bytes())
    package = Pkg("newcomer", "1.0-1", repo="extra")
    (scratch / package.filename).write_bytes(package_bytes(package))
    subprocess.run(
        ["repo-add", "--quiet", "--nocolor", str(archive), str(scratch / package.filename)],
        check=True,
        capture_output=True,
    )
    database.write_bytes(archive.read_bytes())
