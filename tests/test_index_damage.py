"""A missing, damaged or foreign index never deletes anything (issue 9.1), numbers are never
reused (9.9), and errors name the top level as the user knows it (9.10).

On a real Btrfs machine with generations 0 (the adopted @), 1 and 2 (the default), the index is
damaged in several ways; every command that would write refuses with the hint to repair and
changes nothing; `kodos generations repair` rebuilds the index from the records, the boot
entries and the subvolumes; then `generations list`, `plan` and a clean `apply` work again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from kodos.system.btrfs import list_subvolumes, mount_subvolume, top_level
from kodos.system.runner import run
from tests.support.btrfs import BtrfsMachine
from tests.test_apply import FIRST, SECOND, apply, generations, kodos, state, write_config

pytestmark = pytest.mark.system

THIRD = SECOND.replace('"second"', '"third"')
HINT = "run kodos generations repair"


def built(machine: BtrfsMachine, tmp_path: Path) -> Path:
    """Generations 1 and 2 applied; returns the second configuration."""
    assert apply(machine, write_config(tmp_path, FIRST)).returncode == 0
    second = write_config(tmp_path, SECOND, "second")
    assert apply(machine, second).returncode == 0
    return second


def top_name(machine: BtrfsMachine) -> str:
    return f"<btrfs top level of {machine.fs.device}>"


def edit_index(machine: BtrfsMachine, change: Callable[[Path], None]) -> None:
    with top_level(machine.fs) as top:
        change(top / "kodos/index.json")


def rewrite(path: Path, edit: Callable[[dict[str, object]], None]) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def set_status(data: dict[str, object]) -> None:
    data["generations"][1]["status"] = "done"  # type: ignore[index]


def other_filesystem(data: dict[str, object]) -> None:
    data["filesystem_uuid"] = "00000000-0000-0000-0000-000000000000"


DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "deleted": (
        Path.unlink,
        "{top}/kodos/index.json is missing, but kodos has built generations here "
        "(kodos/generations/1, kodos/generations/2, boot entry kodos-1, …): " + HINT,
    ),
    "empty": (
        lambda path: path.write_text(""),
        "{top}/kodos/index.json:1: not valid JSON: Expecting value; the index is damaged: " + HINT,
    ),
    "cut short": (
        lambda path: path.write_text(path.read_text()[:100]),
        "{top}/kodos/index.json:{line}: not valid JSON: {json_error}; the index is damaged: "
        + HINT,
    ),
    "wrong field": (
        lambda path: rewrite(path, set_status),
        "{top}/kodos/index.json: generations.1.status: Input should be 'building', 'ready' or "
        "'failed'; the index is damaged: " + HINT,
    ),
    "another filesystem": (
        lambda path: rewrite(path, other_filesystem),
        "{top}/kodos/index.json describes filesystem 00000000-0000-0000-0000-000000000000, not "
        "this one ({uuid}): " + HINT,
    ),
}


def json_error(text: str) -> tuple[int, str]:
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        return err.lineno, err.msg
    raise AssertionError("valid JSON")


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_index_refuses_every_write_and_repair_rebuilds_it(
    btrfs_machine: BtrfsMachine, tmp_path: Path, damage: str
) -> None:
    second = built(btrfs_machine, tmp_path)
    damaged, message = DAMAGES[damage]
    with top_level(btrfs_machine.fs) as top:
        line, error = json_error((top / "kodos/index.json").read_text()[:100])
    edit_index(btrfs_machine, damaged)
    before = state(btrfs_machine)
    expected = "error: " + message.format(
        top=top_name(btrfs_machine), uuid=btrfs_machine.fs.uuid, line=line, json_error=error
    )
    root = btrfs_machine.root
    third = write_config(tmp_path, THIRD, "third")
    for args in (
        ("apply", "-c", third, "--yes"),
        ("rollback", "1"),
        ("generations", "delete", "1", "--yes"),
        ("generations", "gc", "--keep", "0", "--yes"),
        ("plan", "-c", third),
    ):
        done = kodos(*args, "--root", root)
        assert (done.returncode, done.stderr.strip().splitlines()[-1]) == (1, expected), args
        assert "Traceback" not in done.stderr
        assert state(btrfs_machine) == before, args

    repaired = kodos("generations", "repair", "--root", root)
    assert repaired.returncode == 0, repaired.stderr
    was = "missing" if damage == "deleted" else "damaged"
    assert repaired.stdout.endswith(
        f"Rebuilt {top_name(btrfs_machine)}/kodos/index.json (it was {was}): generations 0, 1, 2;"
        " the next one is numbered 3. Nothing was deleted.\n"
    )
    assert [(g["id"], g["status"], g["default"]) for g in generations(btrfs_machine)] == [
        (0, "ready", False),
        (1, "ready", False),
        (2, "ready", True),
    ]
    after = state(btrfs_machine)
    assert {k: v for k, v in after.items() if k != "index"} == {
        k: v for k, v in before.items() if k != "index"
    }
    works_again(btrfs_machine, second, third, expected_id=3)


def works_again(machine: BtrfsMachine, current: Path, changed: Path, *, expected_id: int) -> None:
    """`plan` of the configuration that boots is empty, and a changed one applies."""
    plan = kodos("plan", "-c", current, "--root", machine.root, "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    done = apply(machine, changed)
    assert done.returncode == 0, done.stderr
    assert f"Built generation {expected_id}; it boots next." in done.stdout


def test_run_from_a_generations_own_root_without_index_nothing_is_adopted(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    """The issue's worst case: run from generation 2's root with the index gone, kodos used to
    adopt it as generation 0 and delete the others."""
    built(btrfs_machine, tmp_path)
    edit_index(btrfs_machine, Path.unlink)
    before = state(btrfs_machine)
    assert btrfs_machine.esp is not None
    with mount_subvolume(btrfs_machine.fs, "kodos/generations/2") as generation_root:
        run(["mount", "--bind", str(btrfs_machine.esp), str(generation_root / "efi")])
        try:
            third = write_config(tmp_path, THIRD, "third")
            done = kodos("apply", "-c", third, "--root", generation_root, "--yes")
        finally:
            run(["umount", str(generation_root / "efi")])
    assert done.returncode == 1
    assert done.stderr.endswith(f"): {HINT}\n")
    assert state(btrfs_machine) == before


def test_a_fresh_machine_is_still_adopted(btrfs_machine: BtrfsMachine, tmp_path: Path) -> None:
    done = apply(btrfs_machine, write_config(tmp_path, FIRST))
    assert done.returncode == 0, done.stderr
    with top_level(btrfs_machine.fs) as top:
        index = json.loads((top / "kodos/index.json").read_text())
        uuid = run(["btrfs", "subvolume", "show", str(top / "@")]).stdout
    assert index["format_version"] == "2"
    assert index["highest_id"] == 1
    adopted = index["generations"][0]
    assert (adopted["id"], adopted["subvolume"]) == (0, "@")
    assert f"UUID: {adopted['subvolume_uuid']}" in " ".join(uuid.split())


# ---- numbers are never reused ---------------------------------------------------------------


def test_numbers_grow_after_delete_gc_and_a_rebuilt_index(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    second = built(btrfs_machine, tmp_path)
    root = btrfs_machine.root
    first = tmp_path / "config"
    assert kodos("rollback", "1", "--root", root).returncode == 0
    assert kodos("generations", "delete", "2", "--root", root, "--yes").returncode == 0
    done = apply(btrfs_machine, second)
    assert "Built generation 3" in done.stdout, done.stderr  # not 2 again

    assert kodos("rollback", "1", "--root", root).returncode == 0
    assert kodos("generations", "gc", "--keep", "0", "--root", root, "--yes").returncode == 0
    assert [g["id"] for g in generations(btrfs_machine)] == [0, 1]
    # the index lost: the highest number is kept beside it
    edit_index(btrfs_machine, Path.unlink)
    assert kodos("generations", "repair", "--root", root).returncode == 0
    done = apply(btrfs_machine, second)
    assert "Built generation 4" in done.stdout, done.stderr

    # index and the file beside it lost: the records and boot entries still know 4
    with top_level(btrfs_machine.fs) as top:
        (top / "kodos/index.json").unlink()
        (top / "kodos/highest-generation").unlink()
    repaired = kodos("generations", "repair", "--root", root)
    assert repaired.stdout.endswith("the next one is numbered 5. Nothing was deleted.\n")
    done = apply(btrfs_machine, first)
    assert "Built generation 5" in done.stdout, done.stderr


def test_a_subvolume_the_index_does_not_list_keeps_its_number(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    """A generation's subvolume that nothing else remembers (no index entry, record, boot
    entry or kernel folder names 7) still takes its number: the next one is 8."""
    built(btrfs_machine, tmp_path)
    with top_level(btrfs_machine.fs) as top:
        run(["btrfs", "subvolume", "create", str(top / "kodos/generations/7")])
        try:
            done = apply(btrfs_machine, write_config(tmp_path, THIRD, "third"))
            assert "Built generation 8" in done.stdout, done.stderr
        finally:
            run(["btrfs", "subvolume", "delete", str(top / "kodos/generations/7")])


def test_an_index_of_format_1_migrates_on_its_first_write(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    second = built(btrfs_machine, tmp_path)

    def as_format_1(data: dict[str, object]) -> None:
        data["format_version"] = "1"
        del data["highest_id"]
        for generation in data["generations"]:  # type: ignore[attr-defined]
            del generation["subvolume_uuid"]

    edit_index(btrfs_machine, lambda path: rewrite(path, as_format_1))
    assert [g["id"] for g in generations(btrfs_machine)] == [0, 1, 2]
    assert kodos("rollback", "1", "--root", btrfs_machine.root).returncode == 0
    assert (
        kodos("generations", "delete", "2", "--root", btrfs_machine.root, "--yes").returncode == 0
    )
    with top_level(btrfs_machine.fs) as top:
        index = json.loads((top / "kodos/index.json").read_text())
    assert (index["format_version"], index["highest_id"]) == ("2", 2)
    done = apply(btrfs_machine, second)
    assert "Built generation 3" in done.stdout, done.stderr


# ---- errors name what the user can find -----------------------------------------------------


def test_a_damaged_record_is_named_on_the_top_level(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    built(btrfs_machine, tmp_path)
    with top_level(btrfs_machine.fs) as top:
        (top / "kodos/generations/1/var/lib/kodos/generation.json").write_text("{")
        assert "kodos/generations/1" in list_subvolumes(top)
    done = kodos("generations", "diff", "1", "2", "--root", btrfs_machine.root)
    assert done.returncode == 1
    assert done.stderr == (
        f"error: {top_name(btrfs_machine)}/kodos/generations/1/var/lib/kodos/generation.json:1: "
        "not valid JSON: Expecting property name enclosed in double quotes\n"
    )
