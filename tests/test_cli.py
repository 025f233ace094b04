"""`kodos validate` and `kodos schema` as a user runs them: exit codes, streams, messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def kodos(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kodos", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("example", ["examples/testvm", "examples/desktop", "examples/minimal"])
def test_examples_validate(example: str) -> None:
    result = kodos("validate", "-c", example)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{example}/configuration.lua: valid\n")
    # at most a note that this host has no list to check a value against (hostlists.py)
    assert all(line.startswith("note: ") for line in result.stderr.splitlines())


def test_testvm_summary() -> None:
    result = kodos("validate", "-c", "examples/testvm")
    assert "  packages  " in result.stdout
    assert "from AUR" in result.stdout
    assert "from Flatpak" in result.stdout
    assert "  services  4: cups, fwupd, networkmanager, openssh\n" in result.stdout
    assert "  users     2: demo-user, root\n" in result.stdout


def test_the_seed_example_fails_at_its_dashed_key_with_a_hint() -> None:
    result = kodos("validate", "-c", "tests/fixtures/seed")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: tests/fixtures/seed/configuration.lua:84: '}' expected "
        "(to close '{' at line 79) near '='",
        '  hint: a key with a dash must be quoted: write ["demo-user"] = instead of demo-user =',
        "tests/fixtures/seed: 1 problem found",
    ]


def test_the_corrected_seed_validates_and_warns_about_its_password(corrected_seed: Path) -> None:
    result = kodos("validate", "-c", str(corrected_seed / "configuration.lua"))
    assert result.returncode == 0
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert [line for line in result.stderr.splitlines() if line not in notes] == [
        'warning: users["demo-user"].password: a plain-text password is stored in the '
        "configuration; use hashed_password (e.g. from `openssl passwd -6`) instead"
    ]
    assert "changme" not in result.stdout + result.stderr


def test_every_problem_is_listed(tmp_path: Path) -> None:
    (tmp_path / "configuration.lua").write_text(
        "return { packages = { 'ok', 'Bad Name' }, network = { ipv6 = 'no' }, pakages = {} }"
    )
    result = kodos("validate", "-c", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: network.ipv6: expected a boolean (true or false), got a string",
        'error: packages[2]: "Bad Name" is not a valid package name: lowercase letters, '
        "digits and @._+- only, not starting with - or .",
        "error: pakages: unknown key; did you mean 'packages'?",
        f"{tmp_path}: 3 problems found",
    ]


def test_missing_configuration() -> None:
    result = kodos("validate", "-c", "/nonexistent/kodos")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: /nonexistent/kodos: no such file or directory",
        "/nonexistent/kodos: 1 problem found",
    ]


def test_directory_without_configuration(tmp_path: Path) -> None:
    result = kodos("validate", "-c", str(tmp_path))
    assert result.returncode == 1
    assert f"error: {tmp_path}: no configuration.lua in this directory" in result.stderr


def test_unreadable_configuration(tmp_path: Path) -> None:
    (tmp_path / "configuration.lua").write_bytes(b"return { x = '\xff' }")
    result = kodos("validate", "-c", str(tmp_path))
    assert result.returncode == 1
    assert f"error: {tmp_path}/configuration.lua: cannot read: not valid UTF-8 text" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_schema_is_json_schema_of_every_section() -> None:
    result = kodos("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "users" in schema["properties"]
    assert schema["additionalProperties"] is False


def test_no_arguments_shows_help() -> None:
    result = kodos()
    assert "validate" in result.stdout + result.stderr
    assert "schema" in result.stdout + result.stderr


def test_debug_is_accepted() -> None:
    result = kodos("--debug", "validate", "-c", "examples/minimal")
    assert result.returncode == 0
