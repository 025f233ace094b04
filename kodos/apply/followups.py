"""Run the programs some file changes call for, inside the target when they can run offline.

The table of which change calls for which program is the plan's
(`kodos.plan.followups.FOLLOW_UP_COMMANDS`), so the plan shows what runs here.

A program runs only if the target has it (chrooted, with the kernel file systems mounted);
otherwise it is skipped with a note: the configuration may manage the file before the
package that reads it is installed, and then nothing needs to be rebuilt yet.
"""

from __future__ import annotations

from collections.abc import Sequence

from kodos.apply.chroot import program_in_target, run_in_target
from kodos.apply.work import Work, failing_as
from kodos.plan.followups import FollowUpCommand, pending
from kodos.plan.model import Change

__all__ = ["STEP", "pending", "run_follow_ups"]

STEP = "run follow-up commands"


def run_follow_ups(work: Work, calls: Sequence[tuple[FollowUpCommand, list[Change]]]) -> None:
    for follow_up, causes in calls:
        paths = ", ".join(sorted({c.name for c in causes}))
        if not follow_up.argv:
            work.notes.append(f"{paths} changed: {follow_up.offline_note}")
        elif not program_in_target(work.target, follow_up.argv[0]):
            work.notes.append(
                f"{paths} changed, but the target has no {follow_up.argv[0]}: "
                f"{' '.join(follow_up.argv)} was not run"
            )
        else:
            with failing_as(STEP, causes):
                run_in_target(work.target, follow_up.argv, work.notes)
