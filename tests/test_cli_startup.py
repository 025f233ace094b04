"""What each command imports before its first real step (issue 10.6): the figures are
benchmarks/startup.py's, but which modules load is exact, so it is held here. The parser is
built without any command's body; `--help` loads no pydantic and no command; a rollback refused
at its first check has loaded no pydantic either; validate loads no pydantic at all (the
configuration model is kodos.config.sections'), reads no package database and phrases no
validation error it has not got; nothing loads deepdiff (the plan compares
attributes itself), importlib.metadata (pydantic's plugin loader is replaced, see
kodos/cli.py), importlib.resources (lua-lib and tzdata are found from their packages) or rich
(only install's progress view uses it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

NEVER = ("deepdiff", "importlib.metadata", "importlib.resources", "rich")


def imported(*args: str | Path, expect: int = 0) -> set[str]:
    """The modules `kodos ARGS` imported (python -X importtime), the command run for real."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kodos", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == expect, done.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def loaded(modules: set[str], *prefixes: str) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def test_help_builds_the_parser_without_any_command() -> None:
    modules = imported("--help")
    assert loaded(modules, "pydantic", "kodos.commands", "lupa", *NEVER) == []
    assert loaded(modules, "kodos") == [
        "kodos",
        "kodos.cli",
        "kodos.config",
        "kodos.errors",
        "kodos.system",
        "kodos.system.lock",
        "kodos.system.ownership",
    ]


def test_a_refused_rollback_loads_no_pydantic(tmp_path: Path) -> None:
    modules = imported("rollback", "--root", tmp_path, expect=1)  # not on Btrfs
    assert loaded(modules, "pydantic", "kodos.generations.history", *NEVER) == []
    assert "kodos.commands.rollback" in modules


def test_a_plan_builds_its_models_without_metadata_or_deepdiff(tmp_path: Path) -> None:
    modules = imported("plan", "-c", "examples/minimal", "--root", tmp_path)
    assert "pydantic" in modules  # the plan's model
    assert loaded(modules, *NEVER) == []


def test_validate_loads_no_pydantic_reads_no_package_database_and_phrases_no_error() -> None:
    modules = imported("validate", "-c", "examples/testvm")
    assert "kodos.config.model" in modules
    assert loaded(modules, "pydantic", "pydantic_core", *NEVER) == []
    # the repos section needs pacman.conf's names only, not the readers of sync databases
    assert loaded(modules, "kodos.pacman") == ["kodos.pacman", "kodos.pacman.conf"]
    assert loaded(modules, "kodos.config.errors", "kodos.system.runner") == []


def test_an_invalid_configuration_is_phrased(tmp_path: Path) -> None:
    (tmp_path / "configuration.lua").write_text("return { network = { hostname = 1 } }\n")
    modules = imported("validate", "-c", tmp_path, expect=1)
    assert "kodos.config.errors" in modules


def test_a_plan_without_devices_loads_no_disk_layout(tmp_path: Path) -> None:
    modules = imported("plan", "-c", "examples/minimal", "--root", tmp_path)
    assert "kodos.plan.build" in modules
    assert loaded(modules, "kodos.disklayout") == []
    # nor, without an AUR, the AUR's sources; nor urllib.request (only an RPC call imports it)
    # or ctypes.util (only hashing a password does)
    assert loaded(modules, "kodos.aur.source", "kodos.aur.order", "urllib.request") == []
    assert loaded(modules, "ctypes.util", "kodos.system.mountns") == []
