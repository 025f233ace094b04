"""The boot proof: kodos-built images booted for real in QEMU (OVMF → systemd-boot → Debian's
cloud kernel → a busybox initramfs → the generation's Btrfs subvolume, whose init prints what it
is). Only kodos commands change the image between boots, apart from attaching it and copying the
ESP out and in with mtools (this kernel cannot mount vfat); the negative control's entry is the
one thing the test writes itself.

TCG takes about 8 s a boot here (KVM does not work on these machines); each boot's time is
printed to the terminal, also in CI logs."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kodos.system.runner import run
from kodos.vm import BootResult, VmError, boot, find_firmware
from tests.support.bootable import (
    BOOT_TOOLS,
    MARKER,
    MARKER_LINE,
    Kernel,
    bootable_config,
    build_bootable_mirror,
    closure,
    debian_kernel,
    module_dependencies,
)
from tests.support.installing import INSTALL_TOOLS, MTOOLS, attached_loops, installed_machine
from tests.support.mirror import Mirror
from tests.support.sync import mirror_sync_dir
from tests.support.tools import require_root, require_tools
from tests.test_apply import kodos, kodos_mounts, write_config

BOOT_TIMEOUT = 150.0  # TCG on a loaded shared machine: a boot has taken 50 s
ESP_OFFSET = 1024 * 1024  # sfdisk's first partition starts at 1 MiB


def require_firmware() -> None:
    try:
        find_firmware()
    except VmError as err:
        if os.environ.get("CI"):
            pytest.fail(f"{err} (CI is set: these tests must run)", pytrace=False)
        pytest.skip(str(err))


@pytest.fixture(scope="module")
def kernel() -> Kernel:
    require_tools(*INSTALL_TOOLS, *BOOT_TOOLS)
    require_root()
    require_firmware()
    return debian_kernel()


@pytest.fixture(scope="module")
def mirror(kernel: Kernel, tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    return build_bootable_mirror(tmp_path_factory.mktemp("bootable-mirror"), kernel)


@pytest.fixture(scope="module")
def sync_dir(mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mirror_sync_dir(mirror, tmp_path_factory.mktemp("bootable-sync"))


_say: Callable[[str], None] = print


@pytest.fixture(autouse=True)
def _boot_times_on_the_terminal(request: pytest.FixtureRequest) -> None:
    """Boot times go to pytest's terminal (past output capture), so every CI log shows them."""
    global _say
    capture = request.config.pluginmanager.getplugin("capturemanager")

    def say(line: str) -> None:
        with capture.global_and_fixture_disabled():
            print(f"\n{line}", flush=True)

    _say = say if capture is not None else print


def say(line: str) -> None:
    """A line on pytest's terminal, past output capture (see `_boot_times_on_the_terminal`)."""
    _say(line)


def boot_image(image: Path, log: Path, label: str) -> BootResult:
    result = boot(image, timeout=BOOT_TIMEOUT, log=log)
    _say(f"boot {label}: {result.seconds:.1f} s ({result.accel})")
    assert not result.timed_out, f"boot {label} timed out; serial log:\n{result.log}"
    return result


def booted(image: Path, log: Path, label: str) -> tuple[str, str]:
    """Boot and return (generation, htop) from the marker the booted root printed."""
    result = boot_image(image, log, label)
    found = MARKER_LINE.search(result.log)
    assert found, f"boot {label}: no {MARKER} line; serial log:\n{result.log}"
    return found["generation"], found["htop"]


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(image, work directory); at the end nothing may be attached or mounted."""
    image = tmp_path / "disk.img"
    yield image, tmp_path
    assert str(image) not in attached_loops()
    assert kodos_mounts() == []


@pytest.mark.system
def test_generations_boot_and_rollback_changes_what_boots(
    mirror: Mirror, sync_dir: Path, machine: tuple[Path, Path]
) -> None:
    image, work = machine
    started = time.monotonic()
    first = write_config(work, bootable_config(mirror))
    second = write_config(work, bootable_config(mirror, "htop"), "with-htop")
    done = kodos(
        "install", "-c", first, "--image", image, "--size", "2G", "--sync-dir", sync_dir,
        "--siglevel", "Never", "--yes",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert entry_files(image) == ["kodos-1+3.conf"]  # three tries
    assert booted(image, work / "1.log", "generation 1 (install)") == ("1", "no")
    # systemd-boot counted the try on the ESP itself (nothing here blesses it)
    assert entry_files(image) == ["kodos-1+2-1.conf"]

    kodos_on_image(image, work / "apply", "apply", "-c", second, "--yes")
    assert booted(image, work / "2.log", "generation 2 (apply)") == ("2", "yes")

    kodos_on_image(image, work / "rollback", "rollback", "1")
    assert booted(image, work / "3.log", "generation 1 (rollback)") == ("1", "no")

    kodos_on_image(image, work / "gc", "generations", "gc", "--keep", "0", "--yes")
    assert entry_files(image) == ["kodos-1+1-2.conf"]  # gen 2 gone; gen 1 booted twice
    assert booted_with_kodos_vm(image, "default after gc, with kodos vm") == ("1", "no")
    # its last try, now used up: without systemd-bless-boot (this test system has no systemd)
    # nothing renames a booted entry back to kodos-1.conf
    assert entry_files(image) == ["kodos-1+0-3.conf"]

    point_default_at_deleted_generation(image, 2)
    result = boot_image(image, work / "5.log", "negative control (generation 2 deleted)")
    assert MARKER not in result.log, result.log
    assert "initramfs: cannot boot root=" in result.log, result.log
    _say(f"whole proof: {time.monotonic() - started:.1f} s")


def booted_with_kodos_vm(image: Path, label: str) -> tuple[str, str]:
    """`kodos vm IMAGE`: the serial console on its stdout, the machine's power-off ends it."""
    started = time.monotonic()
    done = kodos("vm", image, "--timeout", str(BOOT_TIMEOUT), timeout=BOOT_TIMEOUT + 30)
    _say(f"boot {label}: {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kodos vm: the machine powered off after" in done.stderr, done.stderr
    found = MARKER_LINE.search(done.stdout)
    assert found, f"boot {label}: no {MARKER} line; console:\n{done.stdout}"
    return found["generation"], found["htop"]


def kodos_on_image(image: Path, work: Path, *args: str | Path, esp_at: str = "efi") -> str:
    """Run a kodos command on the installed machine in `image` (its ESP at `esp_at`), then
    write the ESP back; returns what kodos printed."""
    with installed_machine(image, work, esp_at) as root:
        done = kodos(*args, "--root", root)
        assert done.returncode == 0, done.stderr
    esp_in(image, work / "esp")
    return done.stdout


def esp_in(image: Path, esp: Path) -> None:
    """Make the vfat ESP hold exactly the directory `esp` (what the kodos command left there):
    its top-level folders are removed and everything is copied in again with mtools, top-level
    files (a kernel, with the ESP at /boot) overwritten."""
    where = f"{image}@@{ESP_OFFSET}"
    for top in ("EFI", "loader", "kodos"):
        run(["mdeltree", "-i", where, f"::/{top}"], env=MTOOLS, check=False)
    sources = [str(path) for path in sorted(esp.iterdir())]
    run(["mcopy", "-s", "-Q", "-o", "-i", where, *sources, "::/"], env=MTOOLS)


def esp_listing(image: Path) -> str:
    where = f"{image}@@{ESP_OFFSET}"
    return run(["mdir", "-/", "-b", "-i", where, "::/"], env=MTOOLS).stdout


def entry_files(image: Path) -> list[str]:
    """The file names in the ESP's loader/entries, sorted."""
    prefix = "::/loader/entries/"
    lines = esp_listing(image).splitlines()
    return sorted(ln.removeprefix(prefix) for ln in lines if ln.startswith(prefix) and ln != prefix)


def point_default_at_deleted_generation(image: Path, gen_id: int) -> None:
    """The negative control: an entry like generation 1's, but for generation `gen_id`'s
    subvolume (deleted), made loader.conf's default."""
    where = f"{image}@@{ESP_OFFSET}"
    (name,) = (name for name in entry_files(image) if name.startswith("kodos-1"))
    entry = run(["mtype", "-i", where, f"::/loader/entries/{name}"], env=MTOOLS).stdout
    gone = entry.replace("kodos/generations/1", f"kodos/generations/{gen_id}")
    assert gone != entry
    loader = run(["mtype", "-i", where, "::/loader/loader.conf"], env=MTOOLS).stdout
    lines = [ln for ln in loader.splitlines() if not ln.startswith("default ")]
    scratch = image.parent / "negative"
    scratch.mkdir()
    (scratch / "kodos-gone.conf").write_text(gone)
    (scratch / "loader.conf").write_text("\n".join([*lines, "default kodos-gone.conf"]) + "\n")
    run(
        ["mcopy", "-o", "-i", where, str(scratch / "kodos-gone.conf"), "::/loader/entries/"],
        env=MTOOLS,
    )
    run(["mcopy", "-o", "-i", where, str(scratch / "loader.conf"), "::/loader/"], env=MTOOLS)


def test_kodos_vm_says_when_qemu_is_missing(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    image.write_bytes(b"")
    done = kodos("vm", image, env={"PATH": str(tmp_path)})
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: qemu-system-x86_64 is not installed "
        "(Debian: apt install qemu-system-x86; Arch: pacman -S qemu)"
    )


@pytest.mark.system
def test_kodos_vm_says_when_ovmf_is_missing(tmp_path: Path) -> None:
    require_tools("qemu-system-x86_64")
    image = tmp_path / "disk.img"
    image.write_bytes(b"")
    done = kodos("vm", image, env={"KODOS_OVMF_DIR": str(tmp_path / "none")})
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: OVMF (UEFI firmware for QEMU) is not installed: no OVMF_CODE_4M.fd and "
        f"OVMF_VARS_4M.fd in {tmp_path / 'none'} (Debian: apt install ovmf; "
        "Arch: pacman -S edk2-ovmf)"
    )


@pytest.mark.system
def test_kodos_vm_says_when_the_image_is_missing(tmp_path: Path) -> None:
    require_tools("qemu-system-x86_64")
    require_firmware()
    done = kodos("vm", tmp_path / "nope.img")
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: no image at {tmp_path / 'nope.img'}"


def test_boot_modules_come_after_what_they_need() -> None:
    dep = module_dependencies(
        "kernel/fs/btrfs/btrfs.ko: kernel/lib/zstd/zstd_compress.ko kernel/crypto/xor.ko\n"
        "kernel/crypto/xor.ko:\n"
        "kernel/lib/zstd/zstd_compress.ko:\n"
        "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko\n"
        "kernel/drivers/virtio/virtio.ko:\n"
    )
    assert closure(dep, ("virtio_blk", "btrfs")) == [
        "virtio", "virtio_blk", "zstd_compress", "xor", "btrfs",
    ]  # fmt: skip
