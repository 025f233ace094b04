"""The progress view of `kodos apply` and `kodos install`: a ✓ line as each step is done.

The steps and their words are `kodos.steps`'s; this only prints them. Lines go to stderr, so
stdout keeps only the plan and the result; rich drops the colour when stderr is not a terminal
(CI logs, tests).
"""

from __future__ import annotations

from functools import cache

from rich.console import Console

from kodos.steps import Command, OnStep, StepId, label


def progress_printer(command: Command) -> OnStep:
    """A listener printing `command`'s label of each step it hears, if it has one."""

    def print_done(step: StepId) -> None:
        text = label(step, command)
        if text is not None:
            console().print(f"  [green]✓[/green] {text}", highlight=False)

    return print_done


@cache
def console() -> Console:
    """The one stderr console of the progress view and the questions asked beside it."""
    return Console(stderr=True)
