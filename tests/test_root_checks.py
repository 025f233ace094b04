"""`--root` is checked before anything is read (issue 17.10): an empty path, a root on a pseudo
file system (each mounted for real here: proc, sysfs, devtmpfs, cgroup2, mqueue, and a
directory inside one), and a root that is another distribution are refused with one clear line
on every command that takes --root. An empty directory and Arch (or a derivative) still plan.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodos.errors import KodosError
from kodos.system.rootcheck import checked_root, file_system_type, os_release
from tests.support.tools import require_root
from tests.test_boot import kodos

# Every command that takes --root, with the other arguments it needs.
ROOT_COMMANDS = (
    ("plan", "-c", "examples/minimal"),
    ("apply", "-c", "examples/minimal", "--yes"),
    ("facts",),
    ("generations", "list"),
    ("generations", "diff", "0", "1"),
    ("generations", "delete", "1", "--yes"),
    ("generations", "gc", "--keep", "1", "--yes"),
    ("rollback",),
)
EMPTY = 'error: --root "": an empty path; name the root directory (/ for this machine)\n'
PSEUDO = ("proc", "sysfs", "devtmpfs", "cgroup2", "mqueue")


@pytest.mark.parametrize("command", ROOT_COMMANDS, ids=" ".join)
def test_an_empty_root_is_refused_by_every_command(command: tuple[str, ...]) -> None:
    done = kodos(*command, "--root", "")
    assert (done.returncode, done.stdout, done.stderr) == (1, "", EMPTY)


@pytest.fixture(name="pseudo_mounts")
def pseudo_mounts_fixture(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """Each pseudo file system mounted at tmp_path/TYPE (unmounted afterwards)."""
    require_root()
    mounted: dict[str, Path] = {}
    try:
        for fstype in PSEUDO:
            point = tmp_path / fstype
            point.mkdir()
            subprocess.run(["mount", "-t", fstype, fstype, str(point)], check=True)
            mounted[fstype] = point
        yield mounted
    finally:
        for point in reversed(mounted.values()):
            subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.mark.system
def test_a_root_on_a_pseudo_file_system_is_refused(pseudo_mounts: dict[str, Path]) -> None:
    for fstype, point in pseudo_mounts.items():
        done = kodos("plan", "-c", "examples/minimal", "--root", point)
        expected = (
            f"error: --root {point}: on a {fstype} pseudo file system, not the root "
            "directory of a machine\n"
        )
        assert (done.returncode, done.stdout, done.stderr) == (1, "", expected)
    inside = pseudo_mounts["proc"] / "self"
    with pytest.raises(KodosError, match=f"--root {inside}: on a proc pseudo file system"):
        checked_root(str(inside))


@pytest.mark.parametrize("command", ROOT_COMMANDS, ids=" ".join)
def test_proc_is_refused_by_every_command(command: tuple[str, ...]) -> None:
    done = kodos(*command, "--root", "/proc")
    expected = (
        "error: --root /proc: on a proc pseudo file system, not the root directory of a machine\n"
    )
    assert (done.returncode, done.stdout, done.stderr) == (1, "", expected)


@pytest.mark.system
def test_a_tmpfs_root_is_a_root(tmp_path: Path) -> None:
    require_root()
    point = tmp_path / "tmpfs"
    point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(point)], check=True)
    try:
        assert file_system_type(point) == "tmpfs"
        assert checked_root(str(point)) == point
        assert file_system_type(point / "not/yet/there") == "tmpfs"
    finally:
        subprocess.run(["umount", str(point)], check=True)


# ---- another distribution ----------------------------------------------------------------

OTHERS = {
    "debian": ('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n', "etc/os-release"),
    "ubuntu": (
        'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 24.04 LTS"\n',
        "usr/lib/os-release",  # only the fallback location
    ),
    "fedora": ('NAME="Fedora Linux"\nID="fedora"\n', "etc/os-release"),
    "archlike-name": ('NAME="Not Arch"\nID=archery\nID_LIKE="archive"\n', "etc/os-release"),
}
ARCH_LIKE = {
    "arch": 'NAME="Arch Linux"\nID=arch\n',
    "endeavouros": 'NAME="EndeavourOS"\nID="endeavouros"\nID_LIKE="arch"\n',
    "manjaro": 'NAME="Manjaro Linux"\nID=manjaro\nID_LIKE="arch archlinux"\n',
}


def _root_with(tmp_path: Path, name: str, text: str, where: str = "etc/os-release") -> Path:
    root = tmp_path / name
    (root / where).parent.mkdir(parents=True)
    (root / where).write_text(text)
    return root


@pytest.mark.parametrize("name", OTHERS)
def test_another_distribution_is_refused(tmp_path: Path, name: str) -> None:
    text, where = OTHERS[name]
    root = _root_with(tmp_path, name, text, where)
    fields = os_release(root)

    done = kodos("plan", "-c", "examples/minimal", "--root", root)

    shown = fields.get("PRETTY_NAME") or fields["NAME"]
    expected = (
        f"error: --root {root}: not an Arch Linux system ({shown}, ID={fields['ID']}) and no "
        f"pacman database at {root}/var/lib/pacman/local; kodos manages Arch Linux machines\n"
    )
    assert (done.returncode, done.stdout, done.stderr) == (1, "", expected)
    assert sorted(p.name for p in root.iterdir()) == [where.split("/")[0]]  # nothing written


@pytest.mark.parametrize("name", ARCH_LIKE)
def test_arch_and_its_derivatives_plan(tmp_path: Path, name: str) -> None:
    root = _root_with(tmp_path, name, ARCH_LIKE[name], "usr/lib/os-release")
    (root / "etc").mkdir()
    (root / "etc/os-release").symlink_to("../usr/lib/os-release")  # as Arch's filesystem has it

    done = kodos("plan", "-c", "examples/minimal", "--root", root)
    assert done.returncode == 0, done.stderr


def test_an_empty_directory_plans_as_a_fresh_install(tmp_path: Path) -> None:
    done = kodos("plan", "-c", "examples/minimal", "--root", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "to add" in done.stdout


def test_a_pacman_database_makes_any_root_a_machine(tmp_path: Path) -> None:
    root = _root_with(tmp_path, "debian", *OTHERS["debian"])
    (root / "var/lib/pacman/local").mkdir(parents=True)

    done = kodos("plan", "-c", "examples/minimal", "--root", root)
    assert done.returncode == 0, done.stderr


def test_an_absolute_os_release_link_is_read_inside_the_root(tmp_path: Path) -> None:
    """Arch-style `etc/os-release -> /usr/lib/os-release` must not read the host's file."""
    root = _root_with(tmp_path, "linked", ARCH_LIKE["arch"], "usr/lib/os-release")
    (root / "etc").mkdir()
    (root / "etc/os-release").symlink_to("/usr/lib/os-release")
    assert os_release(root)["ID"] == "arch"
    outside = _root_with(tmp_path, "escaping", "ID=arch\n", "usr/lib/os-release")
    (outside / "etc").mkdir()
    (outside / "etc/os-release").symlink_to("../../../../../../etc/passwd")
    assert os_release(outside) == {"ID": "arch"}  # the escape is skipped, the fallback read
