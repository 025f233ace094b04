"""Upstream KodOS's own example (example/testvm, four files byte for byte) validates and plans
unchanged: its flat `configs.mount{ name = ..., ... }` sub-services, the relocatable dconf form in
gnome.lua, `configs.git{ user_name = ... }`, `configs.stow`, `configs.syncthing`, and gnome
with `display_manager = "gdm"` beside cosmic with none (gdm, not two display managers).

The user side (`kodos user plan`) is tested where `kodos user` lives, with
`tests.support.upstream.upstream_example_copy`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kodos.config.load import load_config
from kodos.config.model import DconfConfig, GitConfig, MountUnit, Service, StowConfig
from tests.support.tools import require_tools
from tests.support.upstream import (
    UPSTREAM_EXAMPLE,
    UPSTREAM_FILES,
    UPSTREAM_USER,
    upstream_example_copy,
    upstream_sync_dir,
)

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = UPSTREAM_EXAMPLE.relative_to(REPO).as_posix()
# The files as upstream's repository has them (commit 4ea082c): the test is about accepting
# them as they are, so an edit here would make it prove nothing.
UPSTREAM_SHA256 = {
    "cli.lua": "dbcf60a69923fbc8a9049099e7889e45121e7e9d4d6e0973fe6213061b1c91e0",
    "configuration.lua": "5238c4b23a40534d20dad144e9c52e53e1f8fdfa142ef0a8707278fd8fd0d2da",
    "development.lua": "1f009bd64646636a963c1ea7d877f5b11a40dec99ec3a9971fd116ff407b11ad",
    "gnome.lua": "0d281694c26273026c526959cbd4c636d0c9fcc7bba9719128cef7f536ecec4b",
}


def kodos(*args: str | Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kodos", *map(str, args)]
    env = {**os.environ, "LC_ALL": "C"}
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False, env=env)


def test_the_fixture_is_upstreams_files_unchanged() -> None:
    assert sorted(UPSTREAM_SHA256) == sorted(UPSTREAM_FILES)
    for name, digest in UPSTREAM_SHA256.items():
        assert hashlib.sha256((UPSTREAM_EXAMPLE / name).read_bytes()).hexdigest() == digest


def test_validate() -> None:
    done = kodos("validate", "-c", EXAMPLE)

    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"{EXAMPLE}/configuration.lua: valid\n"
        "  hostname  testvm\n"
        "  packages  36 from Arch repositories, 7 from AUR, 1 from Flatpak\n"
        "  services  5: bluetooth, cups, fwupd, networkmanager, openssh\n"
        "  users     2: abuss, root\n"
        "  desktop   cosmic, gnome\n"
        "  repos     3: aur (aur), flatpak (flatpak), official (arch)\n"
        "  devices   1: /dev/vda\n"
    )
    assert done.stderr.startswith("Demo configuration\n")  # the example's own print()
    assert "error" not in done.stderr


def test_the_model_holds_what_upstream_means() -> None:
    config = load_config(str(UPSTREAM_EXAMPLE)).config
    user = config.users["abuss"]

    git = user.programs["git"].config
    assert isinstance(git, GitConfig)
    assert git.settings == {"user.name": "Antal Buss", "user.email": "antal.buss@gmail.com"}
    assert user.dotfile_manager == StowConfig(
        type="stow",
        source_dir="~/.dotfiles",
        target_dir="~/",
        repo_url="https://github.com/abuss/dotconfig.git",
    )
    syncthing = user.services["syncthing"].config
    assert syncthing is not None and syncthing.type == "syncthing"
    assert syncthing.options is not None and syncthing.options.startswith("'--no-browser' ")

    dconf = user.programs["dconf"].config
    assert isinstance(dconf, DconfConfig)
    custom0 = "org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0"
    assert dconf.settings[custom0] == {
        "binding": "<Control><Alt>t",
        "command": "kgx",
        "name": "Terminal",
    }
    assert dconf.relocatable_schemas == {
        custom0: "org.gnome.settings-daemon.plugins.media-keys.custom-keybinding"
    }
    assert "org/gnome/settings-daemon/plugins/media-keys" not in dconf.settings
    mutter = dconf.settings["org/gnome/mutter"]
    assert mutter == {
        "experimental-features": ["scale-monitor-framebuffer"],
        "workspaces-only-on-primary": True,
        "dynamic-workspaces": False,
    }
    assert dconf.settings["org/gnome/shell"]["disabled-extensions"] == []
    assert dconf.settings["org/gnome/desktop/wm/preferences"]["num-workspaces"] == 4
    # a schema id ("org.gnome.shell.weather") names the directory its dots make
    assert list(dconf.settings["org/gnome/shell/weather"]) == ["locations"]

    group = config.services["systemd_mount"]
    assert isinstance(group, Service) and not group.enable
    data = group.services["data"]
    assert isinstance(data, MountUnit)
    assert (data.name, data.enable, data.mount.type, data.mount.where) == (
        "mnt-data",
        False,
        "cifs",
        "/mnt/data",
    )
    assert data.mount.automount and data.mount.automount_config == "TimeoutIdleSec=0"


def test_plan(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    facts = tmp_path / "facts.json"
    done = kodos("facts", "--root", root, "-c", EXAMPLE, "--out", facts)
    assert done.returncode == 0, done.stderr
    sync = upstream_sync_dir(tmp_path / "sync")

    done = kodos("plan", "-c", EXAMPLE, "--facts", facts, "--sync-dir", sync, "--json")

    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    addresses = {change["address"] for change in plan["changes"]}
    assert {change["action"] for change in plan["changes"]} == {"create"}
    assert sorted(a for a in addresses if a.startswith("services.")) == [
        "services.unit[NetworkManager.service]",
        "services.unit[bluetooth.service]",
        "services.unit[cups.service]",
        "services.unit[gdm.service]",
        "services.unit[sshd.service]",
    ]
    # gnome's display manager is the one set; cosmic's default is not used
    assert "pacman.package[gdm]" in addresses
    assert "pacman.package[cosmic-greeter]" not in addresses
    assert {"pacman.package[cosmic-session]", "pacman.package[gnome-shell]"} <= addresses
    # the mounts are disabled (and so is their group): no unit files
    assert not [a for a in addresses if a.startswith("files.file[/etc/systemd/")]
    assert {"pacman.package[stow]", "pacman.package[syncthing]", "pacman.package[dconf]"} <= (
        addresses
    )
    assert "flatpak.remote[flathub]" in addresses  # flathub's URL is known by default
    assert "aur.package[yay-bin]" in addresses  # the helper, from aur_repo's url
    assert plan["summary"]["add"] == 68


@pytest.mark.system
def test_upstream_example_user_plans_for_its_user(tmp_path: Path) -> None:
    """`kodos user plan` of upstream's example, unchanged, run by its own user (`abuss`, an
    account made for the test): the dotfile repository (GitHub in the example) is redirected
    to a local one by that user's own git configuration (`url.insteadOf`), which kodos's
    fetch honours; nothing is written in the home but kodos's cache."""
    require_tools("git", "stow", "dconf")
    from tests.support.home import dotfiles_repo
    from tests.support.homeuser import home_tree, home_users, kodos_as

    with home_users(1, names=(UPSTREAM_USER,)) as (base, [abuss]):
        config = upstream_example_copy(base / "config")
        repo = dotfiles_repo(
            base / "dotconfig",
            {
                "starship/.config/starship.toml": "add_newline = false\n",
                "home/.face": "a face\n",
                "gtk/.config/gtk-3.0/settings.ini": "[Settings]\n",
            },
        )
        gitconfig = abuss.home / ".gitconfig"
        gitconfig.write_text(
            f'[url "file://{repo}"]\n\tinsteadOf = https://github.com/abuss/dotconfig.git\n'
        )
        for path in [gitconfig, repo, *repo.rglob("*")]:  # the user's own repository
            os.chown(path, abuss.uid, abuss.gid, follow_symlinks=False)
        before = home_tree(abuss)

        planned = kodos_as(abuss, "user", "plan", "-c", config, "--detailed-exitcode")

        assert planned.returncode == 2, planned.stderr
        assert planned.stderr == "Demo configuration\n"  # the example's own print()
        for address in (
            "+ home.file[~/.config/git/config]",
            "+ home.link[~/.config/starship.toml]",
            "+ home.link[~/.face]",
            "+ home.link[~/.config/gtk-3.0/settings.ini]",
            "+ home.link[~/.config/systemd/user/default.target.wants/syncthing.service]",
            "+ home.file[~/.config/systemd/user/syncthing.service.d/kodos.conf]",
            "+ home.tree[dotfiles]",
            "+ home.dconf[/org/gnome/desktop/interface/color-scheme]",
        ):
            assert address in planned.stdout, planned.stdout
        assert planned.stdout.count("+ home.dconf[") == 39
        assert planned.stdout.endswith("Plan: 46 to add, 0 to change, 0 to destroy.\n")
        assert home_tree(abuss) == before
