"""Nothing is read or written through a link that leaves a generation or the ESP.

A generation's links are resolved inside it, as the machine itself (or `chroot`) resolves them:
`/var/log/pacman.log -> /root/secret` means the generation's own `/root/secret`. The ESP has no
links of its own (vfat), so one leading out of it is refused. Each class below tries every kind
of link: absolute to a host file, relative climbing out with `../..`, to a host directory, a
chain of links, a dangling one, and one to a device. After each, the victims on the host are
byte-identical, and the next clean run works. (tests/test_apply_paths.py drives the same on a
real Btrfs machine through the CLI.)
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kodos.apply.execute import execute
from kodos.apply.work import StepFailed
from kodos.generations.bootentries import (
    BootEntryError,
    default_entry_options,
    entry_ids,
    find_kernel,
    generation_options,
    generation_title,
    kernel_dir_ids,
    remove_generation_entry,
    set_default_entry,
    write_generation_entry,
)
from kodos.plan.model import Action, Change
from kodos.providers import Scope, bootloader
from kodos.system.rootfs import UnsafePath
from tests.support.applying import applicable_root, change, tree
from tests.support.catalog import base_packages
from tests.support.fixtures import PACMAN_TOOLS
from tests.support.mirror import Mirror, Pkg, build_mirror
from tests.support.target import TargetRoot
from tests.support.tools import require_root, require_tools

VARIANTS = ("absolute", "relative", "directory", "chain", "dangling", "device")
UUID = "5b1e3c1a-8a7e-4e43-9d6c-7c1f0e2f6a10"
# A hook that would leave a marker in the target if pacman read it from the host directory.
MARKER_HOOK = """[Trigger]
Operation = Install
Type = Package
Target = *

[Action]
When = PostTransaction
Exec = /bin/sh -c 'echo ran > /hook-ran'
"""


@dataclass(frozen=True)
class Host:
    """Victims outside every root: a file and a directory holding a file and a pacman hook."""

    directory: Path

    @property
    def file(self) -> Path:
        return self.directory / "victim"

    def snapshot(self) -> dict[str, object]:
        return tree(self.directory.parent / "host")


@pytest.fixture
def host(tmp_path: Path) -> Host:
    directory = tmp_path / "host"
    directory.mkdir()
    (directory / "victim").write_bytes(b"a host file: must stay byte-identical\n")
    (directory / "marker.hook").write_text(MARKER_HOOK)
    (directory / "5").mkdir()
    (directory / "5/vmlinuz-linux").write_bytes(b"not kodos's\n")
    (directory / "kodos-5.conf").write_text("title not kodos's\n")
    (directory / "vmlinuz-linux").write_bytes(b"a host kernel\n")
    return Host(directory)


def place_link(root: Path, path: str, variant: str, host: Host) -> None:
    """Put a link of `variant` at `path` (relative to `root`), moving what is there aside.
    "chain" links to a link at the root's top, which leads to the host file."""
    link = root / path
    targets = {
        "absolute": str(host.file),
        "relative": "../" * (path.count("/") + 30) + str(host.file).lstrip("/"),
        "directory": str(host.directory),
        "chain": "/kodos-hop",
        "dangling": "/kodos-no-such-directory/file",
        "device": "/dev/zero",
    }
    if variant == "chain":
        os.symlink(host.file, root / "kodos-hop")
    aside(link)
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(targets[variant], link)


def put_back(root: Path, path: str) -> None:
    link = root / path
    link.unlink()
    aside = link.with_name(".aside-" + link.name)
    if aside.exists() or aside.is_symlink():
        aside.rename(link)


# ---- pacman's own paths in a generation ------------------------------------------------------


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    require_tools(*PACMAN_TOOLS, "mount", "chroot")
    require_root()
    extra = [
        Pkg("tool", "1-1", files={"usr/bin/tool": "#!/bin/sh\necho tool\n"}),
        Pkg("other", "1-1", files={"usr/bin/other": "#!/bin/sh\necho other\n"}),
    ]
    return build_mirror(tmp_path_factory.mktemp("links-mirror"), [*base_packages(), *extra])


@pytest.fixture
def root(tmp_path: Path, mirror: Mirror) -> TargetRoot:
    target = applicable_root(tmp_path, mirror)
    for directory in ("dev", "proc", "sys", "run"):  # as Arch's filesystem package has them
        (target.path / directory).mkdir(exist_ok=True)
    return target


def install(name: str) -> list[Change]:
    return [change("pacman", "package", name, Action.CREATE, after={"reason": "explicit"})]


DEVICE_IN_DEV = "leads to /dev/zero, a character device: kodos uses only {} there"
NO_CONFIG = "check the plan (pacman.package[tool]): {root}/etc/pacman.conf: the target has no pacman configuration"
NO_DATABASE = (
    "check the plan (pacman.package[tool]): /var/lib/pacman: the target has no pacman database"
)


def pacman_expected(path: str, variant: str) -> str | None:
    """The error `execute` gives with the link in place; None: it installs the package, every
    link followed inside the target (into places that do not exist there, or the target's own
    /dev/zero, which the kernel file systems put there while pacman runs)."""
    if path == "etc/pacman.conf":
        return NO_CONFIG
    if path == "var/lib/pacman":
        return NO_DATABASE
    if variant == "device":
        wanted = "a regular file" if path.endswith(".log") else "a directory"
        return f"install packages (pacman.package[tool]): /{path} " + DEVICE_IN_DEV.format(wanted)
    return None


@pytest.mark.system
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(
    "path",
    [
        "var/log/pacman.log",
        "etc/pacman.conf",
        "var/lib/pacman",
        "var/cache/pacman/pkg",
        "etc/pacman.d/hooks",
    ],
)
def test_pacman_never_reads_or_writes_through_a_link_out_of_the_target(
    root: TargetRoot, host: Host, path: str, variant: str
) -> None:
    before = host.snapshot()
    place_link(root.path, path, variant, host)
    expected = pacman_expected(path, variant)

    if expected is None:
        execute(install("tool"), {}, root.path, esp=None)
        assert "tool 1-1" in root.query("-Q")
    else:
        with pytest.raises(StepFailed) as raised:
            execute(install("tool"), {}, root.path, esp=None)
        assert str(raised.value) == expected.format(root=root.path)

    assert host.snapshot() == before
    assert not (root.path / "hook-ran").exists()  # the host's hook directory was not read
    put_back(root.path, path)
    execute(install("other"), {}, root.path, esp=None)
    assert "other 1-1" in root.query("-Q")
    assert host.snapshot() == before


@pytest.mark.system
def test_a_link_inside_the_target_is_followed_there(root: TargetRoot, host: Host) -> None:
    """The positive side: /var/log/pacman.log -> /var/log/elsewhere.log logs there."""
    log = root.path / "var/log/pacman.log"
    log.rename(root.path / "var/log/elsewhere.log")
    log.symlink_to("/var/log/elsewhere.log")

    execute(install("tool"), {}, root.path, esp=None)

    assert log.is_symlink()
    assert "installed tool (1-1)" in (root.path / "var/log/elsewhere.log").read_text()


# ---- a generation's kernel, command line and os-release --------------------------------------


def generation(tmp_path: Path) -> Path:
    """A generation as Arch leaves it: /boot with the kernel mkinitcpio copied, /dev empty
    but for a device node a hostile generation could hold."""
    root = tmp_path / "gen"
    (root / "boot").mkdir(parents=True)
    (root / "boot/vmlinuz-linux").write_bytes(b"kernel linux")
    (root / "boot/initramfs-linux.img").write_bytes(b"initramfs linux")
    (root / "usr/lib/modules/6.9.1-arch1-1").mkdir(parents=True)
    (root / "usr/lib/modules/6.9.1-arch1-1/vmlinuz").write_bytes(b"kernel in modules")
    (root / "dev").mkdir()
    os.mknod(root / "dev/zero", 0o666 | stat.S_IFCHR, os.makedev(1, 5))
    (root / "etc/kernel").mkdir(parents=True)
    return root


def esp_of(tmp_path: Path) -> Path:
    esp = tmp_path / "esp"
    (esp / "loader/entries").mkdir(parents=True)
    (esp / "loader/loader.conf").write_text("timeout 3\ndefault arch.conf\n")
    (esp / "loader/entries/arch.conf").write_text("title Arch\noptions root=/dev/sda2 quiet\n")
    return esp


def write_entry(esp: Path, root: Path, gen_id: int = 3) -> Path:
    return write_generation_entry(
        esp,
        gen_id,
        fs_uuid=UUID,
        subvolume=f"kodos/generations/{gen_id}",
        kernel_files=find_kernel(root),
        title=generation_title(root, gen_id),
        extra_options=generation_options(root, esp),
    )


@pytest.mark.system
@pytest.mark.parametrize("variant", VARIANTS)
def test_a_kernel_linked_out_of_the_generation_is_not_a_kernel(
    tmp_path: Path, host: Host, variant: str
) -> None:
    root, esp = generation(tmp_path), esp_of(tmp_path)
    before = host.snapshot()
    place_link(root, "boot/vmlinuz-linux", variant, host)

    with pytest.raises(BootEntryError) as raised:
        write_entry(esp, root)

    assert str(raised.value) == f"{root}/boot: no kernel (vmlinuz-*): this generation cannot boot"
    assert not (esp / "kodos").exists() and entry_ids(esp) == []
    assert host.snapshot() == before
    put_back(root, "boot/vmlinuz-linux")
    write_entry(esp, root)
    assert (esp / "kodos/3/vmlinuz-linux").read_bytes() == b"kernel linux"


@pytest.mark.system
@pytest.mark.parametrize("variant", VARIANTS)
def test_files_a_generation_links_out_of_it_are_never_read(
    tmp_path: Path, host: Host, variant: str
) -> None:
    """/boot itself, the initramfs, /etc/kernel/cmdline and /etc/os-release, each a link out:
    the entry boots what the generation has, with the options the machine boots with now."""
    root, esp = generation(tmp_path), esp_of(tmp_path)
    host.file.write_bytes(b'PRETTY_NAME="Host secret" options=leaked\n')
    before = host.snapshot()
    for path in ("boot/initramfs-linux.img", "etc/kernel/cmdline", "etc/os-release"):
        place_link(root, path, variant if variant != "chain" else "absolute", host)

    entry = write_entry(esp, root).read_text()

    assert entry.splitlines()[1:] == [
        "title      Arch Linux (kodos generation 3)",
        "version    3",
        "sort-key   kodos",
        "linux      /kodos/3/vmlinuz-linux",
        f"options    root=UUID={UUID} rootflags=subvol=kodos/generations/3 rw quiet",
    ]
    assert sorted(p.name for p in (esp / "kodos/3").iterdir()) == ["vmlinuz-linux"]
    assert host.snapshot() == before

    place_link(root, "boot", variant, host)
    with pytest.raises(BootEntryError, match="no kernel"):
        write_entry(esp, root, 4)
    assert host.snapshot() == before


@pytest.mark.system
def test_a_kernel_linked_inside_the_generation_is_copied_from_there(tmp_path: Path) -> None:
    root, esp = generation(tmp_path), esp_of(tmp_path)
    (root / "boot/vmlinuz-linux").unlink()
    (root / "boot/vmlinuz-linux").symlink_to("/usr/lib/modules/6.9.1-arch1-1/vmlinuz")

    write_entry(esp, root)

    assert (esp / "kodos/3/vmlinuz-linux").read_bytes() == b"kernel in modules"
    assert (esp / "kodos/3/initramfs-linux.img").read_bytes() == b"initramfs linux"


# ---- the ESP --------------------------------------------------------------------------------

ESP_VARIANTS = ("absolute", "relative", "directory", "chain", "dangling", "device")


def esp_link(esp: Path, path: str, variant: str, host: Host) -> str:
    """A link at `path` on the ESP leading out of it; returns the link the refusal names."""
    if variant == "chain":  # kodos -> hop (inside the ESP) -> out
        os.symlink(host.directory, esp / "hop")
        aside(esp / path)
        os.symlink("/".join([".."] * path.count("/") + ["hop"]), esp / path)
        return f"{esp}/hop"
    if variant == "relative":
        aside(esp / path)
        os.symlink("../" * (path.count("/") + 30) + str(host.directory).lstrip("/"), esp / path)
        return f"{esp}/{path}"
    place_link(esp, path, variant, host)
    return f"{esp}/{path}"


def aside(path: Path) -> None:
    if path.exists() or path.is_symlink():
        path.rename(path.with_name(".aside-" + path.name))


Write = Callable[[Path, Path], object]
ESP_WRITES: dict[str, tuple[str, Write]] = {
    "kernels": ("kodos", lambda esp, root: write_entry(esp, root, 5)),
    "entries": ("loader/entries", lambda esp, root: write_entry(esp, root, 5)),
    "loader directory": ("loader", lambda esp, root: set_default_entry(esp, 5)),
    "loader.conf": ("loader/loader.conf", lambda esp, root: set_default_entry(esp, 5)),
}


@pytest.mark.system
@pytest.mark.parametrize("variant", ESP_VARIANTS)
@pytest.mark.parametrize("where", ESP_WRITES)
def test_writing_through_a_link_out_of_the_esp_is_refused(
    tmp_path: Path, host: Host, where: str, variant: str
) -> None:
    root, esp = generation(tmp_path), esp_of(tmp_path)
    path, write = ESP_WRITES[where]
    before = host.snapshot()
    named = esp_link(esp, path, variant, host)

    with pytest.raises(UnsafePath) as raised:
        write(esp, root)

    assert str(raised.value) == f"{named} is a link out of the ESP"
    assert host.snapshot() == before


@pytest.mark.system
@pytest.mark.parametrize("variant", ESP_VARIANTS)
@pytest.mark.parametrize("path", ["kodos", "loader/entries"])
def test_listing_and_removing_never_reach_out_of_the_esp(
    tmp_path: Path, host: Host, path: str, variant: str
) -> None:
    """What is behind a link out of the ESP is not kodos's: not listed, never removed; the
    removal of the rest goes through, whole."""
    root, esp = generation(tmp_path), esp_of(tmp_path)
    write_entry(esp, root, 5)
    before = host.snapshot()
    esp_link(esp, path, variant, host)

    assert (entry_ids(esp), kernel_dir_ids(esp)) == (
        ([], [5]) if path == "loader/entries" else ([5], [])
    )
    remove_generation_entry(esp, 5)

    assert entry_ids(esp) == [] and kernel_dir_ids(esp) == []
    assert host.snapshot() == before


@pytest.mark.system
@pytest.mark.parametrize("variant", [*ESP_VARIANTS, "inside"])
def test_a_link_at_esp_kodos_n_is_removed_itself_and_never_followed(
    tmp_path: Path, host: Host, variant: str
) -> None:
    root, esp = generation(tmp_path), esp_of(tmp_path)
    (esp / "kodos").mkdir()
    before = host.snapshot()
    if variant == "inside":  # kodos/5 -> ../loader: removing must not empty loader/
        os.symlink("../loader", esp / "kodos/5")
    else:
        esp_link(esp, "kodos/5", variant, host)
    loader = tree(esp / "loader")

    assert kernel_dir_ids(esp) == [5]
    remove_generation_entry(esp, 5)

    assert not (esp / "kodos/5").is_symlink() and kernel_dir_ids(esp) == []
    assert tree(esp / "loader") == loader
    assert host.snapshot() == before
    # And a generation 5 built again gets a real directory of its own.
    os.symlink("../loader", esp / "kodos/5")
    write_entry(esp, root, 5)
    assert (esp / "kodos/5").is_dir() and not (esp / "kodos/5").is_symlink()
    assert sorted(os.listdir(esp / "loader")) == ["entries", "loader.conf"]
    assert sorted(os.listdir(esp / "loader/entries")) == ["arch.conf", "kodos-5+3.conf"]


@pytest.mark.system
def test_links_inside_the_esp_are_followed(tmp_path: Path) -> None:
    root, esp = generation(tmp_path), esp_of(tmp_path)
    (esp / "kodos-real").mkdir()
    (esp / "kodos").symlink_to("kodos-real")

    text = write_entry(esp, root, 5).read_text()

    assert "linux      /kodos-real/5/vmlinuz-linux\n" in text
    assert (esp / "kodos-real/5/vmlinuz-linux").read_bytes() == b"kernel linux"
    assert default_entry_options(esp) == ["root=/dev/sda2", "quiet"]


# ---- the boot loader step of execute ---------------------------------------------------------


@pytest.mark.system
@pytest.mark.parametrize("variant", VARIANTS)
def test_an_efi_program_linked_out_of_the_target_is_not_copied(
    root: TargetRoot, tmp_path: Path, host: Host, variant: str
) -> None:
    esp = esp_of(tmp_path)
    (root.path / "boot/memtest86+").mkdir(parents=True)
    place_link(root.path, "boot/memtest86+/memtest.efi", variant, host)
    memtest = change(
        "bootloader", "entry", "memtest", Action.CREATE,
        after={"title": "Memtest86+", "efi": "/memtest86+/memtest.efi"},
    )  # fmt: skip
    before = host.snapshot()

    with pytest.raises(StepFailed) as raised:
        execute([memtest], {}, root.path, esp=esp)

    assert str(raised.value) == (
        "update the boot loader (bootloader.entry[memtest]): /memtest86+/memtest.efi: "
        "the EFI program is neither in the target's /boot nor on the ESP"
    )
    assert not (esp / "memtest86+").exists() and host.snapshot() == before


@pytest.mark.system
@pytest.mark.parametrize("variant", ESP_VARIANTS)
def test_loader_settings_are_not_written_through_a_link_out_of_the_esp(
    root: TargetRoot, tmp_path: Path, host: Host, variant: str
) -> None:
    esp = esp_of(tmp_path)
    named = esp_link(esp, "loader/loader.conf", variant, host)
    loader = change("bootloader", "loader", "systemd-boot", Action.CREATE, after={"timeout": 9})
    before = host.snapshot()

    with pytest.raises(StepFailed) as raised:
        execute([loader], {}, root.path, esp=esp)

    assert str(raised.value) == (
        f"update the boot loader (bootloader.loader[systemd-boot]): "
        f"{named} is a link out of the ESP"
    )
    assert host.snapshot() == before
    put_back(esp, "loader/loader.conf")
    execute([loader], {}, root.path, esp=esp)
    assert (esp / "loader/loader.conf").read_text() == "timeout 9\ndefault arch.conf\n"


# ---- reading the ESP (plan, facts) -----------------------------------------------------------


@pytest.mark.parametrize("variant", [v for v in ESP_VARIANTS if v != "dangling"])
def test_the_bootloader_provider_reads_nothing_through_a_link_out_of_the_esp(
    tmp_path: Path, host: Host, variant: str
) -> None:
    """A machine whose ESP is `/efi`: `loader/entries/leak.conf` and `loader/loader.conf`
    each a link out of it. Neither is read (a note says so); the host's file never shows."""
    machine = tmp_path / "machine"
    esp = esp_of(machine).rename(machine / "efi")
    (esp / "EFI/systemd").mkdir(parents=True)  # found as the ESP whatever loader.conf is
    host.file.write_text("title secret from the host\ntimeout 99\n")
    for path in ("loader/entries/leak.conf", "loader/loader.conf"):
        link = esp / path
        aside(link)
        if variant == "directory":  # a link out to a directory is no file to read
            os.symlink(host.file, link)
        elif variant == "chain":
            os.symlink("../../hop", link)
            if not (esp / "hop").is_symlink():
                os.symlink(host.file, esp / "hop")
        else:
            place_link(esp, path, variant, host)

    reading = bootloader.read(machine, Scope())

    shown = repr(reading)
    assert "secret" not in shown and "99" not in shown
    assert {r.address for r in reading.resources} == {"bootloader.entry[arch]"}
    notes = ["/efi/loader/loader.conf: not read (is a link out of the ESP); left out"]
    if variant != "device":  # an entry that is no file on the host is not even tried
        notes.append("/efi/loader/entries/leak.conf: not read (is a link out of the ESP); left out")
    assert reading.notes == notes
