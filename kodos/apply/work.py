"""What the steps of one `execute` share: the target, the desired values, notes, and the error.

A step that fails raises `StepFailed`, naming the step and the resources it was working on;
when a command failed, the runner's `CommandFailed` is kept as `command` (and as the cause).
Nothing here ever puts a secret into a message: commands get secrets as input only, and the
runner withholds output lines that repeat them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kodos.errors import KodosError
from kodos.plan.model import Action, Change
from kodos.resources import SENSITIVE_PLACEHOLDER, JsonValue, Resource
from kodos.system.runner import CommandFailed

# How many addresses a message lists before it says "and N more".
LISTED = 3


class StepFailed(KodosError):
    """A step of applying a plan failed.

    `step` is what was being done ("install packages"), `addresses` the resources it was
    working on, `reason` what went wrong, and `command` the failed command, if one failed.
    """

    def __init__(
        self,
        step: str,
        addresses: Sequence[str],
        reason: str,
        *,
        command: CommandFailed | None = None,
    ) -> None:
        self.step = step
        self.addresses = tuple(addresses)
        self.reason = reason
        self.command = command
        super().__init__(f"{step} ({listed(self.addresses)}): {reason}")


def listed(addresses: Sequence[str]) -> str:
    shown = ", ".join(addresses[:LISTED])
    more = len(addresses) - LISTED
    return f"{shown} and {more} more" if more > 0 else shown


@contextmanager
def failing_as(step: str, changes: Sequence[Change]) -> Iterator[None]:
    """Turn a failed command, file operation or read (a damaged pacman database) inside the
    block into a `StepFailed`."""
    addresses = [change.address for change in changes]
    try:
        yield
    except StepFailed:
        raise
    except CommandFailed as err:
        raise StepFailed(step, addresses, err.headline(), command=err) from err
    except KodosError as err:
        raise StepFailed(step, addresses, str(err)) from err
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        raise StepFailed(step, addresses, f"{where}{err.strerror or err}") from err


@dataclass
class Work:
    """One execution: the root being changed, the desired resources, and the notes to return.

    `esp` is the host path of the ESP, known once a bootloader change needs it.
    `aur_repository` is the local repository pacman installs AUR packages from.
    """

    target: Path
    desired: Mapping[str, Resource]
    esp: Path | None = None
    notes: list[str] = field(default_factory=list)
    aur_repository: Path | None = None
    """The local repository of the AUR packages built for this apply (`[kodos-aur]`)."""

    def wanted(self, change: Change) -> dict[str, JsonValue]:
        """The values a create, update or replace asks for. The desired resource's own
        attributes win: the plan redacts secrets (and is data for people to read); the plan's
        `after` serves when the caller's desired set does not hold the address."""
        values = dict(change.after or {})
        resource = self.desired.get(change.address)
        if resource is not None:
            values.update(resource.attributes)
        return values

    def changed_values(self, change: Change) -> dict[str, JsonValue]:
        """What must be set: every wanted value for a create or replace, the changed ones for
        an update (an account's other attributes stay as they are)."""
        values = self.wanted(change)
        if change.action == Action.UPDATE:
            return {key: values[key] for key in change.changed if key in values}
        return values


def unresolved_secrets(work: Work, change: Change) -> list[str]:
    """The sensitive attributes this change must set but only knows as a placeholder."""
    values = work.changed_values(change) if change.after is not None else {}
    return sorted(key for key in change.sensitive if values.get(key, None) == SENSITIVE_PLACEHOLDER)
