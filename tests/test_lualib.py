"""lua-lib: the helper modules configurations `require`, their data and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.errors import ConfigError
from kodos.lua.evaluator import lua_lib_dir
from tests.lua_helpers import evaluate

MODULES = ("disk", "repos", "dotfile_manager", "configs")


def call(tmp_path: Path, module: str, expression: str) -> object:
    source = f"local {module} = require('{module}')\nreturn {{ value = {expression} }}"
    return evaluate(tmp_path, source)["value"]


@pytest.mark.parametrize(
    ("module", "expression", "expected"),
    [
        (
            "disk",
            "disk.disk_definition('/dev/vda', '3GB')",
            {"type": "disk", "device": "/dev/vda", "swap_size": "3GB"},
        ),
        (
            "disk",
            "disk.disk_definition('/dev/nvme0n1')",
            {"type": "disk", "device": "/dev/nvme0n1"},
        ),
        (
            "disk",
            "disk.disk_definition('/dev/vda', nil, { esp_mount = '/boot' })",
            {"type": "disk", "device": "/dev/vda", "esp_mount": "/boot"},
        ),
        (
            "repos",
            "repos.arch_repo('https://mirror.example/archlinux')",
            {"type": "arch", "mirror": "https://mirror.example/archlinux"},
        ),
        (
            "repos",
            "repos.aur_repo('yay', 'https://aur.archlinux.org/yay-bin.git')",
            {"type": "aur", "helper": "yay", "url": "https://aur.archlinux.org/yay-bin.git"},
        ),
        (
            "repos",
            "repos.aur_repo('paru', nil, { aur_url = 'file:///srv/aur' })",
            {"type": "aur", "helper": "paru", "aur_url": "file:///srv/aur"},
        ),
        ("repos", "repos.flatpak_repo('flathub')", {"type": "flatpak", "remote": "flathub"}),
        (
            "repos",
            "repos.flatpak_repo('t', 'file:///srv/repo', { gpg_verify = false })",
            {"type": "flatpak", "remote": "t", "url": "file:///srv/repo", "gpg_verify": False},
        ),
        (
            "repos",
            "repos.flatpak_repo('flathub', { gpg_verify = true })",
            {"type": "flatpak", "remote": "flathub", "gpg_verify": True},
        ),
        (
            "dotfile_manager",
            "dotfile_manager.stow{ source_dir = '~/.dotfiles' }",
            {"type": "stow", "source_dir": "~/.dotfiles", "target_dir": "~/"},
        ),
        (
            "configs",
            "configs.git{ user_name = 'Ada', user_email = 'ada@example.org' }",
            {"type": "git", "settings": {"user.name": "Ada", "user.email": "ada@example.org"}},
        ),
        (
            "configs",
            "configs.git{ init_defaultBranch = 'main', pull_rebase = true,"
            " difftool_vimdiff_cmd = 'x', extra = { ['core.editor'] = 'nvim' } }",
            {
                "type": "git",
                "settings": {
                    "init.defaultBranch": "main",
                    "pull.rebase": True,
                    "difftool.vimdiff.cmd": "x",
                    "core.editor": "nvim",
                },
            },
        ),
        (
            "configs",
            "configs.dconf{ ['org/gnome/desktop/interface'] = { color_scheme = 'dark' } }",
            {
                "type": "dconf",
                "settings": {"org/gnome/desktop/interface": {"color-scheme": "dark"}},
                "relocatable_schemas": {},
            },
        ),
        (
            "configs",
            "configs.dconf{ ['org.gnome.mutter'] = { n = 4, f = 0.5, d = 4.0, l = { 1, 2.5 } },"
            " ['/org/gnome/m/'] = { kb = { ['/org/gnome/m/kb/c0/'] = { name = 'T' } } } }",
            {
                "type": "dconf",
                "settings": {
                    "org/gnome/mutter": {"n": 4, "f": 0.5, "d": 4.0, "l": [1, 2.5]},
                    "org/gnome/m/kb/c0": {"name": "T"},
                },
                "relocatable_schemas": {"org/gnome/m/kb/c0": "org.gnome.m.kb"},
            },
        ),
        (
            "configs",
            "configs.mount{ enable = false, name = 'mnt-d', type = 'nfs', what = 'nas:/d',"
            " where = '/mnt/d', automount = true }",
            {
                "type": "mount_unit",
                "enable": False,
                "name": "mnt-d",
                "mount": {"type": "nfs", "what": "nas:/d", "where": "/mnt/d", "automount": True},
            },
        ),
        (
            "configs",
            "configs.copy_file('files/bg.jpg')",
            {"type": "copy_file", "source": "files/bg.jpg"},
        ),
        (
            "configs",
            "configs.syncthing{ options = '--no-browser' }",
            {"type": "syncthing", "service_name": "syncthing", "options": "--no-browser"},
        ),
        (
            "configs",
            "configs.mount{ nas = { type = 'nfs', what = 'nas:/d', where = '/mnt/d' } }",
            {
                "type": "mount",
                "mounts": {"nas": {"type": "nfs", "what": "nas:/d", "where": "/mnt/d"}},
            },
        ),
        (
            "configs",
            "configs.stow{ source_dir = '~/dots' }",
            {"type": "stow", "source_dir": "~/dots", "target_dir": "~/"},
        ),
    ],
)
def test_helpers_return_plain_data(
    tmp_path: Path, module: str, expression: str, expected: object
) -> None:
    assert call(tmp_path, module, expression) == expected


@pytest.mark.parametrize(
    ("module", "expression", "start"),
    [
        (
            "disk",
            "disk.disk_definition('vda')",
            'configuration.lua:2: disk.disk_definition: device must be a string like "/dev/vda"',
        ),
        (
            "disk",
            "disk.disk_definition('/dev/vda', '3 bananas')",
            "configuration.lua:2: disk.disk_definition: swap_size must be a size like",
        ),
        (
            "disk",
            "disk.disk_definition('/dev/vda', nil, { esp_mount = '/boot/EFI' })",
            'configuration.lua:2: disk.disk_definition: options.esp_mount must be "/efi", '
            '"/boot" or "/boot/efi", got "/boot/EFI"',
        ),
        (
            "disk",
            "disk.disk_definition('/dev/vda', nil, { esp = '/boot' })",
            'configuration.lua:2: disk.disk_definition: options has no field "esp" (known: '
            "esp_mount)",
        ),
        (
            "disk",
            "disk.disk_definition('/dev/vda', nil, '/boot')",
            "configuration.lua:2: disk.disk_definition: options must be a table like { esp_mount "
            '= "/boot" }, got "/boot"',
        ),
        ("repos", "repos.arch_repo(42)", "configuration.lua:2: repos.arch_repo:"),
        ("configs", "configs.git('Ada')", "configuration.lua:2: configs.git: expects a table"),
        ("configs", "configs.mount{ nas = { what = 'x' } }", "configuration.lua:2: configs.mount:"),
    ],
)
def test_helper_errors_point_at_the_callers_line(
    tmp_path: Path, module: str, expression: str, start: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        call(tmp_path, module, expression)
    assert str(raised.value.problems[0]).startswith(start)


@pytest.mark.parametrize("module", MODULES)
def test_modules_carry_language_server_annotations(module: str) -> None:
    text = (lua_lib_dir() / f"{module}.lua").read_text()
    for tag in ("---@class", "---@param", "---@return"):
        assert tag in text, f"{module}.lua lacks {tag}"


def test_dconf_numbers_stay_integers_or_doubles(tmp_path: Path) -> None:
    value = call(
        tmp_path, "configs", "configs.dconf{ ['org/x'] = { n = 4, d = 4.0, l = { 1, 2 } } }"
    )
    assert isinstance(value, dict)
    got = value["settings"]["org/x"]
    assert [type(got["n"]), type(got["d"])] == [int, float]
    assert [type(item) for item in got["l"]] == [int, int]
