"""How much does `kodos install` cost on top of the raw steps of an install?

Both sides install the same package set from the same synthetic mirror (the configuration of
`tests.support.installing.install_config`, which the install tests use) onto a fresh 2 GiB
sparse image on a loop device, alternating which goes first, `--runs` times each:

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

Goal: kodos − raw ≤ 2 s. Root required. Run: `.venv/bin/python benchmarks/install.py`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kodos.system.runner import run  # noqa: E402
from tests.support.installing import build_install_mirror, install_config  # noqa: E402
from tests.support.mirror import Mirror, write_pacman_conf  # noqa: E402
from tests.support.sync import mirror_sync_dir  # noqa: E402

GOAL = 2.0
PACKAGES = ("linux", "btrfs-progs", "linux-firmware", "htop", "openssh", "memtest86+-efi")
LAYOUT = "label: gpt\nsize=512MiB, type=uefi\nsize=64MiB, type=swap\ntype=linux\n"
MTOOLS = {"MTOOLS_SKIP_CHECK": "1"}
BOOTCTL = {"SYSTEMD_RELAX_ESP_CHECKS": "1", "SYSTEMD_LOG_LEVEL": "err"}


def kodos_install(work: Path, config: Path, sync_dir: Path) -> float:
    image = work / "kodos.img"
    argv = [sys.executable, "-m", "kodos", "install", "-c", str(config), "--image", str(image)]
    argv += ["--size", "2G", "--yes", "--sync-dir", str(sync_dir), "--siglevel", "Never"]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"kodos install failed:\n{done.stderr}")
    image.unlink()
    return elapsed


def raw_install(work: Path, mirror: Mirror) -> float:
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
            _pacstrap_and_boot(conf, root, esp, loop)
        finally:
            run(["umount", "-R", str(root)])
    finally:
        run(["partx", "-d", loop], check=False)
        run(["losetup", "-d", loop])
    elapsed = time.perf_counter() - start
    image.unlink()
    root.rmdir()
    run(["rm", "-rf", str(esp)])
    return elapsed


def _pacstrap_and_boot(conf: Path, root: Path, esp: Path, loop: str) -> None:
    run(["pacstrap", "-C", str(conf), "-G", "-M", str(root), "base"])
    run(["pacstrap", "-C", str(conf), "-G", "-M", str(root), *PACKAGES])
    (root / "efi").mkdir(exist_ok=True)
    run(["mount", "--bind", str(esp), str(root / "efi")])
    run(["bootctl", f"--esp-path={root / 'efi'}", "--no-variables", "install"], env=BOOTCTL)
    entries = [str(p) for p in esp.iterdir()]
    run(["mcopy", "-s", "-Q", "-i", f"{loop}p1", *entries, "::/"], env=MTOOLS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="kodos-bench-install-") as tmp:
        work = Path(tmp)
        mirror = build_install_mirror(work / "mirror")
        sync_dir = mirror_sync_dir(mirror, work / "sync")
        config = work / "config"
        config.mkdir()
        (config / "configuration.lua").write_text(install_config(mirror))
        kodos_times, raw_times = [], []
        for i in range(runs):
            for name in ("kodos", "raw") if i % 2 == 0 else ("raw", "kodos"):
                run(["sync"])  # no run pays for another's writeback
                if name == "kodos":
                    kodos_times.append(kodos_install(work, config, sync_dir))
                else:
                    raw_times.append(raw_install(work, mirror))
    report(kodos_times, raw_times)


def report(kodos_times: list[float], raw_times: list[float]) -> None:
    kodos, raw = statistics.median(kodos_times), statistics.median(raw_times)
    difference = kodos - raw
    verdict = "met" if difference <= GOAL else "MISSED"
    print(f"kodos install (median of {len(kodos_times)}): {kodos:.2f} s")
    print(f"raw steps     (median of {len(raw_times)}): {raw:.2f} s")
    print(f"kodos - raw: {difference:+.2f} s (goal <= {GOAL:.1f} s: {verdict})")


if __name__ == "__main__":
    main()
