"""A corpus of bad configurations, each rejected by `kodos validate` with exactly the errors it
declares.

Every `tests/bad_configs/NAME.lua` starts with comment lines stating what the real CLI must say:

    -- expect: error: LOCATION: MESSAGE        one line of stderr, verbatim (one per problem)
    -- expect-hint: TEXT                       a `  hint: TEXT` line of stderr
    -- expect-absent: TEXT                     TEXT appears nowhere in the output (secrets)

The CLI runs from the repository root with the file named relative to it, so Lua locations read
`tests/bad_configs/NAME.lua:LINE`. Modules the cases `require` live in `tests/bad_configs/modules/`
and are not cases themselves.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "bad_configs"
CASES = sorted(CORPUS.glob("*.lua"))

# Generous: the slowest case (a hang only the 10 s wall-clock deadline stops) takes 10 s.
TIMEOUT_SECONDS = 60


@dataclass
class Expectations:
    errors: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)


def read_expectations(case: Path) -> Expectations:
    """The directives in the comment lines that open the file."""
    expected = Expectations()
    directives = {
        "-- expect:": expected.errors,
        "-- expect-hint:": expected.hints,
        "-- expect-absent:": expected.absent,
    }
    for line in case.read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        for prefix, values in directives.items():
            if line.startswith(prefix):
                values.append(line.removeprefix(prefix).strip())
    return expected


def validate(case: Path) -> subprocess.CompletedProcess[str]:
    relative = case.relative_to(REPO).as_posix()
    return subprocess.run(
        [sys.executable, "-m", "kodos", "validate", "-c", relative],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT_SECONDS,
    )


def test_the_corpus_is_complete() -> None:
    assert len(CASES) >= 40
    for case in CASES:
        assert read_expectations(case).errors, f"{case.name} declares no `-- expect:` line"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_config_is_rejected_with_its_errors(case: Path) -> None:
    expected = read_expectations(case)
    result = validate(case)
    stderr_lines = result.stderr.splitlines()
    report = f"stderr was:\n{result.stderr}"

    assert result.returncode == 1, report
    assert result.stdout == ""
    assert "Traceback" not in result.stderr, report
    assert "internal error" not in result.stderr, report
    for line in expected.errors:
        assert line in stderr_lines, f"missing: {line}\n{report}"
    for hint in expected.hints:
        assert f"  hint: {hint}" in stderr_lines, f"missing hint: {hint}\n{report}"
    errors = [line for line in stderr_lines if line.startswith("error:")]
    assert len(errors) == len(expected.errors), report
    hints = [line for line in stderr_lines if line.startswith("  hint:")]
    assert len(hints) == len(expected.hints), report
    count = len(expected.errors)
    relative = case.relative_to(REPO).as_posix()
    closing = f"{relative}: {count} problem{'s' if count > 1 else ''} found"
    assert stderr_lines[-1:] == [closing], report
    for secret in expected.absent:
        assert secret not in result.stderr, f"{secret!r} is echoed\n{report}"
