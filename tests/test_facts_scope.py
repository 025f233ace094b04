"""What facts can speak for: the files kodos writes on its own account, and the addresses a
reading that lists only what it is asked never looked at."""

from __future__ import annotations

from pathlib import Path

from kodos.desired.written import FIXED_PATHS, written_paths
from kodos.plan.machine import MachineState
from kodos.resources import ResourceSet

UNITS = "etc/systemd/system"


def test_kodos_own_files_are_the_fixed_ones_the_mount_units_and_shipped_settings(
    tmp_path: Path,
) -> None:
    units = tmp_path / UNITS
    units.mkdir(parents=True)
    for name in ("mnt-data.mount", "mnt-data.automount", "sshd.service", "x.mount.d"):
        (units / name).write_text("")

    paths = written_paths(tmp_path)

    assert set(FIXED_PATHS) <= set(paths)
    assert "/etc/ssh/sshd_config.d/10-kodos.conf" in paths  # openssh's shipped expansion
    assert sorted(p for p in paths if p.startswith("/etc/systemd/")) == [
        "/etc/systemd/system/mnt-data.automount",
        "/etc/systemd/system/mnt-data.mount",
    ]


def test_mount_units_are_listed_inside_the_root_never_through_a_link_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "host-only.mount").write_text("")
    root = tmp_path / "root"
    (root / "etc/systemd").mkdir(parents=True)
    (root / UNITS).symlink_to(outside)  # absolute: inside the root it names root/…/outside

    assert not [p for p in written_paths(root) if p.endswith(".mount")]


def reading(scope: frozenset[str] | None) -> MachineState:
    return MachineState("facts:f.json", ResourceSet(), None, frozenset(), (), scope)


ASKED = ["aur.package[yay]", "files.file[/etc/motd]", "pacman.package[htop]", "users.user[sam]"]


def test_without_a_recorded_scope_nothing_of_a_partial_reader_is_known() -> None:
    assert reading(None).unread(ASKED) == ["aur.package[yay]", "files.file[/etc/motd]"]


def test_a_path_read_as_a_symlink_is_read_as_a_file_too() -> None:
    scope = frozenset({"files.symlink[/etc/motd]"})

    assert reading(scope).unread(ASKED) == ["aur.package[yay]"]
    assert reading(scope | {"aur.package[yay]"}).unread(ASKED) == []
