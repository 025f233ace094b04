"""Deletion stays inside kodos/generations/ (issue 9.2), and a missing default generation is an
error, not an empty machine (9.3) — on real Btrfs machines with generations 0 (the adopted @,
running), 1 and 2 (the default), built by `kodos apply`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kodos.system.btrfs import delete_subvolume, get_default, set_default, subvolume_uuid, top_level
from tests.support.applying import tree
from tests.support.btrfs import BtrfsMachine
from tests.test_apply import kodos, state
from tests.test_index_damage import HINT, THIRD, built, top_name, works_again, write_config

pytestmark = pytest.mark.system

Edit = Callable[[dict[str, Any], Path], None]


def entry_subvolume(gen_id: int, subvolume: str) -> Edit:
    def edit(index: dict[str, Any], top: Path) -> None:
        index["generations"][gen_id]["subvolume"] = subvolume

    return edit


def zero_through_a_link(index: dict[str, Any], top: Path) -> None:
    (top / "kodos-zero").symlink_to("@home")
    index["generations"][0]["subvolume"] = "kodos-zero"


def zero_without_uuid(index: dict[str, Any], top: Path) -> None:
    del index["generations"][0]["subvolume_uuid"]


def not_own(gen_id: int, subvolume: str) -> str:
    return (
        f"generation {gen_id}'s index entry names subvolume {subvolume!r}, not "
        f"kodos/generations/{gen_id}: kodos touches only the subvolumes it made; nothing was "
        f"changed ({HINT})"
    )


# (edit of the index, the generation asked to delete, the refusal; {top}, {home} and
# {adopted} are filled in per machine)
CASES: dict[str, tuple[Edit, int, str]] = {
    "@home": (entry_subvolume(1, "@home"), 1, not_own(1, "@home")),
    "dot-dot": (
        entry_subvolume(1, "kodos/generations/../../@home"),
        1,
        not_own(1, "kodos/generations/../../@home"),
    ),
    "another generation": (
        entry_subvolume(1, "kodos/generations/2"),
        1,
        not_own(1, "kodos/generations/2"),
    ),
    "the top level": (entry_subvolume(1, "."), 1, not_own(1, ".")),
    "absolute": (
        entry_subvolume(1, "/@home"),
        1,
        "{top}/kodos/index.json: generations.1.subvolume: String should match pattern '^[^/]'; "
        f"the index is damaged: {HINT}",
    ),
    "0 is @home": (
        entry_subvolume(0, "@home"),
        0,
        "generation 0's subvolume @home is not the one kodos adopted (its UUID is {home}, the "
        "adopted one's {adopted}): nothing was changed",
    ),
    "0 is the top level": (
        entry_subvolume(0, "."),
        0,
        "generation 0's index entry names subvolume '.', which is not a plain path below the "
        f"top level: nothing was changed ({HINT})",
    ),
    "0 through a link": (
        zero_through_a_link,
        0,
        "{top}/kodos-zero is a symbolic link: kodos will not follow it to generation 0's "
        "subvolume; nothing was changed",
    ),
    "0 without its UUID": (
        zero_without_uuid,
        0,
        "generation 0's subvolume @ has no UUID recorded at adoption (an index from an older "
        "kodos, or a rebuilt one): kodos deletes only the subvolume it adopted, so it will not "
        "delete this one; nothing was deleted",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_only_a_generations_own_subvolume_is_ever_deleted(
    btrfs_machine: BtrfsMachine, tmp_path: Path, case: str
) -> None:
    second = built(btrfs_machine, tmp_path)
    (btrfs_machine.home / "precious").write_text("the user's file\n")
    edit, gen_id, refusal = CASES[case]
    with top_level(btrfs_machine.fs) as top:
        uuids = {name: subvolume_uuid(top, name) for name in ("@", "@home")}
        path = top / "kodos/index.json"
        index = json.loads(path.read_text())
        edit(index, top)
        path.write_text(json.dumps(index))
    before, home = state(btrfs_machine), tree(btrfs_machine.home)
    expected = "error: " + refusal.format(
        top=top_name(btrfs_machine), home=uuids["@home"], adopted=uuids["@"]
    )
    commands = [("generations", "delete", str(gen_id), "--yes")]
    if gen_id:
        commands.append(("generations", "gc", "--keep", "0", "--yes"))
    for args in commands:
        done = kodos(*args, "--root", btrfs_machine.root)
        assert (done.returncode, done.stderr) == (1, expected + "\n"), args
        assert state(btrfs_machine) == before
        assert tree(btrfs_machine.home) == home

    repaired = kodos("generations", "repair", "--root", btrfs_machine.root)
    assert repaired.returncode == 0, repaired.stderr
    works_again(btrfs_machine, second, write_config(tmp_path, THIRD, "third"), expected_id=3)
    assert (btrfs_machine.home / "precious").read_text() == "the user's file\n"
    with top_level(btrfs_machine.fs) as top:
        (top / "kodos-zero").unlink(missing_ok=True)


# ---- a missing default generation ----------------------------------------------------------


def remove_behind_kodos(machine: BtrfsMachine, gen_id: int) -> None:
    """Delete generation `gen_id`'s subvolume as a user could (btrfs refuses to delete the
    default subvolume, so that becomes @ first)."""
    with top_level(machine.fs) as top:
        set_default(top, "@")
        delete_subvolume(top, f"kodos/generations/{gen_id}")


@pytest.mark.parametrize(("rolled_back_to", "gone", "recover_with"), [(None, 2, 1), (1, 1, 2)])
def test_a_missing_default_generation_is_an_error_with_a_way_out(
    btrfs_machine: BtrfsMachine,
    tmp_path: Path,
    rolled_back_to: int | None,
    gone: int,
    recover_with: int,
) -> None:
    second = built(btrfs_machine, tmp_path)
    root = btrfs_machine.root
    if rolled_back_to is not None:
        assert kodos("rollback", str(rolled_back_to), "--root", root).returncode == 0
    remove_behind_kodos(btrfs_machine, gone)
    with top_level(btrfs_machine.fs) as top:
        layout = sorted(os.listdir(top)), sorted(os.listdir(top / "kodos/generations"))
    before = state(btrfs_machine)
    expected = (
        f"error: generation {gone} boots by default, but its subvolume kodos/generations/{gone} "
        f"is missing from {top_name(btrfs_machine)}: make one that exists boot by default "
        f"(kodos rollback {recover_with}), then try again\n"
    )
    third = write_config(tmp_path, THIRD, "third")
    for args in (("plan", "-c", second), ("apply", "-c", third, "--yes")):
        done = kodos(*args, "--root", root)
        last = done.stderr.splitlines()[-1] + "\n"  # apply reports its steps before
        assert (done.returncode, last) == (1, expected), args
    assert state(btrfs_machine) == before
    with top_level(btrfs_machine.fs) as top:  # nothing created where the generation was
        assert (sorted(os.listdir(top)), sorted(os.listdir(top / "kodos/generations"))) == layout
        assert get_default(top) == "@"

    rolled = kodos("rollback", str(recover_with), "--root", root)
    assert rolled.returncode == 0, rolled.stderr
    listed = kodos("generations", "list", "--root", root)
    assert listed.returncode == 0, listed.stderr
    done = kodos("apply", "-c", third, "--root", root, "--yes")
    assert done.returncode == 0, done.stderr
    assert "Built generation 3; it boots next." in done.stdout
