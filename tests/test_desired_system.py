"""locale, network, boot, desktop, fonts and packages expansion; the group check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kodos.desired import BASE_GROUPS, missing_groups
from tests.test_desired import (
    ENABLED,
    HEADER,
    build,
    content,
    problems,
    requests,
    resources,
    sources,
)

# ---- locale ------------------------------------------------------------------------------


def test_locale_files(tmp_path: Path) -> None:
    desired = build(
        {
            "locale": {
                "locale": {
                    "default": "de_DE.UTF-8 UTF-8",
                    "extra_generate": ["en_US.UTF-8 UTF-8", "de_DE.UTF-8 UTF-8"],
                    "extra_settings": {"LC_TIME": "en_US.UTF-8", "LC_COLLATE": "C"},
                },
                "keymap": "de-latin1",
                "timezone": "Europe/Berlin",
            }
        },
        tmp_path,
    )
    assert problems(desired) == []
    assert resources(desired) == {
        "files.file[/etc/locale.conf]": {
            "content": HEADER + "LANG=de_DE.UTF-8\nLC_COLLATE=C\nLC_TIME=en_US.UTF-8\n",
            "mode": "0644",
        },
        "files.file[/etc/locale.gen]": {
            "content": HEADER + "de_DE.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\n",
            "mode": "0644",
        },
        "files.file[/etc/vconsole.conf]": {
            "content": HEADER + "KEYMAP=de-latin1\n",
            "mode": "0644",
        },
        "files.symlink[/etc/localtime]": {"target": "/usr/share/zoneinfo/Europe/Berlin"},
    }


def test_only_what_is_configured(tmp_path: Path) -> None:
    assert list(build({"locale": {"timezone": "UTC"}}, tmp_path).resources) == [
        "files.symlink[/etc/localtime]"
    ]
    desired = build({"locale": {"locale": {"extra_settings": {"LC_TIME": "C.UTF-8"}}}}, tmp_path)
    # Without locale.gen lines kodos leaves locale.gen alone and checks nothing against it.
    assert resources(desired) == {
        "files.file[/etc/locale.conf]": {"content": HEADER + "LC_TIME=C.UTF-8\n", "mode": "0644"}
    }


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        (
            {"default": "en_US.UTF-8 UTF-8", "extra_settings": {"LC_TIME": "en_GB.UTF-8"}},
            "locale.locale.extra_settings.LC_TIME: en_GB.UTF-8 is not generated, so programs "
            'would fall back to the C locale (hint: add "en_GB.UTF-8 UTF-8" to '
            "locale.locale.extra_generate)",
        ),
        (
            {"default": "en_US.UTF-8 UTF-8", "extra_settings": {"LANG": "de_DE.UTF-8"}},
            "locale.locale.extra_settings.LANG: LANG is en_US.UTF-8 from locale.locale.default "
            "already; keep one of the two",
        ),
    ],
)
def test_locale_problems(tmp_path: Path, locale: dict[str, Any], message: str) -> None:
    assert problems(build({"locale": {"locale": locale}}, tmp_path)) == [message]


def test_locale_names_compare_as_glibc_does(tmp_path: Path) -> None:
    locale = {
        "default": "en_US.UTF-8 UTF-8",
        "extra_generate": ["de_DE@euro ISO-8859-15"],
        "extra_settings": {
            "LC_TIME": "en_US.utf8",
            "LC_MONETARY": "de_DE@euro",
            "LANGUAGE": "en_US",
            "LC_COLLATE": "POSIX",
        },
    }
    assert problems(build({"locale": {"locale": locale}}, tmp_path)) == []


# ---- network -----------------------------------------------------------------------------


def test_network_with_ipv6(tmp_path: Path) -> None:
    desired = build({"network": {"hostname": "box"}}, tmp_path)
    assert content(desired, "/etc/hostname") == "box\n"
    assert content(desired, "/etc/hosts") == (
        HEADER + "127.0.0.1 localhost\n::1 localhost\n127.0.1.1 box\n"
    )
    assert "files.file[/etc/sysctl.d/40-kodos-ipv6.conf]" not in desired.resources


def test_network_without_ipv6(tmp_path: Path) -> None:
    desired = build({"network": {"hostname": "box.example.org", "ipv6": False}}, tmp_path)
    assert content(desired, "/etc/hosts") == (
        HEADER + "127.0.0.1 localhost\n127.0.1.1 box.example.org box\n"
    )
    assert content(desired, "/etc/sysctl.d/40-kodos-ipv6.conf") == (
        HEADER + "net.ipv6.conf.all.disable_ipv6 = 1\nnet.ipv6.conf.default.disable_ipv6 = 1\n"
    )
    assert sources(desired)["files.file[/etc/sysctl.d/40-kodos-ipv6.conf]"] == "network.ipv6"


def test_ipv6_off_without_a_hostname(tmp_path: Path) -> None:
    desired = build({"network": {"ipv6": False}}, tmp_path)
    assert list(desired.resources) == ["files.file[/etc/sysctl.d/40-kodos-ipv6.conf]"]


# ---- boot --------------------------------------------------------------------------------


def test_boot_defaults(tmp_path: Path) -> None:
    desired = build({"boot": {}}, tmp_path)
    assert requests(desired) == [("pacman", "linux", "boot.kernel.package")]
    assert len(desired.resources) == 0


def test_boot(tmp_path: Path) -> None:
    desired = build(
        {
            "boot": {
                "kernel": {"package": "linux-zen", "modules": ["nvme", "btrfs", "nvme"]},
                "loader": {"timeout": 0, "include": ["memtest86+"]},
            }
        },
        tmp_path,
    )
    assert resources(desired) == {
        "files.file[/etc/mkinitcpio.conf.d/kodos.conf]": {
            "content": HEADER + "MODULES=(nvme btrfs)\n",
            "mode": "0644",
        },
        "bootloader.entry[memtest86+]": {"title": "Memtest86+", "efi": "/memtest86+/memtest.efi"},
        "bootloader.loader[systemd-boot]": {"timeout": 0},
    }
    assert requests(desired) == [
        ("pacman", "linux-zen", "boot.kernel.package"),
        ("pacman", "memtest86+-efi", "boot.loader.include[1]"),
    ]


def test_kernel_options_become_etc_kernel_cmdline(tmp_path: Path) -> None:
    desired = build(
        {"boot": {"kernel": {"options": ["quiet", "console=ttyS0", "quiet"]}}}, tmp_path
    )
    assert resources(desired) == {
        "files.file[/etc/kernel/cmdline]": {"content": "quiet console=ttyS0\n", "mode": "0644"}
    }


def test_unknown_boot_entry(tmp_path: Path) -> None:
    desired = build({"boot": {"loader": {"include": ["edk2-shell"]}}}, tmp_path)
    assert problems(desired) == [
        "boot.loader.include[1]: kodos does not know the boot entry edk2-shell (hint: add "
        "expansions/boot/edk2-shell.lua with its title and efi program)"
    ]


def test_boot_entry_from_a_config_dir_descriptor(tmp_path: Path) -> None:
    descriptor = tmp_path / "expansions/boot/edk2-shell.lua"
    descriptor.parent.mkdir(parents=True)
    descriptor.write_text('return { title = "UEFI Shell", efi = "/shellx64.efi" }')
    desired = build({"boot": {"loader": {"include": ["edk2-shell"]}}}, tmp_path)
    assert resources(desired) == {
        "bootloader.entry[edk2-shell]": {"title": "UEFI Shell", "efi": "/shellx64.efi"}
    }
    assert requests(desired)[1] == ("pacman", "edk2-shell", "boot.loader.include[1]")
    descriptor.write_text('return { title = "two\\nlines", efi = "/x.efi" }')
    (problem,) = build({"boot": {"loader": {"include": ["edk2-shell"]}}}, tmp_path).problems
    assert (problem.location, problem.message) == (
        str(descriptor),
        "title: String should match pattern '^[^\\n\\r]+$'",
    )


# ---- desktop -----------------------------------------------------------------------------


def desktop(data: dict[str, Any], tmp_path: Path) -> Any:
    return build({"desktop": data}, tmp_path)


def test_a_desktop_uses_its_descriptors_display_manager(tmp_path: Path) -> None:
    desired = desktop(
        {"desktop_manager": {"plasma": {"enable": True, "exclude_packages": ["discover"]}}},
        tmp_path,
    )
    assert resources(desired) == {"services.unit[sddm.service]": ENABLED}
    assert requests(desired) == [
        ("pacman", "plasma", "desktop.desktop_manager.plasma"),
        ("pacman", "sddm", "desktop.desktop_manager.plasma"),
    ]
    assert desired.packages[0].exclude == ("discover",)


def test_the_shared_display_manager_wins(tmp_path: Path) -> None:
    desired = desktop(
        {
            "display_manager": "lightdm",
            "desktop_manager": {
                "gnome": {"enable": True},
                "plasma": {"enable": True, "display_manager": "sddm"},
            },
        },
        tmp_path,
    )
    assert problems(desired) == []
    assert resources(desired) == {"services.unit[lightdm.service]": ENABLED}
    assert requests(desired) == [
        ("pacman", "gnome", "desktop.desktop_manager.gnome"),
        ("pacman", "plasma", "desktop.desktop_manager.plasma"),
        ("pacman", "lightdm", "desktop.display_manager"),
        ("pacman", "lightdm-gtk-greeter", "desktop.display_manager"),
    ]


def test_a_desktop_without_descriptor(tmp_path: Path) -> None:
    desired = desktop(
        {"desktop_manager": {"xfce4": {"enable": True, "extra_packages": ["xfce4-goodies"]}}},
        tmp_path,
    )
    assert len(desired.resources) == 0
    assert requests(desired) == [
        ("pacman", "xfce4", "desktop.desktop_manager.xfce4"),
        ("pacman", "xfce4-goodies", "desktop.desktop_manager.xfce4.extra_packages[1]"),
    ]


def test_desktops_wanting_different_display_managers(tmp_path: Path) -> None:
    desired = desktop(
        {"desktop_manager": {"gnome": {"enable": True}, "plasma": {"enable": True}}}, tmp_path
    )
    assert problems(desired) == [
        "desktop.desktop_manager.plasma: a second display manager: gdm is enabled already (at "
        "desktop.desktop_manager.gnome), and only one can run (hint: set "
        "desktop.display_manager to the one to use)"
    ]


def test_a_display_manager_also_enabled_as_a_service(tmp_path: Path) -> None:
    desired = build(
        {
            "desktop": {"display_manager": "gdm"},
            "services": {"sddm": {"enable": True}, "gdm": {"enable": True}},
        },
        tmp_path,
    )
    assert problems(desired) == [
        "services.sddm: a second display manager: gdm is enabled already (at "
        "desktop.display_manager), and only one can run (hint: set desktop.display_manager to "
        "the one to use)"
    ]


def test_disabled_desktops_and_no_desktop(tmp_path: Path) -> None:
    desired = desktop({"desktop_manager": {"gnome": {"enable": False}}}, tmp_path)
    assert (len(desired.resources), desired.packages) == (0, [])


# ---- fonts, packages ---------------------------------------------------------------------


def test_fonts_and_packages(tmp_path: Path) -> None:
    desired = build(
        {
            "fonts": {"font_dir": True, "packages": ["noto-fonts", "aur:ttf-symbola"]},
            "packages": ["htop", "flatpak:org.gnome.Boxes", "gnome"],
        },
        tmp_path,
    )
    assert len(desired.resources) == 0
    assert requests(desired) == [
        ("pacman", "noto-fonts", "fonts.packages[1]"),
        ("aur", "ttf-symbola", "fonts.packages[2]"),
        ("pacman", "htop", "packages[1]"),
        ("flatpak", "org.gnome.Boxes", "packages[2]"),
        ("pacman", "gnome", "packages[3]"),
    ]


# ---- groups ------------------------------------------------------------------------------


def test_group_check(tmp_path: Path) -> None:
    desired = build(
        {
            "users": {"a": {"extra_groups": ["wheel", "docker", "libvirt", "plugdev", "mine"]}},
            "services": {"docker": {"enable": True}},
        },
        tmp_path,
    )
    assert desired.required_groups == [
        ("wheel", "users.a.extra_groups[1]"),
        ("docker", "users.a.extra_groups[2]"),
        ("libvirt", "users.a.extra_groups[3]"),
        ("plugdev", "users.a.extra_groups[4]"),
        ("mine", "users.a.extra_groups[5]"),
    ]
    assert [str(p) for p in missing_groups(desired, ["root", "mine"])] == [
        'users.a.extra_groups[3]: no group "libvirt" on the machine, and nothing in the '
        "configuration creates it",
        'users.a.extra_groups[4]: no group "plugdev" on the machine, and nothing in the '
        "configuration creates it",
    ]


def test_base_groups_cover_what_arch_users_join() -> None:
    common = {"wheel", "audio", "video", "input", "users", "storage", "optical", "lp"}
    common |= {"scanner", "network", "power", "kvm", "render", "sys", "adm", "log"}
    common |= {"uucp", "rfkill", "systemd-journal", "games", "ftp", "http"}
    assert common <= BASE_GROUPS
    assert not {"docker", "libvirt", "plugdev", "sudo", "cdrom", "dialout"} & BASE_GROUPS


def test_a_display_manager_set_for_one_desktop_wins_over_anothers_default(
    tmp_path: Path,
) -> None:
    # upstream's example: gnome says gdm, cosmic (whose default is cosmic-greeter) says nothing
    desired = desktop(
        {
            "desktop_manager": {
                "gnome": {"enable": True, "display_manager": "gdm"},
                "cosmic": {"enable": True},
            }
        },
        tmp_path,
    )
    assert problems(desired) == []
    assert resources(desired) == {"services.unit[gdm.service]": ENABLED}
    assert [name for _, name, _ in requests(desired)] == ["cosmic", "gnome", "gdm"]


def test_a_display_manager_enabled_as_a_service_wins_over_a_desktops_default(
    tmp_path: Path,
) -> None:
    desired = build(
        {
            "desktop": {"desktop_manager": {"cosmic": {"enable": True}}},
            "services": {"gdm": {"enable": True}},
        },
        tmp_path,
    )
    assert problems(desired) == []
    assert resources(desired) == {"services.unit[gdm.service]": ENABLED}
    assert "cosmic-greeter" not in [name for _, name, _ in requests(desired)]


def test_two_display_managers_set_for_two_desktops(tmp_path: Path) -> None:
    desired = desktop(
        {
            "desktop_manager": {
                "gnome": {"enable": True, "display_manager": "gdm"},
                "cosmic": {"enable": True, "display_manager": "cosmic-greeter"},
            }
        },
        tmp_path,
    )
    assert problems(desired) == [
        "desktop.desktop_manager.gnome.display_manager: a second display manager: "
        "cosmic-greeter is enabled already (at desktop.desktop_manager.cosmic.display_manager), "
        "and only one can run (hint: set desktop.display_manager to the one to use)"
    ]


def test_one_desktops_default_display_manager(tmp_path: Path) -> None:
    desired = desktop({"desktop_manager": {"cosmic": {"enable": True}}}, tmp_path)
    assert problems(desired) == []
    assert resources(desired) == {"services.unit[cosmic-greeter.service]": ENABLED}
    assert sources(desired)["services.unit[cosmic-greeter.service]"] == (
        "desktop.desktop_manager.cosmic"
    )
