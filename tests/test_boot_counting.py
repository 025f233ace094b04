"""Boot counting: entry file names with systemd-boot's counter, loader.conf's default chosen
as systemd-boot chooses it, and every command finding counted entries (docs/generations.md,
"Boot counting")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kodos.generations.bootentries import (
    default_entry,
    default_entry_id,
    default_entry_options,
    entry_ids,
    entry_states,
    kernel_dir_ids,
    pin_default_entry,
    remove_generation_entry,
    set_default_entry,
)
from kodos.systemd.boot import (
    BootState,
    EntryFile,
    counted_file_name,
    default_matches,
    parse_entry_file,
)
from tests.test_generations import Built, built  # noqa: F401 (the fixture)


@pytest.mark.parametrize(
    ("file_name", "parsed", "state"),
    [
        ("kodos-5.conf", EntryFile("kodos-5", None, None), BootState.GOOD),
        ("kodos-5+3.conf", EntryFile("kodos-5", 3, 0), BootState.TRIAL),
        ("kodos-5+2-1.conf", EntryFile("kodos-5", 2, 1), BootState.TRIAL),
        ("kodos-5+1-2.conf", EntryFile("kodos-5", 1, 2), BootState.TRIAL),
        ("kodos-5+0-3.conf", EntryFile("kodos-5", 0, 3), BootState.BAD),
        ("kodos-5+0.conf", EntryFile("kodos-5", 0, 0), BootState.BAD),
        ("kodos-12+10-20.conf", EntryFile("kodos-12", 10, 20), BootState.TRIAL),
    ],
)
def test_counter_forms(file_name: str, parsed: EntryFile, state: BootState) -> None:
    assert parse_entry_file(file_name) == parsed
    assert parsed.state is state


@pytest.mark.parametrize(
    "file_name", ["kodos-5+3.conf.staged", ".kodos-5+3.conf", "kodos-5+3", "kodos-5.conf~"]
)
def test_what_is_no_entry(file_name: str) -> None:
    assert parse_entry_file(file_name) is None


def test_a_new_entry_has_three_tries() -> None:
    assert counted_file_name("kodos-4") == "kodos-4+3.conf"


@pytest.mark.parametrize(
    ("pattern", "file_name", "matches"),
    [
        ("kodos-*", "kodos-5.conf", True),
        ("kodos-*", "kodos-5+0-3.conf", True),
        ("kodos-*", "arch.conf", False),
        ("kodos-5[.+]*", "kodos-5.conf", True),
        ("kodos-5[.+]*", "kodos-5+3.conf", True),
        ("kodos-5[.+]*", "kodos-5+0-3.conf", True),
        ("kodos-5[.+]*", "kodos-50.conf", False),
        ("kodos-5[.+]*", "kodos-50+3.conf", False),
        ("kodos-5[.+]*", "kodos-5+3.conf.staged", False),
        # an exact id matches the counted file under newer systemd-boot, which strips the
        # counter from the id (older ones, such as 252, do not: kodos never relies on it)
        ("kodos-5.conf", "kodos-5+2-1.conf", True),
        ("KODOS-5.CONF", "kodos-5.conf", True),  # both sides case folded
    ],
)
def test_default_patterns(pattern: str, file_name: str, matches: bool) -> None:
    assert default_matches(pattern, file_name) is matches


def entries(esp: Path, *names: str, options: str = "quiet") -> Path:
    directory = esp / "loader/entries"
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_text(f"title {name}\nversion x\noptions {options} {name}\n")
    return directory


@pytest.mark.parametrize(
    ("files", "chosen"),
    [
        (["kodos-3.conf", "kodos-4+0-3.conf", "kodos-5+2-1.conf"], 5),  # newest, on trial
        (["kodos-3.conf", "kodos-4+0-3.conf", "kodos-5+0-3.conf"], 3),  # both used up: 3
        (["kodos-3+0-3.conf", "kodos-5+0-3.conf"], 5),  # all used up: newest of them
        (["kodos-9.conf", "kodos-10+3.conf"], 10),  # numbers, not text: 10 after 9
        (["kodos-0.conf", "kodos-1+0-1.conf"], 0),  # systemd-bless-boot said bad at once
        ([], None),
    ],
)
def test_kodos_star_boots_the_newest_entry_with_tries_left(
    tmp_path: Path, files: list[str], chosen: int | None
) -> None:
    entries(tmp_path, *files)
    (tmp_path / "loader/loader.conf").write_text("default kodos-*\n")

    assert default_entry_id(tmp_path) == chosen


def test_a_pattern_matching_entries_kodos_did_not_write_is_not_resolved(tmp_path: Path) -> None:
    entries(tmp_path, "kodos-3.conf", "kodos-extra.conf")
    (tmp_path / "loader/loader.conf").write_text("default kodos-*\n")

    assert default_entry_id(tmp_path) is None


def test_the_pin_boots_its_generation_even_used_up(tmp_path: Path) -> None:
    entries(tmp_path, "kodos-3.conf", "kodos-4+0-3.conf", "kodos-5+3.conf")

    pin_default_entry(tmp_path, 4)

    assert default_entry(tmp_path) == "kodos-4[.+]*"
    assert default_entry_id(tmp_path) == 4
    assert default_entry_options(tmp_path) == ["quiet", "kodos-4+0-3.conf"]


def test_a_built_generation_is_published_then_made_the_newest_default(tmp_path: Path) -> None:
    directory = entries(tmp_path, "kodos-3.conf", "arch.conf")
    (directory / "kodos-4+3.conf.staged").write_text("title staged\nlinux /x\n")
    (tmp_path / "loader/loader.conf").write_text("timeout 3\ndefault kodos-3[.+]*\n")

    assert entry_ids(tmp_path) == [3]  # staged: no entry yet, for kodos or systemd-boot
    assert default_entry_id(tmp_path) == 3
    set_default_entry(tmp_path, 4)

    assert sorted(p.name for p in directory.iterdir()) == [
        "arch.conf",
        "kodos-3.conf",
        "kodos-4+3.conf",
    ]
    assert (tmp_path / "loader/loader.conf").read_text() == "timeout 3\ndefault kodos-*\n"
    assert default_entry_id(tmp_path) == 4
    assert entry_states(tmp_path) == {3: BootState.GOOD, 4: BootState.TRIAL}
    assert default_entry_options(tmp_path) == []  # the entry has no options line


def test_the_newest_default_pins_when_the_pattern_would_choose_another(tmp_path: Path) -> None:
    entries(tmp_path, "kodos-9.conf", "kodos-4+3.conf")

    set_default_entry(tmp_path, 4)  # an entry by hand numbered above it: pin 4

    assert default_entry(tmp_path) == "kodos-4[.+]*"
    assert default_entry_id(tmp_path) == 4


def test_removal_takes_every_counted_and_staged_file(tmp_path: Path) -> None:
    directory = entries(tmp_path, "kodos-2+0-3.conf", "kodos-2.conf", "kodos-20+1-2.conf")
    (directory / "kodos-2+3.conf.staged").write_text("x\n")
    (tmp_path / "kodos/2").mkdir(parents=True)

    remove_generation_entry(tmp_path, 2)

    assert sorted(p.name for p in directory.iterdir()) == ["kodos-20+1-2.conf"]
    assert kernel_dir_ids(tmp_path) == []


# ---- on a machine: list, rollback, repair, gc and delete with counted entries ---------------


@pytest.mark.system
def test_commands_handle_blessed_and_used_up_entries(built: Built) -> None:  # noqa: F811
    entries_dir = built.esp / "loader/entries"
    # systemd-bless-boot blessed generation 1; generation 2 used its three tries
    (entries_dir / "kodos-1+3.conf").rename(entries_dir / "kodos-1.conf")
    (entries_dir / "kodos-2+3.conf").rename(entries_dir / "kodos-2+0-3.conf")

    rows = json.loads(built.ok("generations", "list", "--json"))
    assert [(r["id"], r["default"], r["boot"]) for r in rows] == [
        (0, False, "good"),
        (1, True, "good"),  # kodos-* passes over the used-up 2: 1 boots by default
        (2, False, "bad"),
    ]
    assert built.ok("generations", "list").splitlines()[3].endswith("linux   failed to boot")

    assert built.ok("rollback", "2").startswith("Generation 2 boots by default")
    assert default_entry(built.esp) == "kodos-2[.+]*"  # pinned, used up or not
    assert [
        r["id"] for r in json.loads(built.ok("generations", "list", "--json")) if r["default"]
    ] == [2]

    built.ok("generations", "repair")
    rows = json.loads(built.ok("generations", "list", "--json"))
    assert [(r["id"], r["status"]) for r in rows] == [(0, "ready"), (1, "ready"), (2, "ready")]

    built.ok("rollback", "1")
    assert built.ok("generations", "gc", "--keep", "0", "--yes")
    assert sorted(p.name for p in entries_dir.iterdir()) == ["kodos-0.conf", "kodos-1.conf"]
    assert kernel_dir_ids(built.esp) == [0, 1]

    built.ok("rollback", "0")
    built.ok("generations", "delete", "1", "--yes")
    assert sorted(p.name for p in entries_dir.iterdir()) == ["kodos-0.conf"]
    assert kernel_dir_ids(built.esp) == [0]
