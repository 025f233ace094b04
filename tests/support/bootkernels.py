"""Kernels packaged the way Arch packages them, and a mirror that serves them.

Arch's `linux` ships only `usr/lib/modules/VER/vmlinuz` and `usr/lib/modules/VER/pkgbase`; it
is mkinitcpio's pacman hook (`usr/share/libalpm/hooks/90-mkinitcpio-install.hook`, `Target =
usr/lib/modules/*/vmlinuz`, `NeedsTargets`) that copies the image to `/boot/vmlinuz-PKGBASE`
and builds `/boot/initramfs-PKGBASE.img`. pacman with `--root` runs the root's own hooks
chrooted into it, so this is what lands in /boot — on the ESP when it is mounted there.

(The script is run through `sh`: the fixture packages mark only files under `bin/` executable.)

The stand-in `mkinitcpio` answers the two calls made here: `-k VERSION -g IMAGE` (the hook,
and kodos for a generation whose /boot lacks an initramfs) and `-P` (kodos's follow-up after
the configuration changes mkinitcpio's settings). Each initramfs says which kernel version it
was built for, so a test can tell a stale one from a current one.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.catalog import standard_packages
from tests.support.mirror import Mirror, Pkg, build_mirror

KERNELS = {"linux": "6.12.1-arch1-1", "linux-lts": "6.6.63-1-lts"}
"""pkgbase → the modules directory (kernel version) of each Arch-like kernel."""

INSTALL_HOOK = """\
[Trigger]
Type = Path
Operation = Install
Operation = Upgrade
Target = usr/lib/modules/*/vmlinuz

[Action]
Description = Updating linux initcpios...
When = PostTransaction
Exec = /usr/bin/sh /usr/share/libalpm/scripts/mkinitcpio-install
NeedsTargets
"""

INSTALL_SCRIPT = """\
#!/bin/sh
# mkinitcpio-install, in miniature: each kernel image pacman installed, to /boot.
while read -r target; do
    case "$target" in usr/lib/modules/*/vmlinuz) ;; *) continue ;; esac
    directory="/${target%/vmlinuz}"
    pkgbase=$(cat "$directory/pkgbase")
    mkdir -p /boot
    cp "/$target" "/boot/vmlinuz-$pkgbase"
    mkinitcpio -k "$(basename "$directory")" -g "/boot/initramfs-$pkgbase.img"
done
"""

MKINITCPIO = """\
#!/bin/sh
# kodos tests' mkinitcpio: -k VERSION -g IMAGE, or -P for every installed kernel.
set -e
if [ "$1" = "-P" ]; then
    for directory in /usr/lib/modules/*/; do
        [ -f "$directory/pkgbase" ] || continue
        pkgbase=$(cat "$directory/pkgbase")
        echo "initramfs for $(basename "$directory")" > "/boot/initramfs-$pkgbase.img"
    done
    exit 0
fi
[ "$1" = "-k" ] && [ "$3" = "-g" ] || { echo "mkinitcpio (tests): -k VER -g IMG or -P" >&2; exit 1; }
[ -f "/usr/lib/modules/$2/vmlinuz" ] || { echo "no kernel $2" >&2; exit 1; }
echo "initramfs for $2" > "$4"
"""


def kernel_image(pkgbase: str) -> bytes:
    return f"kernel {pkgbase} {KERNELS[pkgbase]}".encode()


def arch_kernel_packages() -> list[Pkg]:
    """`linux` and `linux-lts` as Arch builds them, and the mkinitcpio that installs them."""
    kernels = [
        Pkg(
            pkgbase,
            version,
            depends=["mkinitcpio"],
            files={
                f"usr/lib/modules/{modules}/vmlinuz": kernel_image(pkgbase),
                f"usr/lib/modules/{modules}/pkgbase": f"{pkgbase}\n",
            },
        )
        for pkgbase, modules, version in (
            ("linux", KERNELS["linux"], "6.12.1.arch1-1"),
            ("linux-lts", KERNELS["linux-lts"], "6.6.63-1"),
        )
    ]
    mkinitcpio = Pkg(
        "mkinitcpio",
        "39.2-2",
        depends=["busybox"],
        files={
            "usr/bin/mkinitcpio": MKINITCPIO,
            "usr/share/libalpm/hooks/90-mkinitcpio-install.hook": INSTALL_HOOK,
            "usr/share/libalpm/scripts/mkinitcpio-install": INSTALL_SCRIPT,
        },
    )
    return [*kernels, mkinitcpio]


def build_arch_kernel_mirror(directory: Path) -> Mirror:
    """The standard packages with Arch's kernels and mkinitcpio in place of the catalog's."""
    replaced = {p.name for p in arch_kernel_packages()}
    kept = [p for p in standard_packages() if p.name not in replaced]
    return build_mirror(directory, [*kept, *arch_kernel_packages()])
