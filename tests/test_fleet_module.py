"""The kodos.system modules' own failures: kodos missing on the host, a kodos_bin that is no
program, kodos's error passed on as one located message — never a Python traceback.

These run `ansible` ad hoc against localhost; no machine is changed, so they need no root.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def module(
    name: str, arguments: dict[str, Any], tmp_path: Path, path: str | None = None
) -> dict[str, Any]:
    """Run kodos.system.`name` once on localhost: its result (the one-line callback's JSON)
    and its `status` (SUCCESS, FAILED!)."""
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / "contrib/ansible"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.oneline",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    }
    if path is not None:
        env["PATH"] = path
    argv = [str(BIN / "ansible"), "localhost", "-c", "local", "-i", "localhost,"]
    argv += ["-m", f"kodos.system.{name}"]
    argv += ["-a", json.dumps(arguments)] if arguments else []
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert "Traceback" not in done.stdout + done.stderr
    status, _, result = done.stdout.partition(" => ")
    assert result, done.stdout + done.stderr
    return {**json.loads(result), "status": status.partition(" | ")[2]}


@pytest.mark.parametrize("name", ["apply", "generations"])
def test_kodos_missing_on_the_host_is_a_clear_error(name: str, tmp_path: Path) -> None:
    path = f"{tmp_path}/empty:/usr/bin:/bin"
    result = module(name, {"config": str(tmp_path)} if name == "apply" else {}, tmp_path, path)
    assert result["msg"] == (
        f"kodos was not found on this host's PATH ({path}): install kodos there, or set kodos_bin"
    )
    assert result["status"] == "FAILED!"


@pytest.mark.parametrize("kind", ["missing", "directory", "not executable"])
def test_a_kodos_bin_that_is_no_program_is_a_clear_error(kind: str, tmp_path: Path) -> None:
    given = tmp_path / "kodos"
    if kind == "directory":
        given.mkdir()
    elif kind == "not executable":
        given.write_text("#!/bin/sh\n")
    result = module("apply", {"config": str(tmp_path), "kodos_bin": str(given)}, tmp_path)
    assert result["msg"] == f"kodos_bin {given} is not an executable file on this host"
    assert result["status"] == "FAILED!"


def test_kodos_errors_are_passed_on_whole_and_alone(tmp_path: Path) -> None:
    """kodos's located error lines become the message; the rest of its output does not."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config/configuration.lua").write_text("return {\n  packages = { 'htop' \n}\n")
    arguments = {"config": str(tmp_path / "config"), "kodos_bin": str(BIN / "kodos")}
    result = module("apply", {**arguments, "state": "planned"}, tmp_path)
    assert result["msg"] == (
        f"error: {tmp_path}/config/configuration.lua:4: '}}' expected (to close '{{' at line 1) "
        "near <eof>"
    )
    assert (result["status"], result["rc"]) == ("FAILED!", 1)


@pytest.mark.parametrize(
    ("name", "output", "message"),
    [
        ("apply", "Plan: 1 to add", "printed no JSON result (is it a kodos with --json?)"),
        (
            "apply",
            '{"changes": []}',
            "printed a result this module cannot read (KeyError('plan'))",
        ),
        ("generations", "[{}]", "printed a result this module cannot read (KeyError('default'))"),
    ],
    ids=["text", "apply: other JSON", "generations: other JSON"],
)
def test_a_program_that_prints_other_output_is_a_clear_error(
    name: str, output: str, message: str, tmp_path: Path
) -> None:
    fake = tmp_path / "kodos"
    fake.write_text(f"#!/bin/sh\necho '{output}'\n")
    fake.chmod(0o755)
    arguments = {"config": str(tmp_path)} if name == "apply" else {}
    result = module(name, {**arguments, "kodos_bin": str(fake)}, tmp_path)
    assert (result["status"], result["msg"]) == ("FAILED!", f"{fake} {message}")


def test_the_documentation_names_every_option(tmp_path: Path) -> None:
    """ansible-doc reads each module's documentation, and it lists exactly the options the
    module accepts."""
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / "contrib/ansible"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
    }
    argv = [str(BIN / "ansible-doc"), "--json", "kodos.system.apply", "kodos.system.generations"]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    documented = {
        name: set(entry["doc"]["options"]) for name, entry in json.loads(done.stdout).items()
    }
    assert documented == {
        "kodos.system.apply": {
            "config", "root", "upgrade", "state", "lock_timeout", "kodos_bin", "lua_path",
        },
        "kodos.system.generations": {"root", "kodos_bin"},
    }  # fmt: skip
