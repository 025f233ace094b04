"""Programs some file changes call for, run inside the target when they can run offline.

* `/etc/locale.gen` → `locale-gen`: the locales it lists are compiled into the generation.
* mkinitcpio's configuration (and `/etc/vconsole.conf`, which its keymap/sd-vconsole hooks
  copy into the image) → `mkinitcpio -P`. Installing a kernel runs mkinitcpio through
  pacman's hooks, but that happens before kodos writes its drop-in, so the image must be
  rebuilt after the files step.
* `/etc/sysctl.d/`, `/etc/sysctl.conf`: `sysctl --system` would change the running kernel,
  which is not the generation's; systemd-sysctl applies them when the generation boots. A
  note says so.

A program runs only if the target has it (chrooted, with the kernel file systems mounted);
otherwise it is skipped with a note: the configuration may manage the file before the
package that reads it is installed, and then nothing needs to be rebuilt yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kodos.apply.chroot import program_in_target, run_in_target
from kodos.apply.work import Work, failing_as
from kodos.plan.model import Change

STEP = "run follow-up commands"


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What to do when one of `paths`, or a path under one of `directories`, changed:
    run `argv` inside the target, or, without an argv, only say `offline_note`."""

    paths: tuple[str, ...]
    directories: tuple[str, ...] = ()
    argv: tuple[str, ...] = ()
    offline_note: str = ""

    def triggered_by(self, path: str) -> bool:
        return path in self.paths or path.startswith(self.directories)


FOLLOW_UPS = (
    FollowUp(("/etc/locale.gen",), argv=("/usr/bin/locale-gen",)),
    FollowUp(
        ("/etc/mkinitcpio.conf", "/etc/vconsole.conf"),
        ("/etc/mkinitcpio.conf.d/", "/etc/mkinitcpio.d/"),
        argv=("/usr/bin/mkinitcpio", "-P"),
    ),
    FollowUp(
        ("/etc/sysctl.conf",),
        ("/etc/sysctl.d/",),
        offline_note="systemd-sysctl applies it when the generation boots "
        "(sysctl --system would change the running system, not the generation)",
    ),
)


def pending(changes: Sequence[Change]) -> list[tuple[FollowUp, list[Change]]]:
    """The follow-ups the file changes call for, each with the changes calling for it."""
    found = []
    for follow_up in FOLLOW_UPS:
        causes = [c for c in changes if c.provider == "files" and follow_up.triggered_by(c.name)]
        if causes:
            found.append((follow_up, causes))
    return found


def run_follow_ups(work: Work, calls: Sequence[tuple[FollowUp, list[Change]]]) -> None:
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
