"""The synthetic package sets tests install: a busybox base and an Arch-like `standard` set.

`standard_packages()` covers every Arch package and group the seed configuration
(kodos-upstream-README.md) names, with Arch's real repositories, groups, epochs and the unit
files their services need, so a plan of that configuration resolves every name. Deliberate
differences from Arch, to stay small: `busybox` provides `sh` (Arch: bash), and `bash` is a
wrapper running busybox's shell, so roots have working shells without glibc.
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


def _shells_scriptlet(*shells: str) -> str:
    # What Arch's bash.install / zsh.install do: register the shell in /etc/shells.
    lines = "\n".join(f"  grep -qx '{s}' etc/shells || echo '{s}' >> etc/shells" for s in shells)
    return f"post_install() {{\n{lines}\n}}\n"


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
    as far as pacman's exit status goes).
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
        Pkg("base", "3-2", depends=["filesystem", "busybox"]),
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
        ),
        Pkg(
            "linux-lts",
            "6.6.63-1",
            files={f"{lts}/vmlinuz": b"fake kernel", f"{lts}/pkgbase": "linux-lts\n"},
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
    memtest = {"boot/memtest86+/memtest.bin": b"fake", "boot/memtest86+/memtest.efi": b"MZ"}
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
        Pkg("git", "2.47.1-1", "extra", files=_bin("git")),
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
        Pkg("cups", "2:2.4.11-2", "extra", files=cups),
        Pkg("gutenprint", "5.3.4-4", "extra", depends=["cups"], files=_lib("libgutenprint.so.9")),
        Pkg("fwupd", "2.0.2-1", "extra", files=fwupd),
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
    ]


def standard_packages() -> list[Pkg]:
    """The base set plus an Arch-like selection in repositories core and extra."""
    return [
        *base_packages(),
        *_core(),
        *_tools(),
        *_network_and_printing(),
        *_audio_and_sync(),
        *_desktops(),
        *_fonts(),
    ]
