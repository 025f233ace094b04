"""The dotfile manager: a real git repository of stow packages, the real stow deciding links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kodos.errors import ConfigError
from kodos.home.items import HomeLink
from kodos.home.programs import render, stow
from kodos.system.runner import run
from tests.support.home import (
    Home,
    commit_files,
    dotfiles_repo,
    git,
    user_from_lua,
)
from tests.support.tools import require_tools

pytestmark = pytest.mark.system


def _user(home: Home, stow_call: str, programs: str = "", deploy: str = '{ "gtk" }') -> object:
    return user_from_lua(
        home.config_dir,
        f"""{{ ada = {{
            dotfile_manager = {stow_call},
            programs = {{
                neovim = {{ enable = true, deploy_config = true, package = "neovim" }},
                starship = {{ enable = false, deploy_config = true }},
                {programs}
            }},
            deploy_configs = {deploy},
        }} }}""",
    )


def test_repository_links_point_into_the_generation(private_home: Home, tmp_path: Path) -> None:
    require_tools("git", "stow")
    repo = dotfiles_repo(tmp_path / "repo")
    (repo / "nvim").rename(repo / "neovim")
    commit = commit_files(repo, {}, "rename")
    user = _user(
        private_home, f'dotmgr.stow{{ source_dir = "~/.dotfiles", repo_url = "file://{repo}" }}'
    )
    wanted = render(user, "ada", private_home.path, private_home.config_dir, private_home.cache_dir)
    [tree] = wanted.trees
    assert (tree.name, tree.commit, tree.source) == (
        "dotfiles",
        commit,
        "users.ada.dotfile_manager",
    )
    assert tree.git_dir.is_relative_to(private_home.cache_dir)
    assert wanted.links == [
        HomeLink(
            ".config/gtk-3.0/settings.ini",
            "@gen/tree/dotfiles/gtk/.config/gtk-3.0/settings.ini",
            "users.ada.deploy_configs[1]",
        ),
        HomeLink(
            ".config/nvim/init.lua",
            "@gen/tree/dotfiles/neovim/.config/nvim/init.lua",
            "users.ada.programs.neovim.deploy_config",
        ),
        HomeLink(
            ".config/nvim/lua/keys.lua",
            "@gen/tree/dotfiles/neovim/.config/nvim/lua/keys.lua",
            "users.ada.programs.neovim.deploy_config",
        ),
    ]
    assert wanted.notes == [
        f"dotfiles: file://{repo} at {commit} (kept in {tree.git_dir}; source_dir is not used)"
    ]
    assert os.listdir(private_home.path) == []  # planning wrote nothing in the home


def test_fetch_follows_new_commits_and_export_is_exact(private_home: Home, tmp_path: Path) -> None:
    require_tools("git")
    repo = dotfiles_repo(tmp_path / "repo")
    os.symlink(".zshrc", repo / "zsh" / ".zshenv")
    (repo / "zsh" / "run.sh").write_text("#!/bin/sh\n")
    (repo / "zsh" / "run.sh").chmod(0o755)
    (repo / ".gitattributes").write_text("*.lua export-ignore\n*.md export-subst\n")
    first = commit_files(repo, {}, "more")
    git_dir, commit = stow.fetch(f"file://{repo}", private_home.cache_dir, at="x")
    assert commit == first
    second = commit_files(repo, {"zsh/.zshrc": "changed\n"}, "change")
    assert stow.fetch(f"file://{repo}", private_home.cache_dir, at="x") == (git_dir, second)

    out = tmp_path / "out"
    stow.export(stow.HomeTree("dotfiles", git_dir, first, "x"), out)
    files = sorted(str(path.relative_to(out)) for path in out.rglob("*") if not path.is_dir())
    assert files == sorted([".gitattributes", "zsh/.zshenv", "zsh/run.sh", *stow_files()])
    assert (out / "zsh" / ".zshrc").read_text() == "export EDITOR=nvim\n"  # the first commit
    assert os.readlink(out / "zsh" / ".zshenv") == ".zshrc"
    assert os.stat(out / "zsh" / "run.sh").st_mode & 0o111
    assert (out / "nvim/.config/nvim/init.lua").is_file()  # attributes do not drop files


def test_fetch_of_a_commit_already_cached_only_lists_the_remote(
    private_home: Home, tmp_path: Path
) -> None:
    """The remote is asked each time, but a HEAD the cache holds is not fetched again (git
    fetch rewrites FETCH_HEAD; ls-remote does not); a packed ref falls back to fetching."""
    require_tools("git")
    repo = dotfiles_repo(tmp_path / "repo")
    url = f"file://{repo}"
    git_dir, first = stow.fetch(url, private_home.cache_dir, at="x")
    (git_dir / "FETCH_HEAD").unlink()
    assert stow.fetch(url, private_home.cache_dir, at="x") == (git_dir, first)
    assert not (git_dir / "FETCH_HEAD").exists()

    run(["git", "--git-dir", str(git_dir), "pack-refs", "--all"])
    assert not (git_dir / "refs" / "kodos" / "head").exists()
    assert stow.fetch(url, private_home.cache_dir, at="x") == (git_dir, first)
    assert (git_dir / "FETCH_HEAD").exists()

    second = commit_files(repo, {"zsh/.zshrc": "moved\n"}, "move")
    assert stow.fetch(url, private_home.cache_dir, at="x") == (git_dir, second)


def stow_files() -> list[str]:
    from tests.support.home import DOTFILES

    return list(DOTFILES)


def test_fetch_refuses_other_transports(private_home: Home, tmp_path: Path) -> None:
    require_tools("git")
    marker = tmp_path / "pwned"
    with pytest.raises(stow.StowError) as caught:
        stow.fetch(f"ext::sh -c touch% {marker}", private_home.cache_dir, at="users.ada.x")
    assert str(caught.value) == (
        f"users.ada.x: cannot fetch ext::sh -c touch% {marker}: transport 'ext' not allowed"
    )
    assert not marker.exists()


def test_source_dir_without_repository_links_to_it(private_home: Home, tmp_path: Path) -> None:
    require_tools("stow")
    dotfiles = dotfiles_repo(private_home.path / ".dotfiles")
    (dotfiles / "nvim").rename(dotfiles / "neovim")
    user = _user(private_home, 'configs.stow{ source_dir = "~/.dotfiles" }', deploy='{ "zsh" }')
    wanted = render(user, "ada", private_home.path, private_home.config_dir, private_home.cache_dir)
    assert wanted.trees == []
    assert [(link.path, link.target) for link in wanted.links] == [
        (".config/nvim/init.lua", f"{private_home.path}/.dotfiles/neovim/.config/nvim/init.lua"),
        (
            ".config/nvim/lua/keys.lua",
            f"{private_home.path}/.dotfiles/neovim/.config/nvim/lua/keys.lua",
        ),
        (".zshrc", f"{private_home.path}/.dotfiles/zsh/.zshrc"),
    ]


def test_missing_package_and_conflicts_are_reported(private_home: Home, tmp_path: Path) -> None:
    require_tools("git", "stow")
    repo = dotfiles_repo(tmp_path / "repo")
    os.symlink("/etc/hostname", repo / "zsh" / ".hostname")
    commit = commit_files(repo, {}, "absolute link")
    user = _user(
        private_home,
        f'dotmgr.stow{{ source_dir = "~/.dotfiles", repo_url = "file://{repo}" }}',
        deploy='{ "zsh", "other-zsh", "nope" }',
    )
    with pytest.raises(ConfigError) as caught:
        render(user, "ada", private_home.path, private_home.config_dir, private_home.cache_dir)
    assert [str(p) for p in caught.value.problems] == [
        "users.ada.programs.neovim.deploy_config: the dotfiles have no stow package "
        f'"neovim" (file://{repo} at {commit[:12]})',
        f'users.ada.deploy_configs[3]: the dotfiles have no stow package "nope" '
        f"(file://{repo} at {commit[:12]})",
    ]
    user = _user(
        private_home,
        f'dotmgr.stow{{ source_dir = "~/.dotfiles", repo_url = "file://{repo}" }}',
        deploy='{ "zsh", "other-zsh" }',
        programs="neovim = { enable = false },",
    )
    with pytest.raises(ConfigError) as caught:
        render(user, "ada", private_home.path, private_home.config_dir, private_home.cache_dir)
    assert sorted(str(p) for p in caught.value.problems) == [
        'users.ada.deploy_configs[1]: stow would refuse package "zsh": source is an absolute '
        "symlink zsh/.hostname => /etc/hostname",
        'users.ada.deploy_configs[2]: stow would refuse package "other-zsh": existing target '
        "is stowed to a different package: .zshrc => zsh/.zshrc",
    ]


def test_upstream_example_renders_with_its_repository_redirected(
    private_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upstream's example/testvm, unchanged, for its user: the dotfile repository's URL is
    redirected to a local one by the user's own git configuration (url.insteadOf), which the
    fetch honours."""
    require_tools("git", "stow", "dconf")
    from kodos.config.load import load_config
    from tests.support.upstream import UPSTREAM_EXAMPLE, UPSTREAM_USER

    repo = dotfiles_repo(
        tmp_path / "repo",
        {
            "starship/.config/starship.toml": "add_newline = false\n",
            "home/.face": "a face\n",
            "gtk/.config/gtk-3.0/settings.ini": "[Settings]\n",
        },
    )
    global_config = tmp_path / "gitconfig"
    global_config.write_text(
        f'[url "file://{repo}"]\n\tinsteadOf = https://github.com/abuss/dotconfig.git\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    user = load_config(str(UPSTREAM_EXAMPLE)).config.users[UPSTREAM_USER]
    wanted = render(
        user, UPSTREAM_USER, private_home.path, UPSTREAM_EXAMPLE, private_home.cache_dir
    )
    assert [f.path for f in wanted.files] == [
        ".config/git/config",
        ".config/systemd/user/syncthing.service.d/kodos.conf",
    ]
    assert [(link.path, link.source) for link in wanted.links] == [
        (".config/gtk-3.0/settings.ini", "users.abuss.deploy_configs[2]"),
        (".config/starship.toml", "users.abuss.programs.starship.deploy_config"),
        (".face", "users.abuss.deploy_configs[1]"),
    ]
    assert [unit.name for unit in wanted.units] == ["syncthing.service"]
    assert len(wanted.dconf) == 39
    [tree] = wanted.trees
    assert tree.commit == git("rev-parse", "HEAD", cwd=repo)


def test_stow_answer_is_cached_per_commit_and_a_damaged_cache_recomputed(
    private_home: Home, tmp_path: Path
) -> None:
    require_tools("git", "stow")
    repo = dotfiles_repo(tmp_path / "repo")
    call = f'dotmgr.stow{{ source_dir = "~/.dotfiles", repo_url = "file://{repo}" }}'
    user = _user(private_home, call, programs="neovim = { enable = false },", deploy='{ "zsh" }')
    first = render(user, "ada", private_home.path, private_home.config_dir, private_home.cache_dir)
    [cached] = (private_home.cache_dir / "dotfiles" / "links").iterdir()
    assert (
        render(user, "ada", private_home.path, private_home.config_dir, private_home.cache_dir)
        == first
    )
    cached.write_text('{"format_version": "1", "links": "not a list"}')
    again = render(user, "ada", private_home.path, private_home.config_dir, private_home.cache_dir)
    assert again == first and [link.path for link in again.links] == [".zshrc"]
    assert '"links":[[".zshrc","zsh/.zshrc"]]' in cached.read_text()


def test_a_repository_that_cannot_be_fetched(private_home: Home, tmp_path: Path) -> None:
    require_tools("git")
    user = _user(
        private_home,
        f'dotmgr.stow{{ source_dir = "~/.dotfiles", repo_url = "file://{tmp_path}/nope" }}',
    )
    with pytest.raises(stow.StowError) as caught:
        render(user, "ada", private_home.path, private_home.config_dir, private_home.cache_dir)
    assert str(caught.value) == (
        f"users.ada.dotfile_manager.repo_url: cannot fetch file://{tmp_path}/nope: "
        f"'{tmp_path}/nope' does not appear to be a git repository"
    )


def test_bad_package_names_and_a_missing_source_dir(private_home: Home) -> None:
    user = _user(
        private_home,
        'dotmgr.stow{ source_dir = "~/.dotfiles" }',
        programs="neovim = { enable = false },",
        deploy='{ "..", "-n" }',
    )
    with pytest.raises(ConfigError) as caught:
        render(user, "ada", private_home.path, private_home.config_dir, private_home.cache_dir)
    assert [str(p) for p in caught.value.problems] == [
        'users.ada.deploy_configs[1]: ".." is not a stow package name',
        'users.ada.deploy_configs[2]: "-n" is not a stow package name',
    ]
    user = _user(private_home, 'dotmgr.stow{ source_dir = "~/.dotfiles" }', deploy='{ "zsh" }')
    with pytest.raises(ConfigError) as caught:
        render(user, "ada", private_home.path, private_home.config_dir, private_home.cache_dir)
    assert str(caught.value) == (
        f"users.ada.dotfile_manager.source_dir: {private_home.path}/.dotfiles is not a "
        "directory (without repo_url the dotfiles are used where they are)"
    )


def test_target_dir_below_the_home_prefixes_the_links(private_home: Home) -> None:
    require_tools("stow")
    dotfiles_repo(private_home.path / "dots")
    user = _user(
        private_home,
        'configs.stow{ source_dir = "dots", target_dir = "~/sub/dir/" }',
        programs="neovim = { enable = false },",
        deploy='{ "zsh" }',
    )
    wanted = render(user, "ada", private_home.path, private_home.config_dir, private_home.cache_dir)
    assert [(link.path, link.target) for link in wanted.links] == [
        ("sub/dir/.zshrc", f"{private_home.path}/dots/zsh/.zshrc")
    ]
