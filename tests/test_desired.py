"""The desired state of the examples, pinned address by address; determinism; shared helpers.

Section-by-section behaviour lives in test_desired_services.py, test_desired_system.py and
test_desired_users.py; they import the helpers below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kodos.config.load import load_config
from kodos.config.model import Config
from kodos.desired import DesiredState, build_desired

REPO = Path(__file__).resolve().parents[1]
HEADER = "# Managed by kodos: changes made here are replaced on the next apply.\n"
ENABLED = {"state": "enabled"}


def build(data: dict[str, Any], config_dir: Path) -> DesiredState:
    return build_desired(Config.model_validate(data), config_dir)


def build_example(name: str) -> DesiredState:
    loaded = load_config(str(REPO / "examples" / name))
    return build_desired(loaded.config, loaded.file.parent)


def resources(desired: DesiredState) -> dict[str, dict[str, Any]]:
    """Address → attributes, sensitive values shown as (sensitive)."""
    return {
        address: {
            key: "(sensitive)" if key in resource.sensitive else value
            for key, value in resource.attributes.items()
        }
        for address, resource in desired.resources.items()
    }


def sources(desired: DesiredState) -> dict[str, str | None]:
    return {address: resource.source for address, resource in desired.resources.items()}


def requests(desired: DesiredState) -> list[tuple[str, str, str]]:
    """(source, name, location) of every package request, in order."""
    return [(r.source, r.name, r.location) for r in desired.packages]


def problems(desired: DesiredState) -> list[str]:
    return [str(p) + (f" (hint: {p.hint})" if p.hint else "") for p in desired.problems]


def content(desired: DesiredState, path: str) -> str:
    text = desired.resources[f"files.file[{path}]"].attributes["content"]
    assert isinstance(text, str)
    return text


def file(text: str) -> dict[str, str]:
    return {"content": HEADER + text, "mode": "0644"}


# ---- examples ----------------------------------------------------------------------------


def test_testvm_resources() -> None:
    desired = build_example("testvm")
    assert problems(desired) == []
    assert resources(desired) == {
        "users.user[demo-user]": {
            "gecos": "Demo User",
            "home": "/home/demo-user",
            "shell": "/bin/zsh",
            "groups": ["audio", "wheel"],
            "password": "(sensitive)",
        },
        "users.user[root]": {"shell": "/bin/bash", "password": "(sensitive)"},
        "files.file[/etc/hostname]": {"content": "testvm\n", "mode": "0644"},
        "files.file[/etc/kernel/cmdline]": {
            "content": "quiet console=tty0 console=ttyS0\n",
            "mode": "0644",
        },
        "files.file[/etc/hosts]": file("127.0.0.1 localhost\n::1 localhost\n127.0.1.1 testvm\n"),
        "files.file[/etc/locale.conf]": file(
            "LANG=en_US.UTF-8\n"
            "LC_ADDRESS=en_CA.UTF-8\n"
            "LC_MEASUREMENT=en_CA.UTF-8\n"
            "LC_MONETARY=en_CA.UTF-8\n"
            "LC_NAME=en_CA.UTF-8\n"
            "LC_NUMERIC=en_CA.UTF-8\n"
            "LC_PAPER=en_CA.UTF-8\n"
            "LC_TELEPHONE=en_CA.UTF-8\n"
            "LC_TIME=en_CA.UTF-8\n"
        ),
        "files.file[/etc/locale.gen]": file(
            "en_US.UTF-8 UTF-8\nen_CA.UTF-8 UTF-8\nfr_CA.UTF-8 UTF-8\n"
        ),
        "files.file[/etc/mkinitcpio.conf.d/kodos.conf]": file(
            "MODULES=(virtio_pci virtio_blk virtio_scsi ahci xhci_pci usbhid sr_mod)\n"
        ),
        "files.file[/etc/ssh/sshd_config.d/10-kodos.conf]": file(
            "PasswordAuthentication no\nPermitRootLogin no\n"
        ),
        "files.file[/etc/vconsole.conf]": file("KEYMAP=us\n"),
        "files.symlink[/etc/localtime]": {"target": "/usr/share/zoneinfo/America/Toronto"},
        "services.unit[NetworkManager.service]": ENABLED,
        "services.unit[bluetooth.service]": ENABLED,
        "services.unit[cups.service]": ENABLED,
        "services.unit[gdm.service]": ENABLED,
        "services.unit[sshd.service]": ENABLED,
        "bootloader.entry[memtest86+]": {
            "title": "Memtest86+",
            "efi": "/memtest86+/memtest.efi",
        },
        "bootloader.loader[systemd-boot]": {"timeout": 5},
        # repos.arch: the mirror list and the pacman.conf sections including it
        "pacman.mirrorlist[/etc/pacman.d/mirrorlist]": {
            "servers": ["https://geo.mirror.pkgbuild.com/$repo/os/$arch"]
        },
        "pacman.repository[core]": {"include": "/etc/pacman.d/mirrorlist"},
        "pacman.repository[extra]": {"include": "/etc/pacman.d/mirrorlist"},
        # repos.flatpak: the remote "flatpak:" apps install from
        "flatpak.remote[flathub]": {
            "url": "https://dl.flathub.org/repo/flathub.flatpakrepo",
            "gpg_verify": True,
        },
    }
    # fwupd is D-Bus activated: a package, no unit.
    assert "services.unit[fwupd.service]" not in desired.resources
    assert desired.required_groups == [
        ("wheel", 'users["demo-user"].extra_groups[1]'),
        ("audio", 'users["demo-user"].extra_groups[2]'),
    ]


def test_testvm_sources() -> None:
    assert sources(build_example("testvm")) == {
        "users.user[demo-user]": 'users["demo-user"]',
        "users.user[root]": "users.root",
        "files.file[/etc/hostname]": "network.hostname",
        "files.file[/etc/hosts]": "network.hostname",
        "files.file[/etc/kernel/cmdline]": "boot.kernel.options",
        "files.file[/etc/locale.conf]": "locale.locale",
        "files.file[/etc/locale.gen]": "locale.locale",
        "files.file[/etc/mkinitcpio.conf.d/kodos.conf]": "boot.kernel.modules",
        "files.file[/etc/ssh/sshd_config.d/10-kodos.conf]": "services.openssh.settings",
        "files.file[/etc/vconsole.conf]": "locale.keymap",
        "files.symlink[/etc/localtime]": "locale.timezone",
        "services.unit[NetworkManager.service]": "services.networkmanager.service_name",
        "services.unit[bluetooth.service]": "hardware.bluetooth",
        "services.unit[cups.service]": "services.cups",
        "services.unit[gdm.service]": "desktop.display_manager",
        "services.unit[sshd.service]": "services.openssh.service_name",
        "bootloader.entry[memtest86+]": "boot.loader.include[1]",
        "bootloader.loader[systemd-boot]": "boot.loader.timeout",
        "pacman.mirrorlist[/etc/pacman.d/mirrorlist]": "repos.arch.mirror",
        "pacman.repository[core]": "repos.arch.mirror",
        "pacman.repository[extra]": "repos.arch.mirror",
        "flatpak.remote[flathub]": "repos.flatpak.remote",
    }


def test_testvm_package_requests() -> None:
    desired = build_example("testvm")
    assert requests(desired) == [
        ("pacman", "linux-lts", "boot.kernel.package"),
        ("pacman", "memtest86+-efi", "boot.loader.include[1]"),
        ("pacman", "bluez", "hardware.bluetooth.package"),
        ("pacman", "bluez-utils", "hardware.bluetooth"),
        ("pacman", "pipewire", "hardware.pipewire"),
        ("pacman", "pipewire-alsa", "hardware.pipewire.extra_packages[1]"),
        ("pacman", "pipewire-pulse", "hardware.pipewire.extra_packages[2]"),
        ("pacman", "pipewire-jack", "hardware.pipewire.extra_packages[3]"),
        ("pacman", "wireplumber", "hardware.pipewire.extra_packages[4]"),
        ("pacman", "git", 'users["demo-user"].programs.git'),
        ("pacman", "neovim", 'users["demo-user"].programs.neovim'),
        ("pacman", "zsh", 'users["demo-user"].programs.zsh'),
        ("pacman", "zsh-completions", 'users["demo-user"].programs.zsh.extra_packages[1]'),
        (
            "pacman",
            "zsh-syntax-highlighting",
            'users["demo-user"].programs.zsh.extra_packages[2]',
        ),
        ("pacman", "stow", 'users["demo-user"].dotfile_manager'),
        ("pacman", "git", 'users["demo-user"].dotfile_manager.repo_url'),
        ("pacman", "gnome", "desktop.desktop_manager.gnome"),
        ("pacman", "gnome-tweaks", "desktop.desktop_manager.gnome.extra_packages[1]"),
        (
            "pacman",
            "gnome-shell-extension-appindicator",
            "desktop.desktop_manager.gnome.extra_packages[2]",
        ),
        (
            "aur",
            "gnome-shell-extension-blur-my-shell",
            "desktop.desktop_manager.gnome.extra_packages[3]",
        ),
        ("pacman", "gdm", "desktop.display_manager"),
        ("pacman", "noto-fonts", "fonts.packages[1]"),
        ("pacman", "noto-fonts-emoji", "fonts.packages[2]"),
        ("pacman", "ttf-liberation", "fonts.packages[3]"),
        ("pacman", "ttf-dejavu", "fonts.packages[4]"),
        ("pacman", "ttf-jetbrains-mono-nerd", "fonts.packages[5]"),
        ("aur", "ttf-symbola", "fonts.packages[6]"),
        ("pacman", "htop", "packages[1]"),
        ("pacman", "git", "packages[2]"),
        ("pacman", "neovim", "packages[3]"),
        ("pacman", "curl", "packages[4]"),
        ("pacman", "fastfetch", "packages[5]"),
        ("aur", "floorp-bin", "packages[6]"),
        ("flatpak", "com.visualstudio.code", "packages[7]"),
        ("pacman", "base-devel", "packages[8]"),
        ("pacman", "gdb", "packages[9]"),
        ("pacman", "strace", "packages[10]"),
        ("pacman", "cups", "services.cups"),
        ("pacman", "gutenprint", "services.cups.extra_packages[1]"),
        ("pacman", "fwupd", "services.fwupd"),
        ("pacman", "networkmanager", "services.networkmanager"),
        ("pacman", "openssh", "services.openssh"),
    ]
    (gnome,) = [r for r in desired.packages if r.name == "gnome"]
    assert gnome.exclude == ("gnome-tour", "yelp")
    assert all(r.exclude == () for r in desired.packages if r.name != "gnome")


def test_desktop_example() -> None:
    desired = build_example("desktop")
    assert problems(desired) == []
    got = resources(desired)
    assert got["users.user[alice]"] == {
        "gecos": "Alice Liddell",
        "home": "/home/alice",
        "shell": "/usr/bin/fish",
        "groups": ["libvirt", "wheel"],
        "password": "(sensitive)",
    }
    assert got["users.user[root]"] == {"password": "(sensitive)"}
    assert got["files.file[/etc/locale.conf]"] == file("LANG=en_GB.UTF-8\n")
    assert got["files.file[/etc/vconsole.conf]"] == file("KEYMAP=uk\n")
    assert got["files.file[/etc/systemd/system/mnt-nas.mount]"] == file(
        "[Unit]\n"
        "Description=Media share on the NAS\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n"
        "\n"
        "[Mount]\n"
        "What=//nas.home.arpa/media\n"
        "Where=/mnt/nas\n"
        "Type=cifs\n"
        "Options=credentials=/etc/samba/credentials/nas,uid=alice,gid=alice,_netdev\n"
    )
    assert got["files.file[/etc/systemd/system/mnt-nas.automount]"] == file(
        "[Unit]\n"
        "Description=Media share on the NAS\n"
        "\n"
        "[Automount]\n"
        "Where=/mnt/nas\n"
        "TimeoutIdleSec=600\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )
    units = sorted(a for a in got if a.startswith("services."))
    assert units == [
        "services.unit[NetworkManager.service]",
        "services.unit[bluetooth.service]",
        "services.unit[gdm.service]",
        "services.unit[libvirtd.service]",
        "services.unit[mnt-nas.automount]",
    ]
    assert sources(desired)["services.unit[gdm.service]"] == (
        "desktop.desktop_manager.gnome.display_manager"
    )
    # The libvirt group alice joins comes with the libvirtd descriptor.
    assert desired.provided_groups == frozenset({"libvirt"})


def test_desktop_example_group_services_bring_no_package_of_their_own() -> None:
    names = [(r.name, r.location) for r in build_example("desktop").packages]
    services = [pair for pair in names if pair[1].startswith("services.")]
    assert services == [
        ("fwupd", "services.fwupd"),
        ("cifs-utils", "services.mounts.extra_packages[1]"),
        ("networkmanager", "services.networkmanager"),
        ("qemu-desktop", "services.virtualisation.extra_packages[1]"),
        ("virt-manager", "services.virtualisation.extra_packages[2]"),
        ("dnsmasq", "services.virtualisation.extra_packages[3]"),
        ("libvirt", "services.virtualisation.services.libvirtd.package"),
    ]


def test_minimal_example() -> None:
    desired = build_example("minimal")
    assert problems(desired) == []
    assert resources(desired) == {
        "users.user[sam]": {
            "gecos": "Sam",
            "home": "/home/sam",
            "groups": ["wheel"],
            "password": "(sensitive)",
        },
        "files.file[/etc/hostname]": {"content": "arch-box\n", "mode": "0644"},
        "files.file[/etc/hosts]": file("127.0.0.1 localhost\n::1 localhost\n127.0.1.1 arch-box\n"),
    }
    assert requests(desired) == [
        ("pacman", "sudo", "packages[1]"),
        ("pacman", "git", "packages[2]"),
        ("pacman", "htop", "packages[3]"),
        ("pacman", "neovim", "packages[4]"),
    ]


def test_seed_configuration_expands_without_problems(corrected_seed: Path) -> None:
    loaded = load_config(str(corrected_seed))
    desired = build_desired(loaded.config, loaded.file.parent)
    assert problems(desired) == []
    assert "files.file[/etc/sysctl.d/40-kodos-ipv6.conf]" in desired.resources


# ---- whole-state properties --------------------------------------------------------------


def test_empty_configuration_manages_nothing(tmp_path: Path) -> None:
    desired = build({}, tmp_path)
    assert (len(desired.resources), desired.packages, desired.problems) == (0, [], [])


def test_same_configuration_same_state_whatever_the_key_order(tmp_path: Path) -> None:
    services = {
        "cups": {"enable": True},
        "openssh": {"enable": True, "settings": {"Port": 2222, "PermitRootLogin": False}},
        "fwupd": {"enable": True},
    }
    users = {"b": {"extra_groups": ["wheel", "audio"]}, "a": {"shell": "/bin/sh"}}
    forward = build({"services": services, "users": users}, tmp_path)
    backward = build(
        {
            "users": dict(reversed(users.items())),
            "services": dict(reversed(services.items())),
        },
        tmp_path,
    )
    assert list(forward.resources) == list(backward.resources)
    assert resources(forward) == resources(backward)
    assert requests(forward) == requests(backward)


def test_resources_are_ordered_by_provider_then_address() -> None:
    addresses = list(build_example("testvm").resources)
    providers = [address.split(".")[0] for address in addresses]
    order = ["pacman", "flatpak", "users", "files", "services", "bootloader"]
    assert providers == sorted(providers, key=order.index)
    for provider in set(providers):
        mine = [a for a in addresses if a.startswith(provider + ".")]
        assert mine == sorted(mine)


def test_every_file_starts_with_the_header_and_ends_with_a_newline() -> None:
    for name in ("testvm", "desktop", "minimal"):
        for address, resource in build_example(name).resources.items():
            if not address.startswith("files.file["):
                continue
            text = resource.attributes["content"]
            assert text.endswith("\n"), address
            assert resource.attributes["mode"] == "0644"
            # Both are read as one bare line by the programs that use them: no comment allowed.
            if address not in ("files.file[/etc/hostname]", "files.file[/etc/kernel/cmdline]"):
                assert text.startswith(HEADER), address


def test_two_sections_disagreeing_about_one_address_is_a_located_problem(tmp_path: Path) -> None:
    mount = {
        "type": "mount",
        "mounts": {"d": {"type": "nfs", "what": "nas:/a", "where": "/mnt/d"}},
    }
    other = {
        "type": "mount",
        "mounts": {"d": {"type": "nfs", "what": "nas:/b", "where": "/mnt/d"}},
    }
    desired = build(
        {
            "services": {
                "a": {"enable": True, "mount": mount},
                "b": {"enable": True, "mount": other},
            }
        },
        tmp_path,
    )
    assert problems(desired) == [
        "services.b.mount.mounts.d: files.file[/etc/systemd/system/mnt-d.mount] is declared "
        "twice with different settings (at services.a.mount.mounts.d and "
        "services.b.mount.mounts.d)"
    ]


def test_desired_state_repr_shows_no_attribute() -> None:
    desired = build_example("testvm")
    assert (
        repr(desired)
        == str(desired)
        == ("DesiredState(22 resources, 42 package requests, 0 problems)")
    )
