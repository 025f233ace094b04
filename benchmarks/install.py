"""How much does `kodos install` cost on top of the raw steps of an install?

Both sides install the same package set from the same synthetic mirror (the configuration of
`tests.support.installing.install_config`, which the install tests use) onto a fresh 2 GiB
sparse image on a loop device, alternating which goes first, `--runs` times each, the
filesystems synced before each:

1. kodos: the whole `kodos install -c CONFIG --image IMG --size 2G --yes --sync-dir DIR
   --siglevel Never` process: checks, partitions, filesystems, subvolumes, base system, kernel,
   fstab, systemd-boot, the configuration through the applier, the re-plan, record, entry,
   index, defaults, and the ESP written with mtools;
2. raw: `truncate`, `losetup -P`, `sfdisk` (the same GPT), `partx -u`, `mkfs.vfat`, `mkswap`,
   `mkfs.btrfs`, a mount, `pacstrap -C CONF -G -M ROOT base`, then `pacstrap` of the kernel,
   btrfs-progs, linux-firmware and the configuration's packages (htop, openssh, memtest86+-efi),
   `bootctl install` into a directory and `mcopy` of it into the ESP, then umount, `partx -d`,
   `losetup -d`. (Two pacstrap runs, as kodos's two transactions: base first gives the kernel's
   scriptlet a shell.)

Goal: kodos − raw ≤ 2 s. Root required.

    sudo .venv/bin/python benchmarks/install.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import harness

from kodos.system.runner import run
from tests.support.installing import build_install_mirror, install_config
from tests.support.mirror import Mirror, write_pacman_conf
from tests.support.sync import mirror_sync_dir

GOAL = 2.0
PACKAGES = ("linux", "btrfs-progs", "linux-firmware", "htop", "openssh", "memtest86+-efi")
LAYOUT = "label: gpt\nsize=512MiB, type=uefi\nsize=64MiB, type=swap\ntype=linux\n"
MTOOLS = {"MTOOLS_SKIP_CHECK": "1"}
BOOTCTL = {"SYSTEMD_RELAX_ESP_CHECKS": "1", "SYSTEMD_LOG_LEVEL": "err"}


def raw_install(work: Path, mirror: Mirror) -> float:
    """The raw steps, timed (s); their files are deleted after."""
    image, root, esp = work / "raw.img", work / "raw-root", work / "raw-esp"
    conf = write_pacman_conf(work / "raw-pacman.conf", mirror)
    start = time.perf_counter()
    run(["truncate", "-s", "2G", str(image)])
    loop = run(["losetup", "-P", "--show", "-f", str(image)]).stdout.strip()
    try:
        run(["sfdisk", "--quiet", loop], input=LAYOUT)
        run(["partx", "-u", loop])
        run(["mkfs.vfat", "-F", "32", "-s", "1", f"{loop}p1"])
        run(["mkswap", f"{loop}p2"])
        run(["mkfs.btrfs", "-q", "-f", f"{loop}p3"])
        root.mkdir()
        esp.mkdir()
        run(["mount", f"{loop}p3", str(root)])
        try:
            run(["pacstrap", "-C", str(conf), "-G", "-M", str(root), "base"])
            run(["pacstrap", "-C", str(conf), "-G", "-M", str(root), *PACKAGES])
            (root / "efi").mkdir(exist_ok=True)
            run(["mount", "--bind", str(esp), str(root / "efi")])
            run(["bootctl", f"--esp-path={root / 'efi'}", "--no-variables", "install"], env=BOOTCTL)
            entries = [str(p) for p in esp.iterdir()]
            run(["mcopy", "-s", "-Q", "-i", f"{loop}p1", *entries, "::/"], env=MTOOLS)
        finally:
            run(["umount", "-R", str(root)])
    finally:
        run(["partx", "-d", loop], check=False)
        run(["losetup", "-d", loop])
    elapsed = time.perf_counter() - start
    image.unlink()
    harness.remove(root)
    harness.remove(esp)
    return elapsed


def benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="installs of each kind (3)")
    runs = parser.parse_args().runs
    if os.geteuid() != 0:
        raise harness.CannotMeasure("benchmarks/install.py uses loop devices: run it as root")
    with harness.work_directory("install") as work:
        mirror = build_install_mirror(work / "mirror")
        sync_dir = mirror_sync_dir(mirror, work / "sync")
        config = work / "config"
        config.mkdir()
        (config / "configuration.lua").write_text(install_config(mirror))
        image = work / "kodos.img"
        kodos = [*harness.kodos_command(), "install", "-c", str(config), "--image", str(image)]
        kodos += ["--size", "2G", "--yes", "--sync-dir", str(sync_dir), "--siglevel", "Never"]

        install = harness.settled(harness.process(kodos))

        def kodos_once() -> float:
            elapsed = install()
            image.unlink()
            return elapsed

        def raw_once() -> float:
            harness.settle()
            return raw_install(work, mirror)

        times = harness.rounds({"kodos": kodos_once, "raw": raw_once}, runs, warm_up=False)
    kodos_figure = harness.figure("kodos install --image (2 GiB)", times["kodos"], unit="s")
    raw = harness.figure("  raw steps: partition, mkfs, pacstrap, bootctl", times["raw"], unit="s")
    harness.print_table(
        [kodos_figure, raw, harness.difference("  kodos - raw", kodos_figure, raw, GOAL)]
    )


if __name__ == "__main__":
    sys.exit(harness.main(benchmark))
