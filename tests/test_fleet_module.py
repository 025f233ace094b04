"""The kodos.system modules' own failures: kodos missing on the host, a kodos_bin that is no
program, output that is not kodos's JSON, and kodos's error passed on as one located message —
never a Python traceback.

Every case is a task of one playbook run against localhost (`ignore_errors`, so each case runs
whatever the others do): one ansible-playbook start for all of them. No machine is changed, so
they need no root.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Ansible refuses to start on a non-blocking stdin (which a test run may inherit); it reads
# nothing from it here.
ANSIBLE_STDIN = subprocess.DEVNULL
CALLBACKS = REPO / "tests/support/ansible_callbacks"


@dataclass(frozen=True)
class Case:
    module: str
    arguments: dict[str, Any]
    environment: dict[str, str] | None = None


@dataclass(frozen=True)
class Outcome:
    directory: Path
    results: dict[str, dict[str, Any]]
    output: str

    def result(self, case: str) -> dict[str, Any]:
        return self.results[case]["localhost"]


def cases(directory: Path) -> dict[str, Case]:
    kodos = str(BIN / "kodos")
    bad = directory / "bad"
    return {
        "missing, apply": Case("apply", {"config": str(directory)}, {"PATH": _empty_path(directory)}),
        "missing, generations": Case("generations", {}, {"PATH": _empty_path(directory)}),
        "kodos_bin missing": Case("apply", {"config": "x", "kodos_bin": str(directory / "none")}),
        "kodos_bin a directory": Case("apply", {"config": "x", "kodos_bin": str(directory)}),
        "kodos_bin not executable": Case("apply", {"config": "x", "kodos_bin": str(directory / "plain")}),
        "text": Case("apply", {"config": "x", "kodos_bin": str(directory / "text")}),
        "apply, other JSON": Case("apply", {"config": "x", "kodos_bin": str(directory / "other")}),
        "generations, other JSON": Case("generations", {"kodos_bin": str(directory / "list")}),
        "kodos's error": Case("apply", {"config": str(bad), "kodos_bin": kodos, "state": "planned"}),
    }  # fmt: skip


def _empty_path(directory: Path) -> str:
    return f"{directory}/empty:/usr/bin:/bin"


def _programs(directory: Path) -> None:
    (directory / "plain").write_text("#!/bin/sh\n")
    for name, output in {
        "text": "Plan: 1 to add",
        "other": '{"changes": []}',
        "list": "[{}]",
    }.items():
        (directory / name).write_text(f"#!/bin/sh\necho '{output}'\n")
        (directory / name).chmod(0o755)
    (directory / "bad").mkdir()
    (directory / "bad/configuration.lua").write_text("return {\n  packages = { 'htop' \n}\n")


@pytest.fixture(name="outcome", scope="module")
def outcome_fixture(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    directory = tmp_path_factory.mktemp("modules")
    _programs(directory)
    tasks = [
        {
            "name": name,
            f"kodos.system.{case.module}": case.arguments,
            "ignore_errors": True,
            **({"environment": case.environment} if case.environment else {}),
        }
        for name, case in cases(directory).items()
    ]
    playbook = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    (directory / "playbook.yml").write_text(json.dumps(playbook))
    results = directory / "results.json"
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / "contrib/ansible"),
        "ANSIBLE_HOME": str(directory / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(directory / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
        "ANSIBLE_CALLBACKS_ENABLED": "record_results",
        "KODOS_TEST_ANSIBLE_RESULTS": str(results),
    }
    argv = [str(BIN / "ansible-playbook"), "-c", "local", "-i", "localhost,"]
    argv.append(str(directory / "playbook.yml"))
    done = subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=300, check=False, stdin=ANSIBLE_STDIN
    )
    assert results.exists(), done.stdout + done.stderr
    return Outcome(directory, json.loads(results.read_text()), done.stdout + done.stderr)


def test_no_case_ends_in_a_traceback(outcome: Outcome) -> None:
    assert set(outcome.results) == set(cases(outcome.directory))
    assert "Traceback" not in outcome.output
    assert all(outcome.result(case)["failed"] for case in outcome.results)


@pytest.mark.parametrize("case", ["missing, apply", "missing, generations"])
def test_kodos_missing_on_the_host_is_a_clear_error(outcome: Outcome, case: str) -> None:
    path = _empty_path(outcome.directory)
    assert outcome.result(case)["msg"] == (
        f"kodos was not found on this host's PATH ({path}): install kodos there, or set kodos_bin"
    )


@pytest.mark.parametrize(
    ("case", "name"),
    [
        ("kodos_bin missing", "none"),
        ("kodos_bin a directory", ""),
        ("kodos_bin not executable", "plain"),
    ],
)
def test_a_kodos_bin_that_is_no_program_is_a_clear_error(
    outcome: Outcome, case: str, name: str
) -> None:
    given = outcome.directory / name if name else outcome.directory
    assert (
        outcome.result(case)["msg"] == f"kodos_bin {given} is not an executable file on this host"
    )


@pytest.mark.parametrize(
    ("case", "program", "message"),
    [
        ("text", "text", "printed no JSON result (is it a kodos with --json?)"),
        (
            "apply, other JSON",
            "other",
            "printed a result this module cannot read (KeyError('plan'))",
        ),
        (
            "generations, other JSON",
            "list",
            "printed a result this module cannot read (KeyError('default'))",
        ),
    ],
)
def test_a_program_that_prints_other_output_is_a_clear_error(
    outcome: Outcome, case: str, program: str, message: str
) -> None:
    assert outcome.result(case)["msg"] == f"{outcome.directory / program} {message}"


def test_kodos_errors_are_passed_on_whole_and_alone(outcome: Outcome) -> None:
    """kodos's located error lines become the message; the rest of its output does not."""
    result = outcome.result("kodos's error")
    assert result["msg"] == (
        f"error: {outcome.directory}/bad/configuration.lua:4: '}}' expected (to close '{{' at "
        "line 1) near <eof>"
    )
    assert result["rc"] == 1


def test_the_documentation_names_every_option(tmp_path: Path) -> None:
    """ansible-doc reads each module's documentation, and it lists exactly the options the
    module accepts."""
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / "contrib/ansible"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
    }
    argv = [str(BIN / "ansible-doc"), "--json", "kodos.system.apply", "kodos.system.generations"]
    done = subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=120, check=False, stdin=ANSIBLE_STDIN
    )
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
