"""`kodos rollback [N]`: make generation N (default: the one before the default) boot next.

O(1): loader.conf's default and the Btrfs default subvolume change; nothing is copied.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from kodos.commands.machine import changing

if TYPE_CHECKING:
    from kodos.generations.history import Rollback


def run_rollback(root: Path, target: int | None, json_output: bool, lock_timeout: float) -> int:
    with changing(root, lock_timeout) as (machine, top):
        # The history (pydantic models, boot entries, deletion) only once the machine is one
        # kodos manages and the lock is held: every refusal before that starts faster.
        from kodos.generations.history import rollback

        done = rollback(machine, top, target)
    if json_output:
        print(
            json.dumps({"previous": done.previous, "default": done.target, "running": done.running})
        )
    else:
        print(describe(done))
    return 0


def describe(done: Rollback) -> str:
    was = "" if done.previous is None else f" (it was generation {done.previous})"
    if done.target == done.running:
        return f"Generation {done.target} boots by default{was}; it is the one running."
    return f"Generation {done.target} boots by default{was}; reboot to run it."
