"""`kodos install`: show what will be erased and what will be created, ask, build, report."""

from __future__ import annotations

import sys

from kodos.commands.confirm import confirm
from kodos.commands.progress import console, progress_printer
from kodos.disklayout import Layout
from kodos.install.disk import Survey
from kodos.install.options import InstallOptions
from kodos.install.procedure import install
from kodos.text.terminal import inert


def run_install(options: InstallOptions, assume_yes: bool) -> int:
    result = install(
        options,
        confirm=lambda s, lay: _confirm(s, lay, assume_yes),
        on_step=progress_printer("install"),
    )
    for note in result.notes:
        print(inert(f"note: {note}"), file=sys.stderr)  # notes quote files: kodos.text.terminal
    how = (
        " (ESP written with mtools: this kernel cannot mount vfat)"
        if result.esp_written_with_mtools
        else ""
    )
    print(f"Installed generation {result.generation} on {result.device}{how}; it boots next.")
    return 0


def _confirm(found: Survey, layout: Layout, assume_yes: bool) -> bool:
    out = console()
    # soft_wrap: a device or image path is never broken across lines (it is copied from here).
    out.print(
        f"kodos install will ERASE {found.device} ({_size(found)}). On it now:",
        highlight=False,
        soft_wrap=True,
    )
    for line in found.describe():
        out.print(f"  {line}", highlight=False, soft_wrap=True)
    out.print("It will create:", highlight=False, soft_wrap=True)
    for line in layout.describe(found.device, found.size):
        out.print(f"  {line}", highlight=False, soft_wrap=True)
    return confirm(f"Erase {found.device} and install?", assume_yes, "install")


def _size(found: Survey) -> str:
    from kodos.disklayout import human

    return human(found.size)
