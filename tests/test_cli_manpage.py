"""The man page is generated from the CLI and kept true: scripts/manpage regenerates it and
must find nothing to change; man renders it without a warning and it names every command.
(tests/test_packaging.py checks that the wheel ships it as share/man/man1/kodos.1.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from kodos.cli import app

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "man" / "kodos.1"


def test_the_committed_man_page_is_what_the_cli_says() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/manpage", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_stale_man_page_is_found(tmp_path: Path) -> None:
    """--check compares for real: a page with one word changed is out of date."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "scripts", copy / "scripts")
    (copy / "man").mkdir()
    (copy / "man/kodos.1").write_text(PAGE.read_text().replace("Print the version.", "Print."))
    done = subprocess.run(
        [sys.executable, str(copy / "scripts/manpage"), "--check"], capture_output=True, text=True
    )
    assert (done.returncode, done.stderr) == (1, "out of date: man/kodos.1; run scripts/manpage\n")


def command_paths() -> list[str]:
    def walk(group: typer.main.TyperGroup, prefix: str) -> list[str]:
        paths = []
        for name, command in group.commands.items():
            if isinstance(command, typer.main.TyperGroup):
                paths += walk(command, f"{prefix} {name}")
            else:
                paths.append(f"{prefix} {name}")
        return paths

    root = typer.main.get_command(app)
    assert isinstance(root, typer.main.TyperGroup)
    return walk(root, "kodos")


@pytest.mark.system  # needs man (groff)
def test_man_renders_the_page_naming_every_command() -> None:
    done = subprocess.run(
        ["man", "--warnings", "-l", str(PAGE)],
        capture_output=True,
        text=True,
        env={"MANWIDTH": "100", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert (done.returncode, done.stderr) == (0, "")
    headings = [line.strip() for line in done.stdout.splitlines() if line.startswith("   kodos")]
    assert headings == command_paths()
    # every command and generations subcommand, shell and generations show included, the four
    # user subcommands with rebuild-user, and aur diff
    assert len(headings) == 22
