"""The program renderers through `kodos user apply`, run by a real unprivileged account: a git
config file, dconf keys set and reset with the real dconf (no session), a stow repository's
commit exported into each home generation and linked, syncthing's unit enabled with its
drop-in — then no change, a change, and a rollback that restores the dotfiles' content."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.home import dotfiles_repo
from tests.support.homeuser import TestUser, as_user, home_tree, home_users, kodos_as
from tests.support.tools import require_tools

pytestmark = pytest.mark.system


@pytest.fixture
def two_users() -> Iterator[tuple[Path, TestUser, TestUser]]:
    require_tools("git", "stow", "dconf", "dbus-run-session")
    with home_users(2) as (base, (ada, bob)):
        yield base, ada, bob


def write_config(directory: Path, user: TestUser, repo: Path, dconf: str, deploy: str) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / "configuration.lua").write_text(
        'local configs = require("configs")\n'
        "return { users = { "
        f'["{user.name}"] = {{\n'
        f'  dotfile_manager = configs.stow({{ source_dir = "~/.dotfiles", repo_url = "file://{repo}" }}),\n'
        "  programs = {\n"
        '    git = { enable = true, config = configs.git({ user_name = "Ada", user_email = "ada@example.org" }) },\n'
        f"    dconf = {{ enable = true, config = configs.dconf({dconf}) }},\n"
        "    zsh = { enable = true, deploy_config = true },\n"
        "  },\n"
        f"  deploy_configs = {deploy},\n"
        '  services = { syncthing = { enable = true, config = configs.syncthing({ options = "--no-browser" }) } },\n'
        "} } }\n"
    )
    return directory


def dconf_read(user: TestUser, key: str) -> str:
    return as_user(user, "dconf", "read", key).stdout.strip()


def test_programs_apply_change_and_roll_back(two_users: tuple[Path, TestUser, TestUser]) -> None:
    base, ada, bob = two_users
    repo = dotfiles_repo(base / "dotfiles")
    subprocess.run(["chown", "-R", f"{ada.uid}:{ada.gid}", str(repo)], check=True)
    first_dconf = (
        '{ ["org/gnome/desktop/interface"] = { color_scheme = "prefer-dark", '
        'text_scaling_factor = 1.25 }, ["org/gnome/mutter"] = { dynamic_workspaces = false } }'
    )
    config = write_config(base / "config", ada, repo, first_dconf, '{ "gtk" }')
    bob_before = home_tree(bob)

    done = kodos_as(ada, "user", "apply", "-c", config, "--yes")
    assert done.returncode == 0, done.stderr
    home = ada.home
    assert (home / ".config/git/config").read_text() == (
        '[user]\n\temail = "ada@example.org"\n\tname = "Ada"\n'
    )
    assert os.readlink(home / ".zshrc").endswith("/tree/dotfiles/zsh/.zshrc")
    assert (home / ".zshrc").read_text() == "export EDITOR=nvim\n"
    assert (home / ".config/gtk-3.0/settings.ini").is_file()
    assert not (home / ".config/nvim").exists()  # not deployed
    assert os.path.islink(home / ".config/systemd/user/default.target.wants/syncthing.service")
    dropin = home / ".config/systemd/user/syncthing.service.d/kodos.conf"
    assert "ExecStart=/usr/bin/syncthing --no-browser" in dropin.read_text()
    assert dconf_read(ada, "/org/gnome/desktop/interface/color-scheme") == "'prefer-dark'"
    assert dconf_read(ada, "/org/gnome/desktop/interface/text-scaling-factor") == "1.25"
    assert dconf_read(ada, "/org/gnome/mutter/dynamic-workspaces") == "false"

    again = kodos_as(ada, "user", "apply", "-c", config, "--yes")
    assert again.returncode == 0, again.stderr
    assert "Nothing to apply" in again.stdout

    # Change: new dotfile content, one dconf key dropped, the gtk package no longer deployed.
    as_user(ada, "git", "-C", repo, "-c", "user.name=a", "-c", "user.email=a@b", "commit",
            "-q", "-am", "x", "--allow-empty")  # fmt: skip
    (repo / "zsh/.zshrc").write_text("export EDITOR=hx\n")
    as_user(ada, "git", "-C", repo, "-c", "user.name=a", "-c", "user.email=a@b", "commit",
            "-q", "-am", "hx")  # fmt: skip
    second_dconf = '{ ["org/gnome/desktop/interface"] = { color_scheme = "default" } }'
    write_config(base / "config", ada, repo, second_dconf, "{}")
    changed = kodos_as(ada, "user", "apply", "-c", config, "--yes")
    assert changed.returncode == 0, changed.stderr
    assert (ada.home / ".zshrc").read_text() == "export EDITOR=hx\n"
    assert not (ada.home / ".config/gtk-3.0/settings.ini").exists()
    assert dconf_read(ada, "/org/gnome/desktop/interface/color-scheme") == "'default'"
    assert dconf_read(ada, "/org/gnome/desktop/interface/text-scaling-factor") == ""
    assert dconf_read(ada, "/org/gnome/mutter/dynamic-workspaces") == ""

    rolled = kodos_as(ada, "user", "rollback")
    assert rolled.returncode == 0, rolled.stderr
    assert (ada.home / ".zshrc").read_text() == "export EDITOR=nvim\n"  # the content, too
    assert (ada.home / ".config/gtk-3.0/settings.ini").is_file()
    assert dconf_read(ada, "/org/gnome/mutter/dynamic-workspaces") == "false"

    assert home_tree(bob) == bob_before
