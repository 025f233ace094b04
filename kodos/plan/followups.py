"""What apply does besides the changes, because of them: the plan's `follow_ups`.

The table of programs some file changes call for lives here, where the plan can show them;
`kodos.apply.followups` runs them (or says why it could not) from the same table.

* `/etc/locale.gen` → `locale-gen`: the locales it lists are compiled into the generation.
* mkinitcpio's configuration (and `/etc/vconsole.conf`, which its keymap/sd-vconsole hooks
  copy into the image) → `mkinitcpio -P`. Installing a kernel runs mkinitcpio through
  pacman's hooks, but that happens before kodos writes its drop-in, so the image must be
  rebuilt after the files step.
* `/etc/sysctl.d/`, `/etc/sysctl.conf`: `sysctl --system` would change the running kernel,
  which is not the generation's; systemd-sysctl applies them when the generation boots.

Besides those, the plan names two things every apply may do: a file kodos no longer manages
that a package ships is put back as the package has it, and the new generation's kernel and
initramfs are copied to the ESP with its boot entry — which is why every change needs a
reboot to take effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kodos.plan.model import Action, Change, FollowUp


@dataclass(frozen=True, slots=True)
class FollowUpCommand:
    """What to do when one of `paths`, or a path under one of `directories`, changed:
    run `argv` inside the target, or, without an argv, only say `offline_note`."""

    paths: tuple[str, ...]
    directories: tuple[str, ...] = ()
    argv: tuple[str, ...] = ()
    offline_note: str = ""

    def triggered_by(self, path: str) -> bool:
        return path in self.paths or path.startswith(self.directories)

    def describe(self) -> str:
        """What the plan says of it: the command as a user would type it, or the note."""
        if self.argv:
            return "run " + " ".join(self.argv).removeprefix("/usr/bin/")
        return self.offline_note


FOLLOW_UP_COMMANDS = (
    FollowUpCommand(("/etc/locale.gen",), argv=("/usr/bin/locale-gen",)),
    FollowUpCommand(
        ("/etc/mkinitcpio.conf", "/etc/vconsole.conf"),
        ("/etc/mkinitcpio.conf.d/", "/etc/mkinitcpio.d/"),
        argv=("/usr/bin/mkinitcpio", "-P"),
    ),
    FollowUpCommand(
        ("/etc/sysctl.conf",),
        ("/etc/sysctl.d/",),
        offline_note="systemd-sysctl applies it when the generation boots; "
        "sysctl --system would change the running system, not the generation",
    ),
)
RESTORE = "put back the version a package ships, if one ships it"
BOOT = "copy the new generation's kernel and initramfs to the ESP and write its boot entry"


def pending(changes: Sequence[Change]) -> list[tuple[FollowUpCommand, list[Change]]]:
    """The commands the file changes call for, each with the changes calling for it."""
    found = []
    for command in FOLLOW_UP_COMMANDS:
        causes = [c for c in changes if c.provider == "files" and command.triggered_by(c.name)]
        if causes:
            found.append((command, causes))
    return found


def plan_follow_ups(changes: Sequence[Change]) -> list[FollowUp]:
    """Everything apply does besides `changes`, in the order it does it."""
    if not changes:
        return []
    found = [
        FollowUp(action=command.describe(), because=[c.address for c in causes])
        for command, causes in pending(changes)
    ]
    deleted = [c.address for c in changes if c.provider == "files" and c.action == Action.DELETE]
    if deleted:
        found.append(FollowUp(action=RESTORE, because=deleted))
    found.append(FollowUp(action=BOOT, because=[]))
    return found
