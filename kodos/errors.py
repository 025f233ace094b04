"""The project's error types.

Problems that accumulate (validation, planning) travel as `Problem` values so every one of them
is reported; work that must stop raises a `KodosError`. The CLI turns either into a clean message
and exit status 1 — never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, and where it is.

    `location` is a Lua `file:line` or a configuration path such as `users["demo-user"].shell`;
    `hint` is an optional second line telling the user how to fix it.
    """

    location: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class KodosError(Exception):
    """The root of every error kodos reports to a user."""


class ProblemsError(KodosError):
    """Work stopped because of problems in some input; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(ProblemsError):
    """The configuration could not be evaluated, validated or planned."""


class ReadError(KodosError):
    """A machine's state could not be read: `path` (a host path) and what was wrong with it."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")
