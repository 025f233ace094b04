"""`kodos apply`: show the plan, ask, build the generation, say what boots next."""

from __future__ import annotations

import sys
from pathlib import Path

from kodos.apply.transaction import ApplyOptions, apply
from kodos.commands.progress import progress_printer
from kodos.plan.model import Plan
from kodos.plan.render import render_plan
from kodos.text.terminal import inert


def run_apply(options: ApplyOptions, assume_yes: bool) -> int:
    result = apply(
        options,
        confirm=lambda plan: _confirm(plan, assume_yes),
        on_step=progress_printer("apply"),
        report=_report,
    )
    if result.generation is None:
        print(render_plan(result.plan), end="")
        print("Nothing to apply: no generation was built.")
        return 0
    for note in result.notes:
        print(inert(f"note: {note}"), file=sys.stderr)  # notes quote files: kodos.text.terminal
    print(f"Built generation {result.generation}; it boots next.")
    return 0


def _report(text: str) -> None:
    """What apply says at its end, failed or not: its log, a kept failed snapshot."""
    print(inert(text), file=sys.stderr)


def config_of_saved_plan(plan_file: Path) -> str:
    from kodos.plan.planfile import read_plan_file

    return read_plan_file(plan_file).config.path


def _confirm(plan: Plan, assume_yes: bool) -> bool:
    print(render_plan(plan), end="")
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        from kodos.apply.transaction import ApplyError

        raise ApplyError("apply asks for confirmation: run again with --yes")
    answer = input("Apply these changes as a new generation? Only 'yes' is accepted: ")
    return answer.strip() == "yes"
