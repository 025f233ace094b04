"""What kodos prints for people is inert: control characters from files are shown escaped,
never sent to the terminal — in plans, `show`, `validate` and every error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kodos.text.terminal import inert, inert_lines

REPO = Path(__file__).resolve().parent.parent
MINIMAL = REPO / "examples" / "minimal"

# (raw, shown): escape sequences a file might carry, and how kodos shows them
CONTROLS = {
    "title": ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),
    "clear": ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),
    "carriage-return": ("safe\rEVIL", "safe\\rEVIL"),
    "backspace": ("rm -rf\b\b\b\b\b\bls", "rm -rf\\x08\\x08\\x08\\x08\\x08\\x08ls"),
    "c1-csi": ("\x9b2J", "\\x9b2J"),
    "c1-osc": ("\x9d0;x\x9c", "\\x9d0;x\\x9c"),
    "delete-and-nul": ("a\x7fb\x00c", "a\\x7fb\\x00c"),
    "bidi-override": ("txt.\u202eexe", "txt.\\u202eexe"),
    "bidi-isolate": ("\u2066a\u2069", "\\u2066a\\u2069"),
    "line-separator": ("a\u2028b", "a\\u2028b"),
}
SAFE = "tabs\tstay, ünïcödé ✓ stays, so do \\x1b-looking backslashes"


def kodos(*args: str | Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kodos", *map(str, args)]
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False, env=env)


def assert_inert(text: str) -> None:
    """Nothing a terminal would obey: no C0 (but newline and tab), DEL, C1 or bidi control."""
    bad = [c for c in text if c not in "\n\t" and inert(c) != c]
    assert bad == [], bad


@pytest.mark.parametrize("control", CONTROLS, ids=CONTROLS)
def test_inert_escapes_each_control(control: str) -> None:
    raw, shown = CONTROLS[control]

    assert inert(raw) == shown
    assert inert_lines(f"{raw}\n{raw}") == f"{shown}\n{shown}"
    assert inert(f"one\n{raw}") == f"one\\n{shown}"  # one line stays one line


def test_inert_keeps_ordinary_text() -> None:
    assert inert(SAFE) == SAFE
    assert inert_lines(SAFE) == SAFE


@pytest.fixture(scope="module")
def saved_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    work = tmp_path_factory.mktemp("terminal")
    (work / "root").mkdir()
    facts, plan = work / "facts.json", work / "plan.json"
    assert kodos("facts", "--root", work / "root", "--out", facts).returncode == 0
    done = kodos("plan", "-c", MINIMAL, "--facts", facts, "--out", plan)
    assert done.returncode == 0, done.stderr
    document: dict[str, object] = json.loads(plan.read_text())
    return document


@pytest.mark.parametrize("control", CONTROLS, ids=CONTROLS)
def test_show_renders_a_hostile_plan_inert(
    control: str, saved_plan: dict[str, object], tmp_path: Path
) -> None:
    raw, shown = CONTROLS[control]
    plan = json.loads(json.dumps(saved_plan))
    plan["notes"] = [f"note {raw}"]
    plan["config"]["path"] = f"/etc/{raw}/configuration.lua"
    first = plan["changes"][0]
    first.update(
        address=f"pacman.package[{raw}]",
        reason="kept_as_dependency",  # the reason is a value; who needs it is text
        needed_by=f"pkg {raw}",
        source=f"packages[{raw}]",
        after={"reason": "explicit", "text": f"line one\n{raw}\n"},
    )
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))

    done = kodos("show", path)

    assert done.returncode == 0, done.stderr
    assert_inert(done.stdout)
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"Plan for /etc/{shown}/configuration.lua against ")
    assert (
        f"  + pacman.package[{shown}]  (kept: needed by pkg {shown}; from packages[{shown}])"
        in (lines)
    )
    if len(raw.splitlines()) == 1:  # (a CR or U+2028 splits a multi-line value's lines)
        assert f"        + {shown}" in lines
    assert f"note: note {shown}" in lines


@pytest.mark.parametrize("control", ["title", "clear", "c1-csi", "bidi-override"])
def test_facts_notes_are_inert_in_a_plan(
    control: str, saved_plan: dict[str, object], tmp_path: Path
) -> None:
    raw, shown = CONTROLS[control]
    (tmp_path / "root").mkdir()
    facts = tmp_path / "facts.json"
    assert kodos("facts", "--root", tmp_path / "root", "--out", facts).returncode == 0
    document = json.loads(facts.read_text())
    document["notes"] = [f"read {raw}"]
    facts.write_text(json.dumps(document))

    done = kodos("plan", "-c", MINIMAL, "--facts", facts)

    assert done.returncode == 0, done.stderr
    assert_inert(done.stdout)
    assert f"note: read {shown}\n" in done.stdout


@pytest.mark.parametrize("control", CONTROLS, ids=CONTROLS)
def test_a_field_named_by_a_file_is_inert_in_errors(control: str, tmp_path: Path) -> None:
    raw, shown = CONTROLS[control]
    (tmp_path / "root").mkdir()
    facts = tmp_path / "facts.json"
    assert kodos("facts", "--root", tmp_path / "root", "--out", facts).returncode == 0
    document = json.loads(facts.read_text())
    document["resources"] = [
        {"address": "services.unit[a.service]", "attributes": {"state": "enabled", raw: 1}}
    ]
    facts.write_text(json.dumps(document))

    done = kodos("plan", "-c", MINIMAL, "--facts", facts)

    assert done.returncode == 1
    assert_inert(done.stderr)
    assert done.stderr == (
        f"error: {facts}: resources.0.attributes.{shown}: Extra inputs are not permitted\n"
    )


@pytest.mark.parametrize("control", ["title", "carriage-return", "c1-csi", "bidi-override"])
def test_a_path_in_an_error_is_inert(control: str, tmp_path: Path) -> None:
    raw, shown = CONTROLS[control]
    root = tmp_path / f"gone{raw}"

    done = kodos("plan", "-c", MINIMAL, "--root", root)

    assert done.returncode == 1
    assert_inert(done.stderr)
    assert done.stderr == f"error: --root {tmp_path}/gone{shown}: no such directory\n"


@pytest.mark.parametrize("control", ["title", "clear", "c1-csi"])
def test_validate_output_is_inert(control: str, tmp_path: Path) -> None:
    raw, shown = CONTROLS[control]
    config = tmp_path / f"conf{raw}"
    config.mkdir()
    (config / "configuration.lua").write_text(f"return {{ = }} -- {raw}\n")

    done = kodos("validate", "-c", config)

    assert done.returncode == 1
    assert_inert(done.stderr)
    assert done.stderr.startswith(f"error: {tmp_path}/conf{shown}/configuration.lua:1: ")
    assert done.stderr.endswith(f"\n{tmp_path}/conf{shown}: 1 problem found\n")
