"""One git hardening for kodos (kodos/system/git.py), shown with the real git through each
caller's own calls: a repository whose configuration names a program (hooks, fsmonitor, an
external diff, a pager, a pack-objects hook) runs nothing, and a transport outside the allow
list (`ext::`, which runs its URL) is refused with the caller's message — even when the
environment kodos inherits allows it. Each test also runs plain git on the same repository to
show the program would have run: the fixture is hostile, so the assertions can fail."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kodos.aur import git as aur_git
from kodos.aur.errors import AurError
from kodos.aur.source import AurSource
from kodos.home.items import HomeTree
from kodos.home.programs import stow
from kodos.system.git import GitRules
from tests.support.aur import AurPackage, LocalAur
from tests.support.home import Home, commit_files, dotfiles_repo
from tests.support.tools import require_tools

HOOKS = ("reference-transaction", "post-index-change", "post-checkout", "pre-auto-gc")


def make_hostile(repository: Path, marker: Path) -> None:
    """Point every setting of `repository`'s own configuration that names a program at a
    script appending its name and arguments to `marker`."""
    evil = repository.parent / f"{repository.name}.evil"
    evil.write_text(f'#!/bin/sh\necho "$(basename "$0") $*" >> {marker}\n')
    evil.chmod(0o755)
    hooks = repository.parent / f"{repository.name}.hooks"
    hooks.mkdir()
    for hook in HOOKS:
        (hooks / hook).symlink_to(evil)
    for key, value in {
        "core.hooksPath": hooks,
        "core.fsmonitor": evil,
        "diff.external": evil,
        "core.pager": evil,
        "uploadpack.packObjectsHook": evil,
    }.items():
        plain_git("--git-dir", str(repository), "config", key, str(value))


def plain_git(*arguments: str, env: dict[str, str] | None = None) -> None:
    """git without kodos's rules, its result ignored: the controls only look at the marker."""
    subprocess.run(
        ["git", *arguments], capture_output=True, check=False, env={**os.environ, **(env or {})}
    )


def ran(marker: Path) -> list[str]:
    """The programs that ran (their first word), and the marker cleared."""
    if not marker.exists():
        return []
    lines = marker.read_text().splitlines()
    marker.unlink()
    return sorted({line.split(" ", 1)[0] for line in lines})


@pytest.mark.system
def test_stow_runs_nothing_a_repository_configures(private_home: Home, tmp_path: Path) -> None:
    require_tools("git")
    marker = tmp_path / "ran"
    upstream = dotfiles_repo(tmp_path / "dotfiles")
    url = f"file://{upstream}"
    git_dir, _ = stow.fetch(url, private_home.cache_dir, at="users.ada.x")
    second = commit_files(upstream, {"zsh/.zshenv": "export A=1\n"}, "more")
    make_hostile(git_dir, marker)  # the cache, as if something had written its config
    make_hostile(upstream / ".git", marker)  # the side that serves the fetch
    assert stow.fetch(url, private_home.cache_dir, at="users.ada.x") == (git_dir, second)
    dest = tmp_path / "export"
    stow.export(HomeTree(stow.TREE_NAME, git_dir, second, "users.ada.x"), dest)
    assert (dest / "zsh" / ".zshenv").read_text() == "export A=1\n"
    assert ran(marker) == []

    # the same calls without the rules run the repository's programs
    plain_git("--git-dir", str(git_dir), "fetch", "-q", url, "+HEAD:refs/control")
    index = {"GIT_INDEX_FILE": str(tmp_path / "control-index")}
    where = ["--git-dir", str(git_dir), "--work-tree", str(tmp_path / "control")]
    (tmp_path / "control").mkdir()
    plain_git(*where, "read-tree", second, env=index)
    plain_git(*where, "checkout-index", "-a", "-f", env=index)
    assert ran(marker) == [
        f"{git_dir.name}.evil",  # fsmonitor
        "post-index-change",
        "reference-transaction",
    ]


@pytest.mark.system
def test_aur_runs_nothing_a_repository_configures(tmp_path: Path) -> None:
    require_tools("git", "makepkg", "setpriv")
    marker = tmp_path / "ran"
    aur = LocalAur(tmp_path / "aur")
    first = aur.add(AurPackage("aur-hostile", extra_files={"fix.patch": "old\n"}))
    source = AurSource(aur.url, tmp_path / "cache")
    source.fetch("aur-hostile")
    second = aur.bump("aur-hostile", "2.0", extra_files={"fix.patch": "new\n"})
    mirror = source.mirror("aur-hostile")
    make_hostile(aur.repository("aur-hostile"), marker)  # a file:// AUR's own repository
    make_hostile(mirror, marker)  # the mirror, as if something had written its config

    assert source.bases_for(["aur-hostile"]) == {"aur-hostile": "aur-hostile"}
    assert source.fetch("aur-hostile") == second
    assert AurSource(aur.url, tmp_path / "fresh").fetch("aur-hostile") == second
    assert source.at("aur-hostile", second).info.version == "2.0-1"
    assert source.changed_files("aur-hostile", first, second) == [
        ".SRCINFO",
        "PKGBUILD",
        "fix.patch",
    ]
    assert "-old\n+new\n" in source.diff("aur-hostile", first, second)
    source.export("aur-hostile", second, tmp_path / "tree")
    assert (tmp_path / "tree" / "fix.patch").read_text() == "new\n"
    assert ran(marker) == []

    # the same calls without the rules run the mirror's programs
    plain_git("--git-dir", str(mirror), "update-ref", "refs/heads/control", second)
    plain_git("--git-dir", str(mirror), "diff", first, second)
    assert ran(marker) == [f"{mirror.name}.evil", "reference-transaction"]  # diff.external


def _ext_url(marker: Path) -> str:
    return f"ext::sh -c touch% {marker}"


@pytest.mark.system
@pytest.mark.parametrize("inherited", [None, "ext:file:https"])
def test_stow_refuses_ext_whatever_the_environment_allows(
    inherited: str | None, private_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tools("git")
    marker = tmp_path / "ran"
    if inherited is not None:
        monkeypatch.setenv("GIT_ALLOW_PROTOCOL", inherited)
    with pytest.raises(stow.StowError) as caught:
        stow.fetch(_ext_url(marker), private_home.cache_dir, at="users.ada.x")
    assert str(caught.value) == (
        f"users.ada.x: cannot fetch {_ext_url(marker)}: transport 'ext' not allowed"
    )
    assert not marker.exists()
    if inherited is not None:  # git alone lets the environment win over its configuration
        plain_git("-c", "protocol.allow=never", "ls-remote", _ext_url(marker))
        assert marker.exists()


@pytest.mark.system
@pytest.mark.parametrize("inherited", [None, "ext:file:https"])
def test_aur_git_refuses_ext_whatever_the_environment_allows(
    inherited: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tools("git")
    marker = tmp_path / "ran"
    if inherited is not None:
        monkeypatch.setenv("GIT_ALLOW_PROTOCOL", inherited)
    with pytest.raises(AurError) as caught:
        aur_git.git("https", [], ["ls-remote", _ext_url(marker)], what="listing the AUR")
    assert str(caught.value) == "listing the AUR: transport 'ext' not allowed"
    with pytest.raises(AurError) as caught:
        aur_git.git("ext", [], ["ls-remote", _ext_url(marker)], what="listing the AUR")
    assert str(caught.value) == "git transport 'ext' is not allowed for the AUR"
    assert not marker.exists()


class _Locked(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="private"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def locked_server() -> Iterator[str]:
    """An http server asking for a password for everything; its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Locked)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.system
def test_a_password_is_never_asked_for(private_home: Home, tmp_path: Path) -> None:
    require_tools("git")
    with locked_server() as url:
        with pytest.raises(stow.StowError) as caught:
            stow.fetch(f"{url}/dotfiles.git", private_home.cache_dir, at="users.ada.x")
        assert str(caught.value) == (
            f"users.ada.x: cannot fetch {url}/dotfiles.git: "
            f"Authentication failed for '{url}/dotfiles.git/'"
        )
        with pytest.raises(AurError) as raised:
            AurSource(url, tmp_path / "cache").fetch("aur-private")
        assert str(raised.value) == (
            f"cloning {url}/aur-private.git: could not read Username for '{url}': "
            "terminal prompts disabled"
        )


@pytest.mark.parametrize(
    ("transports", "message"),
    [
        ((), "git needs at least one allowed transport"),
        (("https", "ext"), "git transport 'ext' is never allowed"),
        (("fd",), "git transport 'fd' is never allowed"),
        (("https:ext",), "git transport 'https:ext' is never allowed"),
        (("https.allow=always",), "git transport 'https.allow=always' is never allowed"),
    ],
)
def test_rules_never_allow_a_transport_that_runs_a_command(
    transports: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        GitRules(transports=transports)
    assert str(caught.value) == message


def test_each_caller_adds_its_own_settings_to_the_shared_ones() -> None:
    def settings(argv: list[str]) -> list[str]:
        return [argv[i + 1] for i, word in enumerate(argv) if word == "-c"]

    shared = [
        "core.hooksPath=/dev/null",
        "core.fsmonitor=false",
        "diff.external=",
        "protocol.allow=never",
    ]
    assert settings(aur_git.git_argv("file", [Path("/m.git")], ["status"])) == [
        *shared,
        "protocol.file.allow=always",
        "credential.helper=",
        "transfer.fsckObjects=true",
        "gc.auto=0",
        "maintenance.auto=false",
        "safe.directory=/m.git",
    ]
    rules = GitRules(transports=("https", "ssh"), environment=(("GIT_ASKPASS", "true"),))
    assert settings(rules.argv(["status"])) == [
        *shared,
        "protocol.https.allow=always",
        "protocol.ssh.allow=always",
    ]
    assert rules.env() == {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "true",
        "SSH_ASKPASS": "/bin/false",
        "GIT_PAGER": "cat",
        "GIT_ALLOW_PROTOCOL": "https:ssh",
    }
    isolated = GitRules(transports=("https",), isolated=True).env()
    assert isolated["GIT_CONFIG_NOSYSTEM"] == "1" and isolated["GIT_CONFIG_GLOBAL"] == "/dev/null"
