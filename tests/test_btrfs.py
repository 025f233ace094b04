"""kodos.system.btrfs and kodos.system.mountns on real Btrfs filesystems on loop images (tests/support/btrfs.py),
and the fixture's own promise: nothing stays mounted or attached after a test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kodos.system import btrfs
from kodos.system.btrfs import BtrfsError, NotOnBtrfs, SubvolumeBusy
from kodos.system.runner import run
from tests.support.btrfs import (
    BTRFS_TOOLS,
    BtrfsMachine,
    attached_loops,
    btrfs_machine,
    mounts_under,
)
from tests.support.mirror import Mirror
from tests.support.tools import require_root, require_tools

REPO = Path(__file__).resolve().parent.parent
GENERATION = "kodos/generations/1"


@contextmanager
def tmpfs(where: Path) -> Iterator[Path]:
    where.mkdir()
    run(["mount", "-t", "tmpfs", "kodos-test", str(where)])
    try:
        yield where
    finally:
        run(["umount", str(where)])


# ---- which filesystem, which subvolume ------------------------------------------------------


@pytest.mark.system
def test_filesystem_and_subvolume_of_the_machines_mounts(btrfs_machine: BtrfsMachine) -> None:
    machine = btrfs_machine
    uuid = run(["blkid", "-p", "-s", "UUID", "-o", "value", machine.fs.device]).stdout.strip()
    assert machine.fs == btrfs.Filesystem(device=f"{machine.loop}p2", uuid=uuid)
    for path in (machine.root, machine.home, machine.root / "usr/bin"):
        assert btrfs.filesystem_of(path) == machine.fs
    assert btrfs.subvolume_of(machine.root) == "@"
    assert btrfs.subvolume_of(machine.root / "etc/pacman.conf") == "@"
    assert btrfs.subvolume_of(machine.home) == "@home"
    with btrfs.top_level(machine.fs) as top:
        assert btrfs.subvolume_of(top) == ""
        assert btrfs.filesystem_of(top / "@") == machine.fs


@pytest.mark.system
def test_a_path_not_on_btrfs_is_refused(tmp_path: Path) -> None:
    require_tools("findmnt", "mount")
    require_root()
    fstype = run(["findmnt", "-n", "-o", "FSTYPE", "-T", str(tmp_path)]).stdout.strip()
    expected = (
        f"{tmp_path} is not on Btrfs (it is on {fstype}): "
        "kodos keeps generations as Btrfs subvolumes"
    )
    with pytest.raises(NotOnBtrfs) as raised:
        btrfs.filesystem_of(tmp_path)
    assert str(raised.value) == expected

    with tmpfs(tmp_path / "tmpfs") as mounted, pytest.raises(NotOnBtrfs, match=r"on tmpfs\)"):
        btrfs.subvolume_of(mounted)
    with pytest.raises(BtrfsError, match="does not exist"):
        btrfs.filesystem_of(tmp_path / "absent")


# ---- mounting -------------------------------------------------------------------------------


@pytest.mark.system
def test_top_level_is_mounted_for_the_body_only(btrfs_machine: BtrfsMachine) -> None:
    with btrfs.top_level(btrfs_machine.fs) as top:
        assert sorted(os.listdir(top)) == ["@", "@home"]
        assert btrfs.list_subvolumes(top) == ["@", "@home"]
    assert not top.exists()
    assert mounts_under(top) == []

    with pytest.raises(RuntimeError), btrfs.top_level(btrfs_machine.fs) as failing:
        raise RuntimeError("the body failed")
    assert not failing.exists()
    assert mounts_under(failing) == []


@pytest.mark.system
def test_mount_subvolume(btrfs_machine: BtrfsMachine) -> None:
    with btrfs.mount_subvolume(btrfs_machine.fs, "@") as root:
        assert (root / "etc/pacman.conf").read_text() == (
            btrfs_machine.root / "etc/pacman.conf"
        ).read_text()
        assert btrfs.subvolume_of(root) == "@"
    assert not root.exists()
    failing = pytest.raises(BtrfsError, match="mounting subvolume nope of /dev/loop")
    with failing, btrfs.mount_subvolume(btrfs_machine.fs, "nope"):
        pass


# ---- subvolumes -----------------------------------------------------------------------------


@pytest.mark.system
def test_snapshot_list_ids_and_defaults(btrfs_machine: BtrfsMachine) -> None:
    (btrfs_machine.root / "etc/marker").write_text("before\n")
    with btrfs.top_level(btrfs_machine.fs) as top:
        btrfs.snapshot(top, "@", GENERATION)
        assert btrfs.list_subvolumes(top) == ["@", "@home", GENERATION]
        # Writable, and separate from its source.
        (top / GENERATION / "etc/marker").write_text("after\n")
        assert (btrfs_machine.root / "etc/marker").read_text() == "before\n"
        # The snapshot does not cross into @home, mounted inside @.
        assert os.listdir(top / GENERATION / "home") == []

        ids = {name: btrfs.subvolume_id(top, name) for name in btrfs.list_subvolumes(top)}
        assert len(set(ids.values())) == 3 and min(ids.values()) > btrfs.TOP_LEVEL_ID

        assert btrfs.get_default(top) == ""  # a fresh filesystem boots its top level
        btrfs.set_default(top, GENERATION)
        assert btrfs.get_default(top) == GENERATION
        btrfs.set_default(top, "@")
        assert btrfs.get_default(top) == "@"


@pytest.mark.system
def test_snapshot_refuses_an_existing_destination(btrfs_machine: BtrfsMachine) -> None:
    with btrfs.top_level(btrfs_machine.fs) as top:
        btrfs.snapshot(top, "@", GENERATION)
        with pytest.raises(BtrfsError, match=f"{GENERATION} already exists"):
            btrfs.snapshot(top, "@home", GENERATION)
        with pytest.raises(
            BtrfsError, match=r"^snapshotting subvolume nope as x: there is no subvolume nope$"
        ):
            btrfs.snapshot(top, "nope", "x")


@pytest.mark.system
def test_delete_subvolume(btrfs_machine: BtrfsMachine) -> None:
    with btrfs.top_level(btrfs_machine.fs) as top:
        btrfs.snapshot(top, "@", GENERATION)
        btrfs.delete_subvolume(top, GENERATION)
        assert btrfs.list_subvolumes(top) == ["@", "@home"]
        assert (top / "kodos/generations").is_dir()  # its parent directory stays

        btrfs.snapshot(top, "@", GENERATION)
        btrfs.set_default(top, GENERATION)
        with pytest.raises(SubvolumeBusy) as raised:
            btrfs.delete_subvolume(top, GENERATION)
        assert str(raised.value) == (
            f"refusing to delete subvolume {GENERATION}: it is the default subvolume"
        )


@pytest.mark.system
def test_deleting_a_mounted_subvolume_is_refused(btrfs_machine: BtrfsMachine) -> None:
    with btrfs.top_level(btrfs_machine.fs) as top:
        btrfs.snapshot(top, "@", GENERATION)
        with btrfs.mount_subvolume(btrfs_machine.fs, GENERATION) as mounted:
            with pytest.raises(SubvolumeBusy) as raised:
                btrfs.delete_subvolume(top, GENERATION)
            assert str(raised.value) == (
                f"refusing to delete subvolume {GENERATION}: it is mounted at {mounted}"
            )
        with pytest.raises(SubvolumeBusy, match=f"it is mounted at {btrfs_machine.root}$"):
            btrfs.delete_subvolume(top, "@")
        assert btrfs.list_subvolumes(top) == ["@", "@home", GENERATION]
        btrfs.delete_subvolume(top, GENERATION)  # unmounted now
        assert not any(m.fsroot.endswith(btrfs.DELETED_SUFFIX) for m in btrfs.mount_table())

        # What the check prevents: btrfs deletes a mounted subvolume and leaves its mount.
        btrfs.snapshot(top, "@", GENERATION)
        with btrfs.mount_subvolume(btrfs_machine.fs, GENERATION) as mounted:
            run(["btrfs", "subvolume", "delete", str(top / GENERATION)])
            with pytest.raises(BtrfsError, match=f"mounted at {mounted} has been deleted$"):
                btrfs.subvolume_of(mounted)
            btrfs.snapshot(top, "@", GENERATION)  # a new one, at the same path, is not mounted
            assert btrfs.mounted_at(top, GENERATION) == []


@pytest.mark.system
def test_plain_directories_and_bad_paths_are_not_subvolumes(btrfs_machine: BtrfsMachine) -> None:
    with btrfs.top_level(btrfs_machine.fs) as top:
        btrfs.snapshot(top, "@", GENERATION)
        with pytest.raises(BtrfsError, match=r"^reading subvolume kodos: btrfs failed"):
            btrfs.subvolume_id(top, "kodos")
        with pytest.raises(BtrfsError) as raised:
            btrfs.set_default(top, "kodos")
        assert str(raised.value) == (
            "making subvolume kodos the default: kodos is not a subvolume (a plain directory "
            "or file)"
        )
        with pytest.raises(BtrfsError) as raised:
            btrfs.set_default(top, "kodos/none")
        assert str(raised.value) == (
            "making subvolume kodos/none the default: No such file or directory"
        )
        assert btrfs.get_default(top) != "kodos"
        for bad in ("", "/@", "../@", "kodos/../@", "./@"):
            with pytest.raises(BtrfsError, match="not a subvolume path"):
                btrfs.delete_subvolume(top, bad)
        assert btrfs.list_subvolumes(top) == ["@", "@home", GENERATION]


# ---- the fixture leaves nothing behind ------------------------------------------------------


@pytest.mark.system
def test_the_machine_is_taken_down_even_when_the_test_fails(
    tmp_path: Path, standard_mirror: Mirror
) -> None:
    require_tools(*BTRFS_TOOLS)
    require_root()
    with pytest.raises(RuntimeError), btrfs_machine(tmp_path, standard_mirror) as machine:
        assert machine.esp is not None
        assert (machine.esp / "loader/loader.conf").is_file()
        assert (machine.esp / "EFI/systemd/systemd-bootx64.efi").is_file()
        assert "[core]" in (machine.root / "etc/pacman.conf").read_text()
        assert "base" in machine.target.query("-Qq")
        assert attached_loops(machine.image) != ""
        # A mount the test leaks outside tmp is taken down too.
        leaked = Path(tempfile.mkdtemp(prefix="kodos-test-leak-"))
        run(["mount", "-o", "subvol=@home", machine.fs.device, str(leaked)])
        raise RuntimeError("the test failed")
    assert attached_loops(machine.image) == ""
    assert mounts_under(tmp_path) == []
    assert mounts_under(leaked) == []
    assert not Path(f"{machine.loop}p2").exists()
    leaked.rmdir()


@pytest.mark.system
def test_a_machine_without_esp(tmp_path: Path, standard_mirror: Mirror) -> None:
    require_tools(*BTRFS_TOOLS)
    require_root()
    with btrfs_machine(tmp_path, standard_mirror, size="1G", esp=False) as machine:
        assert machine.esp is None
        assert mounts_under(tmp_path) == [machine.root, machine.home]
    assert attached_loops(machine.image) == ""


# ---- the private mount namespace ------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from kodos.system.mountns import enter_private_mount_namespace
    from kodos.system.runner import run

    enter_private_mount_namespace()
    run(["mount", "-t", "tmpfs", "kodos-private", sys.argv[1]])
    print("mounted", flush=True)
    time.sleep(60)
    """
)


def mount_namespace(pid: int | str) -> str:
    return os.readlink(f"/proc/{pid}/ns/mnt")


def processes_in(namespace: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if mount_namespace(pid) == namespace:
                found.append(pid)
        except OSError:  # gone meanwhile, or a kernel thread
            continue
    return found


@pytest.mark.system
def test_mounts_in_the_private_namespace_never_reach_the_host(tmp_path: Path) -> None:
    require_tools("findmnt", "mount")
    require_root()
    target = tmp_path / "private"
    target.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "mounted\n"
        namespace = mount_namespace(child.pid)
        assert namespace != mount_namespace("self")
        assert str(target) in Path(f"/proc/{child.pid}/mountinfo").read_text()
        assert mounts_under(target) == []  # the host (this process) never sees it
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert processes_in(namespace) == []  # the namespace, and its mount, died with it
    assert mounts_under(target) == []


def test_entering_refuses_a_process_with_threads() -> None:
    script = textwrap.dedent(
        """
        import threading
        from kodos.system.mountns import MountNamespaceError, enter_private_mount_namespace
        threading.Thread(target=threading.Event().wait, daemon=True).start()
        try:
            enter_private_mount_namespace()
        except MountNamespaceError as err:
            print(err)
        """
    )
    done = run([sys.executable, "-c", script], cwd=REPO)
    assert done.stdout.strip() == (
        "cannot enter a private mount namespace: this process runs 2 threads "
        "(enter it before starting any)"
    )
