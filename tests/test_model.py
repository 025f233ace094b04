"""The configuration model, section by section: what it accepts and how it says no."""

from __future__ import annotations

from typing import Any

import pytest

from kodos.config.errors import problems_from
from kodos.config.fields import ValidationError
from kodos.config.jsonschema import json_schema
from kodos.config.model import Config
from kodos.config.packages import check_requests, package_requests

HASH = "$6$salt$" + "x" * 86


def validate(data: dict[str, Any]) -> Config:
    return Config.model_validate(data)


def problems(data: dict[str, Any]) -> list[str]:
    try:
        config = validate(data)
    except ValidationError as err:
        return [str(p) for p in problems_from(err, Config)]
    return [str(p) for p in check_requests(config)]


def test_empty_configuration_manages_nothing() -> None:
    config = validate({})
    assert config.packages == []
    assert config.network is None
    assert list(package_requests(config)) == []


def test_repos_by_type_and_under_any_key() -> None:
    config = validate(
        {
            "repos": {
                "official": {"type": "arch", "mirror": "https://mirror.example/archlinux"},
                "aur": {"type": "aur", "helper": "yay", "url": "https://aur.example/yay.git"},
                "flatpak": {"type": "flatpak", "remote": "flathub"},
            }
        }
    )
    assert [repo.type for repo in config.repos.values()] == ["arch", "aur", "flatpak"]


@pytest.mark.parametrize(
    ("repos", "message"),
    [
        (
            {"x": {"type": "apt"}},
            "repos.x: unknown type 'apt'; expected one of 'arch', 'aur', 'flatpak'",
        ),
        (
            {"x": {}},
            "repos.x: missing key 'type'; use repos.arch_repo(...), repos.aur_repo(...) or repos.flatpak_repo(...)",
        ),
        ({"x": "arch"}, "repos.x: expected a table, got a string"),
        (
            {"x": {"type": "arch", "mirror": "mirror.example"}},
            'repos.x.mirror: "mirror.example" is not a valid URL: an http(s)://, ftp:// or file:// URL',
        ),
        (
            {"x": {"type": "aur", "helper": "yay", "mirorr": 1}},
            "repos.x.mirorr: unknown key (known keys here: type, helper, url, aur_url)",
        ),
        ({"x": {"type": "arch"}}, "repos.x: missing key 'mirror'"),
    ],
)
def test_repo_problems(repos: dict[str, Any], message: str) -> None:
    assert problems({"repos": repos}) == [message]


def test_devices() -> None:
    config = validate(
        {"devices": {"disk0": {"type": "disk", "device": "/dev/vda", "swap_size": "3GB"}}}
    )
    assert config.devices["disk0"].swap_size == "3GB"
    assert problems(
        {"devices": {"d": {"type": "disk", "device": "/dev/vda", "swap_size": "3 bananas"}}}
    ) == ['devices.d.swap_size: "3 bananas" is not a valid size: a size such as "4GB" or "512MiB"']
    assert problems({"devices": {"d": {"type": "disk", "device": "vda"}}}) == [
        'devices.d.device: "vda" is not a valid device path: an absolute path such as /dev/vda'
    ]


def test_boot() -> None:
    config = validate(
        {
            "boot": {
                "kernel": {"package": "linux-lts", "modules": ["virtio_blk", "sr_mod"]},
                "loader": {"type": "systemd-boot", "timeout": 10, "include": ["memtest86+"]},
            }
        }
    )
    assert config.boot is not None
    assert config.boot.loader.include == ["memtest86+"]
    requests = [(r.name, r.location) for r in package_requests(config)]
    assert requests == [
        ("linux-lts", "boot.kernel.package"),
        ("memtest86+", "boot.loader.include[1]"),
    ]
    assert problems({"boot": {"loader": {"type": "grub", "timeout": -1}}}) == [
        "boot.loader.type: unknown value 'grub'; expected one of systemd-boot",
        "boot.loader.timeout: must be at least 0",
    ]
    assert problems({"boot": {"kernel": {"options": ["quiet", "console=tty S0"]}}}) == [
        'boot.kernel.options[2]: "console=tty S0" is not a valid kernel option: one word of the kernel command line, such as console=ttyS0 or quiet'
    ]
    assert problems({"boot": {"kernel": {"modules": ["virtio blk"]}}}) == [
        'boot.kernel.modules[1]: "virtio blk" is not a valid kernel module: letters, digits, _ and - only'
    ]


def test_hardware_items_name_their_packages() -> None:
    config = validate(
        {
            "hardware": {
                "bluetooth": {"enable": True, "package": "bluez"},
                "pipewire": {"enable": True, "extra_packages": ["pipewire-pulse"]},
                "sane": {"enable": False},
            }
        }
    )
    assert [(r.name, r.location) for r in package_requests(config)] == [
        ("bluez", "hardware.bluetooth.package"),
        ("pipewire", "hardware.pipewire"),
        ("pipewire-pulse", "hardware.pipewire.extra_packages[1]"),
    ]
    assert problems({"hardware": {"bluetooth": {"enable": "yes"}}}) == [
        "hardware.bluetooth.enable: expected a boolean (true or false), got a string"
    ]


def test_locale() -> None:
    config = validate(
        {
            "locale": {
                "locale": {
                    "default": "en_CA.UTF-8 UTF-8",
                    "extra_generate": ["en_US.UTF-8 UTF-8"],
                    "extra_settings": {"LC_TIME": "en_CA.UTF-8"},
                },
                "keymap": "us",
                "timezone": "America/Edmonton",
            }
        }
    )
    assert config.locale is not None
    assert config.locale.locale.extra_settings == {"LC_TIME": "en_CA.UTF-8"}
    assert problems({"locale": {"locale": {"extra_settings": {"LC_TIEM": "C"}}}}) == [
        "locale.locale.extra_settings.LC_TIEM: unknown key 'LC_TIEM'; did you mean 'LC_TIME'?"
    ]
    assert problems({"locale": {"timezone": "America/New York", "keymap": "u s"}}) == [
        'locale.keymap: "u s" is not a valid keymap: a console keymap such as us',
        'locale.timezone: "America/New York" is not a valid time zone: a zoneinfo name such as Europe/Berlin or UTC',
    ]


def test_network() -> None:
    assert validate({"network": {"hostname": "testvm", "ipv6": False}}).network is not None
    assert problems({"network": {"hostname": "my_box", "ipv6": "no"}}) == [
        'network.hostname: "my_box" is not a valid host name: letters, digits and -, in dot-separated labels of at most 63',
        "network.ipv6: expected a boolean (true or false), got a string",
    ]


def test_users() -> None:
    config = validate(
        {
            "users": {
                "root": {"no_password": True, "shell": "/bin/bash"},
                "demo-user": {
                    "name": "Demo User",
                    "hashed_password": HASH,
                    "shell": "/bin/zsh",
                    "extra_groups": ["wheel"],
                    "dotfile_manager": {"type": "stow", "source_dir": "~/.dotfiles"},
                    "programs": {
                        "git": {
                            "enable": True,
                            "config": {"type": "git", "settings": {"user.name": "D"}},
                        },
                        "zsh": {
                            "enable": True,
                            "deploy_config": True,
                            "extra_packages": ["zsh-completions"],
                        },
                    },
                    "deploy_configs": ["home", "gtk"],
                    "services": {"syncthing": {"enable": True, "config": {"type": "syncthing"}}},
                },
            }
        }
    )
    user = config.users["demo-user"]
    assert user.hashed_password is not None
    assert HASH not in repr(config)
    assert [r.name for r in package_requests(config)] == [
        "git",
        "zsh",
        "zsh-completions",
        "syncthing",
    ]


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ({"shel": "/bin/sh"}, "users[\"demo-user\"].shel: unknown key; did you mean 'shell'?"),
        ({"shell": 5}, 'users["demo-user"].shell: expected a string, got a number'),
        (
            {"shell": "zsh"},
            'users["demo-user"].shell: "zsh" is not a valid absolute path: it must start with /',
        ),
        (
            {"extra_groups": "wheel"},
            'users["demo-user"].extra_groups: expected a list, got a string',
        ),
        (
            {"extra_groups": ["Wheel"]},
            'users["demo-user"].extra_groups[1]: "Wheel" is not a valid group name: lowercase letters, digits, _ and -, starting with a letter or _, at most 32',
        ),
        (
            {"password": "x", "hashed_password": HASH},
            'users["demo-user"]: password and hashed_password exclude each other; keep one',
        ),
        (
            {"hashed_password": "hunter2"},
            'users["demo-user"].hashed_password: not a crypt(3) password hash (such as the output of `openssl passwd -6`)',
        ),
        (
            {"programs": {"git": {"config": {"type": "gti"}}}},
            "users[\"demo-user\"].programs.git.config: unknown type 'gti'; expected one of 'git', 'dconf', 'syncthing', 'mount', 'mount_unit', 'stow'",
        ),
    ],
)
def test_user_problems(user: dict[str, Any], message: str) -> None:
    assert problems({"users": {"demo-user": user}}) == [message]
    assert "hunter2" not in message


def test_bad_user_name_key() -> None:
    assert problems({"users": {"Demo User": {}}}) == [
        'users["Demo User"]: invalid key: "Demo User" is not a valid user name: lowercase letters, digits, _ and -, starting with a letter or _, at most 32'
    ]


def test_desktop() -> None:
    config = validate(
        {
            "desktop": {
                "display_manager": "gdm",
                "desktop_manager": {
                    "gnome": {
                        "enable": True,
                        "exclude_packages": ["gnome-tour"],
                        "extra_packages": ["aur:dash-to-dock"],
                    },
                    "plasma": {"enable": False, "extra_packages": ["kde-applications"]},
                },
            },
            "repos": {"aur": {"type": "aur", "helper": "yay"}},
        }
    )
    assert [(r.source, r.name) for r in package_requests(config)] == [
        ("pacman", "gdm"),
        ("pacman", "gnome"),
        ("aur", "dash-to-dock"),
    ]


def test_fonts_and_packages_route_by_prefix() -> None:
    config = validate(
        {
            "repos": {
                "aur": {"type": "aur", "helper": "yay"},
                "flatpak": {"type": "flatpak", "remote": "flathub"},
            },
            "fonts": {"font_dir": True, "packages": ["ttf-liberation", "aur:ttf-work-sans"]},
            "packages": ["htop", "libsigc++", "aur:floorp-bin", "flatpak:com.visualstudio.code"],
        }
    )
    assert [(r.source, r.name, r.location) for r in package_requests(config)] == [
        ("pacman", "ttf-liberation", "fonts.packages[1]"),
        ("aur", "ttf-work-sans", "fonts.packages[2]"),
        ("pacman", "htop", "packages[1]"),
        ("pacman", "libsigc++", "packages[2]"),
        ("aur", "floorp-bin", "packages[3]"),
        ("flatpak", "com.visualstudio.code", "packages[4]"),
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "htop; rm -rf /",
            'packages[1]: "htop; rm -rf /" is not a valid package name: lowercase letters, digits and @._+- only, not starting with - or .',
        ),
        (
            "snap:foo",
            'packages[1]: unknown package source "snap" in "snap:foo"; use aur:NAME, flatpak:APP.ID or a plain Arch package name',
        ),
        (
            "flatpak:code",
            'packages[1]: "flatpak:code" is not a valid package name: a Flatpak application ID such as com.visualstudio.code',
        ),
        (
            "aur:floorp-bin",
            "packages[1]: aur:floorp-bin needs an AUR repository: add one to repos with repos.aur_repo(...)",
        ),
        (
            "-rf",
            'packages[1]: "-rf" is not a valid package name: lowercase letters, digits and @._+- only, not starting with - or .',
        ),
    ],
)
def test_package_spec_problems(spec: str, message: str) -> None:
    assert problems({"packages": [spec]}) == [message]


def test_packages_must_be_a_list() -> None:
    assert problems({"packages": "htop"}) == ["packages: expected a list, got a string"]
    assert validate({"packages": {}}).packages == []


def test_services() -> None:
    config = validate(
        {
            "services": {
                "fwupd": {"enable": True},
                "networkmanager": {"enable": True, "service_name": "NetworkManager"},
                "openssh": {
                    "enable": True,
                    "service_name": "sshd",
                    "settings": {"PermitRootLogin": False},
                },
                "cups": {"enable": True, "extra_packages": ["gutenprint"]},
                "virtualisation": {
                    "enable": True,
                    "services": {"libvirtd": {"enable": True, "package": "libvirt"}},
                },
                "systemd": {
                    "enable": True,
                    "mount": {
                        "type": "mount",
                        "mounts": {
                            "data": {"type": "nfs", "what": "nas:/data", "where": "/mnt/data"}
                        },
                    },
                },
                "off": {"enable": False, "package": "nothing"},
            }
        }
    )
    assert [(r.name, r.location) for r in package_requests(config)] == [
        ("fwupd", "services.fwupd"),
        ("networkmanager", "services.networkmanager"),
        ("openssh", "services.openssh"),
        ("cups", "services.cups"),
        ("gutenprint", "services.cups.extra_packages[1]"),
        ("libvirt", "services.virtualisation.services.libvirtd.package"),
        ("systemd", "services.systemd"),
    ]


@pytest.mark.parametrize(
    ("services", "message"),
    [
        (
            {"nm": {"servce_name": "x"}},
            "services.nm.servce_name: unknown key; did you mean 'service_name'?",
        ),
        (
            {"ssh": {"settings": {"Port": {}}}},
            "services.ssh.settings.Port: expected a string, number or boolean, got an empty table",
        ),
        (
            {"NetworkManager": {"enable": True}},
            "services.NetworkManager: 'NetworkManager' is not a package name; set `package` to the package",
        ),
        (
            {"g": {"services": {"x": {"enable": 1}}}},
            "services.g.services.x.enable: expected a boolean (true or false), got a number",
        ),
        (
            {"m": {"mount": {"type": "mount", "mounts": {"d": {"type": "nfs", "what": "a"}}}}},
            "services.m.mount.mounts.d: missing key 'where'",
        ),
    ],
)
def test_service_problems(services: dict[str, Any], message: str) -> None:
    assert problems({"services": services}) == [message]


def test_unknown_section_suggests_the_right_one() -> None:
    assert problems({"pakages": []}) == ["pakages: unknown key; did you mean 'packages'?"]


def test_every_problem_is_reported_not_only_the_first() -> None:
    assert problems({"packages": [1, "ok", 2], "network": {"hostname": 3}}) == [
        "network.hostname: expected a string, got a number",
        "packages[1]: expected a string, got a number",
        "packages[3]: expected a string, got a number",
    ]


def test_schema_documents_every_section() -> None:
    schema = json_schema(Config, "kodos configuration")
    assert set(schema["properties"]) == {
        "repos",
        "devices",
        "boot",
        "hardware",
        "locale",
        "network",
        "users",
        "desktop",
        "fonts",
        "packages",
        "services",
    }


def test_dconf_values_keep_their_lua_types() -> None:
    settings = {"n": 4, "d": 4.0, "b": True, "s": "4", "mixed": [1, 2.5], "flags": [True], "e": {}}
    config = validate(
        {
            "users": {
                "ada": {
                    "programs": {
                        "dconf": {
                            "enable": True,
                            "config": {"type": "dconf", "settings": {"org/x": settings}},
                        }
                    }
                }
            }
        }
    )
    dconf = config.users["ada"].programs["dconf"].config
    assert dconf is not None and dconf.type == "dconf"
    got = dconf.settings["org/x"]
    assert got == {
        "n": 4,
        "d": 4.0,
        "b": True,
        "s": "4",
        "mixed": [1.0, 2.5],
        "flags": [True],
        "e": [],
    }
    # integers and doubles are different GVariant types; a boolean is neither
    assert [type(got[key]) for key in ("n", "d", "b")] == [int, float, bool]
    assert [type(item) for item in got["mixed"]] == [float, float]
