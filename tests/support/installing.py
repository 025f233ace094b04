"""What `kodos install` tests install from: the standard mirror, but with Arch's accounts.

On Arch, `filesystem` ships `/etc/passwd`, `group`, `shadow`, `gshadow` (root only) and
`shadow` ships `/etc/login.defs`; the catalog's `filesystem` ships neither, because other
fixtures write them into a root before installing `base`. An installed system starts from
nothing, so this mirror's `filesystem` carries them (login.defs too, to keep it small).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from kodos.install.image import detach
from kodos.system.runner import run
from tests.support.btrfs import unmount_all
from tests.support.catalog import standard_packages
from tests.support.mirror import Mirror, Pkg, build_mirror
from tests.support.target import ACCOUNT_FILES

MTOOLS = {"MTOOLS_SKIP_CHECK": "1"}
INSTALL_TOOLS = (
    "sfdisk", "losetup", "partx", "blockdev", "blkid", "mkfs.vfat", "mkswap", "mkfs.btrfs",
    "btrfs", "bootctl", "mcopy", "mdir", "fsck.vfat", "pacman", "repo-add", "busybox",
)  # fmt: skip


def install_packages() -> list[Pkg]:
    accounts = {path: content for path, content, _mode in ACCOUNT_FILES}
    return [
        dataclasses.replace(p, files={**p.files, **accounts}) if p.name == "filesystem" else p
        for p in standard_packages()
    ]


def build_install_mirror(directory: Path) -> Mirror:
    return build_mirror(directory, install_packages())


def install_config(mirror: Mirror, *, swap: str | None = "64MiB", extra: str = "") -> str:
    """A configuration touching every section install applies; `extra` goes in the table."""
    swap_arg = f', "{swap}"' if swap else ""
    return f"""
local disk = require("disk")
local repos = require("repos")
return {{
    repos = {{ arch = repos.arch_repo("file://{mirror.path.resolve()}") }},
    devices = {{ disk0 = disk.disk_definition("/dev/vda"{swap_arg}) }},
    boot = {{
        kernel = {{ package = "linux", modules = {{ "btrfs", "virtio_blk" }} }},
        loader = {{ timeout = 3, include = {{ "memtest86+" }} }},
    }},
    network = {{ hostname = "installed" }},
    packages = {{ "htop" }},
    services = {{ openssh = {{ enable = true, service_name = "sshd" }} }},
    users = {{
        alice = {{
            name = "Alice",
            shell = "/bin/sh",
            hashed_password = "$6$salt$IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3aCI6WouIL9AjRbLCelDCy.g.",
        }},
    }},
    {extra}
}}
"""


@contextmanager
def installed_machine(image: Path, work: Path, esp_at: str = "efi") -> Iterator[Path]:
    """An installed image attached and generation 1 mounted as a machine kodos can apply to:
    `@home` at home and, since vfat cannot be mounted here, the ESP's content copied out with
    mtools into a directory bound at `/efi` (or `esp_at`, where the image's fstab has it; what
    `kodos apply` changes there stays in that directory). Everything is taken down afterwards,
    also when the body fails."""
    loop = run(["losetup", "-P", "--show", "-f", str(image)]).stdout.strip()
    with ExitStack() as stack:
        # kodos's own detach: partx -d retried while a just-unmounted partition is still busy
        # (under load Btrfs lets go of it a moment after umount returns), then losetup -d.
        stack.callback(detach, loop)
        run(["partx", "-u", loop])
        stack.callback(unmount_all, work, loop)
        root = work / "machine"
        root.mkdir(parents=True)
        root_part = f"{loop}p3" if Path(f"{loop}p3").exists() else f"{loop}p2"
        run(["mount", "-o", "subvol=kodos/generations/1", root_part, str(root)])
        run(["mount", "-o", "subvol=@home", root_part, str(root / "home")])
        esp = work / "esp"
        esp.mkdir()
        run(["mcopy", "-s", "-Q", "-i", f"{loop}p1", "::/*", str(esp)], env=MTOOLS)
        run(["mount", "--bind", str(esp), str(root / esp_at)])
        yield root


def attached_loops() -> str:
    return run(["losetup", "-a"]).stdout.strip()
