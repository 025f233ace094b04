"""`kodos apply`: show the plan, ask, build the generation, say what boots next.

With `--json` the result is one JSON document on stdout, for programs that drive kodos (the
Ansible module in contrib/ansible reads it); the plan and the question go to stderr instead:

    {
      "format_version": "1",
      "changed": true,            # a generation was built
      "generation": 3,            # its number; null when the plan was empty
      "parent": 2,                # the generation it was built from (null before the first)
      "reboot_required": true,    # the new generation runs only once the machine boots it
      "plan": {...},              # the plan applied, as `kodos plan --json` prints it
      "notes": ["..."]            # what the applier noticed, in words
    }

Keys may be added, never renamed without a new format_version (docs/fleet.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from kodos.apply.transaction import ApplyOptions, ApplyResult, apply
from kodos.commands.confirm import confirm
from kodos.commands.progress import progress_printer
from kodos.plan.render import render_plan
from kodos.text.terminal import inert

RESULT_FORMAT_VERSION = "1"


def run_apply(options: ApplyOptions, assume_yes: bool, json_output: bool = False) -> int:
    # With --json, stdout holds the result alone: the plan shown before the question moves
    # to stderr.
    shown = sys.stderr if json_output else sys.stdout
    result = apply(
        options,
        confirm=lambda _plan, rendered: _confirm(rendered, assume_yes, shown),
        on_step=progress_printer("apply"),
        report=_report,
    )
    if json_output:
        print(json.dumps(apply_result_document(result), indent=2))
        return 0
    if result.generation is None:
        print(render_plan(result.plan), end="")
        print("Nothing to apply: no generation was built.")
        return 0
    for note in result.notes:
        print(inert(f"note: {note}"), file=sys.stderr)  # notes quote files: kodos.text.terminal
    print(f"Built generation {result.generation}; it boots next.")
    return 0


def apply_result_document(result: ApplyResult) -> dict[str, Any]:
    """The `--json` result (the module docstring lists its keys)."""
    built = result.generation is not None
    return {
        "format_version": RESULT_FORMAT_VERSION,
        "changed": built,
        "generation": result.generation,
        "parent": result.plan.base.generation,
        # Every change lands in a snapshot the running system does not see.
        "reboot_required": built,
        "plan": result.plan.model_dump(mode="json"),
        "notes": list(result.notes),
    }


def _report(text: str) -> None:
    """What apply says at its end, failed or not: its log, a kept failed snapshot."""
    print(inert(text), file=sys.stderr)


def config_of_saved_plan(plan_file: Path) -> str:
    from kodos.plan.planfile import read_plan_file

    return read_plan_file(plan_file).config.path


def _confirm(rendered: str, assume_yes: bool, shown: TextIO) -> bool:
    """Show the plan (`rendered`: apply renders it once, for its log too) and ask."""
    print(rendered, end="", file=shown)
    return confirm("Apply these changes as a new generation?", assume_yes, "apply", shown)
