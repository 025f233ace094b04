"""`kodos apply`: show the plan, ask, build the generation, say what boots next."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from rich.console import Console

from kodos.apply.transaction import ApplyOptions, apply
from kodos.plan.model import Plan
from kodos.plan.render import render_plan
from kodos.terminal import inert

STEP_LABELS = {
    "lock": "took the machine's lock",
    "cleanup": "cleaned up after interrupted runs",
    "plan": "planned against the default generation",
    "snapshot": "snapshotted the default generation",
    "execute": "applied the changes inside the snapshot",
    "sync": "wrote the new generation to disk",
    "verify": "verified: the new generation matches the configuration",
    "record": "wrote the generation record",
    "entry": "wrote the boot entry",
    "index": "added the generation to the index",
    "loader-default": "made it systemd-boot's default",
    "btrfs-default": "made it the Btrfs default subvolume",
}


def run_apply(options: ApplyOptions, assume_yes: bool) -> int:
    result = apply(options, confirm=lambda plan: _confirm(plan, assume_yes), on_step=_progress)
    if result.generation is None:
        print(render_plan(result.plan), end="")
        print("Nothing to apply: no generation was built.")
        return 0
    for note in result.notes:
        print(inert(f"note: {note}"), file=sys.stderr)  # notes quote files: kodos.terminal
    print(f"Built generation {result.generation}; it boots next.")
    return 0


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


def _progress(step: str) -> None:
    label = STEP_LABELS.get(step)
    if label is not None:
        _console().print(f"  [green]✓[/green] {label}", highlight=False)


@cache
def _console() -> Console:
    # stderr, so stdout keeps only the plan and the result; rich drops the colour when
    # stderr is not a terminal (CI logs, tests).
    return Console(stderr=True)
