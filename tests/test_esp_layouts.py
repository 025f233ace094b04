"""Apply, rollback and gc with the ESP at /efi, at /boot/efi and at /boot (the Arch wiki's
systemd-boot layout, where the kernel and initramfs live on the ESP and a snapshot of the root
has an empty /boot). The kernels are packaged as Arch packages them — only
`usr/lib/modules/VER/{vmlinuz,pkgbase}` — and put in /boot by mkinitcpio's pacman hook
(tests/support/bootkernels.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodos.generations.host import GenerationsError, open_managed_root
from kodos.system.btrfs import top_level
from kodos.system.runner import run
from tests.support.bootkernels import KERNELS, build_arch_kernel_mirror, kernel_image
from tests.support.btrfs import BTRFS_TOOLS, BtrfsMachine, btrfs_machine
from tests.support.mirror import Mirror
from tests.support.tools import require_root, require_tools
from tests.test_apply import kodos

pytestmark = pytest.mark.system

LAYOUTS = ("efi", "boot/efi", "boot")
CONFIG = """
return {{
    boot = {{ kernel = {{ package = "{kernel}", modules = {{ "btrfs" }} }} }},
    packages = {{ "htop" }},
}}
"""


@pytest.fixture(scope="module")
def arch_kernel_mirror(tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    return build_arch_kernel_mirror(tmp_path_factory.mktemp("arch-kernels"))


@pytest.fixture(params=LAYOUTS)
def machine(
    request: pytest.FixtureRequest, tmp_path: Path, arch_kernel_mirror: Mirror
) -> Iterator[BtrfsMachine]:
    """An Arch machine with its ESP at the layout's place and `linux` installed by pacman
    (the hook put the kernel in /boot: on the ESP for the /boot layout)."""
    require_tools(*BTRFS_TOOLS)
    require_root()
    with btrfs_machine(tmp_path, arch_kernel_mirror, esp_at=request.param) as built:
        built.target.install("linux")
        yield built


def ok(*args: str | Path) -> str:
    done = kodos(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def apply(machine: BtrfsMachine, tmp_path: Path, kernel: str) -> None:
    config = tmp_path / f"config-{kernel}"
    config.mkdir()
    # each configuration differs in its kernel only, so each apply has a change to build
    (config / "configuration.lua").write_text(CONFIG.format(kernel=kernel))
    ok("apply", "-c", config, "--root", machine.root, "--yes")


def digests(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


def listed(machine: BtrfsMachine) -> list[tuple[int, str | None, bool, str | None]]:
    rows = json.loads(ok("generations", "list", "--root", machine.root, "--json"))
    return [(r["id"], r["kernel"], r["default"], r["boot"]) for r in rows]


def test_apply_rollback_and_gc(machine: BtrfsMachine, tmp_path: Path) -> None:
    esp = machine.esp
    assert esp is not None
    layout = esp.relative_to(machine.root).as_posix()
    if layout == "boot":  # as on Arch: the kernel on the ESP, the root's own /boot empty
        assert (esp / "vmlinuz-linux").read_bytes() == kernel_image("linux")
        with top_level(machine.fs) as top:
            assert list((top / "@/boot").iterdir()) == []
    machine_files = digests(esp)  # the ESP's own files (a /boot layout's kernel) stay as they are

    apply(machine, tmp_path, "linux")

    assert open_managed_root(machine.root).esp == esp
    entries = esp / "loader/entries"
    assert sorted(p.name for p in entries.iterdir()) == ["kodos-0.conf", "kodos-1+3.conf"]
    assert (esp / "loader/loader.conf").read_text().splitlines()[-1] == "default kodos-*"
    one = esp / "kodos/1"
    assert (one / "vmlinuz-linux").read_bytes() == kernel_image("linux")
    assert (one / "initramfs-linux.img").read_text() == f"initramfs for {KERNELS['linux']}\n"
    # generation 0, the root kodos adopted, boots the kernel it had (taken from the ESP for
    # the /boot layout, where it matches the packaged one)
    assert (esp / "kodos/0/vmlinuz-linux").read_bytes() == kernel_image("linux")
    assert listed(machine) == [(0, "linux", False, "good"), (1, "linux", True, "trial")]
    before = digests(one)

    apply(machine, tmp_path, "linux-lts")  # the kernel changes from generation 1 to 2

    two = esp / "kodos/2"
    assert (two / "vmlinuz-linux-lts").read_bytes() == kernel_image("linux-lts")
    lts_initramfs = f"initramfs for {KERNELS['linux-lts']}\n"
    assert (two / "initramfs-linux-lts.img").read_text() == lts_initramfs
    assert "linux      /kodos/2/vmlinuz-linux-lts\n" in (entries / "kodos-2+3.conf").read_text()
    assert digests(one) == before  # what generation 1 boots is untouched
    assert listed(machine) == [
        (0, "linux", False, "good"),
        (1, "linux", False, "trial"),
        (2, "linux-lts", True, "trial"),
    ]

    ok("rollback", "1", "--root", machine.root)
    assert (esp / "loader/loader.conf").read_text().splitlines()[-1] == "default kodos-1[.+]*"
    ok("generations", "gc", "--keep", "0", "--yes", "--root", machine.root)

    assert [row[0] for row in listed(machine)] == [0, 1]
    assert not two.exists() and not (entries / "kodos-2+3.conf").exists()
    assert digests(one) == before
    assert {k: v for k, v in digests(esp).items()} == machine_files


def test_generation_0_without_a_current_kernel_gets_no_entry(
    tmp_path: Path, arch_kernel_mirror: Mirror
) -> None:
    """With the ESP at /boot, the ESP's kernel is generation 0's only when it is the packaged
    one: an image left from another kernel would boot with the wrong modules."""
    require_tools(*BTRFS_TOOLS)
    require_root()
    with btrfs_machine(tmp_path, arch_kernel_mirror, esp_at="boot") as machine:
        machine.target.install("linux")
        assert machine.esp is not None
        (machine.esp / "vmlinuz-linux").write_bytes(b"an older kernel")

        apply(machine, tmp_path, "linux")

        entries = sorted(p.name for p in (machine.esp / "loader/entries").iterdir())
        assert entries == ["kodos-1+3.conf"]
        assert listed(machine) == [(0, None, False, None), (1, "linux", True, "trial")]
        assert (machine.esp / "kodos/1/vmlinuz-linux").read_bytes() == kernel_image("linux")


def test_the_esp_is_the_mounted_one_and_an_unmounted_one_is_refused(
    tmp_path: Path, arch_kernel_mirror: Mirror
) -> None:
    require_tools(*BTRFS_TOOLS)
    require_root()
    with btrfs_machine(tmp_path, arch_kernel_mirror, esp_at="boot") as machine:
        # a stale systemd-boot directory in the root itself is not the ESP
        (machine.root / "efi/loader").mkdir(parents=True)
        (machine.root / "efi/loader/loader.conf").write_text("timeout 3\n")
        (machine.root / "etc/fstab").write_text(
            "UUID=1234-ABCD  /boot  vfat  umask=0077  0 2\n# /efi vfat\n"
        )
        assert open_managed_root(machine.root).esp == machine.root / "boot"

        run(["umount", str(machine.root / "boot")])
        with pytest.raises(GenerationsError) as refused:
            open_managed_root(machine.root)
        assert str(refused.value) == (
            f"/etc/fstab mounts the ESP at /boot, but nothing is mounted at {machine.root}/boot: "
            "mount it, then try again"
        )
