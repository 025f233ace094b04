"""`kodos plan` and `kodos show`: make or load a plan, print it, save it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kodos.plan.build import PlanOptions, build_plan
from kodos.plan.model import Plan
from kodos.plan.render import render_plan
from kodos.system.jsonfile import json_text
from kodos.system.outfile import check_out, is_standard_output, write_out


def run_plan(options: PlanOptions, json_output: bool, out: Path | None, detailed: bool) -> int:
    """Make the plan, save it to `out` (`-`: standard output, then nothing else is printed
    there), print it; with `detailed`, exit status 2 says there are changes."""
    if out is not None:
        check_out(out)  # before the work, not after it
    plan = _plan_against_the_default_generation(options)
    if out is not None:
        write_out(out, json_text(plan.model_dump(mode="json")))
    if out is None or not is_standard_output(out):
        _print(plan, json_output)
    if detailed and plan.changes:
        return 2
    return 0


def _plan_against_the_default_generation(options: PlanOptions) -> Plan:
    if options.facts is not None or options.root is None:
        return build_plan(options)
    from kodos.generations.baseroot import planning_root

    with planning_root(options.root) as (root, note):
        plan = build_plan(replace(options, root=root, display_root=str(options.root)))
    if note is None:
        return plan
    return plan.model_copy(update={"notes": [*plan.notes, note]})


def run_show(plan_file: Path, json_output: bool) -> int:
    from kodos.plan.planfile import read_plan_file

    _print(read_plan_file(plan_file), json_output)
    return 0


def _print(plan: Plan, json_output: bool) -> None:
    if json_output:
        print(plan.model_dump_json(indent=2))
    else:
        print(render_plan(plan), end="")
