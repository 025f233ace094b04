"""Links out of the generation or the ESP on a real Btrfs machine, through the CLI.

The running root (which every generation is snapshotted from) links pacman's log out of it;
the ESP's `kodos/N` is a link; the ESP's `kodos` leads out of it. After each: the victims on the
host are byte-identical, `generations delete` goes through whole, and the next apply works.
(tests/test_links_out_of_roots.py tries every kind of link on each path.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kodos.system import btrfs
from kodos.system.btrfs import top_level
from tests.support.applying import tree
from tests.support.btrfs import BtrfsMachine
from tests.test_apply import FIRST, SECOND, apply, generations, kodos, write_config

pytestmark = pytest.mark.system

THIRD = SECOND.replace('"second"', '"third"')


@pytest.fixture
def host(tmp_path: Path) -> Path:
    directory = tmp_path / "host"
    directory.mkdir()
    (directory / "victim").write_bytes(b"a host file: must stay byte-identical\n")
    (directory / "vmlinuz-linux").write_bytes(b"not kodos's\n")
    return directory


def esp(machine: BtrfsMachine) -> Path:
    assert machine.esp is not None
    return machine.esp


def leading_out(victim: Path, link: str) -> str:
    """A link target that leaves the root for `victim` on the host: by an absolute path, by
    climbing with `..`, or dangling."""
    targets = {
        "absolute": str(victim),
        "relative": "../" * 30 + str(victim).lstrip("/"),
        "dangling": "/kodos-no-such-directory/" + victim.name,
    }
    return targets[link]


def two_applies_leave_the_host_alone(machine: BtrfsMachine, tmp_path: Path, host: Path) -> None:
    before = tree(host)
    for config in (FIRST, SECOND):
        done = apply(machine, write_config(tmp_path, config))
        assert done.returncode == 0, done.stderr
    assert tree(host) == before
    assert [g["id"] for g in generations(machine)] == [0, 1, 2]


@pytest.mark.parametrize("link", ["absolute", "relative", "dangling"])
def test_pacmans_log_linked_out_of_the_root_stays_in_the_generation(
    btrfs_machine: BtrfsMachine, tmp_path: Path, host: Path, link: str
) -> None:
    log = btrfs_machine.root / "var/log/pacman.log"
    log.unlink()
    log.symlink_to(leading_out(host / "victim", link))

    two_applies_leave_the_host_alone(btrfs_machine, tmp_path, host)


@pytest.mark.parametrize("link", ["absolute", "relative", "dangling", "inside"])
def test_generations_delete_removes_a_link_at_esp_kodos_n_and_later_applies_work(
    btrfs_machine: BtrfsMachine, tmp_path: Path, host: Path, link: str
) -> None:
    for config in (FIRST, SECOND):
        assert apply(btrfs_machine, write_config(tmp_path, config)).returncode == 0
    kernels = esp(btrfs_machine) / "kodos/1"
    targets = {
        "absolute": str(host),
        "relative": "../../" * 20 + str(host).lstrip("/"),
        "dangling": "/kodos-no-such-directory",
        "inside": "../loader",
    }
    for path in sorted(kernels.iterdir()):
        path.unlink()
    kernels.rmdir()
    kernels.symlink_to(targets[link])
    before, loader = tree(host), tree(esp(btrfs_machine) / "loader")
    entries = esp(btrfs_machine) / "loader/entries"
    kept = sorted(name for name in os.listdir(entries) if name != "kodos-1+3.conf")

    done = kodos("generations", "delete", "1", "--root", btrfs_machine.root, "--yes")

    assert done.returncode == 0, done.stderr
    assert not kernels.is_symlink() and not kernels.exists()
    assert tree(host) == before
    assert sorted(os.listdir(entries)) == kept
    loader.pop("entries/kodos-1+3.conf")
    assert tree(esp(btrfs_machine) / "loader") == loader  # `inside`: nothing emptied there
    done = apply(btrfs_machine, write_config(tmp_path, THIRD))
    assert done.returncode == 0, done.stderr
    assert [g["id"] for g in generations(btrfs_machine)] == [0, 2, 3]


def test_an_esp_whose_kodos_directory_leads_out_is_refused_and_nothing_outside_changes(
    btrfs_machine: BtrfsMachine, tmp_path: Path, host: Path
) -> None:
    assert apply(btrfs_machine, write_config(tmp_path, FIRST)).returncode == 0
    kodos_dir = esp(btrfs_machine) / "kodos"
    kodos_dir.rename(esp(btrfs_machine) / "kodos-real")
    (host / "2").mkdir()
    (host / "2/vmlinuz-linux").write_bytes(b"not kodos's either\n")
    kodos_dir.symlink_to(host)
    before = tree(host)

    done = apply(btrfs_machine, write_config(tmp_path, SECOND))

    assert done.returncode == 1
    assert f"{kodos_dir} is a link out of the ESP" in done.stderr
    assert "Traceback" not in done.stderr
    assert tree(host) == before
    assert [g["id"] for g in generations(btrfs_machine)] == [0, 1]

    kodos_dir.unlink()
    (esp(btrfs_machine) / "kodos-real").rename(kodos_dir)
    done = apply(btrfs_machine, write_config(tmp_path, SECOND))
    assert done.returncode == 0, done.stderr
    # the refused build used up number 2: numbers are never reused
    assert [g["id"] for g in generations(btrfs_machine)] == [0, 1, 3]
    assert sorted(os.listdir(kodos_dir)) == ["1", "3"]


@pytest.mark.parametrize(
    "link", ["kodos/generations/9", "kodos/generations"], ids=["subvolume", "directory"]
)
def test_btrfs_never_follows_a_link_on_the_top_level(
    btrfs_machine: BtrfsMachine, link: str
) -> None:
    """A link at `kodos/generations/9` (or `kodos/generations`) to `@home`: deleting,
    snapshotting to or reading generation 9 is refused, and `@home` stays."""
    (btrfs_machine.home / "alice-file").write_text("mine\n")
    with top_level(btrfs_machine.fs) as top:
        (top / link).parent.mkdir(parents=True, exist_ok=True)
        (top / link).symlink_to("../" * link.count("/") + "@home")
        message = f"refusing subvolume kodos/generations/9: {link} on the top level is a link"
        for attempt in (
            lambda: btrfs.delete_subvolume(top, "kodos/generations/9"),
            lambda: btrfs.subvolume_id(top, "kodos/generations/9"),
            lambda: btrfs.snapshot(top, "kodos/generations/9", "kodos/other"),
        ):
            with pytest.raises(btrfs.BtrfsError) as raised:
                attempt()
            assert str(raised.value) == message
        assert "@home" in btrfs.list_subvolumes(top)
    assert (btrfs_machine.home / "alice-file").read_text() == "mine\n"


@pytest.mark.parametrize("link", ["absolute", "relative", "dangling"])
def test_the_record_directory_linked_out_of_the_root_keeps_the_record_in_the_generation(
    btrfs_machine: BtrfsMachine, tmp_path: Path, host: Path, link: str
) -> None:
    """`var/lib/kodos` (where each generation keeps its record) linked out of the running
    root: the record is written and read inside the new generation, never on the host."""
    records = btrfs_machine.root / "var/lib/kodos"
    if records.exists():
        records.rmdir()
    records.parent.mkdir(parents=True, exist_ok=True)
    target = leading_out(host, link)
    records.symlink_to(target)

    two_applies_leave_the_host_alone(btrfs_machine, tmp_path, host)

    # the link means the generation's own directory there, as chroot would resolve it
    inside = Path(target) if link != "relative" else host
    with top_level(btrfs.filesystem_of(btrfs_machine.root)) as top:
        generation = top / "kodos/generations/2"
        assert (generation / str(inside).lstrip("/") / "generation.json").is_file()
