"""The progress view of `kodos apply` and `kodos install`: a ✓ line as each step is done.

The steps and their words are `kodos.steps`'s; this only prints them. Lines go to stderr, so
stdout keeps only the plan and the result; the ✓ is green only on a terminal that takes
colour (not in CI logs or tests, not with NO_COLOR or TERM=dumb). Plain writes, not rich:
importing rich and rendering through it cost an apply ~30 ms for a dozen short lines; only
install's own view (`console`) uses it.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import TYPE_CHECKING, TextIO

from kodos.steps import Command, OnStep, StepId, label

if TYPE_CHECKING:
    from rich.console import Console

GREEN = "\x1b[32m"
RESET = "\x1b[0m"


def progress_printer(command: Command) -> OnStep:
    """A listener printing `command`'s label of each step it hears, if it has one."""

    def print_done(step: StepId) -> None:
        text = label(step, command)
        if text is not None:
            mark = f"{GREEN}✓{RESET}" if _coloured(sys.stderr) else "✓"
            print(f"  {mark} {text}", file=sys.stderr, flush=True)

    return print_done


def _coloured(stream: TextIO) -> bool:
    """Whether `stream` is a terminal that takes colour (https://no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


@cache
def console() -> Console:
    """The one stderr console of install's view and the questions asked beside it."""
    from rich.console import Console

    return Console(stderr=True)
