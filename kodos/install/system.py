"""The base system of generation 1: pacman.conf, the base packages, the initramfs drop-in and
fstab.

pacman runs exactly as the applier runs it (`kodos.apply.packages`: everything confined to
the target — its configuration, database, cache, hooks, keyring and log — with the kernel file
systems mounted for scriptlets), which is what pacstrap does, minus copying the host's
configuration: the target's own pacman.conf, written from `repos`, is the one used. It is
written the way every apply manages repositories (`kodos.pacman.conf`): `[core]` and `[extra]`
including `/etc/pacman.d/mirrorlist`, which lists the configuration's mirror.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from kodos.apply.chroot import api_filesystems
from kodos.apply.execute import execute
from kodos.apply.packages import pacman_notes, run_pacman
from kodos.install.storage import HOME_SUBVOLUME, Formatted
from kodos.pacman import conf
from kodos.pacman.syncdb import ARCH_REPOS, check_pacman_values
from kodos.plan.diff import diff
from kodos.resources import Resource
from kodos.system.atomic import write_text_atomic

# What pacstrap creates before pacman runs: pacman needs its database and cache directories,
# and writes no log without var/log.
ROOT_DIRECTORIES = ("var/lib/pacman", "var/cache/pacman/pkg", "var/log", "etc/pacman.d/hooks")
HOST_KEYRING = Path("/etc/pacman.d/gnupg")
BASE = "base"
PACMAN_CONF = "/etc/pacman.conf"
OVERWRITTEN = (PACMAN_CONF, conf.MIRRORLIST)  # kodos's, in place before pacman's packages
ALWAYS = ("btrfs-progs",)  # the root is Btrfs: its tools belong in every generation
WHERE_AVAILABLE = ("linux-firmware",)
MICROCODE = {"GenuineIntel": "intel-ucode", "AuthenticAMD": "amd-ucode"}


def prepare_root(target: Path, mirror: str, sig_level: str) -> None:
    """The directories pacman needs, the mirror list naming the configuration's Arch mirror,
    and `etc/pacman.conf` serving core and extra from it."""
    check_pacman_values(mirror, sig_level)
    for directory in ROOT_DIRECTORIES:
        (target / directory).mkdir(parents=True, exist_ok=True)
    text = f"[options]\nArchitecture = auto\nSigLevel = {sig_level}\n"
    for repo in ARCH_REPOS:
        text = conf.with_repository(text, repo, conf.MIRRORLIST)
    write_text_atomic(target / PACMAN_CONF[1:], text)
    servers = [conf.server_line(mirror)]
    write_text_atomic(target / conf.MIRRORLIST[1:], conf.mirrorlist_text(servers))
    # As pacstrap does: the host's keyring verifies the packages (when signatures are checked
    # at all); without one, pacman says which signature it could not verify.
    keyring = target / "etc/pacman.d/gnupg"
    if sig_level != "Never" and HOST_KEYRING.is_dir() and not keyring.exists():
        shutil.copytree(HOST_KEYRING, keyring, symlinks=True)


def system_packages(kernel: str, available: Iterable[str]) -> list[str]:
    """The kernel, btrfs-progs, and firmware and microcode (for this machine's CPU) when the
    repositories have them."""
    offered = set(available)
    extra = [*WHERE_AVAILABLE, *_microcode()]
    return [kernel, *ALWAYS, *(name for name in extra if name in offered)]


def _microcode() -> list[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return []
    vendors = {line.split(":", 1)[1].strip() for line in text.splitlines() if "vendor_id" in line}
    return sorted(MICROCODE[v] for v in vendors if v in MICROCODE)


def install_packages(target: Path, names: Iterable[str]) -> list[str]:
    """One pacman transaction (`-Sy`: the databases come with the first) installing `names`
    explicitly; returns notes (failed scriptlets, warnings).

    kodos's pacman.conf and mirror list are in place before the packages owning them are:
    `--overwrite` lets those packages' copies land (pacman would otherwise refuse a file it
    does not own), and `prepare_root` writes kodos's again afterwards."""
    notes: list[str] = []
    overwrite = [word for path in OVERWRITTEN for word in ("--overwrite", path)]
    args = ["-Sy", "--needed", "--asexplicit", "--noprogressbar", *overwrite]
    with api_filesystems(target, notes):
        done = run_pacman(target, [*args, *names])
    return [*notes, *pacman_notes(done.stdout + done.stderr)]


def write_files(target: Path, desired: Mapping[str, Resource], addresses: Iterable[str]) -> None:
    """Some of the configuration's files, ahead of the rest: the mkinitcpio drop-in must be in
    place before the kernel's install builds the initramfs, so it is built once, right."""
    chosen = {a: desired[a] for a in addresses if a in desired}
    if chosen:
        execute(diff(chosen, {}, frozenset()), desired, target, esp=None)


def write_fstab(target: Path, formatted: Formatted, esp_mount: str) -> None:
    """fstab by UUID. The root line names no subvolume: every generation's boot entry picks
    its own with `rootflags=subvol=`, and a snapshot must not pin the generation it came
    from."""
    btrfs, esp = formatted.root.uuid, formatted.esp_uuid
    lines = [
        "# Written by kodos install. / is the generation the boot entry chose (rootflags).",
        f"UUID={btrfs}  /      btrfs  rw,relatime  0 0",
        f"UUID={btrfs}  /home  btrfs  rw,relatime,subvol={HOME_SUBVOLUME}  0 0",
        f"UUID={esp}  {esp_mount:<6} vfat   rw,relatime,fmask=0077,dmask=0077  0 2",
    ]
    if formatted.swap_uuid is not None:
        lines.append(f"UUID={formatted.swap_uuid}  none  swap  defaults  0 0")
    write_text_atomic(target / "etc/fstab", "\n".join(lines) + "\n")
