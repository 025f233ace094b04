"""boot → the kernel package, initramfs modules, loader settings and extra boot entries.

* `kernel.package` → a package request (the section being present is enough: its default is
  `linux`).
* `kernel.modules` → /etc/mkinitcpio.conf.d/kodos.conf with `MODULES=(...)` in configuration
  order (load order can matter) without duplicates. mkinitcpio reads conf.d drop-ins after
  mkinitcpio.conf, so this overrides its MODULES and leaves the rest of it alone. No modules,
  no file. (A change means the initramfs must be rebuilt: the applier's job.)
* `kernel.options` → /etc/kernel/cmdline (the options on one line, the file Arch's kernel-install
  and mkinitcpio's unified images read); each generation's boot entry takes its options from
  it, after kodos's own `root=`/`rootflags=`. Unset: no file, and a new entry keeps the
  options of the entry that boots now (`rd.luks.name=…` survives kodos taking over).
* `loader.timeout` → `bootloader.loader[systemd-boot]` `{timeout}`, an integer (the loader.conf
  reader returns whole numbers as ints). No timeout, no loader resource: the other keys of
  loader.conf (`default`, set per generation) are the applier's.
* `loader.include` entries → the descriptor `expansions/boot/NAME.lua` (`package`, `title`,
  `efi`): a package request and `bootloader.entry[NAME]` `{title, efi}`; a name without a
  descriptor is a located problem, since kodos cannot guess which EFI program to start.
"""

from __future__ import annotations

from kodos.config.model import Boot
from kodos.desired.collect import Collector
from kodos.desired.descriptors import BrokenDescriptor
from kodos.desired.files import managed_text
from kodos.desired.written import KERNEL_CMDLINE, MKINITCPIO_DROP_IN

LOADER = "systemd-boot"
PATH = ("boot",)


def expand_boot(collector: Collector, boot: Boot) -> None:
    collector.package(boot.kernel.package, (*PATH, "kernel", "package"))
    modules = list(dict.fromkeys(boot.kernel.modules))
    if modules:
        content = managed_text([f"MODULES=({' '.join(modules)})"])
        collector.file(MKINITCPIO_DROP_IN, content, (*PATH, "kernel", "modules"))
    if boot.kernel.options is not None:
        content = " ".join(dict.fromkeys(boot.kernel.options)) + "\n"
        collector.file(KERNEL_CMDLINE, content, (*PATH, "kernel", "options"))
    if boot.loader.timeout is not None:
        attributes = {"timeout": boot.loader.timeout}
        collector.resource(
            ("bootloader", "loader", LOADER), attributes, (*PATH, "loader", "timeout")
        )
    for i, name in enumerate(boot.loader.include):
        _entry(collector, name, (*PATH, "loader", "include", i))


def _entry(collector: Collector, name: str, path: tuple[str | int, ...]) -> None:
    try:
        descriptor = collector.descriptors.boot_entry(name)
    except BrokenDescriptor:
        return
    if descriptor is None:
        message = f"kodos does not know the boot entry {name}"
        hint = f"add expansions/boot/{name}.lua with its title and efi program"
        collector.problem(path, message, hint)
        return
    collector.package(descriptor.package or name, path)
    attributes = {"title": descriptor.title, "efi": descriptor.efi}
    collector.resource(("bootloader", "entry", name), attributes, path)
