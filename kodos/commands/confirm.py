"""Asking before a change, alike in every command that asks (apply, install, generations delete
and gc): the question ends with "Only 'yes' is accepted:", only `yes` goes on, and whatever else
— another answer, end of input, no terminal to ask on without `--yes` — stops the command with
exit status 1 and one line saying that nothing changed.
"""

from __future__ import annotations

import sys
from typing import TextIO

from kodos.errors import KodosError

NOT_CONFIRMED = "not confirmed: nothing changed"


class NotConfirmed(KodosError):
    """The user did not agree, or could not be asked; nothing was changed."""


def confirm(question: str, assume_yes: bool, command: str, asking: TextIO | None = None) -> bool:
    """True when the user agrees (`--yes`, or `yes` typed after `question`); raises
    `NotConfirmed` otherwise, so a declined command never goes on to change anything.
    `asking` is where the question goes (standard output unless that carries JSON)."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise NotConfirmed(
            f"kodos {command} asks for confirmation: run again with --yes; nothing changed"
        )
    asking = asking or sys.stdout
    print(f"{question} Only 'yes' is accepted: ", end="", file=asking, flush=True)
    try:
        answer = input()
    except EOFError:  # Ctrl-D: no answer is no
        print(file=asking)
        answer = ""
    if answer.strip() != "yes":
        raise NotConfirmed(NOT_CONFIRMED)
    return True
