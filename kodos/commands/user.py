"""`kodos user plan|apply|rollback|generations` (and `kodos rebuild-user`): the user's home.

Each acts for the calling user, or, run as root with `--for NAME`, becomes NAME first (before
the configuration or anything in the home is read: kodos/home/identity.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kodos.commands.confirm import confirm
from kodos.home.config import load_user_config
from kodos.home.identity import HomeUser, become_user, calling_user
from kodos.text.terminal import inert

if TYPE_CHECKING:
    from kodos.plan.model import Plan

# The rest of the home room (pydantic models, the plan) is imported once the configuration is
# loaded: load_config imports the configuration's model while the Lua child runs, and what
# this module imported before would not overlap with it.


def acting_user(for_user: str | None) -> HomeUser:
    return become_user(for_user) if for_user is not None else calling_user()


def run_user_plan(
    config: str | None, for_user: str | None, json_output: bool, out: Path | None, detailed: bool
) -> int:
    from kodos.system.outfile import check_out, is_standard_output, write_out

    user = acting_user(for_user)
    if out is not None:
        check_out(out)
    loaded = load_user_config(_absolute(config), user)
    from kodos.home.config import wanted_for
    from kodos.home.plan import plan_home
    from kodos.plan.render import render_plan
    from kodos.system.jsonfile import json_text

    plan = plan_home(user, loaded, wanted_for(loaded, user)).plan
    if out is not None:
        write_out(out, json_text(plan.model_dump(mode="json")))
    if out is None or not is_standard_output(out):
        print(plan.model_dump_json(indent=2) + "\n" if json_output else render_plan(plan), end="")
    return 2 if detailed and plan.changes else 0


def run_user_apply(
    config: str | None,
    for_user: str | None,
    plan_file: Path | None,
    assume_yes: bool,
    backup: str | None,
    lock_timeout: float,
) -> int:
    user = acting_user(for_user)
    if config is None and plan_file is not None:
        from kodos.plan.planfile import read_plan_file

        config = read_plan_file(plan_file).config.path
    loaded = load_user_config(_absolute(config), user)
    from kodos.home.transaction import HomeApplyOptions, apply_home
    from kodos.plan.render import render_plan

    options = HomeApplyOptions(plan_file, backup, lock_timeout)
    result = apply_home(user, loaded, options, lambda plan: _confirm(plan, assume_yes))
    if result.generation is None:
        assert result.plan is not None
        print(render_plan(result.plan), end="")
        print("Nothing to apply: no home generation was made.")
        return 0
    _notes(result.notes)
    print(f"Activated home generation {result.generation} for {user.name}.")
    return 0


def run_user_rollback(
    generation: int | None, for_user: str | None, backup: str | None, lock_timeout: float
) -> int:
    from kodos.home.transaction import rollback_home

    user = acting_user(for_user)
    result = rollback_home(user, generation, backup, lock_timeout)
    if result.generation is None:
        print(inert(f"{result.notes[0]}; nothing changed."))
        return 0
    _notes(result.notes)
    print(f"Activated home generation {result.generation} for {user.name}.")
    return 0


def run_user_generations(for_user: str | None, json_output: bool) -> int:
    from kodos.home.store import Store

    user = acting_user(for_user)
    store = Store(user.state_dir)
    current = store.current_id()
    rows = []
    for generation in store.ids():
        manifest = store.manifest(generation)
        rows.append(
            {
                "generation": generation,
                "current": generation == current,
                "created": manifest.created.isoformat(timespec="seconds"),
                "files": sum(entry.kind == "file" for entry in manifest.entries),
                "links": sum(entry.kind == "link" for entry in manifest.entries),
                "dconf_keys": len(manifest.dconf),
                "config": manifest.config_path,
            }
        )
    if json_output:
        document = {"format_version": "1", "user": user.name, "generations": rows}
        print(json.dumps(document, indent=2))
        return 0
    if not rows:
        print(f"No home generations for {user.name} yet ({store.directory}).")
        return 0
    for row in rows:
        mark = "*" if row["current"] else " "
        counts = f"{row['files']} files, {row['links']} links, {row['dconf_keys']} dconf keys"
        print(inert(f"{mark} {row['generation']:>4}  {row['created']}  {counts}  {row['config']}"))
    print("(* the active generation)")
    return 0


def _absolute(config: str | None) -> str | None:
    # A saved plan is applied later, maybe from elsewhere: it names its configuration fully.
    return str(Path(config).absolute()) if config is not None else None


def _confirm(plan: Plan, assume_yes: bool) -> bool:
    from kodos.plan.render import render_plan

    print(render_plan(plan), end="")
    return confirm("Apply these changes to the home?", assume_yes, "user apply")


def _notes(notes: list[str], label: str = "note: ") -> None:
    for note in notes:
        print(inert(f"{label}{note}"), file=sys.stderr)
