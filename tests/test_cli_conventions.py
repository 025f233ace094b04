"""The conventions an Arch or Terraform user expects of a command line (issue 12.6), each as a
user meets it: `--version`; `-h` wherever `--help` works; `kodos` alone prints help and exits 0;
shell completion; every `-c/--config` alike; `plan --facts` with `--root` refused.

Declining a prompt is tested where each prompt is (tests/test_apply.py, test_generations.py,
test_install_image_safety.py), the waiting lock in tests/test_lock_wait.py, the man page in
tests/test_cli_manpage.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from kodos.cli import CONFIG_HELP, app

REPO = Path(__file__).resolve().parents[1]


def kodos(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kodos", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


def every_command() -> list[tuple[str, ...]]:
    """The words that name each command and group, `()` for kodos itself."""

    def walk(group: typer.main.TyperGroup, words: tuple[str, ...]) -> list[tuple[str, ...]]:
        found = [words]
        for name, command in group.commands.items():
            if isinstance(command, typer.main.TyperGroup):
                found += walk(command, (*words, name))
            else:
                found.append((*words, name))
        return found

    root = typer.main.get_command(app)
    assert isinstance(root, typer.main.TyperGroup)
    return walk(root, ())


def test_version() -> None:
    from importlib.metadata import version

    assert (kodos("--version").returncode, kodos("--version").stdout) == (
        0,
        f"kodos {version('kodos')}\n",
    )
    # eager: it answers before a command would run, whatever follows
    assert kodos("--version", "rollback", "--root", "").stdout == f"kodos {version('kodos')}\n"


@pytest.mark.parametrize("words", every_command(), ids=lambda words: " ".join(words) or "kodos")
def test_h_is_help_everywhere(words: tuple[str, ...]) -> None:
    long = kodos(*words, "--help")
    short = kodos(*words, "-h")
    assert (short.returncode, short.stdout, short.stderr) == (0, long.stdout, "")
    assert long.stdout.startswith(f"Usage: kodos {' '.join(words)}".replace("  ", " ").rstrip())
    assert "  -h, --help  " in long.stdout or "  -h, --help\n" in long.stdout


@pytest.mark.parametrize("words", [(), ("generations",)], ids=["kodos", "kodos generations"])
def test_a_group_alone_prints_its_help_on_stdout_and_exits_0(words: tuple[str, ...]) -> None:
    alone = kodos(*words)
    assert (alone.returncode, alone.stdout, alone.stderr) == (0, kodos(*words, "-h").stdout, "")
    assert "Commands:\n" in alone.stdout


def test_a_mistyped_command_is_a_usage_error_on_stderr() -> None:
    done = kodos("plna")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[-1] == "Error: No such command 'plna'. Did you mean 'plan'?"


def test_shell_completion_script_and_answers() -> None:
    # typer's options; shell detection off, so the shell is the one named
    no_detection = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    script = kodos("--show-completion", "bash", env=no_detection)
    assert script.returncode == 0
    assert "complete -o default -F _kodos_completion kodos" in script.stdout
    assert "_KODOS_COMPLETE=complete_bash" in script.stdout
    # what that script asks kodos, and kodos's answers
    for words, cword, expected in [
        ("kodos gen", "1", "generations"),
        ("kodos generations d", "2", "diff\ndelete"),
        ("kodos plan --fa", "2", "--facts"),
    ]:
        env = {"_KODOS_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
        done = kodos(env=env)
        assert (done.returncode, done.stdout.strip(), done.stderr) == (0, expected, "")


def test_install_completion_writes_the_script_for_the_shell(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    done = kodos("--install-completion", "bash", env=env)
    assert done.returncode == 0
    script = tmp_path / ".bash_completions/kodos.sh"
    assert "_KODOS_COMPLETE=complete_bash" in script.read_text()
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()


def test_every_config_option_is_typed_and_described_alike() -> None:
    """Each command that takes a configuration calls it `-c/--config PATH`, a string (a file or
    a directory, not checked by the parser: kodos says what is wrong with it), with one
    description and its own default."""
    root = typer.main.get_command(app)
    ctx = root.make_context("kodos", [], resilient_parsing=True)
    found = {}
    for words in every_command()[1:]:
        command: typer.main.TyperCommand | typer.main.TyperGroup = root
        for word in words:
            command = command.get_command(ctx, word)  # type: ignore[union-attr]
        for param in command.params:
            if param.name == "config":
                found[" ".join(words)] = param
    assert sorted(found) == [
        "apply", "aur diff", "facts", "install", "plan", "rebuild-user", "user apply", "user plan",
        "validate",
    ]  # fmt: skip
    for words, param in found.items():
        assert (param.opts, param.metavar, param.type.name) == (
            ["-c", "--config"],
            "PATH",
            "str",
        ), words
        assert param.help is not None and param.help.startswith(f"{CONFIG_HELP} (default: "), words


@pytest.mark.parametrize("root", ["/", "/tmp"])
def test_plan_refuses_facts_with_root(root: str, tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text("{}")
    done = kodos("plan", "-c", "examples/minimal", "--facts", str(facts), "--root", root)
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "",
        "error: --facts and --root exclude each other: a plan is made against a facts file or "
        "against the machine at --root\n",
    )
