"""Printing problems and warnings: one located line each, hints indented beneath."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from kodos.errors import Problem


def print_problems(problems: Iterable[Problem], label: str = "error") -> None:
    for problem in problems:
        print(f"{label}: {problem}", file=sys.stderr)
        if problem.hint:
            print(f"  hint: {problem.hint}", file=sys.stderr)
