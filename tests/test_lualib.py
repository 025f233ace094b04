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
            "dotfile_manager",
            "dotfile_manager.stow{ source_dir = '~/.dotfiles' }",
            {"type": "stow", "source_dir": "~/.dotfiles", "target_dir": "~/"},
        ),
        (
            "configs",
            "configs.git{ user_name = 'Ada', user_email = 'ada@example.org' }",
            {"type": "git", "user_name": "Ada", "user_email": "ada@example.org"},
        ),
        (
            "configs",
            "configs.dconf{ ['org/gnome/desktop/interface'] = { color_scheme = 'dark' } }",
            {
                "type": "dconf",
                "settings": {"org/gnome/desktop/interface": {"color_scheme": "dark"}},
            },
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
