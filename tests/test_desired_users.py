"""users → users.user resources, their programs' packages; passwords never shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kodos.secrets import PlainPassword
from tests.test_desired import build, build_example, requests

HASH = "$6$yYGlozWudGJ1pYBQ$90qFejr24w6sfZOYTFsRWw7sxxZwHBX5OmJhgGzEJ2QO.draeiLNRYAXbOjpOTV55KAuQeub.6l4wWuvsaTBl."
SECRET = "correct horse battery staple"


def user(data: dict[str, Any], tmp_path: Path, name: str = "amy") -> Any:
    desired = build({"users": {name: data}}, tmp_path)
    resource = desired.resources[f"users.user[{name}]"]
    assert resource.sensitive == frozenset({"password"})
    return dict(resource.attributes)


def test_only_configured_keys(tmp_path: Path) -> None:
    assert user({}, tmp_path) == {"home": "/home/amy"}
    assert user({}, tmp_path, "root") == {}
    assert user(
        {"name": "Amy Pond", "shell": "/usr/bin/zsh", "extra_groups": ["wheel", "audio", "wheel"]},
        tmp_path,
    ) == {
        "gecos": "Amy Pond",
        "home": "/home/amy",
        "shell": "/usr/bin/zsh",
        "groups": ["audio", "wheel"],
    }


def test_an_empty_extra_groups_manages_the_groups(tmp_path: Path) -> None:
    assert user({"extra_groups": {}}, tmp_path) == {"home": "/home/amy", "groups": []}


def test_password_kinds(tmp_path: Path) -> None:
    assert user({"hashed_password": HASH}, tmp_path)["password"] == HASH
    assert user({"no_password": True}, tmp_path)["password"] == "!"
    plain = user({"password": SECRET}, tmp_path)["password"]
    assert isinstance(plain, PlainPassword)
    assert plain.secret == SECRET


def test_plain_passwords_never_show(tmp_path: Path) -> None:
    desired = build({"users": {"amy": {"password": SECRET}}}, tmp_path)
    resource = desired.resources["users.user[amy]"]
    for text in (repr(desired), str(desired), repr(resource), str(resource)):
        assert SECRET not in text
    assert "'password': '(sensitive)'" in repr(resource)


def test_hashes_never_show_in_the_state(tmp_path: Path) -> None:
    desired = build_example("testvm")
    hashed = desired.resources["users.user[demo-user]"].attributes["password"]
    assert hashed.startswith("$6$")
    assert hashed not in repr(desired) and hashed not in str(desired)
    assert hashed not in repr(desired.resources["users.user[demo-user]"])


def test_programs_and_dotfiles(tmp_path: Path) -> None:
    desired = build(
        {
            "users": {
                "amy": {
                    "programs": {
                        "neovim": {"enable": True, "extra_packages": ["aur:neovim-plug"]},
                        "code": {"enable": True, "package": "code"},
                        "emacs": {"enable": False},
                    },
                    "dotfile_manager": {"type": "stow", "source_dir": "~/dotfiles"},
                },
                "bob": {
                    "dotfile_manager": {
                        "type": "stow",
                        "source_dir": "~/dotfiles",
                        "repo_url": "https://git.example.org/bob/dotfiles.git",
                    }
                },
            }
        },
        tmp_path,
    )
    assert requests(desired) == [
        ("pacman", "code", "users.amy.programs.code.package"),
        ("pacman", "neovim", "users.amy.programs.neovim"),
        ("aur", "neovim-plug", "users.amy.programs.neovim.extra_packages[1]"),
        ("pacman", "stow", "users.amy.dotfile_manager"),
        ("pacman", "stow", "users.bob.dotfile_manager"),
        ("pacman", "git", "users.bob.dotfile_manager.repo_url"),
    ]
    assert sorted(desired.resources) == ["users.user[amy]", "users.user[bob]"]
