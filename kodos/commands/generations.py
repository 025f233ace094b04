"""`kodos generations list|diff|delete|gc|repair`: the machine's history, shown, pruned and
its index rebuilt.

Every command runs in a private mount namespace, so the Btrfs top level it mounts vanishes with
the process however it ends. Deleting asks first: on a terminal the user types `yes`; without
one, `--yes` is required.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kodos.commands.confirm import confirm as ask
from kodos.commands.machine import changing, reading
from kodos.generations.history import GenerationView, delete, diff, gc, list_generations, view
from kodos.generations.host import NoGenerations
from kodos.generations.render import render_details, render_diff, render_table
from kodos.text.terminal import inert_lines

NO_GENERATIONS_HINT = "kodos has built no generations here yet: `kodos apply` builds the first"


def run_list(root: Path, json_output: bool) -> int:
    with reading(root) as (machine, top):
        try:
            views = list_generations(machine, top)
        except NoGenerations:
            # a machine kodos does not manage yet: nothing to list is an answer, not an error
            views = []
            print(f"hint: {NO_GENERATIONS_HINT}", file=sys.stderr)
    if json_output:
        print(json.dumps([v.model_dump(mode="json") for v in views], indent=2))
    else:
        print(inert_lines(render_table(views)), end="")  # records are files: kodos.text.terminal
    return 0


def run_diff(root: Path, a: int, b: int, json_output: bool) -> int:
    with reading(root) as (machine, top):
        changes = diff(machine, top, a, b)
    print(changes.model_dump_json(indent=2) if json_output else inert_lines(render_diff(changes)))
    return 0


def run_show(root: Path, gen_id: int, json_output: bool) -> int:
    from kodos.generations.details import generation_details

    with reading(root) as (machine, top):
        details = generation_details(machine, top, gen_id)
    if json_output:
        print(details.model_dump_json(indent=2))
    else:
        print(inert_lines(render_details(details)))
    return 0


def run_delete(root: Path, gen_id: int, assume_yes: bool, lock_timeout: float) -> int:
    def confirm(view: GenerationView) -> bool:
        question = f"{render_table([view])}Delete generation {gen_id}?"
        return ask(question, assume_yes, "generations delete")

    with changing(root, lock_timeout) as (machine, top):
        delete(machine, top, gen_id, confirm=confirm)
    print(f"Deleted generation {gen_id}.")
    return 0


def run_gc(root: Path, keep: int, assume_yes: bool, lock_timeout: float) -> int:
    def confirm(views: list[GenerationView]) -> bool:
        question = f"{render_table(views)}Delete these {len(views)} generations?"
        return ask(question, assume_yes, "generations gc")

    with changing(root, lock_timeout) as (machine, top):
        deleted = gc(machine, top, keep, confirm=confirm)
    if deleted:
        print(f"Deleted generation{'s' if len(deleted) > 1 else ''} {_ids(deleted)}.")
    else:
        print("Nothing to delete.")
    return 0


def run_repair(root: Path, lock_timeout: float) -> int:
    from kodos.generations.history import read_history
    from kodos.generations.repair import repair

    with changing(root, lock_timeout) as (machine, top):
        repaired = repair(machine, top)
        history = read_history(machine, top)
        views = [view(history, gen_id) for gen_id in history.index.ids()]
    for note in repaired.notes:
        print(f"note: {note}", file=sys.stderr)
    print(render_table(views), end="")
    listed = _ids(repaired.index.ids()) or "none"
    print(
        f"Rebuilt {repaired.path} (it was {repaired.before}): generations {listed}; "
        f"the next one is numbered {repaired.index.next_id()}. Nothing was deleted."
    )
    return 0


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids))
