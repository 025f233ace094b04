"""The files kodos writes on its own account, beside those a configuration names in `files`.

The expansions write these paths (a hostname, the locale, a kernel command line, mount units, a
service's settings), and `kodos facts` without a configuration captures them, so that a plan
made from those facts compares them as a plan of the machine itself would, and says `update`
where the machine's plan does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

HOSTNAME = "/etc/hostname"
HOSTS = "/etc/hosts"
VCONSOLE = "/etc/vconsole.conf"
LOCALTIME = "/etc/localtime"
LOCALE_GEN = "/etc/locale.gen"
LOCALE_CONF = "/etc/locale.conf"
MKINITCPIO_DROP_IN = "/etc/mkinitcpio.conf.d/kodos.conf"
KERNEL_CMDLINE = "/etc/kernel/cmdline"
SYSCTL_IPV6 = "/etc/sysctl.d/40-kodos-ipv6.conf"
UNIT_DIR = "/etc/systemd/system"

FIXED_PATHS = (
    HOSTNAME,
    HOSTS,
    VCONSOLE,
    LOCALTIME,
    LOCALE_GEN,
    LOCALE_CONF,
    MKINITCPIO_DROP_IN,
    KERNEL_CMDLINE,
    SYSCTL_IPV6,
)
# Mount units take their names from the mount points a configuration gives.
UNIT_SUFFIXES = (".mount", ".automount")


def written_paths(root: Path) -> list[str]:
    """Every path kodos's own expansions could write that a reading of `root` should cover:
    the fixed ones, the mount units in `root`'s unit directory, and the settings file of each
    expansion kodos ships."""
    paths = {*FIXED_PATHS, *_mount_units(root), *_settings_paths()}
    return sorted(paths)


def _mount_units(root: Path) -> Iterator[str]:
    from kodos.errors import ReadError
    from kodos.system.rootfs import resolve_in_root

    # Listing a directory of the target: resolved inside it, never through a link out.
    try:
        directory = resolve_in_root(root, UNIT_DIR.lstrip("/"))
        names = os.listdir(directory)
    except (OSError, ReadError):
        return
    for name in names:
        if name.endswith(UNIT_SUFFIXES):
            yield f"{UNIT_DIR}/{name}"


def _settings_paths() -> Iterator[str]:
    """Where the expansions shipped with kodos put a service's settings (a configuration's own
    expansions are known only with the configuration: `kodos facts -c`)."""
    from kodos.desired.descriptors import Descriptors, ItemSection
    from kodos.errors import Problem
    from kodos.lua.evaluator import lua_lib_dir

    library = lua_lib_dir()
    problems: list[Problem] = []  # a broken shipped expansion is the plan's to report
    descriptors = Descriptors(library, problems, library)
    for section in get_args(ItemSection):
        for file in sorted((library / "expansions" / section).glob("*.lua")):
            descriptor = descriptors.item(section, file.stem)
            if descriptor is not None and descriptor.settings is not None:
                yield descriptor.settings.path
