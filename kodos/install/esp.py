"""The ESP of a fresh install: systemd-boot, its configuration, the generation's kernel.

The ESP is mounted where the disk definition says (`esp_mount`: `/efi` by default, `/boot` or
`/boot/efi`) in the new root, as its fstab says, where the applier and `kodos apply` find it.
When the kernel cannot mount vfat (these CI machines have no vfat), a directory stands in for
it — bound onto that mount point, so bootctl sees a mount point — and `write_with_mtools` copies its
contents into the vfat partition at the end: the result is the same real ESP. The directory is
made in kodos's private scratch tmpfs, so it vanishes with the process however it ends.

systemd-boot comes from the installing system (`bootctl install`, which copies its EFI binary
to `EFI/systemd/` and the removable path `EFI/BOOT/BOOTX64.EFI`); no EFI variables are
written, so the disk boots through the removable path on any machine.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kodos.system.runner import CommandFailed, run

# bootctl checks that the ESP is vfat with the ESP partition type; a staged directory is
# neither, and no EFI variables exist on these machines.
BOOTCTL_ENV = {"SYSTEMD_RELAX_ESP_CHECKS": "1", "SYSTEMD_LOG_LEVEL": "err"}
MTOOLS_ENV = {"MTOOLS_SKIP_CHECK": "1"}


@dataclass(frozen=True, slots=True)
class Esp:
    """The ESP at `path` (the new root's /efi); `staging` is set when it is a directory that
    still has to be written into `partition` with mtools."""

    path: Path
    partition: str
    staging: Path | None


@contextmanager
def mounted_esp(partition: str, mount_point: Path) -> Iterator[Esp]:
    """The ESP at `mount_point` for the body: the vfat partition itself, or a staging
    directory bound there when vfat cannot be mounted."""
    mount_point.mkdir(parents=True, exist_ok=True)
    try:
        run(["mount", "-t", "vfat", "-o", "fmask=0077,dmask=0077", partition, str(mount_point)])
        staging = None
    except CommandFailed:
        staging = Path(tempfile.mkdtemp(prefix="kodos-esp-"))
        run(["mount", "--bind", str(staging), str(mount_point)])
    try:
        yield Esp(mount_point, partition, staging)
    finally:
        run(["umount", str(mount_point)])
        if staging is not None:
            shutil.rmtree(staging)


def install_systemd_boot(esp: Path) -> None:
    argv = ["bootctl", f"--esp-path={esp}", "--no-variables", "--no-pager", "install"]
    run(argv, env=BOOTCTL_ENV)


def write_with_mtools(esp: Esp) -> None:
    """Copy the staged ESP into its (freshly formatted, empty) vfat partition, then check the
    filesystem (`fsck.vfat -n` changes nothing)."""
    if esp.staging is None:
        return
    entries = sorted(str(p) for p in esp.staging.iterdir())
    if entries:
        run(["mcopy", "-s", "-Q", "-i", esp.partition, *entries, "::/"], env=MTOOLS_ENV)
    run(["fsck.vfat", "-n", esp.partition])
