"""A test distribution that really boots: the install mirror with a real kernel.

`linux` carries Debian's cloud kernel (`apt-get download` of the package
`linux-image-cloud-amd64` depends on, unpacked with `dpkg-deb -x`): its vmlinuz under
`usr/lib/modules/VER/vmlinuz` and the modules the initramfs needs (virtio, btrfs and their
dependencies, with a `modules.dep` from `busybox depmod`). Its scriptlet puts the kernel in
/boot and runs `mkinitcpio -P`, as mkinitcpio's pacman hook does on Arch.

`mkinitcpio` is a stand-in, called exactly as kodos calls it (`/usr/bin/mkinitcpio -P`): for
every kernel under /usr/lib/modules it builds `/boot/initramfs-PKGBASE.img`, a busybox
initramfs (cpio newc + gzip) whose init mounts proc, sys and devtmpfs, loads `MODULES=(...)`
from /etc/mkinitcpio.conf.d (plus virtio_pci, standing in for the autodetect hook) in the
order modules.dep gives, finds `root=UUID=`/`LABEL=` with findfs, mounts it with `rootflags=`
and switches into it.

`kodos-proof` is the booted root's /sbin/init: it prints `MARKER` with the generation id from
the root's own record (`/var/lib/kodos/generation.json`), whether htop is installed there
(`/var/lib/pacman/local/htop-*`) and the version of its `linux` package, then powers off. The
`linux` package ships its own version (`usr/lib/modules/VER/kodos-proof-version`), which the
initramfs built from it prints (`initramfs: built from linux VERSION`): a boot shows which
package's initramfs the entry loaded, and `linux_package(kernel, version)` repackages the same
kernel under another version, as an upgrade brings it. With `kodos-proof-fail` installed it prints
`FAILING` and reboots instead (QEMU runs with `-no-reboot`: it exits, and a test boots again).

The unpacked kernel is cached under `~/.cache/kodos/test-kernel`, so only the first run
downloads (about 27 MB, under a second here).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
from pathlib import Path

from kodos.system.runner import run
from tests.support.installing import install_packages
from tests.support.mirror import Mirror, Pkg, build_mirror

MARKER = "KODOS-PROOF"
FAILING = "KODOS-PROOF-FAILING"
MARKER_LINE = re.compile(rf"^{MARKER} generation=(?P<generation>\S*) htop=(?P<htop>\S+)", re.M)
LINUX_LINE = re.compile(rf"^{MARKER} .* linux=(?P<linux>\S+) ", re.M)
"""The `linux` package version installed in the booted root."""
INITRAMFS_LINE = re.compile(r"^initramfs: built from linux (?P<linux>\S+)", re.M)
"""The `linux` package version whose files the booted initramfs was built from."""
KERNEL_META_PACKAGE = "linux-image-cloud-amd64"
BOOT_MODULES = ("virtio_pci", "virtio_blk", "btrfs")
"""What the booted machine needs from modules: its disk (virtio) and its root (btrfs)."""
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kodos/test-kernel"
BOOT_TOOLS = ("qemu-system-x86_64", "mcopy", "mtype", "cpio", "apt-get", "dpkg-deb", "busybox")


@dataclasses.dataclass(frozen=True)
class Kernel:
    """An unpacked kernel: `version` (6.1.0-NN-cloud-amd64), the EFI-stub image, and a
    modules tree (`modules/kernel/...`, `modules/modules.dep`) trimmed to `BOOT_MODULES`."""

    version: str
    vmlinuz: Path
    modules: Path


def debian_kernel(cache: Path = CACHE) -> Kernel:
    """Debian's cloud kernel, downloaded and unpacked once per cache directory."""
    package = _kernel_package()
    done = cache / package
    if not (done / "complete").exists():
        _unpack_kernel(package, done)
    version = (done / "version").read_text().strip()
    return Kernel(version, done / "vmlinuz", done / "lib/modules" / version)


def _kernel_package() -> str:
    depends = run(["apt-cache", "depends", KERNEL_META_PACKAGE], check=False).stdout
    if "Depends:" not in depends:
        run(["apt-get", "update", "-qq"])
        depends = run(["apt-cache", "depends", KERNEL_META_PACKAGE]).stdout
    names = re.findall(r"Depends:\s*(linux-image-\S+)", depends)
    if not names:
        raise RuntimeError(f"apt-cache depends {KERNEL_META_PACKAGE} names no kernel:\n{depends}")
    return names[0]


def _unpack_kernel(package: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        work = Path(scratch)
        # apt's sandbox user cannot write here; as root apt downloads without it (a warning).
        run(["apt-get", "download", package], cwd=work)
        deb = next(work.glob("*.deb"))
        run(["dpkg-deb", "-x", str(deb), str(work / "x")])
        version = next((work / "x/lib/modules").iterdir()).name
        run(["busybox", "depmod", "-b", str(work / "x"), version])
        shutil.rmtree(target, ignore_errors=True)
        _trim(work / "x", version, target)
    (target / "version").write_text(version + "\n")
    (target / "complete").write_text("")


def _trim(unpacked: Path, version: str, target: Path) -> None:
    """Keep vmlinuz and the modules `BOOT_MODULES` need; a fresh modules.dep for those."""
    source = unpacked / "lib/modules" / version
    dep = module_dependencies((source / "modules.dep").read_text())
    keep = closure(dep, BOOT_MODULES)
    modules = target / "lib/modules" / version
    for name in keep:
        relative = dep[name][0]
        (modules / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, modules / relative)
    shutil.copy2(next((unpacked / "boot").glob("vmlinuz-*")), target / "vmlinuz")
    run(["busybox", "depmod", "-b", str(target), version])


def module_dependencies(modules_dep: str) -> dict[str, tuple[str, list[str]]]:
    """modules.dep as {name: (path, [dependency names])}."""
    out: dict[str, tuple[str, list[str]]] = {}
    for line in modules_dep.splitlines():
        if ":" not in line:
            continue
        path, deps = line.split(":", 1)
        out[_module_name(path)] = (path, [_module_name(d) for d in deps.split()])
    return out


def closure(dep: dict[str, tuple[str, list[str]]], wanted: tuple[str, ...]) -> list[str]:
    """`wanted` and everything they need, dependencies before the modules needing them."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for needed in dep[name][1]:
            visit(needed)
        order.append(name)

    for name in wanted:
        visit(name)
    return order


def _module_name(path: str) -> str:
    return Path(path).name.split(".ko", 1)[0].replace("-", "_")


# The stand-in mkinitcpio: POSIX sh for busybox, run inside the target root.
MKINITCPIO = r"""#!/bin/sh
# kodos tests' stand-in for mkinitcpio: `mkinitcpio -P` builds a busybox initramfs for every
# kernel under /usr/lib/modules into /boot/initramfs-PKGBASE.img.
set -e
b=/usr/bin/busybox
[ "$1" = "-P" ] || { echo "mkinitcpio (kodos tests): only -P is supported" >&2; exit 1; }
# No redirection to /dev/null: pacman runs scriptlets in a chroot without /dev.
modules=virtio_pci
for conf in /etc/mkinitcpio.conf.d/*.conf; do
    [ -f "$conf" ] && modules="$modules $(sed -n 's/^MODULES=(\(.*\))/\1/p' "$conf" | tr -d "\"'")"
done
for dir in /usr/lib/modules/*/; do
    [ -f "$dir/pkgbase" ] || continue
    version=$(basename "$dir")
    pkgbase=$(cat "$dir/pkgbase")
    stage=$($b mktemp -d)
    mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/newroot" \
        "$stage/lib/modules"
    cp /usr/bin/busybox "$stage/bin/busybox"
    ln -s busybox "$stage/bin/sh"
    cp -r "$dir" "$stage/lib/modules/$version"
    rm -f "$stage/lib/modules/$version/vmlinuz"
    $b mknod "$stage/dev/console" c 5 1
    echo "$modules" > "$stage/modules"
    cp /usr/lib/kodos-proof/initramfs-init "$stage/init"
    chmod 755 "$stage/init"
    (cd "$stage" && $b find . | $b cpio -o -H newc | $b gzip -1 > "/boot/initramfs-$pkgbase.img")
    rm -rf "$stage"
    echo "==> Image generation successful: /boot/initramfs-$pkgbase.img"
done
"""

INITRAMFS_INIT = r"""#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs dev /dev
# The entries name no console=: write to the serial port itself (the 8250 is built in).
exec </dev/ttyS0 >/dev/ttyS0 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
version=$(uname -r)
loaded=" "
load() {
    local line dep
    case "$loaded" in *" $1 "*) return 0 ;; esac
    line=$(grep "^[^:]*/$1\.ko[^:]*:" "/lib/modules/$version/modules.dep") || {
        echo "initramfs: no module $1"; return 1; }
    for dep in ${line#*:}; do
        dep=$(basename "$dep"); load "${dep%%.ko*}"
    done
    insmod "/lib/modules/$version/${line%%:*}" && loaded="$loaded$1 "
}
for module in $(cat /modules); do load "$module"; done
echo "initramfs: loaded$loaded"
echo "initramfs: built from linux $(cat "/lib/modules/$version/kodos-proof-version")"
root="" flags="" rw=ro
for word in $(cat /proc/cmdline); do
    case "$word" in
        root=*) root="${word#root=}" ;;
        rootflags=*) flags="${word#rootflags=}" ;;
        rw) rw=rw ;;
    esac
done
device=""
tries=0
while [ -z "$device" ] && [ "$tries" -lt 50 ]; do
    case "$root" in
        UUID=*|LABEL=*) device=$(findfs "$root" 2>/dev/null) || device="" ;;
        /dev/*) [ -b "$root" ] && device="$root" ;;
    esac
    [ -n "$device" ] || { sleep 0.2; tries=$((tries + 1)); }
done
if [ -z "$device" ] || ! mount -t btrfs -o "$rw${flags:+,$flags}" "$device" /newroot \
    || [ ! -x /newroot/sbin/init ]; then
    echo "initramfs: cannot boot root=$root rootflags=$flags"
    poweroff -f
fi
echo "initramfs: switching to $device ($flags)"
umount /proc /sys
# The console stays open on /dev: move it when the root has a /dev, else leave it mounted.
[ ! -d /newroot/dev ] || mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
"""

PROOF_INIT = r"""#!/bin/sh
# kodos-proof: what booted, read from the booted root itself; then power off. A root holding
# /etc/kodos-proof/fail (the kodos-proof-fail package) never gets there: it reboots at once,
# as a generation whose boot never completes would.
b=/usr/bin/busybox
[ ! -d /proc ] || $b mount -t proc proc /proc
generation=$($b grep -o '"id": *[0-9]*' /var/lib/kodos/generation.json | $b head -n 1 \
    | $b sed 's/[^0-9]//g')
if [ -f /etc/kodos-proof/fail ]; then
    echo "KODOS-PROOF-FAILING generation=$generation"
    $b sync
    $b reboot -f
fi
htop=no
for p in /var/lib/pacman/local/htop-*; do [ -d "$p" ] && htop=yes; done
linux=none
for p in /var/lib/pacman/local/linux-[0-9]*; do [ -d "$p" ] && linux=${p##*/linux-}; done
root=""
[ ! -f /proc/mounts ] || root=$($b grep ' / ' /proc/mounts | $b tail -n 1)
echo "KODOS-PROOF generation=$generation htop=$htop linux=$linux root=[$root]"
$b sync
$b poweroff -f
"""


def bootable_packages(kernel: Kernel) -> list[Pkg]:
    """The install mirror's packages with a real `linux`, the stand-in `mkinitcpio` and
    `kodos-proof`."""
    return [
        *(p for p in install_packages() if p.name not in ("linux", "mkinitcpio")),
        linux_package(kernel),
        Pkg(
            "mkinitcpio",
            "39.2-2",
            depends=["busybox"],
            files={
                "usr/bin/mkinitcpio": MKINITCPIO,
                "usr/lib/kodos-proof/initramfs-init": INITRAMFS_INIT,
            },
        ),
        Pkg("kodos-proof", "1-1", "extra", depends=["busybox"], files={"usr/bin/init": PROOF_INIT}),
        Pkg("kodos-proof-fail", "1-1", "extra", files={"etc/kodos-proof/fail": "reboot\n"}),
    ]


def linux_package(kernel: Kernel, version: str | None = None) -> Pkg:
    """`linux` carrying `kernel`, at `version` (by default one made from the kernel's)."""
    version = version or kernel.version.split("-cloud")[0].replace("-", ".") + "-1"
    base = f"usr/lib/modules/{kernel.version}"
    files: dict[str, bytes | str] = {
        f"{base}/vmlinuz": kernel.vmlinuz.read_bytes(),
        f"{base}/pkgbase": "linux\n",
        f"{base}/kodos-proof-version": version + "\n",
    }
    for path in sorted(kernel.modules.rglob("*")):
        if path.is_file():
            files[f"{base}/{path.relative_to(kernel.modules)}"] = path.read_bytes()
    scriptlet = (
        "post_install() {\n"
        "  mkdir -p /boot\n"
        f"  cp /{base}/vmlinuz /boot/vmlinuz-linux\n"
        "  /usr/bin/mkinitcpio -P\n"
        "}\n"
        "post_upgrade() {\n  post_install\n}\n"
    )
    return Pkg("linux", version, depends=["mkinitcpio"], files=files, install=scriptlet)


def build_bootable_mirror(directory: Path, kernel: Kernel) -> Mirror:
    return build_mirror(directory, bootable_packages(kernel))


def bootable_config(mirror: Mirror, *packages: str, esp_mount: str | None = None) -> str:
    """A configuration for the bootable mirror: no swap, no loader timeout (each second
    waited is a second of the proof), kodos-proof and `packages`; the ESP at `esp_mount`
    (default: the disk definition's, /efi)."""
    names = ", ".join(f'"{name}"' for name in ("kodos-proof", *packages))
    options = f', nil, {{ esp_mount = "{esp_mount}" }}' if esp_mount else ""
    return f"""
local disk = require("disk")
local repos = require("repos")
return {{
    repos = {{ arch = repos.arch_repo("file://{mirror.path.resolve()}") }},
    devices = {{ disk0 = disk.disk_definition("/dev/vda"{options}) }},
    boot = {{
        kernel = {{ package = "linux", modules = {{ "btrfs", "virtio_blk" }} }},
        loader = {{ timeout = 0 }},
    }},
    network = {{ hostname = "proof" }},
    packages = {{ {names} }},
}}
"""
