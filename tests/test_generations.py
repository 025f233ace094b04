"""`kodos generations list|diff|delete|gc` and `kodos rollback` on real Btrfs machines.

Generations are built by hand here, the way docs/generations.md lays them out (a snapshot of @
per generation, its record inside it, the index on the top level, a kodos-N entry and kernels
on the ESP, loader.conf's default and the Btrfs default) — so these tests pin the layout the
applier must produce, and drive the real CLI as a user would (a subprocess, its own mount
namespace and lock). Running root: @ (generation 0, adopted); default: generation 2.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kodos.generations.bootentries import default_entry, entry_ids, kernel_dir_ids, publish_entry
from kodos.generations.host import ManagedRoot, open_managed_root
from kodos.generations.lifecycle import (
    adopt_or_read_index,
    clean_interrupted,
    discard_generation,
    write_boot_entry,
)
from kodos.pacman.vercmp import vercmp
from kodos.state.generation import RECORD_PATH, GenerationRecord, Status
from kodos.state.index import (
    GenerationEntry,
    entry_of_record,
    generation_subvolume,
    read_index,
    write_index,
)
from kodos.system import btrfs
from kodos.system.jsonfile import write_json
from kodos.system.lock import machine_lock
from kodos.system.runner import run
from tests.support.boot import bootctl, listed_entries
from tests.support.btrfs import BtrfsMachine

pytestmark = pytest.mark.system

REPO = Path(__file__).resolve().parents[1]
CREATED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
# What each hand-built generation's record says (the base install's real packages are the
# adopted root's, read from its pacman database).
PACKAGES = {
    1: {"base": "3-2", "htop": "3.3.0-1", "nano": "8.0-1", "linux": "6.9.1.arch1-1"},
    2: {"base": "3-2", "htop": "3.3.0-2", "vim": "9.1-1", "linux": "1:6.8.0.arch1-1"},
}
MANAGED = {
    1: {"pacman.package[htop]": {}, "users.user[old]": {"shell": "/bin/sh"}},
    2: {
        "pacman.package[htop]": {},
        "services.unit[sshd.service]": {"enabled": True},
        "files.file[/etc/hostname]": {"content": "two\n"},
    },
}

# The configuration each record keeps (the validated model's JSON, secrets redacted).
CONFIGURATION: dict[int, dict[str, Any]] = {
    1: {"users": {"old": {"shell": "/bin/sh"}}, "packages": ["htop", "nano"]},
    2: {
        "network": {"hostname": "two"},
        "packages": ["htop", "vim"],
        "services": {"sshd": {"enable": True}},
    },
}


@dataclass
class Built:
    """A machine with generations 0 (the adopted @, running), 1 and 2 (the default)."""

    machine: BtrfsMachine
    kodos: ManagedRoot
    lock_dir: Path

    @property
    def root(self) -> Path:
        return self.machine.root

    @property
    def esp(self) -> Path:
        assert self.machine.esp is not None
        return self.machine.esp

    def cli(
        self, *args: str, stdin: int | None = subprocess.DEVNULL
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KODOS_LOCK_DIR": str(self.lock_dir), "TZ": "UTC"}
        return subprocess.run(
            [sys.executable, "-m", "kodos", *args, "--root", str(self.root)],
            cwd=REPO,
            stdin=stdin,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    def ok(self, *args: str) -> str:
        done = self.cli(*args)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        return done.stdout

    def fails(self, *args: str) -> str:
        done = self.cli(*args)
        assert done.returncode == 1, done.stdout
        assert done.stdout == ""
        return done.stderr

    def index_ids(self) -> list[int]:
        with btrfs.top_level(self.kodos.fs) as top:
            index = read_index(top)
            assert index is not None
            return index.ids()

    def btrfs_default(self) -> str:
        with btrfs.top_level(self.kodos.fs) as top:
            return btrfs.get_default(top)

    def subvolumes(self) -> list[str]:
        with btrfs.top_level(self.kodos.fs) as top:
            return btrfs.list_subvolumes(top)


def put_kernel(root: Path, name: str = "linux") -> None:
    """What mkinitcpio leaves in a root's /boot after pacman installs `name`."""
    boot = root / "boot"
    boot.mkdir(exist_ok=True)
    (boot / f"vmlinuz-{name}").write_bytes(f"kernel of {root.name}".encode())
    (boot / f"initramfs-{name}.img").write_bytes(b"initramfs")


def build_generation(
    kodos: ManagedRoot, top: Path, gen_id: int, parent: int, status: Status = Status.READY
) -> None:
    """Generation `gen_id` as the applier makes it: snapshot, record, entry, index."""
    subvolume = generation_subvolume(gen_id)
    parent_subvolume = "@" if parent == 0 else generation_subvolume(parent)
    btrfs.snapshot(top, parent_subvolume, subvolume)
    root = top / subvolume
    record = GenerationRecord(
        id=gen_id,
        parent=parent,
        created=CREATED + timedelta(days=gen_id),
        status=status,
        config_digest=f"sha256:{gen_id}",
        managed=sorted(MANAGED.get(gen_id, {})),
        packages=PACKAGES.get(gen_id, PACKAGES[2]),
        kernel="linux",
        desired=MANAGED.get(gen_id, {}),
        configuration=CONFIGURATION.get(gen_id),
    )
    (root / RECORD_PATH).parent.mkdir(parents=True, exist_ok=True)
    write_json(root / RECORD_PATH, record.model_dump(mode="json"))
    if status is Status.READY:
        write_boot_entry(kodos, gen_id, root, subvolume)
        publish_entry(kodos.esp, gen_id)  # what the commit does once the index lists it
    index = read_index(top)
    assert index is not None
    write_index(top, index.with_entry(entry_of_record(record, subvolume)))


def make_default(kodos: ManagedRoot, top: Path, gen_id: int) -> None:
    from kodos.generations.bootentries import set_default_entry

    set_default_entry(kodos.esp, gen_id)
    btrfs.set_default(top, generation_subvolume(gen_id))


@pytest.fixture
def built(btrfs_machine: BtrfsMachine, tmp_path: Path) -> Iterator[Built]:
    put_kernel(btrfs_machine.root)
    kodos = open_managed_root(btrfs_machine.root)
    with btrfs.top_level(kodos.fs) as top:
        adopt_or_read_index(kodos, top)
        build_generation(kodos, top, 1, 0)
        build_generation(kodos, top, 2, 1)
        make_default(kodos, top, 2)
    yield Built(btrfs_machine, kodos, tmp_path / "locks")


def listed(built: Built) -> list[dict[str, Any]]:
    return json.loads(built.ok("generations", "list", "--json"))  # type: ignore[no-any-return]


# ---- the machine and its layout -----------------------------------------------------------


def test_the_layout_the_applier_writes(built: Built) -> None:
    assert built.kodos.running_subvolume == "@"
    assert built.kodos.esp == built.root / "efi"
    assert built.subvolumes() == ["@", "@home", "kodos/generations/1", "kodos/generations/2"]
    assert entry_ids(built.esp) == [0, 1, 2]  # the adopted root got kodos-0 from its /boot
    assert kernel_dir_ids(built.esp) == [0, 1, 2]
    # kodos-0 (the running root, which has booted) has no counter; new ones have three tries
    assert sorted(p.name for p in (built.esp / "loader/entries").iterdir()) == [
        "kodos-0.conf",
        "kodos-1+3.conf",
        "kodos-2+3.conf",
    ]
    assert default_entry(built.esp) == "kodos-*"
    entry = (built.esp / "loader/entries/kodos-2+3.conf").read_text()
    assert (
        f"options    root=UUID={built.kodos.fs.uuid} rootflags=subvol=kodos/generations/2 rw\n"
        in entry
    )
    assert (built.esp / "kodos/2/vmlinuz-linux").read_bytes() == b"kernel of machine"
    # systemd-boot's own reader agrees: three entries, newest first, kodos-2 the default.
    entries = listed_entries(built.esp)
    assert [e["id"] for e in entries] == ["kodos-2.conf", "kodos-1.conf", "kodos-0.conf"]
    assert entries[0]["initrd"] == ["/kodos/2/initramfs-linux.img"]
    titles = [line.strip() for line in bootctl(built.esp, "list").splitlines() if "title:" in line]
    assert titles[0].startswith("title: Arch Linux (kodos generation 2) (default)")
    assert "(default)" not in " ".join(titles[1:])


def test_a_root_without_btrfs_subvolume_or_esp_is_refused(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    def refusal(root: Path) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "kodos", "generations", "list", "--root", str(root)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 1
        return done.stderr

    plain = tmp_path / "plain"
    plain.mkdir()
    assert "is not on Btrfs" in refusal(plain)
    (btrfs_machine.root / "efi/loader/loader.conf").unlink()
    for directory in ("EFI/systemd", "EFI/BOOT", "EFI"):
        run(["rm", "-r", str(btrfs_machine.root / "efi" / directory)])
    assert refusal(btrfs_machine.root) == (
        "error: no ESP with systemd-boot found (looked for loader/loader.conf or EFI/systemd in "
        f"{btrfs_machine.root}/efi, {btrfs_machine.root}/boot/efi, {btrfs_machine.root}/boot); "
        "is the ESP mounted?\n"
    )


def test_before_the_first_apply_there_is_nothing_to_list(btrfs_machine: BtrfsMachine) -> None:
    def generations(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "kodos",
                "generations",
                *args,
                "--root",
                str(btrfs_machine.root),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )

    hint = "hint: kodos has built no generations here yet: `kodos apply` builds the first\n"
    listed = generations("list")
    assert (listed.returncode, listed.stderr) == (0, hint)
    assert listed.stdout == "GEN  CREATED  STATUS  PACKAGES  KERNEL  ROLE\n"
    as_json = generations("list", "--json")
    assert (as_json.returncode, as_json.stdout, as_json.stderr) == (0, "[]\n", hint)
    # what needs a generation still says there is none
    shown = generations("show", "0")
    assert shown.returncode == 1
    assert shown.stderr == (
        f"error: {btrfs_machine.root}: kodos has built no generations here yet (run kodos apply)\n"
    )


# ---- list, diff ---------------------------------------------------------------------------


def test_list_as_a_table_and_as_json(built: Built) -> None:
    rows = listed(built)
    adopted, packages = rows[0]["created"][:19].replace("T", " "), rows[0]["packages"]

    assert built.ok("generations", "list") == (
        "GEN  CREATED              STATUS  PACKAGES  KERNEL  ROLE\n"
        f"  0  {adopted}  ready   {packages:>8}  linux   running\n"
        "  1  2024-05-02 12:00:00  ready          4  linux   on trial\n"
        "  2  2024-05-03 12:00:00  ready          4  linux   default, on trial\n"
    )
    assert [(r["id"], r["running"], r["default"], r["subvolume"]) for r in rows] == [
        (0, True, False, "@"),
        (1, False, False, "kodos/generations/1"),
        (2, False, True, "kodos/generations/2"),
    ]
    assert rows[1] == {
        "id": 1,
        "created": "2024-05-02T12:00:00Z",
        "status": "ready",
        "packages": 4,
        "kernel": "linux",
        "subvolume": "kodos/generations/1",
        "running": False,
        "default": False,
        "boot": "trial",
    }
    assert rows[0]["packages"] > 0  # the adopted root's pacman database


def test_diff_of_two_records(built: Built) -> None:
    assert built.ok("generations", "diff", "1", "2") == (
        "generation 1 → 2\n"
        "packages: 1 added, 1 removed, 2 upgraded\n"
        "  ↑ htop 3.3.0-1 → 3.3.0-2\n"
        "  ↑ linux 6.9.1.arch1-1 → 1:6.8.0.arch1-1\n"  # the epoch wins, as in pacman
        "  - nano 8.0-1\n"
        "  + vim 9.1-1\n"
        "managed: 2 added, 1 removed\n"
        "  + files.file[/etc/hostname]\n"
        "  + services.unit[sshd.service]\n"
        "  - users.user[old]\n"
        "configuration: 3 added, 2 removed\n"
        '  + network.hostname: "two"\n'
        '  - packages: "nano"\n'
        '  + packages: "vim"\n'
        "  + services.sshd.enable: true\n"
        '  - users.old.shell: "/bin/sh"\n'
    )
    data = json.loads(built.ok("generations", "diff", "1", "2", "--json"))
    assert data["packages"][0] == {
        "name": "htop",
        "change": "upgraded",
        "before": "3.3.0-1",
        "after": "3.3.0-2",
    }
    assert data["managed"] == {
        "added": ["files.file[/etc/hostname]", "services.unit[sshd.service]"],
        "removed": ["users.user[old]"],
        "changed": [],
    }


def test_diff_against_the_adopted_root_reads_its_pacman_database(built: Built) -> None:
    data = json.loads(built.ok("generations", "diff", "0", "1", "--json"))

    changes = {c["name"]: c["change"] for c in data["packages"]}
    assert changes["htop"] == "added"
    assert data["managed"]["added"] == ["pacman.package[htop]", "users.user[old]"]
    assert data["kernel"] == [None, "linux"]
    assert built.fails("generations", "diff", "1", "9") == (
        "error: there is no generation 9 (generations: 0, 1, 2)\n"
    )


def test_vercmp_matches_pacman() -> None:
    versions = [
        "1.0",
        "1.0-1",
        "1.0-2",
        "1:1.0-1",
        "1:0.9",
        "2:0",
        "1.0a",
        "1.0.a",
        "1.0alpha",
        "1.0.1",
        "1.0rc1",
        "1.0.0",
        "1_0",
        "1..0",
        "1.01",
        "1.001",
        "0:1.0",
        "a",
        "1.0+git",
        "1.0+1",
        "6.9.1.arch1-1",
        "6.10.arch1-1",
        "1.2.3-1.1",
        "20240101-1",
        "1.0-",
        "1.0~rc1",
        "r1234.abcdef-1",
        "0.9.9_beta",
        "1:1.9.2-1",
        "1.0-1a",
    ]
    pairs = [(a, b) for a in versions for b in versions]
    script = "".join(f"vercmp '{a}' '{b}'\n" for a, b in pairs)
    real = run(["sh", "-c", script]).stdout.split()  # one shell, not 900 processes from here

    assert [vercmp(a, b) for a, b in pairs] == [int(r) for r in real]


# ---- rollback -----------------------------------------------------------------------------


def test_rollback_to_the_previous_generation_and_forward_again(built: Built) -> None:
    started = time.monotonic()
    output = built.ok("rollback")
    seconds = time.monotonic() - started

    assert output == "Generation 1 boots by default (it was generation 2); reboot to run it.\n"
    assert default_entry(built.esp) == "kodos-1[.+]*"  # pinned, whatever its counter says
    assert built.btrfs_default() == "kodos/generations/1"
    assert [r["id"] for r in listed(built) if r["default"]] == [1]
    print(f"kodos rollback, whole process: {seconds:.3f} s")

    assert json.loads(built.ok("rollback", "--json")) == {"previous": 1, "default": 0, "running": 0}
    assert default_entry(built.esp) == "kodos-0[.+]*"
    assert built.btrfs_default() == "@"
    assert built.fails("rollback") == (
        "error: there is no ready generation older than generation 0 to roll back to\n"
    )
    assert built.ok("rollback", "2") == (
        "Generation 2 boots by default (it was generation 0); reboot to run it.\n"
    )
    assert built.btrfs_default() == "kodos/generations/2"
    # Nothing was copied: the same subvolumes, the ESP holds the same kernels.
    assert built.subvolumes() == ["@", "@home", "kodos/generations/1", "kodos/generations/2"]
    assert kernel_dir_ids(built.esp) == [0, 1, 2]


def test_loader_conf_keeps_its_other_keys(built: Built) -> None:
    conf = built.esp / "loader/loader.conf"
    conf.write_text("timeout 3\n# a comment\ndefault kodos-2.conf\neditor no\n")

    built.ok("rollback", "1")

    assert conf.read_text() == "timeout 3\n# a comment\ndefault kodos-1[.+]*\neditor no\n"


def test_rollback_refusals(built: Built) -> None:
    with btrfs.top_level(built.kodos.fs) as top:
        build_generation(built.kodos, top, 3, 2, Status.FAILED)

    assert (
        built.fails("rollback", "3") == "error: generation 3 is failed, not ready: it cannot boot\n"
    )
    assert (
        built.fails("rollback", "7")
        == "error: there is no generation 7 (generations: 0, 1, 2, 3)\n"
    )
    (built.esp / "loader/entries/kodos-1+3.conf").unlink()
    assert built.fails("rollback", "1") == (
        f"error: generation 1 has no boot entry (loader/entries/kodos-1.conf on {built.esp}): "
        "it cannot be made the default\n"
    )
    assert default_entry(built.esp) == "kodos-*"  # every refusal changed nothing
    assert built.btrfs_default() == "kodos/generations/2"


def test_a_held_lock_makes_rollback_wait_then_name_the_holder(built: Built) -> None:
    with machine_lock(
        built.kodos.fs.uuid,
        timeout=0,
        command="kodos apply -c /etc/kodos",
        directory=built.lock_dir,
    ):
        message = built.fails("rollback", "--lock-timeout", "0.5")

    holder = rf"another kodos \(pid {os.getpid()}, `kodos apply -c /etc/kodos`, since [0-9:]{{8}}\)"
    assert re.fullmatch(
        rf"kodos: waiting for {holder} to finish \(up to 0\.5 s\)\n"
        rf"error: {holder} holds the lock for this machine; waited 0\.5 s\n",
        message,
    ), message
    assert default_entry(built.esp) == "kodos-*"


# ---- delete, gc ---------------------------------------------------------------------------


def test_delete_refuses_the_running_and_the_default_generation(built: Built) -> None:
    assert built.fails("generations", "delete", "0", "--yes") == (
        "error: generation 0 is running: it cannot be deleted\n"
    )
    assert built.fails("generations", "delete", "2", "--yes") == (
        "error: generation 2 boots by default: roll back to another one before deleting it\n"
    )
    assert built.index_ids() == [0, 1, 2]


def test_delete_asks_for_confirmation(built: Built) -> None:
    assert built.fails("generations", "delete", "1") == (
        "error: kodos generations delete asks for confirmation: run again with --yes; nothing changed\n"
    )
    assert built.index_ids() == [0, 1, 2]

    answer = typed_on_a_terminal(built, "no\n", "generations", "delete", "1")
    assert answer.returncode == 1
    assert "Delete generation 1? Only 'yes' is accepted: " in answer.stdout
    assert answer.stderr == "error: not confirmed: nothing changed\n"
    assert built.index_ids() == [0, 1, 2]

    answer = typed_on_a_terminal(built, "yes\n", "generations", "delete", "1")
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.endswith("Deleted generation 1.\n")
    assert built.index_ids() == [0, 2]


def typed_on_a_terminal(built: Built, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with a pseudo-terminal as stdin, `text` typed into it."""
    controller, terminal = pty.openpty()
    try:
        os.write(controller, text.encode())
        return built.cli(*args, stdin=terminal)
    finally:
        os.close(terminal)
        os.close(controller)


def test_delete_removes_subvolume_entry_kernels_and_index_entry(built: Built) -> None:
    assert built.ok("generations", "delete", "1", "--yes").endswith("Deleted generation 1.\n")

    assert built.index_ids() == [0, 2]
    assert built.subvolumes() == ["@", "@home", "kodos/generations/2"]
    assert entry_ids(built.esp) == [0, 2]
    assert kernel_dir_ids(built.esp) == [0, 2]
    assert built.fails("generations", "delete", "1", "--yes") == (
        "error: there is no generation 1 (generations: 0, 2)\n"
    )


def test_delete_refuses_a_mounted_generation(built: Built) -> None:
    with btrfs.mount_subvolume(built.kodos.fs, "kodos/generations/1") as where:
        message = built.fails("generations", "delete", "1", "--yes")

    assert message == f"error: generation 1 is mounted at {where}: unmount it first\n"
    assert built.index_ids() == [0, 1, 2]
    assert entry_ids(built.esp) == [0, 1, 2]


def test_gc_keeps_the_newest_ready_the_running_the_default_and_the_adopted(built: Built) -> None:
    with btrfs.top_level(built.kodos.fs) as top:
        build_generation(built.kodos, top, 3, 2)
        build_generation(built.kodos, top, 4, 3, Status.FAILED)
        build_generation(built.kodos, top, 5, 3)
        make_default(built.kodos, top, 3)  # rolled back from 5 to 3

    output = built.ok("generations", "gc", "--keep", "1", "--yes")

    assert output.endswith("Deleted generations 1, 2, 4.\n")
    assert [(r["id"], r["running"], r["default"]) for r in listed(built)] == [
        (0, True, False),
        (3, False, True),
        (5, False, False),
    ]
    assert built.subvolumes() == ["@", "@home", "kodos/generations/3", "kodos/generations/5"]
    assert entry_ids(built.esp) == [0, 3, 5]
    assert built.ok("generations", "gc", "--keep", "1", "--yes") == "Nothing to delete.\n"
    assert built.fails("generations", "gc", "--keep", "0") == (
        "error: kodos generations gc asks for confirmation: run again with --yes; nothing changed\n"
    )
    declined = typed_on_a_terminal(built, "no\n", "generations", "gc", "--keep", "0")
    assert (declined.returncode, declined.stderr) == (1, "error: not confirmed: nothing changed\n")
    assert "generations? Only 'yes' is accepted: " in declined.stdout
    assert built.subvolumes() == ["@", "@home", "kodos/generations/3", "kodos/generations/5"]


# ---- what the applier uses ----------------------------------------------------------------


def test_clean_interrupted_removes_only_provably_half_built_generations(built: Built) -> None:
    with btrfs.top_level(built.kodos.fs) as top:
        # 3: building, its own record still building, no boot entry: cut short → removed
        build_generation(built.kodos, top, 3, 2, Status.BUILDING)
        # 4: building, a snapshot still carrying its parent's record → removed
        btrfs.snapshot(top, "kodos/generations/2", "kodos/generations/4")
        list_as_building(top, 4)
        # 5: building, killed before its snapshot → its entry goes
        list_as_building(top, 5)
        # 6: listed as building but complete (ready record, boot entry) → kept, failed
        build_generation(built.kodos, top, 6, 2)
        list_as_building(top, 6)
        # 7: a snapshot the index does not list → never touched
        btrfs.snapshot(top, "kodos/generations/2", "kodos/generations/7")
        # 8: building but mounted → kept, failed
        btrfs.snapshot(top, "kodos/generations/2", "kodos/generations/8")
        list_as_building(top, 8)
        # 9: a boot entry the index does not list → never touched
        write_boot_entry(built.kodos, 9, top / "kodos/generations/2", "kodos/generations/9")
        publish_entry(built.kodos.esp, 9)
        index = read_index(top)
        assert index is not None

        with btrfs.mount_subvolume(built.kodos.fs, "kodos/generations/8"):
            cleaned = clean_interrupted(built.kodos, top, index, keep_failed=False)

        assert [(g.id, g.status) for g in cleaned.generations] == [
            (0, Status.READY),
            (1, Status.READY),
            (2, Status.READY),
            (6, Status.FAILED),
            (8, Status.FAILED),
        ]
        assert read_index(top) == cleaned
        assert cleaned.next_id() == 9  # numbers of removed builds are not given again
        assert btrfs.list_subvolumes(top) == [
            "@",
            "@home",
            *(f"kodos/generations/{n}" for n in (1, 2, 6, 7, 8)),
        ]
    assert entry_ids(built.esp) == [0, 1, 2, 6, 9]


def list_as_building(top: Path, gen_id: int) -> None:
    """List generation `gen_id` in the index as building, as the applier does first."""
    index = read_index(top)
    assert index is not None
    entry = GenerationEntry(
        id=gen_id,
        parent=2,
        created=CREATED,
        status=Status.BUILDING,
        subvolume=generation_subvolume(gen_id),
        packages=0,
    )
    write_index(top, index.with_entry(entry))


def test_clean_interrupted_can_keep_failed_builds(built: Built) -> None:
    with btrfs.top_level(built.kodos.fs) as top:
        build_generation(built.kodos, top, 3, 2, Status.BUILDING)
        index = read_index(top)
        assert index is not None

        cleaned = clean_interrupted(built.kodos, top, index, keep_failed=True)

        assert cleaned.entry(3).status is Status.FAILED
        assert cleaned.entry(3).parent == 2
        assert read_index(top) == cleaned
    assert "kodos/generations/3" in built.subvolumes()


def test_discard_keeps_a_generation_loader_conf_already_boots(built: Built) -> None:
    with btrfs.top_level(built.kodos.fs) as top:
        index = read_index(top)
        assert index is not None
        assert discard_generation(built.kodos, top, index, 2, keep_failed=False) == index
        after = discard_generation(built.kodos, top, index, 1, keep_failed=False)
        assert after.ids() == [0, 2]
        assert btrfs.list_subvolumes(top) == ["@", "@home", "kodos/generations/2"]
    assert entry_ids(built.esp) == [0, 2]


# ---- repair -------------------------------------------------------------------------------


def test_repair_takes_generation_0_from_its_kodos_0_entry(built: Built) -> None:
    with btrfs.top_level(built.kodos.fs) as top:
        before = read_index(top)
        (top / "kodos/index.json").unlink()
    assert built.fails("generations", "list").endswith(": run kodos generations repair\n")

    done = built.cli("generations", "repair")

    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "note: generation 0 (@) is listed without the UUID recorded at adoption: "
        "`generations delete 0` will refuse it\n"
    )
    assert done.stdout.endswith("the next one is numbered 3. Nothing was deleted.\n")
    with btrfs.top_level(built.kodos.fs) as top:
        after = read_index(top)
    assert before is not None and after is not None
    assert [(g.id, g.subvolume, g.status, g.kernel) for g in after.generations] == [
        (0, "@", Status.READY, "linux"),
        (1, "kodos/generations/1", Status.READY, "linux"),
        (2, "kodos/generations/2", Status.READY, "linux"),
    ]
    assert after.generations[1:] == before.generations[1:]  # as their records say
    assert after.entry(0).subvolume_uuid is None
    assert built.subvolumes() == ["@", "@home", "kodos/generations/1", "kodos/generations/2"]
    assert entry_ids(built.esp) == [0, 1, 2]


def test_repair_of_a_readable_index_keeps_what_it_can_check(built: Built) -> None:
    with btrfs.top_level(built.kodos.fs) as top:
        before = read_index(top)
        assert before is not None
        btrfs.snapshot(top, "kodos/generations/2", "kodos/generations/7")  # lost by the index

    done = built.cli("generations", "repair")

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    with btrfs.top_level(built.kodos.fs) as top:
        after = read_index(top)
    assert after is not None
    assert after.entry(0) == before.entry(0)  # its UUID still names @
    # 7 carries 2's record: a build cut short, listed as failed for gc to remove
    assert (after.entry(7).status, after.next_id()) == (Status.FAILED, 8)
    assert built.ok("generations", "gc", "--keep", "2", "--yes") == "Deleted generation 7.\n"
    assert built.subvolumes() == ["@", "@home", "kodos/generations/1", "kodos/generations/2"]
