"""The synthetic package sets tests install: a busybox base and an Arch-like `standard` set.

`standard_packages()` covers every Arch package and group the seed configuration
(kodos-upstream-README.md) and the examples (`examples/testvm`, `desktop`, `minimal`) name,
with the expansion descriptors' packages (`bluez-utils`, `memtest86+-efi`, `libvirt`,
`docker`...), with Arch's real repositories, groups, epochs, a plausible share of their
dependencies and the unit files their services enable, so a plan of any of them resolves
every name. Deliberate differences from Arch, to stay small: `busybox` provides `sh` (Arch:
bash), and `bash` is a wrapper running busybox's shell, so roots have working shells without
glibc; packages that create a system group with systemd-sysusers (libvirt, docker) also add
it in their install scriptlet, since the test roots run no pacman hooks.

`aur_builds()` are the packages the examples take from the AUR, as makepkg would build them:
no repository offers them; tests install them with `pacman -U`.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support.mirror import Pkg

BUSYBOX_PATHS = ("/usr/bin/busybox", "/bin/busybox")
# Applets scriptlets commonly call: this busybox's shell does not run applets by itself, so
# each needs a usr/bin symlink ("grep: not found" otherwise). Kept short so fixture packages
# can still ship their own programs under usr/bin.
APPLETS = (
    "sh", "awk", "basename", "cat", "chmod", "chown", "cp", "cut", "dirname", "echo", "env",
    "false", "grep", "head", "id", "ln", "ls", "mkdir", "mktemp", "mv", "printf", "readlink",
    "rm", "rmdir", "sed", "sort", "tail", "test", "touch", "tr", "true", "uniq", "wc", "[",
)  # fmt: skip
SYSTEM = "usr/lib/systemd/system"
USER = "usr/lib/systemd/user"
# Groups (with Arch's numbers) that filesystem's usr/lib/sysusers.d/arch.conf creates on Arch;
# a subset of kodos.desired.groups.BASE_GROUPS.
ARCH_GROUPS = {"wheel": 998, "audio": 996, "input": 994, "kvm": 992, "video": 985, "users": 984}


def unit(description: str, body: str, install: Mapping[str, str] | None = None) -> str:
    """A systemd unit file; `install=None` makes a static unit (no [Install] section)."""
    text = f"[Unit]\nDescription={description}\n\n{body.strip()}\n"
    if install is not None:
        text += "\n[Install]\n" + "".join(f"{k}={v}\n" for k, v in install.items())
    return text


def service(description: str, exec_start: str, **install: str) -> str:
    return unit(description, f"[Service]\nExecStart={exec_start}", install or None)


def _bin(*names: str) -> dict[str, bytes | str]:
    """Runnable stand-ins for programs (busybox's shell runs them in a chroot)."""
    return {f"usr/bin/{name}": f"#!/bin/sh\necho {name}\n" for name in names}


def _lib(name: str) -> dict[str, bytes | str]:
    return {f"usr/lib/{name}": b"\x7fELF fake library"}


def _groups_scriptlet(groups: Mapping[str, int]) -> str:
    """Add system groups to etc/group and etc/gshadow unless they are there: what the
    systemd-sysusers pacman hook does on Arch (test roots run no hooks)."""
    lines = []
    for group, gid in groups.items():
        lines.append(f"  grep -q '^{group}:' etc/group || echo '{group}:x:{gid}:' >> etc/group")
        lines.append(
            f"  [ ! -f etc/gshadow ] || grep -q '^{group}:' etc/gshadow"
            f" || echo '{group}:!*::' >> etc/gshadow"
        )
    return "post_install() {\n" + "\n".join(lines) + "\n}\n"


def _shells_scriptlet(*shells: str) -> str:
    # What Arch's bash.install / zsh.install do: register the shell in /etc/shells.
    lines = "\n".join(f"  grep -qx '{s}' etc/shells || echo '{s}' >> etc/shells" for s in shells)
    return f"post_install() {{\n{lines}\n}}\n"


def _kernel_scriptlet(modules_dir: str, pkgbase: str) -> str:
    """What mkinitcpio's pacman hook does on Arch, in miniature: the kernel and an initramfs
    land in /boot, where a generation's boot entry takes them from."""
    return (
        "post_install() {\n"
        "  mkdir -p /boot\n"
        f"  cp /{modules_dir}/vmlinuz /boot/vmlinuz-{pkgbase}\n"
        f"  echo 'fake initramfs' > /boot/initramfs-{pkgbase}.img\n"
        "}\n"
        "post_upgrade() {\n  post_install\n}\n"
    )


def busybox_binary() -> bytes:
    """The host's static busybox (Debian: busybox-static); a dynamic one cannot run in a
    root without a C library."""
    for candidate in (shutil.which("busybox"), *BUSYBOX_PATHS):
        if candidate and Path(candidate).is_file():
            data = Path(candidate).read_bytes()
            if b"ld-linux" not in data[:8192]:  # no ELF interpreter: statically linked
                return data
    raise FileNotFoundError("a statically linked busybox is needed (Debian: busybox-static)")


def base_packages() -> list[Pkg]:
    """`filesystem` (merged-/usr symlinks), `busybox` (a shell) and the `base` meta package.

    Install `base` first into a fresh root: without /bin/sh every scriptlet fails (silently,
    as far as pacman's exit status goes). `base` adds the device groups users commonly join
    (`ARCH_GROUPS`), which on Arch filesystem's sysusers.d file creates: the scriptlet stands
    in for the hook (filesystem itself is installed before there is a shell to run one).
    """
    usr_links = {
        "bin": "usr/bin",
        "sbin": "usr/bin",
        "lib": "usr/lib",
        "lib64": "usr/lib",
        "usr/sbin": "bin",
        "usr/lib64": "lib",
    }
    etc = {
        "etc/shells": "# Pathnames of valid login shells.\n/bin/sh\n/usr/bin/sh\n",
        "usr/lib/os-release": 'NAME="Arch Linux"\nID=arch\n',
    }
    busybox = {"usr/bin/busybox": busybox_binary()}
    return [
        Pkg("filesystem", "2024.11.21-1", files=etc, symlinks=usr_links),
        Pkg(
            "busybox",
            "1.36.1-2",
            depends=["filesystem"],
            provides=["sh"],
            files=busybox,
            symlinks={f"usr/bin/{applet}": "busybox" for applet in APPLETS},
        ),
        Pkg(
            "base",
            "3-2",
            depends=["filesystem", "busybox"],
            install=_groups_scriptlet(ARCH_GROUPS),
        ),
    ]


def _core() -> list[Pkg]:
    sshd = service("OpenSSH Daemon", "/usr/bin/sshd -D", WantedBy="multi-user.target")
    linux, lts = "usr/lib/modules/6.12.1-arch1-1", "usr/lib/modules/6.6.63-1-lts"
    boot_efi = "usr/lib/systemd/boot/efi/systemd-bootx64.efi"
    return [
        Pkg(
            "bash",
            "5.2.037-1",
            depends=["busybox", "ncurses"],
            files={"usr/bin/bash": '#!/usr/bin/sh\nexec /usr/bin/sh "$@"\n'},
            install=_shells_scriptlet("/bin/bash", "/usr/bin/bash"),
        ),
        Pkg("ncurses", "6.5-3", provides=["libncursesw.so=6-64"], files=_lib("libncursesw.so.6")),
        Pkg(
            "linux",
            "6.12.1.arch1-1",
            files={f"{linux}/vmlinuz": b"fake kernel", f"{linux}/pkgbase": "linux\n"},
            size_bytes=140_000,
            install=_kernel_scriptlet(linux, "linux"),
        ),
        Pkg(
            "linux-lts",
            "6.6.63-1",
            files={f"{lts}/vmlinuz": b"fake kernel", f"{lts}/pkgbase": "linux-lts\n"},
            install=_kernel_scriptlet(lts, "linux-lts"),
        ),
        Pkg("linux-firmware", "20241111.b5885ec5-1", files={"usr/lib/firmware/README": "fake\n"}),
        Pkg("systemd", "256.8-1", files={boot_efi: b"MZ fake", **_bin("systemctl")}),
        Pkg(
            "openssh",
            "9.9p1-2",
            files={
                **_bin("sshd", "ssh"),
                "etc/ssh/sshd_config": "#PermitRootLogin prohibit-password\n",
                f"{SYSTEM}/sshd.service": sshd,
            },
        ),
        Pkg("btrfs-progs", "6.12-1", files=_bin("btrfs")),
        Pkg("sudo", "1.9.16.p2-2", files=_bin("sudo")),
    ]


def _tools() -> list[Pkg]:
    # As in Arch: memtest86+ is the BIOS build, memtest86+-efi the EFI one (a boot entry).
    memtest = {"boot/memtest86+/memtest.bin": b"fake"}
    return [
        Pkg(
            "htop",
            "3.3.0-3",
            "extra",
            depends=["ncurses", "libncursesw.so=6-64"],
            files=_bin("htop"),
        ),
        Pkg("neovim", "0.10.2-2", "extra", files=_bin("nvim")),
        Pkg("uv", "0.5.4-1", "extra", files=_bin("uv", "uvx")),
        Pkg("git", "2.47.1-1", "extra", depends=["curl", "zlib"], files=_bin("git")),
        Pkg("neofetch", "7.1.0-2", "extra", files=_bin("neofetch")),
        Pkg("stow", "2.4.1-1", "extra", files=_bin("stow")),
        Pkg("flatpak", "1:1.15.10-1", "extra", files=_bin("flatpak")),
        Pkg(
            "zsh",
            "5.9-5",
            "extra",
            depends=["ncurses"],
            files=_bin("zsh"),
            install=_shells_scriptlet("/bin/zsh", "/usr/bin/zsh"),
        ),
        Pkg(
            "zsh-autosuggestions",
            "0.7.1-1",
            "extra",
            depends=["zsh"],
            files={"usr/share/zsh/plugins/zsh-autosuggestions/init.zsh": "# fake\n"},
        ),
        Pkg(
            "zsh-completions",
            "0.35.0-1",
            "extra",
            depends=["zsh"],
            files={"usr/share/zsh/site-functions/_fake": "#compdef fake\n"},
        ),
        Pkg("memtest86+", "7.20-1", "extra", arch="any", files=memtest),
        Pkg(
            "memtest86+-efi",
            "7.20-1",
            "extra",
            arch="any",
            files={"boot/memtest86+/memtest.efi": b"MZ fake"},
        ),
        Pkg(
            "zsh-syntax-highlighting",
            "0.8.0-1",
            "extra",
            depends=["zsh"],
            files={"usr/share/zsh/plugins/zsh-syntax-highlighting/init.zsh": "# fake\n"},
        ),
        Pkg(
            "fish",
            "3.7.1-4",
            "extra",
            depends=["ncurses"],
            files=_bin("fish"),
            install=_shells_scriptlet("/bin/fish", "/usr/bin/fish"),
        ),
        Pkg("dconf", "0.40.0-3", "extra", files=_bin("dconf")),
        Pkg("libsigc++", "2.12.1-2", "extra", files=_lib("libsigc-2.0.so.0")),
        Pkg("libsigc++-3.0", "3.6.0-2", "extra", files=_lib("libsigc-3.0.so.0")),
        Pkg("gtkmm3", "3.24.9-2", "extra", depends=["libsigc++"], files=_lib("libgtkmm-3.0.so.1")),
    ]


def _network_and_printing() -> list[Pkg]:
    networkmanager = {
        f"{SYSTEM}/NetworkManager.service": service(
            "Network Manager",
            "/usr/bin/NetworkManager --no-daemon",
            WantedBy="multi-user.target",
            Also="NetworkManager-dispatcher.service",
            Alias="dbus-org.freedesktop.NetworkManager.service",
        ),
        f"{SYSTEM}/NetworkManager-dispatcher.service": service(
            "Network Manager Script Dispatcher Service",
            "/usr/lib/nm-dispatcher",
            Alias="dbus-org.freedesktop.nm-dispatcher.service",
        ),
        f"{SYSTEM}/NetworkManager-wait-online.service": service(
            "Network Manager Wait Online",
            "/usr/bin/nm-online -s -q",
            WantedBy="network-online.target",
        ),
    }
    cups = {
        f"{SYSTEM}/cups.service": service(
            "CUPS Scheduler",
            "/usr/bin/cupsd -l",
            Also="cups.socket cups.path",
            WantedBy="printer.target multi-user.target",
        ),
        f"{SYSTEM}/cups.socket": unit(
            "CUPS Scheduler",
            "[Socket]\nListenStream=/run/cups/cups.sock",
            {"WantedBy": "sockets.target"},
        ),
        f"{SYSTEM}/cups.path": unit(
            "CUPS Scheduler",
            "[Path]\nPathExists=/var/cache/cups/org.cups.cupsd",
            {"WantedBy": "multi-user.target"},
        ),
    }
    bluetooth = service(
        "Bluetooth service",
        "/usr/lib/bluetooth/bluetoothd",
        WantedBy="bluetooth.target",
        Alias="dbus-org.bluez.service",
    )
    fwupd = {
        # fwupd.service is static in Arch (D-Bus activated): enabling it has nothing to do.
        f"{SYSTEM}/fwupd.service": unit("Firmware update daemon", "[Service]\nType=dbus"),
        f"{SYSTEM}/fwupd-refresh.timer": unit(
            "Refresh fwupd metadata", "[Timer]\nOnCalendar=daily", {"WantedBy": "timers.target"}
        ),
    }
    return [
        Pkg("networkmanager", "1.50.0-1", "extra", files=networkmanager),
        Pkg("bluez", "5.79-1", "extra", files={f"{SYSTEM}/bluetooth.service": bluetooth}),
        Pkg("bluez-utils", "5.79-1", "extra", depends=["bluez"], files=_bin("bluetoothctl")),
        Pkg("cups", "2:2.4.11-2", "extra", files=cups),
        Pkg("gutenprint", "5.3.4-4", "extra", depends=["cups"], files=_lib("libgutenprint.so.9")),
        Pkg("fwupd", "2.0.2-1", "extra", files=fwupd),
        Pkg("sane", "1.3.1-1", "extra", files={**_bin("scanimage"), **_lib("libsane.so.1")}),
    ]


def _audio_and_sync() -> list[Pkg]:
    pipewire = {
        f"{USER}/pipewire.service": service(
            "PipeWire", "/usr/bin/pipewire", Also="pipewire.socket"
        ),
        f"{USER}/pipewire.socket": unit(
            "PipeWire socket",
            "[Socket]\nListenStream=%t/pipewire-0",
            {"WantedBy": "sockets.target"},
        ),
    }
    wireplumber = service(
        "WirePlumber",
        "/usr/bin/wireplumber",
        WantedBy="pipewire.service",
        Alias="pipewire-session-manager.service",
    )
    pulse = {
        f"{USER}/pipewire-pulse.service": service(
            "PipeWire PulseAudio", "/usr/bin/pipewire-pulse", Also="pipewire-pulse.socket"
        ),
        f"{USER}/pipewire-pulse.socket": unit(
            "PipeWire PulseAudio",
            "[Socket]\nListenStream=%t/pulse/native",
            {"WantedBy": "sockets.target"},
        ),
    }
    syncthing = {
        f"{USER}/syncthing.service": service(
            "Syncthing", "/usr/bin/syncthing serve", WantedBy="default.target"
        ),
        f"{SYSTEM}/syncthing@.service": service(
            "Syncthing for %i", "/usr/bin/syncthing serve", WantedBy="multi-user.target"
        ),
    }
    pulse_names = ["pulseaudio", "pulseaudio-bluetooth"]
    return [
        Pkg("pipewire", "1:1.2.7-1", "extra", files=pipewire),
        Pkg(
            "wireplumber",
            "0.5.7-1",
            "extra",
            depends=["pipewire"],
            files={f"{USER}/wireplumber.service": wireplumber},
        ),
        Pkg(
            "pipewire-alsa",
            "1:1.2.7-1",
            "extra",
            depends=["pipewire"],
            provides=["pulseaudio-alsa"],
            conflicts=["pulseaudio-alsa"],
            files={"etc/alsa/conf.d/50-pipewire.conf": "# fake\n"},
        ),
        Pkg(
            "pipewire-pulse",
            "1:1.2.7-1",
            "extra",
            depends=["pipewire"],
            provides=pulse_names,
            conflicts=pulse_names,
            files=pulse,
        ),
        Pkg(
            "pipewire-jack",
            "1:1.2.7-1",
            "extra",
            depends=["pipewire"],
            provides=["jack", "libjack.so=0-64"],
            conflicts=["jack", "jack2"],
            files=_lib("pipewire-0.3/jack/libjack.so.0"),
        ),
        Pkg("syncthing", "1.28.1-1", "extra", files={**_bin("syncthing"), **syncthing}),
    ]


def _desktops() -> list[Pkg]:
    def member(name: str, version: str, group: str, *depends: str) -> Pkg:
        return Pkg(name, version, "extra", groups=[group], depends=depends, files=_bin(name))

    def greeter(name: str, version: str, group: str, what: str) -> Pkg:
        unit_file = service(what, f"/usr/bin/{name}", Alias="display-manager.service")
        files = {**_bin(name), f"{SYSTEM}/{name}.service": unit_file}
        return Pkg(name, version, "extra", groups=[group] if group else [], files=files)

    extension = {"usr/share/gnome-shell/extensions/appindicator/metadata.json": "{}\n"}
    return [
        greeter("gdm", "47.0-1", "gnome", "GNOME Display Manager"),
        member("gnome-shell", "1:47.2-1", "gnome"),
        member("gnome-tour", "47.0-1", "gnome"),
        member("yelp", "42.2-2", "gnome"),
        member("nautilus", "47.1-1", "gnome"),
        member("gnome-control-center", "47.2-1", "gnome", "gnome-shell"),
        member("epiphany", "47.2-1", "gnome"),
        member("gnome-music", "1:47.1-1", "gnome"),
        Pkg("gnome-tweaks", "46.1-1", "extra", files=_bin("gnome-tweaks")),
        Pkg(
            "gnome-shell-extension-appindicator",
            "59-1",
            "extra",
            depends=["gnome-shell"],
            files=extension,
        ),
        member("plasma-desktop", "6.2.4-1", "plasma", "plasma-workspace"),
        member("plasma-workspace", "6.2.4-1", "plasma"),
        greeter("sddm", "0.21.0-5", "", "Simple Desktop Display Manager"),
        greeter("lightdm", "1:1.32.0-6", "", "Light Display Manager"),
        Pkg(
            "lightdm-gtk-greeter",
            "1:2.0.9-1",
            "extra",
            depends=["lightdm"],
            provides=["lightdm-greeter"],
            files=_bin("lightdm-gtk-greeter"),
        ),
        member("dolphin", "24.08.3-1", "kde-applications"),
        member("konsole", "24.08.3-1", "kde-applications"),
        member("kate", "24.08.3-1", "kde-applications"),
        member("cosmic-session", "1.0.0alpha.3-1", "cosmic", "cosmic-comp"),
        member("cosmic-comp", "1.0.0alpha.3-1", "cosmic"),
        greeter("cosmic-greeter", "1.0.0alpha.3-1", "cosmic", "COSMIC Greeter"),
    ]


def _fonts() -> list[Pkg]:
    def font(name: str, version: str, group: str = "", *, provides: Sequence[str] = ()) -> Pkg:
        files = {f"usr/share/fonts/TTF/{name}.ttf": b"fake font"}
        groups = [group] if group else []
        return Pkg(name, version, "extra", groups=groups, provides=provides, files=files)

    symbols = Pkg(
        "ttf-nerd-fonts-symbols",
        "3.3.0-1",
        "extra",
        depends=["ttf-nerd-fonts-symbols-common"],
        files={"usr/share/fonts/TTF/SymbolsNerdFont-Regular.ttf": b"fake font"},
    )
    return [
        font("ttf-firacode-nerd", "3.3.0-1", "nerd-fonts"),
        font("ttf-sourcecodepro-nerd", "3.3.0-1", "nerd-fonts"),
        font("ttf-nerd-fonts-symbols-common", "3.3.0-1"),
        symbols,
        font("ttf-fira-sans", "1:4.301-4", provides=["ttf-font"]),
        font("ttf-fira-code", "6.2-2"),
        font("ttf-liberation", "2.1.5-2", provides=["ttf-font"]),
        font("noto-fonts-emoji", "1:2.047-1"),
        font("adobe-source-serif-fonts", "4.005-2"),
        font("ttf-ubuntu-font-family", "1:0.83-2"),
        font("ttf-jetbrains-mono-nerd", "3.3.0-1", "nerd-fonts"),
        font("noto-fonts", "1:2024.12.01-1"),
        font("noto-fonts-cjk", "20240730-1"),
        font("ttf-dejavu", "2.37+18+g9b5d1b2f-6"),
        font("inter-font", "4.1-1"),
    ]


def _sysusers_group(package: str, group: str, gid: int) -> tuple[dict[str, bytes | str], str]:
    """The sysusers.d file a package ships to create a system group, and an install scriptlet
    doing what the systemd-sysusers hook would (test roots run no hooks)."""
    files: dict[str, bytes | str] = {f"usr/lib/sysusers.d/{package}.conf": f"g {group} -\n"}
    return files, _groups_scriptlet({group: gid})


def _toolchain() -> list[Pkg]:
    """Libraries many tools need, Python, and `base-devel` (a meta package since 2023)."""
    devel = ["autoconf", "automake", "binutils", "fakeroot", "gcc", "make", "patch", "pkgconf"]
    return [
        Pkg("zlib", "1:1.3.1-2", provides=["libz.so=1-64"], files=_lib("libz.so.1")),
        Pkg("openssl", "3.4.0-1", provides=["libssl.so=3-64"], files=_lib("libssl.so.3")),
        Pkg("curl", "8.11.0-2", depends=["openssl", "zlib"], files=_bin("curl")),
        Pkg("python", "3.12.7-1", depends=["openssl", "zlib"], files=_bin("python3")),
        Pkg("autoconf", "2.72-1", files=_bin("autoconf")),
        Pkg("automake", "1.17-1", files=_bin("automake")),
        Pkg("binutils", "2.43+r4+g7999dae6961-1", depends=["zlib"], files=_bin("ld", "as")),
        Pkg("fakeroot", "1.36-1", files=_bin("fakeroot")),
        Pkg("gcc", "14.2.1+r134+gab884fffe3fc-1", depends=["binutils"], files=_bin("gcc")),
        Pkg("make", "4.4.1-2", files=_bin("make")),
        Pkg("patch", "2.7.6-10", files=_bin("patch")),
        Pkg("pkgconf", "2.3.0-1", provides=["pkg-config", "pkgconfig"], files=_bin("pkgconf")),
        Pkg("base-devel", "1-2", depends=[*devel, "sudo"]),
    ]


def _cli_tools() -> list[Pkg]:
    def tool(name: str, version: str, *programs: str, depends: Sequence[str] = ()) -> Pkg:
        return Pkg(name, version, "extra", depends=depends, files=_bin(*(programs or [name])))

    return [
        tool("bat", "0.24.0-3"),
        tool("btop", "1.4.0-1"),
        tool("fastfetch", "2.30.1-1"),
        tool("fd", "10.2.0-1"),
        tool("fzf", "0.56.3-1"),
        tool("gdb", "15.2-1", depends=["ncurses", "python"]),
        tool("jq", "1.7.1-2"),
        tool("ripgrep", "14.1.1-1", "rg"),
        tool("rsync", "3.3.0-2"),
        tool("strace", "6.12-1"),
        tool("tmux", "3.5_a-1", depends=["ncurses"]),
        tool("unzip", "6.0-21"),
        tool("wget", "1.25.0-1", depends=["openssl"]),
        tool("zoxide", "0.9.6-1"),
        tool("cifs-utils", "7.1-1", "mount.cifs"),
    ]


def _development() -> list[Pkg]:
    podman = {
        **_bin("podman"),
        f"{SYSTEM}/podman.service": service(
            "Podman API Service", "/usr/bin/podman system service", WantedBy="default.target"
        ),
        f"{SYSTEM}/podman.socket": unit(
            "Podman API Socket",
            "[Socket]\nListenStream=%t/podman/podman.sock",
            {"WantedBy": "sockets.target"},
        ),
    }
    cargo = ["rust", "cargo"]
    return [
        Pkg("git-delta", "0.18.2-4", "extra", depends=["git"], files=_bin("delta")),
        Pkg("github-cli", "2.63.0-1", "extra", depends=["git"], files=_bin("gh")),
        Pkg("python-pipx", "1.7.1-1", "extra", depends=["python"], files=_bin("pipx")),
        Pkg("rustup", "1.27.1-1", "extra", provides=cargo, conflicts=cargo, files=_bin("rustup")),
        Pkg("go", "2:1.23.3-1", "extra", files=_bin("go", "gofmt")),
        Pkg("nodejs", "23.3.0-1", "extra", depends=["openssl", "zlib"], files=_bin("node")),
        Pkg("npm", "10.9.1-1", "extra", depends=["nodejs"], files=_bin("npm")),
        Pkg("podman", "5.3.1-1", "extra", files=podman),
    ]


def _applications() -> list[Pkg]:
    return [
        Pkg("firefox", "133.0-1", "extra", files=_bin("firefox")),
        Pkg("thunderbird", "128.5.0-1", "extra", files=_bin("thunderbird")),
    ]


def _virtualisation() -> list[Pkg]:
    libvirt_files, libvirt_install = _sysusers_group("libvirt", "libvirt", 962)
    sockets = ("libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket", "virtlogd.socket")
    libvirt_files |= {
        **_bin("virsh", "libvirtd"),
        f"{SYSTEM}/libvirtd.service": service(
            "Virtualization daemon",
            "/usr/bin/libvirtd $LIBVIRTD_ARGS",
            WantedBy="multi-user.target",
            Also=" ".join(sockets),
        ),
        f"{SYSTEM}/virtlogd.service": unit(
            "Virtual machine log manager",
            "[Service]\nExecStart=/usr/bin/virtlogd",
            {"Also": "virtlogd.socket"},
        ),
        **{
            f"{SYSTEM}/{socket}": unit(
                f"libvirt socket {socket}",
                f"[Socket]\nListenStream=/run/libvirt/{socket}",
                {"WantedBy": "sockets.target"},
            )
            for socket in sockets
        },
    }
    docker_files, docker_install = _sysusers_group("docker", "docker", 961)
    docker_files |= {
        **_bin("docker", "dockerd"),
        f"{SYSTEM}/docker.service": service(
            "Docker Application Container Engine",
            "/usr/bin/dockerd -H fd://",
            WantedBy="multi-user.target",
        ),
        f"{SYSTEM}/docker.socket": unit(
            "Docker Socket for the API",
            "[Socket]\nListenStream=/run/docker.sock",
            {"WantedBy": "sockets.target"},
        ),
    }
    dnsmasq = {
        **_bin("dnsmasq"),
        f"{SYSTEM}/dnsmasq.service": service(
            "dnsmasq - A lightweight DHCP and caching DNS server",
            "/usr/bin/dnsmasq -k",
            WantedBy="multi-user.target",
        ),
    }
    qemu = ["qemu-img", "qemu-system-x86"]
    return [
        Pkg("qemu-img", "9.1.2-1", "extra", files=_bin("qemu-img")),
        Pkg("qemu-system-x86", "9.1.2-1", "extra", files=_bin("qemu-system-x86_64")),
        Pkg("qemu-desktop", "9.1.2-1", "extra", depends=qemu),
        Pkg("libvirt", "1:10.9.0-1", "extra", files=libvirt_files, install=libvirt_install),
        Pkg(
            "libvirt-python",
            "1:10.9.0-1",
            "extra",
            depends=["libvirt", "python"],
            files={"usr/lib/python3.12/site-packages/libvirt.py": "# fake\n"},
        ),
        Pkg(
            "virt-manager",
            "5.0.0-1",
            "extra",
            depends=["python", "libvirt-python"],
            files=_bin("virt-manager"),
        ),
        Pkg("dnsmasq", "2.90-3", "extra", files=dnsmasq),
        Pkg("docker", "1:27.3.1-1", "extra", files=docker_files, install=docker_install),
        Pkg(
            "docker-compose",
            "2.31.0-1",
            "extra",
            depends=["docker"],
            files={"usr/lib/docker/cli-plugins/docker-compose": b"\x7fELF fake"},
        ),
    ]


def aur_builds() -> list[Pkg]:
    """What an AUR helper would build for the examples' `aur:` packages (no repository has
    them): install with `pacman -U`. The examples' AUR helpers are here too: yay and paru, and
    the -bin bases their configurations install them from (yay-bin, paru-bin)."""

    def build(name: str, version: str, files: Mapping[str, bytes | str]) -> Pkg:
        return Pkg(name, version, "aur", files=files)

    extension = "usr/share/gnome-shell/extensions/blur-my-shell@aunetx/metadata.json"
    return [
        build("yay", "12.4.2-1", _bin("yay")),
        build("paru", "2.0.4-1", _bin("paru")),
        build("yay-bin", "12.4.2-1", _bin("yay-bin")),
        build("paru-bin", "2.0.4-1", _bin("paru-bin")),
        build("floorp-bin", "1:11.20.0-1", _bin("floorp")),
        build("gnome-shell-extension-blur-my-shell", "67-1", {extension: "{}\n"}),
        build("ttf-symbola", "13.00-6", {"usr/share/fonts/TTF/Symbola.ttf": b"fake font"}),
        build("extension-manager", "0.5.1-1", _bin("extension-manager")),
        build("visual-studio-code-bin", "1.95.3-1", _bin("code")),
    ]


def standard_packages() -> list[Pkg]:
    """The base set plus an Arch-like selection in repositories core and extra."""
    return [
        *base_packages(),
        *_core(),
        *_toolchain(),
        *_tools(),
        *_cli_tools(),
        *_development(),
        *_applications(),
        *_network_and_printing(),
        *_audio_and_sync(),
        *_desktops(),
        *_fonts(),
        *_virtualisation(),
    ]
