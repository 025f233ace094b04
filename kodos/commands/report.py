"""Printing problems and warnings: one located line each, hints indented beneath."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from kodos.errors import Problem
from kodos.text.terminal import inert_lines


def print_problems(problems: Iterable[Problem], label: str = "error") -> None:
    """Each problem (and its hint), control characters escaped: locations and messages quote
    files, which may hold escape sequences."""
    for problem in problems:
        print(inert_lines(f"{label}: {problem}"), file=sys.stderr)
        if problem.hint:
            print(inert_lines(f"  hint: {problem.hint}"), file=sys.stderr)


def print_error(message: str) -> None:
    """One error line (or several), control characters escaped."""
    print(inert_lines(message), file=sys.stderr)
