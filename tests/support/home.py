"""Fixtures for the home renderers: a user's section from Lua, a private home, a dotfile repo.

`user_from_lua` loads a real configuration (the Lua library, the model) and returns one user's
section; `private_home` points HOME and the XDG variables at a temporary home so dconf and git
read and write there; `dotfiles_repo` is a real git repository with several stow packages.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from kodos.config.load import load_config
from kodos.config.model import User


def user_from_lua(config_dir: Path, users_table: str, name: str = "ada") -> User:
    """`users[name]` of a configuration whose `users` section is `users_table` (Lua)."""
    config_dir.mkdir(parents=True, exist_ok=True)
    source = (
        'local configs = require("configs")\n'
        'local dotmgr = require("dotfile_manager")\n'
        f"return {{ users = {users_table} }}\n"
    )
    (config_dir / "configuration.lua").write_text(source, encoding="utf-8")
    return load_config(str(config_dir)).config.users[name]


@dataclass(frozen=True)
class Home:
    path: Path
    config_dir: Path
    cache_dir: Path


@pytest.fixture
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    home = tmp_path / "home"
    runtime = tmp_path / "runtime"
    for directory in (home, runtime):
        directory.mkdir(mode=0o700)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("DCONF_PROFILE", raising=False)
    return Home(home, tmp_path / "config", tmp_path / "cache")


def git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


DOTFILES = {
    "zsh/.zshrc": "export EDITOR=nvim\n",
    "zsh/README.md": "stow ignores this\n",
    "nvim/.config/nvim/init.lua": "vim.o.number = true\n",
    "nvim/.config/nvim/lua/keys.lua": "-- keys\n",
    "gtk/.config/gtk-3.0/settings.ini": "[Settings]\ngtk-application-prefer-dark-theme=1\n",
    "starship/.config/starship.toml": "add_newline = false\n",
    "other-zsh/.zshrc": "a second .zshrc\n",
}


def dotfiles_repo(directory: Path, files: dict[str, str] = DOTFILES) -> Path:
    """A git repository (with one commit) holding `files`; returns its directory."""
    directory.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=directory)
    commit_files(directory, files, "dotfiles")
    return directory


def commit_files(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", message, cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo)
