"""What `kodos install` refuses before it writes anything: each a one-line `InstallRefused`.

The configuration must name exactly one disk (its `swap_size` was checked when the configuration
was validated), its packages — the kernel first, by name — must be in the repositories, and the
device must exist, be unused (`kodos.install.disk`) and be large enough for the layout.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from kodos.config.load import LoadedConfig
from kodos.config.model import Disk
from kodos.disklayout import ESP_SIZE, ROOT_MINIMUM, Layout, SizeError, human, parse_size
from kodos.install.disk import InstallRefused
from kodos.pacman.localdb import SyncIndex
from kodos.pacman.syncdb import SyncSource, load_sync_databases, locate_sync_databases
from kodos.plan.build import PlanOptions, make_plan

NOTHING_WRITTEN = "nothing was written"
EXAMPLE = 'devices = { disk0 = disk.disk_definition("/dev/vda", "4GB") }'


def configured_disk(loaded: LoadedConfig) -> Disk:
    disks = loaded.config.devices
    if not disks:
        raise InstallRefused(
            f"{loaded.display_path} has no devices section: kodos install needs the disk to "
            f"install on, e.g. {EXAMPLE}"
        )
    if len(disks) > 1:
        raise InstallRefused(
            f"{loaded.display_path} names {len(disks)} disks ({', '.join(sorted(disks))}): "
            "kodos install supports exactly one for now"
        )
    return next(iter(disks.values()))


def check_fits(size: int, layout: Layout, device: str) -> None:
    if size >= layout.minimum:
        return
    swap = f", swap {human(layout.swap)}" if layout.swap else ""
    raise InstallRefused(
        f"{device} is too small: {human(size)}, the layout needs at least "
        f"{human(layout.minimum)} (ESP {human(ESP_SIZE)}{swap}, root at least "
        f"{human(ROOT_MINIMUM)}); {NOTHING_WRITTEN}"
    )


def image_size(size: str | None) -> int:
    if size is None:
        raise InstallRefused(f"--image needs --size (e.g. --size 4G); {NOTHING_WRITTEN}")
    try:
        return parse_size(size, "--size")
    except SizeError as err:
        raise InstallRefused(f"{err}; {NOTHING_WRITTEN}") from None


def arch_mirror(loaded: LoadedConfig) -> str:
    mirror = next((r.mirror for r in loaded.config.repos.values() if r.type == "arch"), None)
    if mirror is None:
        raise InstallRefused(
            f"{loaded.display_path} has no Arch repository: kodos install downloads the base "
            'system from it; add repos = { arch = repos.arch_repo("https://...") }'
        )
    return mirror


def sync_index(mirror: str, sync_dir: Path | None) -> tuple[SyncSource, SyncIndex]:
    """The repositories' databases: `--sync-dir`, else downloaded from the mirror."""
    source = locate_sync_databases(
        None, sync_dir=sync_dir, mirror=mirror, refresh=sync_dir is None, cache_dir=None
    )
    assert source is not None, "a sync dir or a refresh always gives a source"
    return source, load_sync_databases(source).index


def check_kernel(loaded: LoadedConfig, source: SyncSource, index: SyncIndex) -> str:
    boot = loaded.config.boot
    kernel = boot.kernel.package if boot is not None else "linux"
    if index.get(kernel) is None:
        raise InstallRefused(
            f"no repository has the kernel package {kernel!r} (boot.kernel.package; looked in "
            f"{', '.join(source.repos)}); {NOTHING_WRITTEN}"
        )
    return kernel


def check_configuration(config: str, source: SyncSource, lua_path: tuple[Path, ...] = ()) -> None:
    """Plan the whole configuration against an empty root: a misspelt package or a unit no
    package ships stops the install here, not after the disk was wiped."""
    with tempfile.TemporaryDirectory(prefix="kodos-empty-") as empty:
        make_plan(PlanOptions(config, Path(empty), sync_dir=source.directory, lua_path=lua_path))
