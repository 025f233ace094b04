"""A configuration directory cannot read the rest of the machine: sources are regular files
inside the configuration's directory, a --lua-path directory or lua-lib, of at most 16 MiB."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kodos.config.load import load_config
from kodos.desired.descriptors import BrokenDescriptor, Descriptors
from kodos.errors import ConfigError, Problem
from kodos.lua.evaluator import evaluate_config
from tests.lua_helpers import evaluate, write_config

SECRET = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
OUTSIDE = "it leads outside the directories Lua files are read from"
OVER_LIMIT = 16 * 1024 * 1024 + 1


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    directory.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "id_ed25519").write_text(SECRET)
    (outside / "mod.lua").write_text(SECRET)
    return directory


def refused(config_dir: Path, module: str) -> str:
    with pytest.raises(ConfigError) as raised:
        evaluate(config_dir, f"local m = require('{module}')\nreturn {{}}")
    [problem] = raised.value.problems
    assert "PRIVATE KEY" not in str(problem) and "b3Blbn" not in str(problem)
    assert problem.hint is None
    return str(problem)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _char_device(path: Path) -> None:  # /dev/zero's numbers, made inside the directory
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: (d / "secret.lua").symlink_to(d.parent / "outside" / "id_ed25519"), OUTSIDE),
        (lambda d: (d / "secret.lua").symlink_to("../outside/mod.lua"), OUTSIDE),
        (lambda d: (d / "secret.lua").symlink_to("/dev/zero"), OUTSIDE),
        (lambda d: (d / "secret.lua").symlink_to("/proc/self/environ"), OUTSIDE),
        (lambda d: _fifo(d / "secret.lua"), "not a regular file"),
        pytest.param(
            lambda d: _char_device(d / "secret.lua"),
            "not a regular file",
            marks=pytest.mark.system,  # mknod needs root
        ),
        (lambda d: (d / "secret.lua").mkdir(), "not a regular file"),
        (
            lambda d: os.truncate(write_config(d, "", "secret.lua"), OVER_LIMIT),
            "larger than 16 MiB",
        ),
    ],
    ids=[
        "link to a private key",
        "relative link out",
        "link to /dev/zero",
        "link to /proc",
        "fifo",
        "character device",
        "directory",
        "module over 16 MiB",
    ],
)
def test_modules_that_leave_the_rule_are_refused(
    config_dir: Path, make: Callable[[Path], object], reason: str
) -> None:
    make(config_dir)
    assert refused(config_dir, "secret") == (
        f"configuration.lua:1: require: cannot read secret.lua: {reason}"
    )


def test_a_fifo_behind_a_link_is_refused_without_blocking(config_dir: Path) -> None:
    os.mkfifo(config_dir.parent / "outside" / "fifo")
    (config_dir / "secret.lua").symlink_to("../outside/fifo")
    os.mkfifo(config_dir / "pipe.lua")
    assert refused(config_dir, "secret").endswith(OUTSIDE)
    assert refused(config_dir, "pipe").endswith("pipe.lua: not a regular file")


def test_a_linked_directory_cannot_lead_out(config_dir: Path) -> None:
    (config_dir / "lib").symlink_to("../outside")
    assert refused(config_dir, "lib.mod") == (
        f"configuration.lua:1: require: cannot read lib/mod.lua: {OUTSIDE}"
    )


def test_links_that_stay_inside_are_followed(config_dir: Path) -> None:
    write_config(config_dir, "return { 'git' }", "shared/cli.lua")
    (config_dir / "cli.lua").symlink_to("shared/cli.lua")
    (config_dir / "more").symlink_to("shared")
    source = "return { a = require('cli'), b = require('more.cli') }"
    assert evaluate(config_dir, source) == {"a": ["git"], "b": ["git"]}


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda f: os.truncate(f, 64 * 1024 * 1024 + 1), "larger than 16 MiB"),
        (lambda f: os.truncate(f, OVER_LIMIT), "larger than 16 MiB"),
        (lambda f: (f.unlink(), os.mkfifo(f)), "not a regular file"),
        (lambda f: f.write_bytes(b"return { x = '\xff' }"), "not valid UTF-8 text"),
    ],
    ids=["64 MiB", "16 MiB and a byte", "fifo", "not UTF-8"],
)
def test_the_configuration_file_follows_the_same_rule(
    tmp_path: Path, make: Callable[[Path], object], reason: str
) -> None:
    file = write_config(tmp_path, "return {}")
    make(file)
    with pytest.raises(ConfigError) as raised:
        evaluate_config(file, "configuration.lua")
    assert [str(p) for p in raised.value.problems] == [f"configuration.lua: cannot read: {reason}"]


def test_the_configuration_may_be_a_link_and_its_modules_are_beside_its_target(
    tmp_path: Path,
) -> None:
    """`-c` may name a link (a dotfiles repository): the modules are the ones beside the file
    it leads to, and a module there that leads out is still refused."""
    dotfiles = tmp_path / "dotfiles"
    write_config(dotfiles, "return { packages = require('cli') }")
    write_config(dotfiles, "return { 'git' }", "cli.lua")
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "configuration.lua").symlink_to(dotfiles / "configuration.lua")
    evaluation = evaluate_config(
        etc / "configuration.lua", "etc/configuration.lua", may_be_link=True
    )
    assert evaluation.value == {"packages": ["git"]}
    assert load_config(str(etc)).config.packages == ["git"]


def test_a_descriptor_that_links_out_is_refused(config_dir: Path) -> None:
    """Only the file -c names may lead elsewhere: a descriptor in the configuration's
    expansions/ (evaluated by name, not chosen by the user) follows the rule."""
    services = config_dir / "expansions" / "services"
    services.mkdir(parents=True)
    (services / "openssh.lua").symlink_to(config_dir.parent / "outside" / "id_ed25519")
    problems: list[Problem] = []
    with pytest.raises(BrokenDescriptor):
        Descriptors(config_dir, problems).item("services", "openssh")
    shown = str(services / "openssh.lua")
    assert [str(p) for p in problems] == [f"{shown}: cannot read: {OUTSIDE}"]


def test_modules_come_from_lua_path_directories(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    write_config(shared, "return { 'htop' }", "team/tools.lua")
    (shared / "team" / "leak.lua").symlink_to("/etc/passwd")
    config = tmp_path / "config"
    write_config(config, "return { packages = require('team.tools') }")
    evaluation = evaluate_config(config / "configuration.lua", "configuration.lua", None, [shared])
    assert evaluation.value == {"packages": ["htop"]}
    assert [path for path, _ in evaluation.sources] == [
        "configuration.lua",
        f"{shared}/team/tools.lua",
    ]
    write_config(config, "local leak = require('team.leak')\nreturn {}")
    with pytest.raises(ConfigError) as raised:
        evaluate_config(config / "configuration.lua", "configuration.lua", None, [shared])
    assert [str(p) for p in raised.value.problems] == [
        f"configuration.lua:1: require: cannot read {shared}/team/leak.lua: {OUTSIDE}"
    ]


def test_a_missing_module_names_every_directory_searched(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    write_config(tmp_path, "local m = require('nope')\nreturn {}")
    with pytest.raises(ConfigError) as raised:
        evaluate_config(tmp_path / "configuration.lua", "configuration.lua", None, [shared])
    assert [str(p) for p in raised.value.problems] == [
        "configuration.lua:1: require: module 'nope' not found "
        f"(looked for nope.lua, {shared}/nope.lua and lua-lib/nope.lua)"
    ]


def kodos(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kodos", *args], capture_output=True, text=True, check=False
    )


def test_validate_takes_lua_path(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    write_config(shared, "return 'demo'", "names.lua")
    config = tmp_path / "config"
    write_config(config, "return { network = { hostname = require('names') } }")
    result = kodos("validate", "-c", str(config), "--lua-path", str(shared))
    assert result.returncode == 0, result.stderr
    without = kodos("validate", "-c", str(config))
    assert without.returncode == 1
    missing = kodos("validate", "-c", str(config), "--lua-path", str(tmp_path / "none"))
    assert missing.returncode == 1
    assert missing.stderr.splitlines()[0] == f"error: {tmp_path}/none: --lua-path: not a directory"


def test_plan_apply_and_install_take_lua_path() -> None:
    for command in ("plan", "apply", "install"):
        assert "--lua-path" in kodos(command, "--help").stdout
