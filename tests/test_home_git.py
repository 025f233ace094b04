"""`configs.git{...}` → ~/.config/git/config, read back by the real git exactly as written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kodos.errors import ConfigError
from kodos.home.programs import git, render
from kodos.text.location import config_path
from tests.support.home import user_from_lua
from tests.support.tools import require_tools

AWKWARD = {
    "user.name": 'Ada "the Countess" Lovelace',
    "user.email": "ada@example.org",
    "core.editor": "nvim # not a comment ; nor this",
    "core.pager": "  less -R  ",
    "alias.lg": "log --graph\t--oneline\\n",
    "commit.template": "line one\nline two",
    "url.git@github.com:.insteadOf": "gh:",
    'remote.weird "name\\.url': "x=y",
    "init.defaultBranch": "main",
    "color.ui": True,
    "pull.rebase": False,
    "core.abbrev": 12,
    "i18n.commitEncoding": "ütf-8 ☃",
}


@pytest.mark.system
def test_git_reads_back_every_value_exactly(tmp_path: Path) -> None:
    require_tools("git")
    file, problems = git.render(AWKWARD, ["users", "ada", "programs", "git", "config"])
    assert problems == [] and file is not None
    assert file.path == ".config/git/config" and file.mode == 0o644
    written = tmp_path / "config"
    written.write_bytes(file.content)
    listed = subprocess.run(
        ["git", "config", "--file", str(written), "--null", "--list"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    read = dict(entry.split("\n", 1) for entry in listed.split("\0") if entry)
    expected = {
        _git_name(key): ("true" if value is True else "false" if value is False else str(value))
        for key, value in AWKWARD.items()
    }
    assert read == expected


def _git_name(key: str) -> str:
    """How `git config --list` names a key: section and name lower case, subsection kept."""
    section, _, rest = key.partition(".")
    subsection, _, name = rest.rpartition(".")
    return ".".join(part for part in (section.lower(), subsection, name.lower()) if part)


def test_git_config_file_text() -> None:
    file, _ = git.render({"user.name": "Ada", "user.email": "ada@example.org"}, ["x"])
    assert file is not None
    assert file.content == b'[user]\n\temail = "ada@example.org"\n\tname = "Ada"\n'


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("nodot", '"nodot" is not a git key'),
        ("user.", '"user." is not a git key'),
        ("us er.name", '"us er.name" is not a git key'),
        ("user.9name", '"user.9name" is not a git key'),
    ],
)
def test_bad_git_keys(key: str, message: str) -> None:
    file, problems = git.render({key: "x"}, ["users", "ada", "programs", "git", "config"])
    assert file is None
    assert [str(p) for p in problems] == [
        f"{config_path(['users', 'ada', 'programs', 'git', 'config', key])}: {message}: "
        'write section.name or section.subsection.name, e.g. "user.email" or '
        '"init.defaultBranch"'
    ]


def test_render_gives_the_git_file_of_an_enabled_program(tmp_path: Path) -> None:
    user = user_from_lua(
        tmp_path / "config",
        """{ ada = { programs = {
            git = { enable = true, config = configs.git{ user_name = "Ada", user_email = "a@b.org" } },
            other = { enable = false, config = configs.git{ user_name = "Off" } },
        } } }""",
    )
    wanted = render(user, "ada", tmp_path / "home", tmp_path / "config", tmp_path / "cache")
    assert [(f.path, f.source) for f in wanted.files] == [
        (".config/git/config", "users.ada.programs.git.config")
    ]
    assert b'name = "Ada"' in wanted.files[0].content


def test_two_git_configs_collide(tmp_path: Path) -> None:
    user = user_from_lua(
        tmp_path / "config",
        """{ ada = { programs = {
            git = { enable = true, config = configs.git{ user_name = "Ada" } },
            git2 = { enable = true, config = configs.git{ user_name = "Bob" } },
        } } }""",
    )
    with pytest.raises(ConfigError) as caught:
        render(user, "ada", tmp_path / "home", tmp_path / "config", tmp_path / "cache")
    assert str(caught.value) == (
        "users.ada.programs.git2.config: ~/.config/git/config is written by "
        "users.ada.programs.git.config too"
    )
